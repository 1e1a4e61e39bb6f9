"""Webhook mode: the bot registers its URL and secret with the Bot API, and only accepts updates that carry
the secret."""

from __future__ import annotations

import json
import socket

import aiohttp

from bots.telegram.app import build_application, start_bot, stop_bot, webhook_args
from bots.telegram.config import TelegramConfig
from tests.bots.telegram import updates
from tests.bots.telegram.botapi import StandInBotAPI


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_webhook_needs_the_secret(botapi: StandInBotAPI) -> None:
    port = free_port()
    config = TelegramConfig(
        token=botapi.token,
        engine_url=f"http://127.0.0.1:{free_port()}",
        engine_token="t",
        base_url=botapi.base_url,
        webhook_url="https://bot.example.org/avatarlab-hook",
        webhook_listen="127.0.0.1",
        webhook_port=port,
        webhook_secret="s3cret-Value_1",
    )
    app = build_application(config)
    await app.initialize()
    await start_bot(app)
    await app.start()
    await app.updater.start_webhook(**webhook_args(config))
    try:
        hook = botapi.sent("setWebhook")[0].params
        assert hook["url"] == config.webhook_url and hook["secret_token"] == config.webhook_secret
        body = json.dumps({**updates.command("help"), "update_id": 1})
        url = f"http://127.0.0.1:{port}/avatarlab-hook"
        async with aiohttp.ClientSession(headers={"Content-Type": "application/json"}) as http:
            async with http.post(
                url, data=body, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
            ) as resp:
                assert resp.status == 403
            async with http.post(
                url, data=body, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-Value_1"}
            ) as resp:
                assert resp.status == 200
        answers = await botapi.wait_sent("sendMessage")
    finally:
        await app.updater.stop()
        await app.stop()
        await stop_bot(app)
        await app.shutdown()
    assert len(answers) == 1 and answers[0].params["text"].startswith("Type a message")
