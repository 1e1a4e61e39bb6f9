"""Build and run the Telegram Application."""

from __future__ import annotations

import logging
from typing import Any

from telegram import BotCommand, Update
from telegram.ext import AIORateLimiter, Application

from bots.telegram.config import TelegramConfig
from bots.telegram.handlers import (
    errors,
    face,
    inline,
    media,
    phrases,
    privacy,
    settings,
    speak,
    start,
    voice,
)
from bots.telegram.state import STATE_KEY, BotState
from engine.service.client import EngineClient

log = logging.getLogger(__name__)

COMMANDS = [
    BotCommand("phrases", "Your saved phrases"),
    BotCommand("save", "Save a phrase"),
    BotCommand("voice", "Choose your voice"),
    BotCommand("face", "Choose your face"),
    BotCommand("settings", "Video, round video or voice; captions; language"),
    BotCommand("help", "What I can do"),
    BotCommand("export", "Get a copy of your data"),
    BotCommand("forget", "Delete everything about you"),
]
# Retries of the engine client itself stay short: a busy engine is retried by the bot's own queue,
# which tells the person first instead of keeping them waiting in silence.
CLIENT_RETRIES = 1
CONCURRENT_UPDATES = 16  # several people at once; each chat's clips still go out in order (chat lock)
RATE_LIMIT_RETRIES = 5  # 429 answers from Telegram honoured (retry_after) this many times per call


def build_application(config: TelegramConfig, client: EngineClient | None = None) -> Application:
    """The Application with every handler. Its engine client is closed on shutdown."""
    builder = (
        Application.builder()
        .token(config.token)
        .rate_limiter(AIORateLimiter(max_retries=RATE_LIMIT_RETRIES))
        .concurrent_updates(CONCURRENT_UPDATES)
        # Videos of up to 50 MB: the default 20 s write timeout is too short for them on a slow uplink.
        .media_write_timeout(120)
        .read_timeout(30)
        .get_updates_read_timeout(config.poll_timeout_s + 10)
        .post_init(start_bot)
        .post_shutdown(stop_bot)
    )
    if config.base_url:
        builder = builder.base_url(config.base_url).base_file_url(config.resolved_base_file_url)
    app = builder.build()
    app.bot_data[STATE_KEY] = BotState(
        client=client or EngineClient(config.engine_url, config.engine_token, max_retries=CLIENT_RETRIES)
    )
    for module in (start, speak, voice, face, media, phrases, inline, settings, privacy, errors):
        module.register(app)
    return app


async def start_bot(app: Application) -> None:
    """After initialize(): tell Telegram the command list (shown in the menu button)."""
    await app.bot.set_my_commands(COMMANDS)


async def stop_bot(app: Application) -> None:
    state: BotState = app.bot_data[STATE_KEY]
    await state.retry.close()
    await state.client.close()


def webhook_args(config: TelegramConfig) -> dict[str, Any]:
    """Updater.start_webhook / Application.run_webhook arguments: Telegram POSTs to config.webhook_url,
    a reverse proxy forwards it to webhook_listen:webhook_port, at the URL's last path segment."""
    if config.webhook_url is None:
        raise ValueError("webhook_args needs config.webhook_url")
    path = config.webhook_url.rstrip("/").rpartition("/")[2]
    return {
        "listen": config.webhook_listen,
        "port": config.webhook_port,
        "url_path": path,
        "webhook_url": config.webhook_url,
        "secret_token": config.webhook_secret,
        "allowed_updates": Update.ALL_TYPES,
    }


def run(config: TelegramConfig) -> None:
    """Run until interrupted: a webhook server when config.webhook_url is set, long polling otherwise."""
    app = build_application(config)
    if config.webhook_url:
        app.run_webhook(**webhook_args(config))
    else:
        app.run_polling(allowed_updates=Update.ALL_TYPES, timeout=config.poll_timeout_s)
