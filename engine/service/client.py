"""EngineClient: the bots' only way to the engine service (docs/api.md).

Every method maps to one route. Errors come back as the `engine.errors` class named by the JSON `code`,
so a bot can show `exc.message` as is. 429 and 503 are retried after `Retry-After` up to `max_retries`
times and then raised as RateLimited / Busy; a service that cannot be reached raises Busy.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from engine import errors
from engine.errors import AvatarLabError, Busy, RateLimited
from engine.service.schema import (
    Consent,
    Guild,
    Identity,
    Job,
    JobEvent,
    MediaRef,
    Phrase,
    Profile,
)
from engine.speech.base import VoiceInfo

log = logging.getLogger(__name__)

UNREACHABLE = "The engine is not reachable right now; I'll try again in a moment."
MAX_RETRY_AFTER_S = 60.0  # never sleep longer than this on one Retry-After, whatever the server says


def _error_classes() -> dict[str, type[AvatarLabError]]:
    found: dict[str, type[AvatarLabError]] = {}
    pending: list[type[AvatarLabError]] = [AvatarLabError]
    while pending:
        cls = pending.pop()
        found.setdefault(cls.code, cls)
        pending.extend(cls.__subclasses__())
    return found


def error_from_json(status: int, payload: Any, retry_after_s: float | None = None) -> AvatarLabError:
    """The engine.errors exception for an error answer (unknown codes fall back by HTTP status)."""
    body = payload.get("error") if isinstance(payload, dict) else None
    code = body.get("code") if isinstance(body, dict) else None
    message = body.get("message") if isinstance(body, dict) else None
    classes = _error_classes()
    cls = classes.get(code or "")
    if cls is None:
        by_status = {
            401: errors.Unauthorized,
            403: errors.ConsentRequired,
            404: errors.NotFound,
            409: errors.Conflict,
            413: errors.MediaTooLarge,
            415: errors.UnsupportedMedia,
            429: RateLimited,
            503: Busy,
        }
        cls = by_status.get(status, AvatarLabError)
    # Several error classes build their message from typed arguments; the server already did that, so
    # build the instance around the message it sent.
    exc = cls.__new__(cls)
    AvatarLabError.__init__(exc, message)
    if isinstance(exc, Busy | RateLimited):
        exc.retry_after_s = retry_after_s if retry_after_s is not None else 5.0
    return exc


def _retry_after(headers: Any) -> float | None:
    raw = headers.get("Retry-After")
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except ValueError:
        return None


class EngineClient:
    """An async client of one engine service. Use as `async with EngineClient(url, token) as client:`."""

    def __init__(self, base_url: str, token: str, *, timeout: float = 30.0, max_retries: int = 5) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.max_retries = max_retries
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> EngineClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=self.timeout, sock_read=self.timeout),
            )
        return self._session

    # --- transport --------------------------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        data: bytes | None = None,
        content_type: str | None = None,
        params: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """Send one request (retrying 429/503) and return (status, decoded JSON body or raw bytes)."""
        headers = {"Content-Type": content_type} if content_type else None
        attempt = 0
        while True:
            try:
                async with self._http().request(
                    method, self.base_url + path, json=json_body, data=data, params=params, headers=headers
                ) as resp:
                    body = await resp.read()
                    status, retry_after = resp.status, _retry_after(resp.headers)
                    is_json = resp.content_type == "application/json"
            except (TimeoutError, aiohttp.ClientConnectionError) as exc:
                log.info("engine %s %s unreachable: %s", method, path, exc)
                raise Busy(UNREACHABLE) from exc
            payload: Any = body
            if is_json and body:
                try:
                    payload = json.loads(body)
                except ValueError:
                    payload = None
            if status < 400:
                return status, payload
            if status in (429, 503) and attempt < self.max_retries:
                attempt += 1
                await asyncio.sleep(min(retry_after if retry_after is not None else 1.0, MAX_RETRY_AFTER_S))
                continue
            raise error_from_json(status, payload, retry_after)

    async def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        _, payload = await self._request(method, path, **kwargs)
        return payload

    # --- service ----------------------------------------------------------------------------------------

    async def health(self) -> bool:
        try:
            async with self._http().get(self.base_url + "/healthz") as resp:
                return resp.status == 200
        except (TimeoutError, aiohttp.ClientError):
            return False

    async def voices(self, language: str | None = None) -> list[VoiceInfo]:
        params = {"language": language} if language else None
        payload = await self._json("GET", "/v1/voices", params=params)
        return [VoiceInfo(v["id"], v["name"], v["language"], v["engine"]) for v in payload["voices"]]

    async def styles(self) -> list[str]:
        return list((await self._json("GET", "/v1/styles"))["styles"])

    # --- jobs -------------------------------------------------------------------------------------------

    async def render(
        self,
        identity: Identity,
        text: str,
        *,
        output: str | None = None,
        captions: str | None = None,
        size_limit_bytes: int | None = None,
        idempotency_key: str | None = None,
        on_behalf_of: Identity | None = None,
        guild_id: str | None = None,
    ) -> Job:
        body: dict[str, Any] = {"user": identity.to_json(), "text": text}
        body.update(
            _present(
                output=output,
                captions=captions,
                size_limit_bytes=size_limit_bytes,
                idempotency_key=idempotency_key,
                on_behalf_of=on_behalf_of.to_json() if on_behalf_of else None,
                guild_id=guild_id,
            )
        )
        return Job.from_json(await self._json("POST", "/v1/render", json_body=body))

    async def job(self, job_id: str) -> Job:
        return Job.from_json(await self._json("GET", f"/v1/jobs/{job_id}"))

    async def events(self, job_id: str) -> AsyncIterator[JobEvent]:
        """The job's events as they happen; ends after `done` or `failed`.

        A dropped connection is resumed (up to max_retries times); events already seen are not repeated.
        """
        seen: set[str] = set()
        last_position: int | None = None
        reconnects = 0
        while True:
            try:
                async for event in self._event_stream(job_id):
                    if event.name in ("queued", "position"):
                        position = event.data.get("position")
                        if event.name == "position" and position == last_position:
                            continue
                        last_position = position
                    elif event.name in seen:
                        continue
                    seen.add(event.name)
                    yield event
                    if event.terminal:
                        return
            except (TimeoutError, aiohttp.ClientPayloadError, aiohttp.ClientConnectionError) as exc:
                if reconnects >= self.max_retries:
                    raise Busy(UNREACHABLE) from exc
                reconnects += 1
                await asyncio.sleep(min(0.5 * 2**reconnects, 5.0))
                continue
            # The server closed the stream without a final event (e.g. it is shutting down): resume.
            if reconnects >= self.max_retries:
                raise Busy(UNREACHABLE)
            reconnects += 1
            await asyncio.sleep(min(0.5 * 2**reconnects, 5.0))

    async def _event_stream(self, job_id: str) -> AsyncIterator[JobEvent]:
        url = f"{self.base_url}/v1/jobs/{job_id}/events"
        try:
            resp = await self._http().get(
                url, headers={"Accept": "text/event-stream"}, timeout=aiohttp.ClientTimeout(total=None)
            )
        except aiohttp.ClientConnectionError as exc:
            raise Busy(UNREACHABLE) from exc
        async with resp:
            if resp.status >= 400:
                body = await resp.read()
                payload = json.loads(body) if resp.content_type == "application/json" and body else None
                raise error_from_json(resp.status, payload, _retry_after(resp.headers))
            name, data_lines = "message", []
            async for raw in resp.content:
                line = raw.decode("utf-8").rstrip("\r\n")
                if not line:
                    if data_lines:
                        yield JobEvent(name, json.loads("\n".join(data_lines)))
                    name, data_lines = "message", []
                elif line.startswith(":"):
                    continue  # keep-alive comment
                else:
                    key, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if key == "event":
                        name = value
                    elif key == "data":
                        data_lines.append(value)

    async def wait(self, job_id: str) -> Job:
        """Until the job is done or failed; returns the final Job (a failed job is returned, not raised)."""
        async for event in self.events(job_id):
            if event.terminal:
                break
        return await self.job(job_id)

    # --- media ------------------------------------------------------------------------------------------

    def _media_path(self, media: MediaRef | str) -> str:
        if isinstance(media, MediaRef):
            return media.url
        return media if media.startswith("/") else f"/v1/media/{media}"

    async def download(self, media: MediaRef | str) -> bytes:
        _, body = await self._request("GET", self._media_path(media))
        return body

    async def stream_media(self, media: MediaRef | str, chunk_size: int = 64 * 1024) -> AsyncIterator[bytes]:
        url = self.base_url + self._media_path(media)
        try:
            async with self._http().get(url) as resp:
                if resp.status >= 400:
                    body = await resp.read()
                    payload = json.loads(body) if resp.content_type == "application/json" and body else None
                    raise error_from_json(resp.status, payload, _retry_after(resp.headers))
                async for chunk in resp.content.iter_chunked(chunk_size):
                    yield chunk
        except (TimeoutError, aiohttp.ClientConnectionError) as exc:
            raise Busy(UNREACHABLE) from exc

    # --- profiles ---------------------------------------------------------------------------------------

    async def profile(self, identity: Identity) -> Profile:
        return Profile.from_json(await self._json("GET", _user_path(identity)))

    async def update_profile(self, identity: Identity, **changes: Any) -> Profile:
        return Profile.from_json(await self._json("PATCH", _user_path(identity), json_body=changes))

    async def set_pronunciations(self, identity: Identity, mapping: dict[str, str]) -> Profile:
        payload = await self._json("PUT", _user_path(identity) + "/pronunciations", json_body=dict(mapping))
        return Profile.from_json(payload)

    async def enrol_voice(
        self, identity: Identity, data: bytes, content_type: str, transcript: str | None = None
    ) -> Job:
        params = {"transcript": transcript} if transcript else None
        payload = await self._json(
            "POST",
            _user_path(identity) + "/voice/samples",
            data=data,
            content_type=content_type,
            params=params,
        )
        return Job.from_json(payload)

    async def preview_voice(self, identity: Identity, text: str | None = None) -> Job:
        body = _present(text=text)
        return Job.from_json(
            await self._json("POST", _user_path(identity) + "/voice/preview", json_body=body)
        )

    async def set_face_photo(self, identity: Identity, data: bytes, content_type: str) -> Job:
        payload = await self._json(
            "POST", _user_path(identity) + "/face/photo", data=data, content_type=content_type
        )
        return Job.from_json(payload)

    async def clear_face_photo(self, identity: Identity) -> Profile:
        return Profile.from_json(await self._json("DELETE", _user_path(identity) + "/face/photo"))

    # --- consent ----------------------------------------------------------------------------------------

    async def consents(self, identity: Identity) -> list[Consent]:
        payload = await self._json("GET", _user_path(identity) + "/consents")
        return [Consent.from_json(c) for c in payload["consents"]]

    async def grant_consent(
        self,
        identity: Identity,
        purpose: str,
        text: str,
        scope: str | None = None,
        granted_by: Identity | None = None,
    ) -> Consent:
        body = {"purpose": purpose, "text": text}
        body.update(_present(scope=scope, granted_by=granted_by.to_json() if granted_by else None))
        return Consent.from_json(await self._json("POST", _user_path(identity) + "/consents", json_body=body))

    async def revoke_consent(self, identity: Identity, purpose: str, scope: str | None = None) -> int:
        params = {"scope": scope} if scope else None
        payload = await self._json("DELETE", _user_path(identity) + f"/consents/{purpose}", params=params)
        return int(payload["revoked"])

    # --- phrase book ------------------------------------------------------------------------------------

    async def phrases(self, identity: Identity, query: str | None = None) -> list[Phrase]:
        params = {"q": query} if query else None
        payload = await self._json("GET", _user_path(identity) + "/phrases", params=params)
        return [Phrase.from_json(p) for p in payload["phrases"]]

    async def add_phrase(self, identity: Identity, text: str, category: str | None = None) -> Phrase:
        body = {"text": text, **_present(category=category)}
        return Phrase.from_json(await self._json("POST", _user_path(identity) + "/phrases", json_body=body))

    async def update_phrase(self, identity: Identity, phrase_id: int, **changes: Any) -> Phrase:
        path = _user_path(identity) + f"/phrases/{phrase_id}"
        return Phrase.from_json(await self._json("PATCH", path, json_body=changes))

    async def delete_phrase(self, identity: Identity, phrase_id: int) -> None:
        await self._request("DELETE", _user_path(identity) + f"/phrases/{phrase_id}")

    async def speak_phrase(
        self,
        identity: Identity,
        phrase_id: int,
        *,
        output: str | None = None,
        size_limit_bytes: int | None = None,
        idempotency_key: str | None = None,
        on_behalf_of: Identity | None = None,
        guild_id: str | None = None,
    ) -> Job:
        body = _present(
            output=output,
            size_limit_bytes=size_limit_bytes,
            idempotency_key=idempotency_key,
            on_behalf_of=on_behalf_of.to_json() if on_behalf_of else None,
            guild_id=guild_id,
        )
        path = _user_path(identity) + f"/phrases/{phrase_id}/speak"
        return Job.from_json(await self._json("POST", path, json_body=body))

    # --- privacy ----------------------------------------------------------------------------------------

    async def forget(self, identity: Identity) -> None:
        await self._request("POST", _user_path(identity) + "/forget")

    async def export(self, identity: Identity) -> bytes:
        _, body = await self._request("GET", _user_path(identity) + "/export")
        return body

    # --- guilds -----------------------------------------------------------------------------------------

    async def guild(self, platform: str, guild_id: str) -> Guild:
        return Guild.from_json(await self._json("GET", f"/v1/guilds/{platform}/{guild_id}"))

    async def update_guild(
        self,
        platform: str,
        guild_id: str,
        *,
        tutor_role_ids: list[str],
        allowed_channel_ids: list[str],
        default_language: str,
    ) -> Guild:
        body = {
            "tutor_role_ids": [str(r) for r in tutor_role_ids],
            "allowed_channel_ids": [str(c) for c in allowed_channel_ids],
            "default_language": default_language,
        }
        return Guild.from_json(await self._json("PUT", f"/v1/guilds/{platform}/{guild_id}", json_body=body))


def _present(**values: Any) -> dict[str, Any]:
    """Only the arguments that were given, so the server applies its defaults for the rest."""
    return {k: v for k, v in values.items() if v is not None}


def _user_path(identity: Identity) -> str:
    return f"/v1/users/{identity.path}"
