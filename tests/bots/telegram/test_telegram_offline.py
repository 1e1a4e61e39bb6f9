"""The real bot against the stand-in Bot API, with the engine service down (nothing listens on its port):
everything that must work without the engine, and what the person is told when it is away."""

from __future__ import annotations

import socket

import pytest

from bots.common import messages
from bots.telegram.retry import RetryQueue
from tests.bots.telegram import updates
from tests.bots.telegram.botapi import StandInBotAPI
from tests.bots.telegram.harness import running_bot


@pytest.fixture
def dead_engine_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (the port was free a moment ago)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def texts(botapi: StandInBotAPI) -> list[str]:
    return [c.params["text"] for c in botapi.sent("sendMessage")]


async def test_help_lists_the_commands(botapi: StandInBotAPI, dead_engine_url: str) -> None:
    async with running_bot(botapi, dead_engine_url):
        botapi.push(updates.command("help"))
        await botapi.wait_sent("sendMessage")
    assert "/phrases" in texts(botapi)[0] and "@avatarlab_test_bot" in texts(botapi)[0]
    commands = botapi.sent("setMyCommands")[0].params["commands"]
    assert {c["command"] for c in commands} >= {"phrases", "voice", "face", "settings", "forget", "export"}


async def test_unsupported_files_get_a_kind_answer(botapi: StandInBotAPI, dead_engine_url: str) -> None:
    async with running_bot(botapi, dead_engine_url):
        botapi.push(updates.document("pdf1", 20_000, "application/pdf", "homework.pdf"))
        botapi.push(updates.sticker())
        await botapi.wait_sent("sendMessage", 2)
    assert texts(botapi) == [messages.UNSUPPORTED_FILE] * 2


async def test_a_file_over_20_mb_is_refused_without_downloading(
    botapi: StandInBotAPI, dead_engine_url: str
) -> None:
    async with running_bot(botapi, dead_engine_url):
        botapi.push(updates.voice("big", size=25_000_000, duration=600))
        botapi.push(updates.document("bigpic", 21_000_000, "image/png", "me.png"))
        await botapi.wait_sent("sendMessage", 2)
    assert texts(botapi) == [messages.FILE_TOO_BIG] * 2
    assert not botapi.sent("getFile")


async def test_engine_down_says_busy_once_then_retries_and_finally_apologises(
    botapi: StandInBotAPI, dead_engine_url: str
) -> None:
    retry = RetryQueue(base_delay_s=0.05, max_delay_s=0.2, max_attempts=3)
    async with running_bot(botapi, dead_engine_url, retry=retry):
        botapi.push(updates.text("Can I have some water, please?"))
        await botapi.wait_sent("sendMessage", 2)
    assert texts(botapi) == [messages.BUSY, messages.RETRY_GAVE_UP]
    assert not botapi.sent("sendVoice", "sendVideo")


async def test_engine_down_while_a_photo_arrives(botapi: StandInBotAPI, dead_engine_url: str) -> None:
    retry = RetryQueue(base_delay_s=0.05, max_delay_s=0.2, max_attempts=2)
    botapi.add_file("me", b"\x89PNG\r\n\x1a\n" + bytes(100))
    async with running_bot(botapi, dead_engine_url, retry=retry):
        botapi.push(updates.photo("me", 108, 10, 10))
        await botapi.wait_sent("sendMessage", 2)
    assert texts(botapi) == [messages.BUSY, messages.UPLOAD_GAVE_UP]


async def test_flood_control_429_is_honoured(botapi: StandInBotAPI, dead_engine_url: str) -> None:
    botapi.fail_next("sendMessage", retry_after=1)
    async with running_bot(botapi, dead_engine_url):
        botapi.push(updates.command("help"))
        await botapi.wait_sent("sendMessage")
    attempts = [c for c in botapi.calls if c.method == "sendMessage"]
    assert [c.answered for c in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 0.95  # waited retry_after before sending again
    assert attempts[1].params["text"] == attempts[0].params["text"]


async def test_a_redelivered_update_is_answered_once(botapi: StandInBotAPI, dead_engine_url: str) -> None:
    update = updates.sticker()
    async with running_bot(botapi, dead_engine_url):
        botapi.push(update)
        await botapi.wait_sent("sendMessage")
        botapi.push(update)  # the same message again, under a new update_id
        botapi.push(updates.command("help"))  # processed after it: proves the repeat was seen and dropped
        await botapi.wait_sent("sendMessage", 2)
    assert texts(botapi)[0] == messages.UNSUPPORTED_FILE
    assert texts(botapi)[1].startswith("Type a message")
    assert len(botapi.sent("sendMessage")) == 2


async def test_group_messages_not_addressed_to_the_bot_are_left_alone(
    botapi: StandInBotAPI, dead_engine_url: str
) -> None:
    async with running_bot(botapi, dead_engine_url):
        botapi.push(updates.text("just chatting", chat=updates.GROUP))
        botapi.push(updates.command("help"))
        await botapi.wait_sent("sendMessage")
    assert len(botapi.sent("sendMessage")) == 1
