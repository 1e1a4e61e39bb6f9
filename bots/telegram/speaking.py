"""Turn text (or a saved phrase) into clips in a chat, part by part, surviving a busy or absent engine:
the person is told once "I'm busy, I'll send it in a moment" and the rest is retried with backoff."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from telegram import Bot, InlineKeyboardMarkup, Message

from bots.common import messages
from bots.telegram.delivery import ClipDelivery, deliver
from bots.telegram.state import BotState
from engine.errors import AvatarLabError, Busy, RateLimited
from engine.service.schema import Job

log = logging.getLogger(__name__)

UPLOAD_LIMIT = 50_000_000  # Bot API upload limit for a video

StartJob = Callable[[int], Awaitable[Job]]  # part index → the engine job making that part


@dataclass
class SpeakTask:
    """Everything needed to (re)start speaking one message. `key` is its idempotency key."""

    key: str
    chat_id: int
    start_job: StartJob
    captions: list[str] = field(default_factory=list)  # one per part; the text shown with the clip
    output: str = "video"
    # Fills captions/output from the person's profile; run (again) until it succeeds once.
    prepare: Callable[[SpeakTask], Awaitable[None]] | None = None
    reply_to: int | None = None
    markup: InlineKeyboardMarkup | None = None
    on_voice: Callable[[int, Message], None] | None = None  # (part index, sent voice message)
    next_part: int = 0
    told_busy: bool = False
    _current: ClipDelivery | None = field(default=None, repr=False)

    def delivery(self) -> ClipDelivery:
        if self._current is None:
            index = self.next_part
            hook = self.on_voice
            self._current = ClipDelivery(
                chat_id=self.chat_id,
                caption=self.captions[index],
                output=self.output,
                reply_to=self.reply_to,
                markup=self.markup,
                on_voice=(lambda message: hook(index, message)) if hook else None,
            )
        return self._current

    def part_done(self) -> None:
        self._current = None
        self.next_part += 1


async def speak(state: BotState, bot: Bot, task: SpeakTask) -> None:
    """Speak every part of `task` in order; on Busy, tell the person once and retry in the background."""
    try:
        await _run(state, bot, task)
    except (Busy, RateLimited) as exc:
        log.info("engine busy for %s: %s", task.key, exc.message)
        if not task.told_busy:
            task.told_busy = True
            await _reply(bot, task, messages.BUSY)

        async def again() -> None:
            await _run(state, bot, task)

        async def give_up() -> None:
            await _reply(bot, task, messages.RETRY_GAVE_UP)

        state.retry.submit(task.key, again, give_up, first_delay_s=exc.retry_after_s)


async def _run(state: BotState, bot: Bot, task: SpeakTask) -> None:
    async with state.chat_lock(task.chat_id):
        if task.prepare is not None:
            try:
                await task.prepare(task)
            except (Busy, RateLimited):
                raise
            except AvatarLabError as exc:
                await _reply(bot, task, exc.message)
                return
            task.prepare = None
        while task.next_part < len(task.captions):
            clip = task.delivery()
            try:
                job = await task.start_job(task.next_part)
                await deliver(bot, state.client, job.id, clip)
            except (Busy, RateLimited):
                raise
            except AvatarLabError as exc:
                # This part can't be made (its text or the person's settings); say why and go on.
                await _reply(bot, task, exc.message)
            task.part_done()


async def _reply(bot: Bot, task: SpeakTask, text: str) -> None:
    await bot.send_message(
        task.chat_id, text, reply_to_message_id=task.reply_to, allow_sending_without_reply=True
    )
