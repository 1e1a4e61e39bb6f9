"""A local stand-in for Discord that speaks the real wire protocol, for end-to-end tests of the bot.

It serves the REST routes discord.py uses (login, application info, /gateway/bot, command sync, interaction
callbacks, webhook follow-ups with multipart attachments) and a gateway websocket (HELLO, IDENTIFY, READY,
GUILD_CREATE, heartbeats and their ACKs, RESUME, INTERACTION_CREATE dispatches). Frames are plain-text JSON:
discord.py only inflates binary frames, so asking for zlib/zstd in the URL does not oblige us to compress.

Discord's rules that matter to the bot are enforced as Discord enforces them: an interaction must be answered
once and within 3 seconds, its token works for 15 minutes, uploads over the interaction's
`attachment_size_limit` are refused, and the first follow-up after a deferred answer replaces the "thinking"
message (keeping the defer's flags) unless that message was deleted.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

API_PREFIX = "/api/v10"
DEFAULT_ATTACHMENT_LIMIT = 10 * 1024 * 1024
RESPONSE_DEADLINE_S = 3.0
TOKEN_LIFE_S = 15 * 60.0
EPHEMERAL = 64
SUPPRESS_EMBEDS = 4
MAX_CONTENT = 2000
LOADING = 128
MANAGE_GUILD = 1 << 5
EVERYDAY_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 15) | (1 << 31)  # view, send, attach files, use commands
ADMIN_PERMISSIONS = EVERYDAY_PERMISSIONS | MANAGE_GUILD | (1 << 3)
HEARTBEAT_INTERVAL_MS = 41250


@dataclass
class Upload:
    """One file of a multipart request."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class Request:
    """A request the bot made to an interaction route, as a test sees it."""

    method: str
    route: str  # "callback", "followup", "edit_original", "delete_original", "edit_message"
    at: float
    payload: dict[str, Any]
    files: list[Upload]
    status: int = 200


@dataclass
class Interaction:
    """One interaction the stand-in sent, and everything the bot did with it."""

    payload: dict[str, Any]
    sent_at: float
    requests: list[Request] = field(default_factory=list)
    original: dict[str, Any] | None = None
    original_deleted: bool = False
    followups: list[dict[str, Any]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.payload["id"]

    @property
    def token(self) -> str:
        return self.payload["token"]

    @property
    def callback(self) -> Request | None:
        return next((r for r in self.requests if r.route == "callback" and r.status < 300), None)

    @property
    def messages(self) -> list[dict[str, Any]]:
        """What the person sees now: the original answer (unless deleted) then the follow-ups."""
        shown = [] if self.original is None or self.original_deleted else [self.original]
        return shown + self.followups


class StandInDiscord:
    """An aiohttp app on 127.0.0.1 playing Discord for one bot application and one test guild."""

    def __init__(
        self,
        *,
        token: str = "standin-bot-token",
        attachment_size_limit: int = DEFAULT_ATTACHMENT_LIMIT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        self.attachment_size_limit = attachment_size_limit
        self.clock = clock
        self._ids = itertools.count(1_100_000_000_000_000_000)
        self.application_id = self.snowflake()
        self.bot_user = _user(self.application_id, "AvatarLab", bot=True)
        self.commands: dict[str | None, list[dict[str, Any]]] = {}  # guild id (None: global) → commands
        self.interactions: dict[str, Interaction] = {}
        self._by_token: dict[str, Interaction] = {}
        self._blobs: dict[str, tuple[str, bytes]] = {}
        self._changed = asyncio.Condition()
        self._ws: web.WebSocketResponse | None = None
        self._sequence = 0
        self.session_id = "standin-session"
        self.identified = asyncio.Event()
        self.heartbeats = 0
        self.guild = self._build_guild()
        self._runner: web.AppRunner | None = None
        self.url = ""

    # --- fixtures --------------------------------------------------------------------------------------

    def snowflake(self) -> str:
        return str(next(self._ids))

    def _build_guild(self) -> dict[str, Any]:
        guild_id = self.snowflake()
        self.manager_role = {
            "id": self.snowflake(),
            "name": "Teachers",
            "permissions": str(ADMIN_PERMISSIONS),
        }
        self.tutor_role = {"id": self.snowflake(), "name": "Tutors", "permissions": str(EVERYDAY_PERMISSIONS)}
        everyone = {"id": guild_id, "name": "@everyone", "permissions": str(EVERYDAY_PERMISSIONS)}
        roles = [everyone, self.manager_role, self.tutor_role]
        for position, role in enumerate(roles):
            role.update(color=0, hoist=False, position=position, managed=False, mentionable=True, flags=0)
        self.users = {
            name: _user(self.snowflake(), name) for name in ("manager", "tutor", "student", "classmate")
        }
        member_roles = {
            "manager": [self.manager_role["id"]],
            "tutor": [self.tutor_role["id"]],
            "student": [],
            "classmate": [],
        }
        self.members = {
            name: {
                "user": user,
                "roles": member_roles[name],
                "joined_at": _now(),
                "deaf": False,
                "mute": False,
                "flags": 0,
                "nick": None,
            }
            for name, user in self.users.items()
        }
        self.channels = {
            name: {
                "id": self.snowflake(),
                "type": 0,
                "guild_id": guild_id,
                "name": name,
                "position": position,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
                "topic": None,
                "last_message_id": None,
                "rate_limit_per_user": 0,
            }
            for position, name in enumerate(("general", "classroom", "off-topic"))
        }
        return {
            "id": guild_id,
            "name": "Year 9 class",
            "owner_id": self.users["manager"]["id"],
            "roles": roles,
            "channels": list(self.channels.values()),
            "members": list(self.members.values()),
            "member_count": len(self.members),
            "emojis": [],
            "stickers": [],
            "features": [],
            "threads": [],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "large": False,
            "unavailable": False,
            "joined_at": _now(),
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "system_channel_flags": 0,
            "afk_timeout": 300,
            "icon": None,
            "banner": None,
            "splash": None,
            "discovery_splash": None,
            "description": None,
            "vanity_url_code": None,
            "application_id": None,
            "afk_channel_id": None,
            "system_channel_id": None,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
        }

    def add_blob(self, filename: str, data: bytes, content_type: str) -> str:
        """Serve bytes as a Discord CDN attachment; returns its URL."""
        blob_id = self.snowflake()
        self._blobs[blob_id] = (content_type, data)
        return f"{self.url}/attachments/{blob_id}/{filename}"

    # --- server ----------------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        p = API_PREFIX
        app.router.add_get(f"{p}/users/@me", self._users_me)
        app.router.add_get(f"{p}/oauth2/applications/@me", self._application)
        app.router.add_get(f"{p}/gateway/bot", self._gateway_bot)
        app.router.add_get(f"{p}/gateway", self._gateway_bot)
        app.router.add_put(f"{p}/applications/{{app}}/commands", self._sync_commands)
        app.router.add_put(f"{p}/applications/{{app}}/guilds/{{guild}}/commands", self._sync_commands)
        app.router.add_get(f"{p}/applications/{{app}}/commands", self._list_commands)
        app.router.add_post(f"{p}/interactions/{{id}}/{{token}}/callback", self._callback)
        app.router.add_post(f"{p}/webhooks/{{app}}/{{token}}", self._followup)
        app.router.add_get(f"{p}/webhooks/{{app}}/{{token}}/messages/{{message}}", self._get_message)
        app.router.add_patch(f"{p}/webhooks/{{app}}/{{token}}/messages/{{message}}", self._edit_message)
        app.router.add_delete(f"{p}/webhooks/{{app}}/{{token}}/messages/{{message}}", self._delete_message)
        app.router.add_get("/attachments/{id}/{filename}", self._attachment)
        app.router.add_get("/gateway", self._gateway)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    @property
    def api_base(self) -> str:
        return self.url + API_PREFIX

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def _authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bot {self.token}"

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_until(self, predicate: Callable[[], Any], timeout: float = 30.0) -> Any:
        """Until predicate() is truthy (re-checked whenever the bot does something); returns its value."""
        async with asyncio.timeout(timeout):
            async with self._changed:
                while not (value := predicate()):
                    await self._changed.wait()
                return value

    # --- REST: session ---------------------------------------------------------------------------------

    async def _users_me(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return _error(401, 0, "401: Unauthorized")
        return _json(self.bot_user)

    async def _application(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return _error(401, 0, "401: Unauthorized")
        return _json(
            {
                "id": self.application_id,
                "name": "AvatarLab",
                "description": "Your voice and face for typed messages",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": self.users["manager"],
                "verify_key": "0" * 64,
                "flags": 0,
                "team": None,
                "summary": "",
                "rpc_origins": [],
            }
        )

    async def _gateway_bot(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return _error(401, 0, "401: Unauthorized")
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return _json({"url": self.gateway_url, "shards": 1, "session_start_limit": limit})

    @property
    def gateway_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/gateway"

    async def _sync_commands(self, request: web.Request) -> web.Response:
        if not self._authorised(request) or request.match_info["app"] != self.application_id:
            return _error(401, 0, "401: Unauthorized")
        guild_id = request.match_info.get("guild")
        synced = []
        for command in await request.json():
            command = dict(command)
            command.update(id=self.snowflake(), application_id=self.application_id, version=self.snowflake())
            if guild_id:
                command["guild_id"] = guild_id
            synced.append(command)
        self.commands[guild_id] = synced
        await self._notify()
        return _json(synced)

    async def _list_commands(self, request: web.Request) -> web.Response:
        return _json(self.commands.get(None, []))

    async def _attachment(self, request: web.Request) -> web.Response:
        found = self._blobs.get(request.match_info["id"])
        if found is None:
            return web.Response(status=404, text="Not Found")
        content_type, data = found
        return web.Response(body=data, content_type=content_type)

    # --- REST: interactions ----------------------------------------------------------------------------

    async def _callback(self, request: web.Request) -> web.Response:
        interaction = self.interactions.get(request.match_info["id"])
        payload, files = await _read_body(request)
        if interaction is None or interaction.token != request.match_info["token"]:
            return _error(404, 10062, "Unknown interaction")
        record = Request("POST", "callback", self.clock(), payload, files)
        answered = interaction.callback is not None
        interaction.requests.append(record)
        try:
            if answered:
                record.status = 400
                return _error(400, 40060, "Interaction has already been acknowledged.")
            if record.at - interaction.sent_at > RESPONSE_DEADLINE_S:
                record.status = 404
                return _error(404, 10062, "Unknown interaction")
            if self._too_large(interaction, files):
                record.status = 413
                return _error(413, 40005, "Request entity too large")
            invalid = self._invalid(payload.get("data") or {})
            if invalid is not None:
                record.status = invalid.status
                return invalid
            return _json(self._answer(interaction, payload, files))
        finally:
            await self._notify()

    def _answer(
        self, interaction: Interaction, payload: dict[str, Any], files: list[Upload]
    ) -> dict[str, Any]:
        kind = payload["type"]
        data = payload.get("data") or {}
        answer: dict[str, Any] = {
            "interaction": {"id": interaction.id, "type": interaction.payload["type"]},
            "resource": {"type": kind},
        }
        if kind in (4, 5):  # a message, or "thinking…" to be replaced later
            flags = int(data.get("flags") or 0) | (LOADING if kind == 5 else 0)
            interaction.original = self._message(interaction, data if kind == 4 else {}, files, flags)
            answer["interaction"].update(
                response_message_id=interaction.original["id"],
                response_message_loading=kind == 5,
                response_message_ephemeral=bool(flags & EPHEMERAL),
            )
            answer["resource"]["message"] = interaction.original
        elif kind == 7:  # update the message the clicked component is on
            message = interaction.payload["message"]
            message.update(_message_fields(data, files, self))
            interaction.original = message
            answer["interaction"]["response_message_id"] = message["id"]
            answer["resource"]["message"] = message
        return answer

    def _invalid(self, payload: dict[str, Any]) -> web.Response | None:
        """Discord's form checks that a bot can trip: message length and the two settable flags."""
        content = payload.get("content") or ""
        if len(content) > MAX_CONTENT:
            return _error(400, 50035, f"Invalid Form Body: content must be {MAX_CONTENT} or fewer in length.")
        if int(payload.get("flags") or 0) & ~(EPHEMERAL | SUPPRESS_EMBEDS):
            return _error(400, 50035, "Invalid Form Body: flags")
        return None

    def _too_large(self, interaction: Interaction, files: list[Upload]) -> bool:
        limit = interaction.payload["attachment_size_limit"]
        return any(len(f.data) > limit for f in files)

    def _webhook_interaction(self, request: web.Request) -> Interaction | web.Response:
        interaction = self._by_token.get(request.match_info["token"])
        if interaction is None or request.match_info["app"] != self.application_id:
            return _error(401, 50027, "Invalid Webhook Token")
        if self.clock() - interaction.sent_at > TOKEN_LIFE_S:
            return _error(401, 50027, "Invalid Webhook Token")
        if interaction.callback is None:
            return _error(404, 10015, "Unknown Webhook")
        return interaction

    async def _followup(self, request: web.Request) -> web.Response:
        found = self._webhook_interaction(request)
        if isinstance(found, web.Response):
            return found
        interaction = found
        payload, files = await _read_body(request)
        record = Request("POST", "followup", self.clock(), payload, files)
        interaction.requests.append(record)
        try:
            if self._too_large(interaction, files):
                record.status = 413
                return _error(413, 40005, "Request entity too large")
            invalid = self._invalid(payload)
            if invalid is not None:
                record.status = invalid.status
                return invalid
            original = interaction.original
            if original is not None and not interaction.original_deleted and original["flags"] & LOADING:
                # Discord turns the first follow-up after a defer into the deferred message itself.
                original.update(_message_fields(payload, files, self, keep=original))
                original["flags"] &= ~LOADING
                return _json(original)
            flags = int(payload.get("flags") or 0)
            message = self._message(interaction, payload, files, flags)
            interaction.followups.append(message)
            return _json(message)
        finally:
            await self._notify()

    def _target(self, interaction: Interaction, message_id: str) -> dict[str, Any] | None:
        if message_id == "@original":
            return None if interaction.original_deleted else interaction.original
        return next((m for m in interaction.followups if m["id"] == message_id), None)

    async def _get_message(self, request: web.Request) -> web.Response:
        found = self._webhook_interaction(request)
        if isinstance(found, web.Response):
            return found
        message = self._target(found, request.match_info["message"])
        return _json(message) if message else _error(404, 10008, "Unknown Message")

    async def _edit_message(self, request: web.Request) -> web.Response:
        found = self._webhook_interaction(request)
        if isinstance(found, web.Response):
            return found
        interaction = found
        payload, files = await _read_body(request)
        route = "edit_original" if request.match_info["message"] == "@original" else "edit_message"
        record = Request("PATCH", route, self.clock(), payload, files)
        interaction.requests.append(record)
        try:
            message = self._target(interaction, request.match_info["message"])
            if message is None:
                record.status = 404
                return _error(404, 10008, "Unknown Message")
            if self._too_large(interaction, files):
                record.status = 413
                return _error(413, 40005, "Request entity too large")
            invalid = self._invalid(payload)
            if invalid is not None:
                record.status = invalid.status
                return invalid
            message.update(_message_fields(payload, files, self, keep=message))
            message["flags"] &= ~LOADING
            message["edited_timestamp"] = _now()
            return _json(message)
        finally:
            await self._notify()

    async def _delete_message(self, request: web.Request) -> web.Response:
        found = self._webhook_interaction(request)
        if isinstance(found, web.Response):
            return found
        interaction = found
        message_id = request.match_info["message"]
        record = Request(
            "DELETE", "delete_original" if message_id == "@original" else "delete", self.clock(), {}, []
        )
        interaction.requests.append(record)
        try:
            message = self._target(interaction, message_id)
            if message is None:
                record.status = 404
                return _error(404, 10008, "Unknown Message")
            if message_id == "@original":
                interaction.original_deleted = True
            else:
                interaction.followups.remove(message)
            return web.Response(status=204)
        finally:
            await self._notify()

    def _message(
        self, interaction: Interaction, payload: dict[str, Any], files: list[Upload], flags: int
    ) -> dict[str, Any]:
        source = interaction.payload
        user = source.get("member", {}).get("user") or source.get("user")
        message = {
            "id": self.snowflake(),
            "channel_id": source["channel_id"],
            "type": 20 if source["type"] == 2 else 19,
            "author": self.bot_user,
            "content": "",
            "embeds": [],
            "attachments": [],
            "components": [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": _now(),
            "edited_timestamp": None,
            "flags": flags,
            "webhook_id": self.application_id,
            "application_id": self.application_id,
            "interaction_metadata": {
                "id": interaction.id,
                "type": source["type"],
                "user": user,
                "authorizing_integration_owners": {},
            },
        }
        if source.get("guild_id"):
            message["guild_id"] = source["guild_id"]
        message.update(_message_fields(payload, files, self))
        return message

    # --- gateway ---------------------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._ws = ws
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}}))
        async for frame in ws:
            if frame.type != WSMsgType.TEXT:
                continue
            message = json.loads(frame.data)
            op, data = message.get("op"), message.get("d")
            if op == 1:
                self.heartbeats += 1
                await ws.send_str(json.dumps({"op": 11}))
            elif op == 2:
                if data.get("token") != self.token:
                    await ws.close(code=4004, message=b"Authentication failed.")
                    break
                await self._identify(data)
            elif op == 6:
                await self.dispatch("RESUMED", {})
        if self._ws is ws:
            self._ws = None
        return ws

    async def _identify(self, data: dict[str, Any]) -> None:
        ready = {
            "v": 10,
            "user": self.bot_user,
            "guilds": [{"id": self.guild["id"], "unavailable": True}],
            "session_id": self.session_id,
            "resume_gateway_url": self.gateway_url,
            "application": {"id": self.application_id, "flags": 0},
            "private_channels": [],
            "relationships": [],
        }
        if "shard" in data:
            ready["shard"] = data["shard"]
        await self.dispatch("READY", ready)
        await self.dispatch("GUILD_CREATE", self.guild)
        self.identified.set()

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        if self._ws is None:
            raise RuntimeError("the bot is not connected to the gateway")
        self._sequence += 1
        await self._ws.send_str(json.dumps({"op": 0, "t": event, "s": self._sequence, "d": data}))

    # --- interactions a test sends ---------------------------------------------------------------------

    async def send_interaction(self, payload: dict[str, Any]) -> Interaction:
        interaction = Interaction(payload, self.clock())
        self.interactions[interaction.id] = interaction
        self._by_token[interaction.token] = interaction
        await self.dispatch("INTERACTION_CREATE", payload)
        return interaction

    def interaction_base(self, kind: int, user: str, channel: str | None) -> dict[str, Any]:
        """The common part of an interaction from a test user in a guild channel (or, channel None, a DM)."""
        interaction_id = self.snowflake()
        payload: dict[str, Any] = {
            "id": interaction_id,
            "application_id": self.application_id,
            "type": kind,
            "token": f"token-{interaction_id}",
            "version": 1,
            "locale": "en-GB",
            "entitlements": [],
            "attachment_size_limit": self.attachment_size_limit,
            "app_permissions": str(ADMIN_PERMISSIONS),
        }
        if channel is None:
            dm = {"id": self.snowflake(), "type": 1, "recipients": [self.users[user]]}
            payload.update(
                channel_id=dm["id"],
                channel=dm,
                user=self.users[user],
                context=1,
                authorizing_integration_owners={"0": self.guild["id"]},
            )
        else:
            member = dict(self.members[user])
            member["permissions"] = str(self.permissions_of(user))
            payload.update(
                guild_id=self.guild["id"],
                guild_locale="en-GB",
                guild={"id": self.guild["id"], "locale": "en-GB", "features": []},
                channel_id=self.channels[channel]["id"],
                channel=self.channels[channel],
                member=member,
                context=0,
                authorizing_integration_owners={"0": self.guild["id"]},
            )
        return payload

    def permissions_of(self, user: str) -> int:
        roles = {r["id"]: int(r["permissions"]) for r in self.guild["roles"]}
        value = roles[self.guild["id"]]
        for role_id in self.members[user]["roles"]:
            value |= roles[role_id]
        return value

    def command(self, name: str) -> dict[str, Any]:
        """The synced definition of a top-level command (global or for the test guild)."""
        for commands in self.commands.values():
            for command in commands:
                if command["name"] == name:
                    return command
        raise KeyError(f"the bot did not register /{name}")


def _user(user_id: str, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": user_id,
        "username": name,
        "global_name": name.title(),
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _json(data: Any, status: int = 200) -> web.Response:
    # discord.py decodes a body only when Content-Type is exactly "application/json", as Discord sends it.
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"}
    )


def _error(status: int, code: int, message: str) -> web.Response:
    return _json({"code": code, "message": message}, status=status)


async def _read_body(request: web.Request) -> tuple[dict[str, Any], list[Upload]]:
    """The JSON payload and files of a request, JSON or multipart/form-data as discord.py sends them."""
    if request.content_type == "multipart/form-data":
        payload: dict[str, Any] = {}
        files: list[Upload] = []
        reader = await request.multipart()
        async for part in reader:
            data = await part.read()  # type: ignore[union-attr]
            if part.name == "payload_json":
                payload = json.loads(data)
            else:
                content_type = part.headers.get("Content-Type", "application/octet-stream")
                files.append(Upload(part.filename or "", content_type, bytes(data)))
        return payload, files
    if request.can_read_body:
        return await request.json(), []
    return {}, []


def _message_fields(
    payload: dict[str, Any], files: list[Upload], standin: StandInDiscord, keep: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The message fields set by a create/edit payload; new files become CDN attachments."""
    fields: dict[str, Any] = {}
    if "content" in payload:
        fields["content"] = payload["content"] or ""
    if "components" in payload:
        fields["components"] = payload["components"] or []
    if "embeds" in payload:
        fields["embeds"] = payload["embeds"] or []
    if "flags" in payload and keep is None:
        fields["flags"] = int(payload["flags"] or 0)
    if "attachments" in payload or files:
        kept = {a["id"]: a for a in (keep or {}).get("attachments", [])}
        attachments = []
        for spec in payload.get("attachments") or [{"id": i} for i in range(len(files))]:
            if str(spec["id"]) in kept:
                attachments.append(kept[str(spec["id"])])
                continue
            upload = files[int(spec["id"])]
            url = standin.add_blob(upload.filename, upload.data, upload.content_type)
            attachments.append(
                {
                    "id": standin.snowflake(),
                    "filename": upload.filename,
                    "size": len(upload.data),
                    "url": url,
                    "proxy_url": url,
                    "content_type": upload.content_type,
                }
            )
        fields["attachments"] = attachments
    return fields
