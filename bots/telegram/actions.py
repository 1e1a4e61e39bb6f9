"""Keep a chat action ("recording voice…", "sending video…") visible while a clip is being made.

Telegram shows an action for about 5 seconds, so it is sent again every 4 seconds until the work is done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import Bot
from telegram.constants import ChatAction
from telegram.error import TelegramError

log = logging.getLogger(__name__)

RESEND_S = 4.0


class ChatActionKeeper:
    """`async with ChatActionKeeper(bot, chat_id, ChatAction.RECORD_VOICE) as keeper: ... keeper.set(...)`"""

    def __init__(self, bot: Bot, chat_id: int, action: ChatAction, interval_s: float = RESEND_S) -> None:
        self.bot, self.chat_id, self.interval_s = bot, chat_id, interval_s
        self._action = action
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def set(self, action: ChatAction) -> None:
        """Show a different action from now on (sent at once, then every interval)."""
        if action != self._action:
            self._action = action
            self._changed.set()

    async def __aenter__(self) -> ChatActionKeeper:
        self._task = asyncio.create_task(self._loop(), name=f"chat-action-{self.chat_id}")
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        while True:
            try:
                await self.bot.send_chat_action(self.chat_id, self._action)
            except TelegramError as exc:  # an action is a courtesy: never let it stop the clip
                log.info("chat action for %s not sent: %s", self.chat_id, exc)
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), self.interval_s)
