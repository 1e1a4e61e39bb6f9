"""Interaction payloads as Discord builds them, from the commands the bot synced to the stand-in.

Options are given by name with Python values and typed from the synced definition, so a test can only send
what the bot really registered: a user is a test user's name, a channel a channel's name, a role a role
dict, an attachment an `Attach`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.bots.discord.standin import StandInDiscord

SUB_COMMAND, SUB_COMMAND_GROUP, USER, CHANNEL, ROLE, ATTACHMENT = 1, 2, 6, 7, 8, 11


@dataclass(frozen=True)
class Attach:
    """A file a person attaches to a command."""

    filename: str
    data: bytes
    content_type: str | None

    @classmethod
    def from_path(cls, path: Path, content_type: str | None, filename: str | None = None) -> Attach:
        return cls(filename or path.name, path.read_bytes(), content_type)


def slash(
    standin: StandInDiscord,
    path: str,
    *,
    user: str = "student",
    channel: str | None = "general",
    focused: str | None = None,
    **options: Any,
) -> dict[str, Any]:
    """An APPLICATION_COMMAND interaction (or, with `focused`, its AUTOCOMPLETE) for `/path options…`."""
    names = path.split()
    command = standin.command(names[0])
    payload = standin.interaction_base(4 if focused else 2, user, channel)
    resolved: dict[str, dict[str, Any]] = {}
    definitions = command.get("options") or []
    top: list[dict[str, Any]] = []
    level = top
    for name in names[1:]:
        definition = _find(definitions, name, names[0])
        nested: list[dict[str, Any]] = []
        level.append({"type": definition["type"], "name": name, "options": nested})
        level, definitions = nested, definition.get("options") or []
    for name, value in options.items():
        definition = _find(definitions, name, path)
        option = {
            "type": definition["type"],
            "name": name,
            "value": _value(standin, definition, value, resolved),
        }
        if focused == name:
            option["focused"] = True
        level.append(option)
    data: dict[str, Any] = {"id": command["id"], "name": names[0], "type": 1, "options": top}
    if resolved:
        data["resolved"] = resolved
    if command.get("guild_id"):
        data["guild_id"] = command["guild_id"]
    payload["data"] = data
    return payload


def click(
    standin: StandInDiscord,
    message: dict[str, Any],
    label: str,
    *,
    user: str = "student",
    channel: str | None = "general",
) -> dict[str, Any]:
    """A MESSAGE_COMPONENT interaction: `user` presses the button labelled `label` on `message`."""
    buttons = [c for row in message["components"] for c in row.get("components", [])]
    button = next((b for b in buttons if b.get("label") == label), None)
    if button is None:
        raise KeyError(f"no button {label!r} on the message; buttons: {[b.get('label') for b in buttons]}")
    payload = standin.interaction_base(3, user, channel)
    if channel is None:
        payload["channel_id"] = message["channel_id"]
        payload["channel"]["id"] = message["channel_id"]
    payload["message"] = copy.deepcopy(message)  # Discord sends its own copy of the message
    payload["data"] = {"custom_id": button["custom_id"], "component_type": 2}
    return payload


def _find(definitions: list[dict[str, Any]], name: str, where: str) -> dict[str, Any]:
    for definition in definitions:
        if definition["name"] == name:
            return definition
    raise KeyError(f"/{where} has no option {name!r}; it has {[d['name'] for d in definitions]}")


def _value(
    standin: StandInDiscord, definition: dict[str, Any], value: Any, resolved: dict[str, dict[str, Any]]
) -> Any:
    kind = definition["type"]
    if kind == USER:
        user = standin.users[value]
        resolved.setdefault("users", {})[user["id"]] = user
        member = {k: v for k, v in standin.members[value].items() if k != "user"}
        member["permissions"] = str(standin.permissions_of(value))
        resolved.setdefault("members", {})[user["id"]] = member
        return user["id"]
    if kind == CHANNEL:
        channel = standin.channels[value]
        resolved.setdefault("channels", {})[channel["id"]] = {
            "id": channel["id"],
            "name": channel["name"],
            "type": channel["type"],
            "permissions": "0",
            "guild_id": channel["guild_id"],
            "parent_id": None,
        }
        return channel["id"]
    if kind == ROLE:
        resolved.setdefault("roles", {})[value["id"]] = value
        return value["id"]
    if kind == ATTACHMENT:
        attachment_id = standin.snowflake()
        url = standin.add_blob(value.filename, value.data, value.content_type or "application/octet-stream")
        described = {
            "id": attachment_id,
            "filename": value.filename,
            "size": len(value.data),
            "url": url,
            "proxy_url": url,
        }
        if value.content_type:
            described["content_type"] = value.content_type
        resolved.setdefault("attachments", {})[attachment_id] = described
        return attachment_id
    return value
