"""What the Discord bot needs to run: its Discord credentials, where the engine is, how to sync commands."""

from __future__ import annotations

import os
from dataclasses import dataclass

from engine.config import Settings
from engine.errors import InvalidInput

TOKEN_ENV = "AVATARLAB_DISCORD_TOKEN"
APPLICATION_ID_ENV = "AVATARLAB_DISCORD_APPLICATION_ID"
DISCORD_API = "https://discord.com/api/v10"
# Discord invalidates an interaction token 15 minutes after the interaction; stop a little earlier so the
# "I couldn't" message itself still gets through.
INTERACTION_WINDOW_S = 15 * 60.0 - 20.0


@dataclass(frozen=True)
class DiscordSettings:
    token: str
    application_id: int | None = None
    engine_url: str = "http://127.0.0.1:8750"
    engine_token: str = ""
    sync_commands: bool = False
    sync_guild_id: int | None = None  # None: sync globally (takes up to an hour to show everywhere)
    api_url: str = DISCORD_API
    interaction_window_s: float = INTERACTION_WINDOW_S

    @classmethod
    def resolve(
        cls,
        *,
        token: str | None = None,
        application_id: int | None = None,
        engine_url: str | None = None,
        engine_token: str | None = None,
        sync_commands: bool = False,
        sync_guild_id: int | None = None,
        api_url: str | None = None,
        env: dict[str, str] | None = None,
    ) -> DiscordSettings:
        """Arguments first, then AVATARLAB_* environment variables, then the engine settings' defaults."""
        env = dict(os.environ if env is None else env)
        token = token or env.get(TOKEN_ENV, "")
        if not token.strip():
            raise InvalidInput(f"A Discord bot token is needed: pass --token or set {TOKEN_ENV}.")
        if application_id is None and env.get(APPLICATION_ID_ENV):
            try:
                application_id = int(env[APPLICATION_ID_ENV])
            except ValueError as exc:
                raise InvalidInput(f"{APPLICATION_ID_ENV} must be a number (the application's ID).") from exc
        engine = Settings.load(env)
        engine_token = engine_token or engine.engine_token
        if not engine_token.strip():
            raise InvalidInput(
                "The bot needs its engine token: pass --engine-token or set AVATARLAB_ENGINE_TOKEN "
                "(the discord=… value of the engine's AVATARLAB_API_TOKENS)."
            )
        return cls(
            token=token.strip(),
            application_id=application_id,
            engine_url=engine_url or engine.engine_url,
            engine_token=engine_token.strip(),
            sync_commands=sync_commands or sync_guild_id is not None,
            sync_guild_id=sync_guild_id,
            api_url=(api_url or DISCORD_API).rstrip("/"),
        )
