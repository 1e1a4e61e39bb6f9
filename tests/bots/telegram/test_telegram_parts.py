"""The bot's parts on their own: callback data, keyboards, the retry queue, duplicate detection,
configuration, and the chat action keeper (against the stand-in Bot API)."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Bot
from telegram.constants import ChatAction

from bots.telegram import callbacks as cb
from bots.telegram import keyboards
from bots.telegram.actions import ChatActionKeeper
from bots.telegram.config import TelegramConfig
from bots.telegram.dedup import SeenKeys, message_key
from bots.telegram.retry import RetryQueue
from engine.errors import Busy, InvalidInput
from engine.service.schema import Phrase
from engine.speech.base import VoiceInfo
from tests.bots.telegram.botapi import StandInBotAPI


def test_callback_data_round_trip_and_64_byte_limit() -> None:
    assert cb.parse(cb.make(cb.PHRASE_MOVE, 12, -1)) == ("pmove", ["12", "-1"])
    assert cb.make(cb.VOICE_SET, 1, "espeak", "x" * 60) is None
    assert cb.parse(None) == ("", [])


def all_data(markup) -> list[str]:
    return [b.callback_data for row in markup.inline_keyboard for b in row]


def test_keyboards_leave_out_buttons_whose_data_is_too_long() -> None:
    voices = [
        VoiceInfo("en-us", "English (America)", "en-us", "espeak"),
        VoiceInfo("y" * 70, "Too long", "en", "espeak"),
    ]
    data = all_data(keyboards.voices(voices, "en", onboarding=True))
    assert data == ["vset:1:espeak:en-us"]


def test_every_keyboard_fits_telegram_limits() -> None:
    phrases = [Phrase(id=n, text=f"Phrase {n} " * 10, position=n) for n in range(30)]
    markups = [
        keyboards.languages(True),
        keyboards.voice_menu(),
        keyboards.consent("voice_cloning"),
        keyboards.face_menu(["default", "sunny-deep"], has_photo=True),
        keyboards.phrases(phrases),
        keyboards.phrases_edit(phrases),
        keyboards.settings("video", "soft"),
        keyboards.forget(),
        keyboards.speak_edited(123456789, 1790000000),
        keyboards.spoken(True),
    ]
    for markup in markups:
        for row in markup.inline_keyboard:
            for button in row:
                assert len(button.callback_data.encode()) <= 64
                assert 0 < len(button.text) <= 40
    assert keyboards.spoken(False) is None
    tones = keyboards.style_tones("sunny", ["sunny", "sunny-light", "sunny-deep", "ocean", "ocean-deep"])
    assert all_data(tones) == ["style:sunny-light", "style:sunny-deep"]
    assert keyboards.style_tones("plain", ["plain"]) is None
    assert "✓ Video" in [b.text for b in keyboards.settings("video", "soft").inline_keyboard[0]]


def test_seen_keys_forget_the_oldest() -> None:
    seen = SeenKeys(capacity=2)
    assert seen.first_time("a") and seen.first_time("b")
    assert not seen.first_time("a")
    assert seen.first_time("c")  # "b" is now the oldest and goes
    assert seen.first_time("b")
    seen.forget("b")
    assert seen.first_time("b")
    assert message_key(5, 7) == "tg:5:7" and message_key(5, 7, "e1") == "tg:5:7:e1"


async def test_retry_queue_retries_busy_work_until_it_succeeds() -> None:
    queue = RetryQueue(base_delay_s=0.01, max_delay_s=0.05, max_attempts=5)
    attempts: list[int] = []
    done = asyncio.Event()

    async def work() -> None:
        attempts.append(1)
        if len(attempts) < 3:
            raise Busy(retry_after_s=0.01)
        done.set()

    async def give_up() -> None:
        raise AssertionError("should not give up")

    assert queue.submit("k", work, give_up)
    assert not queue.submit("k", work, give_up)  # same key: already waiting
    await asyncio.wait_for(done.wait(), 5)
    assert len(attempts) == 3
    await asyncio.sleep(0)
    assert len(queue) == 0


async def test_retry_queue_gives_up_after_max_attempts_and_closes() -> None:
    queue = RetryQueue(base_delay_s=0.01, max_delay_s=0.02, max_attempts=3)
    attempts: list[int] = []
    gave_up = asyncio.Event()

    async def work() -> None:
        attempts.append(1)
        raise Busy()

    async def give_up() -> None:
        gave_up.set()

    queue.submit("k", work, give_up, first_delay_s=30)  # a huge Retry-After is capped at max_delay_s
    await asyncio.wait_for(gave_up.wait(), 5)
    assert len(attempts) == 3

    queue.submit("later", work, give_up, first_delay_s=0.02)
    await queue.close()
    assert len(queue) == 0
    assert not queue.submit("after-close", work, give_up)


def test_config_checks_what_a_person_types() -> None:
    ok = TelegramConfig(
        token="1:abc",
        engine_url="http://127.0.0.1:8750",
        engine_token="t",
        base_url="http://127.0.0.1:8081/bot",
    )
    assert ok.resolved_base_file_url == "http://127.0.0.1:8081/file/bot"
    for bad in (
        dict(token=""),
        dict(token="nocolon"),
        dict(engine_url="127.0.0.1:8750"),
        dict(webhook_url="http://example.org/hook"),
        dict(webhook_secret="has space"),
    ):
        args = dict(token="1:abc", engine_url="http://127.0.0.1:8750", engine_token="t") | bad
        with pytest.raises(InvalidInput):
            TelegramConfig(**args)


async def test_chat_action_is_resent_and_can_change(botapi: StandInBotAPI) -> None:
    async with Bot(botapi.token, base_url=botapi.base_url) as bot:
        async with ChatActionKeeper(bot, 42, ChatAction.RECORD_VOICE, interval_s=0.05) as keeper:
            await botapi.wait_for(lambda _c: len(botapi.sent("sendChatAction")) >= 3)
            keeper.set(ChatAction.UPLOAD_VIDEO)
            await botapi.wait_for(
                lambda _c: botapi.sent("sendChatAction")[-1].params["action"] == "upload_video"
            )
        count = len(botapi.sent("sendChatAction"))
        await asyncio.sleep(0.15)
    actions = [c.params["action"] for c in botapi.sent("sendChatAction")]
    assert actions[:3] == ["record_voice"] * 3 and actions[-1] == "upload_video"
    assert len(actions) == count  # nothing more after the block ended


async def test_chat_action_failures_never_stop_the_work(botapi: StandInBotAPI) -> None:
    botapi.fail_next("sendChatAction", retry_after=0, times=2)
    bot = Bot(botapi.token, base_url=botapi.base_url)
    async with bot, ChatActionKeeper(bot, 42, ChatAction.TYPING, interval_s=0.02):
        await botapi.wait_for(lambda _c: len(botapi.sent("sendChatAction")) >= 1)
    assert [c.answered for c in botapi.calls if c.method == "sendChatAction"][:3] == [429, 429, 200]


async def test_chat_locks_keep_order_and_are_dropped_when_idle() -> None:
    import gc

    from bots.telegram.state import BotState

    state = BotState(client=None)  # type: ignore[arg-type]
    order: list[str] = []

    async def clip(name: str, pause: float) -> None:
        async with state.chat_lock(7):
            await asyncio.sleep(pause)
            order.append(name)

    await asyncio.gather(clip("first", 0.05), clip("second", 0))
    assert order == ["first", "second"]
    gc.collect()
    assert len(state._chat_locks) == 0
