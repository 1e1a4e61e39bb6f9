"""Remember which messages were already handled, so an update delivered twice (a webhook retry, polling
after a restart of the Bot API server) never produces a second clip."""

from __future__ import annotations

from collections import OrderedDict


class SeenKeys:
    """A bounded set of idempotency keys, oldest forgotten first."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._keys: OrderedDict[str, None] = OrderedDict()

    def first_time(self, key: str) -> bool:
        """True the first time `key` is seen (and remembers it); False for a repeat."""
        if key in self._keys:
            self._keys.move_to_end(key)
            return False
        self._keys[key] = None
        if len(self._keys) > self.capacity:
            self._keys.popitem(last=False)
        return True

    def forget(self, key: str) -> None:
        """Let `key` be handled again (used when handling it failed before anything was sent)."""
        self._keys.pop(key, None)


def message_key(chat_id: int, message_id: int, suffix: str = "") -> str:
    """The idempotency key of a message: chat id + message id (+ what was done with it)."""
    return f"tg:{chat_id}:{message_id}{':' + suffix if suffix else ''}"
