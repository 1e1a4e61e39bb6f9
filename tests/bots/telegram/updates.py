"""Scripted Telegram updates (the JSON the Bot API hands out through getUpdates)."""

from __future__ import annotations

import itertools
import time
from typing import Any

from tests.bots.telegram.botapi import BOT_USER

USER = {"id": 424242, "is_bot": False, "first_name": "Sam", "language_code": "en"}
OTHER_USER = {"id": 515151, "is_bot": False, "first_name": "Alex", "language_code": "en"}
GROUP = {"id": -100200300, "type": "supergroup", "title": "Class 4B"}

_message_ids = itertools.count(1000)
_query_ids = itertools.count(1)


def private_chat(user: dict[str, Any]) -> dict[str, Any]:
    return {"id": user["id"], "type": "private", "first_name": user["first_name"]}


def message(
    user: dict[str, Any] = USER, chat: dict[str, Any] | None = None, **content: Any
) -> dict[str, Any]:
    """A new message from `user` (in their private chat unless `chat` is given)."""
    return {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "chat": chat or private_chat(user),
        "from": user,
        **content,
    }


def text(body: str, user: dict[str, Any] = USER, chat: dict[str, Any] | None = None, **extra: Any) -> dict:
    return {"message": message(user, chat, text=body, **extra)}


def command(name: str, args: str = "", user: dict[str, Any] = USER) -> dict:
    body = f"/{name}" + (f" {args}" if args else "")
    entity = {"type": "bot_command", "offset": 0, "length": len(name) + 1}
    return {"message": message(user, text=body, entities=[entity])}


def mention(body: str, user: dict[str, Any] = USER, chat: dict[str, Any] = GROUP) -> dict:
    """A group message that addresses the bot by @username at its start."""
    handle = f"@{BOT_USER['username']}"
    entity = {"type": "mention", "offset": 0, "length": len(handle)}
    return {"message": message(user, chat, text=f"{handle} {body}", entities=[entity])}


def voice(file_id: str, size: int, duration: int = 5, user: dict[str, Any] = USER) -> dict:
    note = {
        "file_id": file_id,
        "file_unique_id": f"u-{file_id}",
        "duration": duration,
        "mime_type": "audio/ogg",
        "file_size": size,
    }
    return {"message": message(user, voice=note)}


def photo(file_id: str, size: int, width: int, height: int, user: dict[str, Any] = USER) -> dict:
    sizes = [
        {"file_id": f"{file_id}-thumb", "file_unique_id": "t", "width": 90, "height": 90, "file_size": 1000},
        {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "width": width,
            "height": height,
            "file_size": size,
        },
    ]
    return {"message": message(user, photo=sizes)}


def document(file_id: str, size: int, mime: str, name: str, user: dict[str, Any] = USER) -> dict:
    doc = {
        "file_id": file_id,
        "file_unique_id": f"u-{file_id}",
        "file_name": name,
        "mime_type": mime,
        "file_size": size,
    }
    return {"message": message(user, document=doc)}


def sticker(user: dict[str, Any] = USER) -> dict:
    st = {
        "file_id": "stk",
        "file_unique_id": "ustk",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
    return {"message": message(user, sticker=st)}


def callback(data: str, on: dict[str, Any], user: dict[str, Any] = USER) -> dict:
    """A tap on an inline button with `data`, under the bot message `on` (a Message JSON)."""
    return {
        "callback_query": {
            "id": f"cq{next(_query_ids)}",
            "from": user,
            "chat_instance": "ci",
            "message": on,
            "data": data,
        }
    }


def inline(query: str, user: dict[str, Any] = USER) -> dict:
    return {"inline_query": {"id": f"iq{next(_query_ids)}", "from": user, "query": query, "offset": ""}}


def edited(original: dict[str, Any], new_text: str) -> dict:
    """The `message` of a text update, edited to `new_text`."""
    return {"edited_message": {**original, "text": new_text, "edit_date": int(time.time()) + 1}}
