"""What the bot process keeps between updates. The bot is otherwise stateless: profiles, phrases, consent
and media live in the engine service. Everything here may be lost on restart without losing user data."""

from __future__ import annotations

import asyncio
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field

from telegram.ext import ContextTypes

from bots.telegram.dedup import SeenKeys
from bots.telegram.retry import RetryQueue
from engine.service.client import EngineClient
from engine.service.schema import Identity

PLATFORM = "telegram"
EDIT_MEMORY = 1_000  # edited texts kept for the "Speak the edited text" button
VOICE_CACHE = 10_000  # phrase clips already on Telegram, for inline answers by file_id


@dataclass
class BotState:
    client: EngineClient
    retry: RetryQueue = field(default_factory=RetryQueue)
    seen: SeenKeys = field(default_factory=SeenKeys)
    # (chat id, message id, edit date) → the edited text, until the person taps "Speak the edited text".
    edits: OrderedDict[tuple[int, int, int], str] = field(default_factory=OrderedDict)
    # (user id, phrase id) → (phrase text, Telegram file_id of its voice clip).
    phrase_voices: OrderedDict[tuple[str, int], tuple[str, str]] = field(default_factory=OrderedDict)
    # Weak: a chat's lock lives while someone holds or waits for it, so idle chats cost nothing.
    _chat_locks: weakref.WeakValueDictionary[int, asyncio.Lock] = field(
        default_factory=weakref.WeakValueDictionary
    )

    def chat_lock(self, chat_id: int) -> asyncio.Lock:
        """One clip at a time per chat, so messages are spoken in the order they were sent."""
        lock = self._chat_locks.get(chat_id)
        if lock is None:
            lock = self._chat_locks[chat_id] = asyncio.Lock()
        return lock

    def remember_edit(self, chat_id: int, message_id: int, edit_date: int, text: str) -> None:
        self.edits[(chat_id, message_id, edit_date)] = text
        while len(self.edits) > EDIT_MEMORY:
            self.edits.popitem(last=False)

    def remember_phrase_voice(self, user_id: str, phrase_id: int, text: str, file_id: str) -> None:
        self.phrase_voices[(user_id, phrase_id)] = (text, file_id)
        while len(self.phrase_voices) > VOICE_CACHE:
            self.phrase_voices.popitem(last=False)

    def cached_phrase_voice(self, user_id: str, phrase_id: int, text: str) -> str | None:
        """The file_id of the phrase's voice clip, if it was sent before and the phrase is unchanged."""
        hit = self.phrase_voices.get((user_id, phrase_id))
        return hit[1] if hit and hit[0] == text else None

    def forget_user(self, user_id: str) -> None:
        for key in [k for k in self.phrase_voices if k[0] == user_id]:
            del self.phrase_voices[key]


STATE_KEY = "avatarlab"


def get_state(context: ContextTypes.DEFAULT_TYPE) -> BotState:
    return context.bot_data[STATE_KEY]


def identity_of(user_id: int) -> Identity:
    return Identity(PLATFORM, str(user_id))
