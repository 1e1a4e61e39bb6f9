"""How the Telegram bot is connected: its token, the engine service, and polling or webhook mode."""

from __future__ import annotations

from dataclasses import dataclass

from engine.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class TelegramConfig:
    token: str
    engine_url: str
    engine_token: str
    # A local Bot API server (or the test stand-in): "http://host:port/bot"; files at base_file_url.
    base_url: str | None = None
    base_file_url: str | None = None
    # Webhook mode when webhook_url is set; otherwise long polling.
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_secret: str | None = None
    poll_timeout_s: int = 30

    def __post_init__(self) -> None:
        if not self.token.strip():
            raise InvalidInput(
                "The Telegram bot needs its token: pass --token or set AVATARLAB_TELEGRAM_TOKEN "
                "(ask @BotFather for one)."
            )
        if ":" not in self.token:
            raise InvalidInput("That doesn't look like a Telegram bot token (it has the form 123456:ABC…).")
        if not self.engine_url.startswith(("http://", "https://")):
            raise InvalidInput(
                f"The engine URL must start with http:// or https:// (got {self.engine_url!r})."
            )
        if self.webhook_url is not None and not self.webhook_url.startswith("https://"):
            raise InvalidInput("Telegram only delivers webhooks to an https:// URL.")
        if self.webhook_secret is not None and not _valid_secret(self.webhook_secret):
            raise InvalidInput("The webhook secret may use only A-Z, a-z, 0-9, _ and -, 1 to 256 characters.")

    @property
    def resolved_base_file_url(self) -> str | None:
        if self.base_file_url or not self.base_url:
            return self.base_file_url
        # The Bot API serves files beside the methods: .../bot<token>/method → .../file/bot<token>/path
        root, _, _ = self.base_url.rstrip("/").rpartition("/")
        return f"{root}/file/bot"


def _valid_secret(secret: str) -> bool:
    return 1 <= len(secret) <= 256 and all(c.isascii() and (c.isalnum() or c in "_-") for c in secret)
