"""Run the real Telegram Application against the stand-in Bot API, polling, as in production."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram import Update
from telegram.ext import Application

from bots.telegram.app import build_application, start_bot, stop_bot
from bots.telegram.config import TelegramConfig
from bots.telegram.retry import RetryQueue
from bots.telegram.state import STATE_KEY
from tests.bots.telegram.botapi import StandInBotAPI


@asynccontextmanager
async def running_bot(
    botapi: StandInBotAPI, engine_url: str, engine_token: str = "test-token", retry: RetryQueue | None = None
) -> AsyncIterator[Application]:
    config = TelegramConfig(
        token=botapi.token,
        engine_url=engine_url,
        engine_token=engine_token,
        base_url=botapi.base_url,
        base_file_url=botapi.base_file_url,
        poll_timeout_s=1,
    )
    app = build_application(config)
    if retry is not None:
        app.bot_data[STATE_KEY].retry = retry
    await app.initialize()
    await start_bot(app)  # run_polling would call it as post_init
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=1, allowed_updates=Update.ALL_TYPES)
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await stop_bot(app)
        await app.shutdown()
