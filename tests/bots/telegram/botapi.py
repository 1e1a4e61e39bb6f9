"""A stand-in Telegram Bot API server for tests: aiohttp on 127.0.0.1, speaking the real wire protocol.

It serves scripted updates through getUpdates, files through getFile and /file/bot<token>/<path>, and
records every method call the bot makes (form fields decoded, uploaded files kept as bytes), answering
with the Message objects the real API would return. `fail_next` makes a method answer 429 with
retry_after, as Telegram's flood control does.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "123456:TEST-token_for_the_stand_in"
BOT_USER = {
    "id": 777000111,
    "is_bot": True,
    "first_name": "Avatar Lab",
    "username": "avatarlab_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": True,
}
JSON_FIELDS = {
    "reply_markup",
    "reply_parameters",
    "results",
    "commands",
    "allowed_updates",
    "entities",
    "caption_entities",
    "link_preview_options",
    "button",
}


@dataclass
class Upload:
    filename: str
    content_type: str
    data: bytes


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, Upload]
    at: float  # time.monotonic() when it arrived
    answered: int = 200
    result: Any = None  # what the stand-in answered (a Message for the send* methods)


@dataclass
class StandInBotAPI:
    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _files: dict[str, bytes] = field(default_factory=dict)
    _failures: dict[str, list[int]] = field(default_factory=dict)  # method → retry_after of each 429 to send
    _new_update: asyncio.Event = field(default_factory=asyncio.Event)
    _new_call: asyncio.Event = field(default_factory=asyncio.Event)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    port: int = 0

    # --- lifecycle ------------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=100 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # --- scripting --------------------------------------------------------------------------------------

    def push(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates; returns its update_id."""
        update = {**update, "update_id": next(self._ids) + 100_000}
        self._updates.append(update)
        self._new_update.set()
        return update["update_id"]

    def add_file(self, file_id: str, data: bytes) -> None:
        self._files[file_id] = data

    def fail_next(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """The next `times` calls of `method` answer 429 Too Many Requests with this retry_after."""
        self._failures.setdefault(method, []).extend([retry_after] * times)

    def sent(self, *methods: str) -> list[Call]:
        """The calls of these methods that succeeded, in order."""
        return [c for c in self.calls if c.method in methods and c.answered == 200]

    async def wait_for(self, predicate, timeout: float = 30.0) -> list[Call]:
        """Wait until predicate(calls) is true; returns the calls. Fails the test on timeout."""
        deadline = time.monotonic() + timeout
        while not predicate(self.calls):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                methods = [(c.method, c.params.get("text") or c.params.get("action")) for c in self.calls]
                raise AssertionError(f"timed out waiting; calls so far: {methods}")
            self._new_call.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_call.wait(), min(remaining, 0.5))
        return self.calls

    async def wait_sent(self, method: str, count: int = 1, timeout: float = 30.0) -> list[Call]:
        await self.wait_for(lambda _calls: len(self.sent(method)) >= count, timeout)
        return self.sent(method)

    # --- HTTP ---------------------------------------------------------------------------------------------

    async def _method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params, files = await _read_params(request)
        call = Call(method, params, files, time.monotonic())
        self.calls.append(call)
        self._new_call.set()
        pending = self._failures.get(method)
        if pending:
            retry_after = pending.pop(0)
            call.answered = 429
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {retry_after}",
                    "parameters": {"retry_after": retry_after},
                },
                status=429,
            )
        if method == "getUpdates":
            return _ok(await self._get_updates(params))
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            call.result = True  # setMyCommands, sendChatAction, answerCallbackQuery, deleteWebhook, …
            return _ok(True)
        result = handler(params, files)
        if isinstance(result, web.Response):
            call.answered = result.status
            return result
        call.result = result
        return _ok(result)

    async def _file(self, request: web.Request) -> web.StreamResponse:
        file_id = request.match_info["path"].rpartition("/")[2]
        if request.match_info["token"] != self.token or file_id not in self._files:
            return web.Response(status=404)
        return web.Response(body=self._files[file_id], content_type="application/octet-stream")

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates:
            self._new_update.clear()
            # Long polling, shortened so that shutting the bot down stays quick.
            timeout = min(float(params.get("timeout") or 0), 1.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), timeout)
        return list(self._updates[: int(params.get("limit") or 100)])

    # --- methods that answer with a Message ----------------------------------------------------------------

    def _message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        message = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": {
                "id": int(params["chat_id"]),
                "type": "private" if int(params["chat_id"]) > 0 else "group",
            },
            "from": BOT_USER,
            **content,
        }
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        if "caption" in params:
            message["caption"] = params["caption"]
        return message

    def _file_obj(self, files: dict[str, Upload], name: str, params: dict[str, Any]) -> dict[str, Any]:
        upload = files.get(name)
        n = next(self._ids)
        file_id = f"{name}-{n}" if upload else str(params.get(name))
        if upload:
            self._files[file_id] = upload.data
        return {
            "file_id": file_id,
            "file_unique_id": f"u{n}",
            "file_size": len(upload.data) if upload else 0,
        }

    def _m_getMe(self, params: dict, files: dict) -> dict:
        return BOT_USER

    def _m_sendMessage(self, params: dict, files: dict) -> dict:
        return self._message(params, text=params["text"])

    def _m_editMessageText(self, params: dict, files: dict) -> dict:
        return {**self._message(params, text=params["text"]), "message_id": int(params["message_id"])}

    def _m_sendVoice(self, params: dict, files: dict) -> dict:
        voice = self._file_obj(files, "voice", params) | {"duration": int(params.get("duration") or 0)}
        return self._message(params, voice={**voice, "mime_type": "audio/ogg"})

    def _m_sendVideo(self, params: dict, files: dict) -> dict:
        video = self._file_obj(files, "video", params)
        video |= {k: int(params.get(k) or 0) for k in ("width", "height", "duration")}
        return self._message(params, video=video)

    def _m_sendVideoNote(self, params: dict, files: dict) -> dict:
        note = self._file_obj(files, "video_note", params)
        note |= {"length": int(params.get("length") or 0), "duration": int(params.get("duration") or 0)}
        return self._message(params, video_note=note)

    def _m_sendDocument(self, params: dict, files: dict) -> dict:
        document = self._file_obj(files, "document", params)
        upload = files.get("document")
        document["file_name"] = upload.filename if upload else "file"
        return self._message(params, document=document)

    def _m_getFile(self, params: dict, files: dict) -> dict | web.Response:
        file_id = params["file_id"]
        if file_id not in self._files:
            return web.json_response(
                {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"}, status=400
            )
        size = len(self._files[file_id])
        return {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "file_size": size,
            "file_path": f"documents/{file_id}",
        }


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
    params: dict[str, Any] = {}
    files: dict[str, Upload] = {}
    if request.content_type == "application/json":
        body = await request.json() if request.can_read_body else {}
        return dict(body or {}), files
    form = await request.post()
    for key, value in form.items():
        if isinstance(value, web.FileField):
            files[key] = Upload(value.filename, value.content_type, value.file.read())
        elif key in JSON_FIELDS:
            params[key] = json.loads(value)
        else:
            params[key] = value
    # Files sent as "attach://<name>" are found under the parameter that refers to them.
    for key, value in list(params.items()):
        if isinstance(value, str) and value.startswith("attach://") and value[9:] in files:
            files[key] = files[value[9:]]
    return params, files
