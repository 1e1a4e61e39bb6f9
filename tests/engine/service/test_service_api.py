"""The HTTP API without a worker: auth, validation, back-pressure, profiles, consent, phrases, guilds."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from engine.errors import (
    Busy,
    ConsentRequired,
    EmptyText,
    InvalidInput,
    MediaTooLarge,
    NotFound,
    RateLimited,
    TextTooLong,
    Unauthorized,
    UnknownStyle,
    UnsupportedMedia,
)
from engine.service.client import EngineClient
from engine.service.runner import RunningService
from engine.service.schema import Identity
from storage.repositories import consent, users
from tests.engine.service.harness import TOKENS, StartService

BOB = Identity("telegram", "2002")


@pytest.fixture
async def api(start_service: StartService) -> RunningService:
    return await start_service(with_worker=False)


@pytest.fixture
async def api_client(api: RunningService) -> AsyncIterator[EngineClient]:
    async with EngineClient(api.url, TOKENS["telegram"], max_retries=0) as c:
        yield c


async def raw(
    api: RunningService, method: str, path: str, *, token: str | None = TOKENS["telegram"], **kwargs: Any
) -> tuple[int, Any, bytes]:
    headers = kwargs.pop("headers", {})
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, api.url + path, headers=headers, **kwargs) as resp,
    ):
        body = await resp.read()
        return resp.status, resp.headers, body


# --- auth ------------------------------------------------------------------------------------------------


async def test_healthz_needs_no_token(api: RunningService) -> None:
    status, _, body = await raw(api, "GET", "/healthz", token=None)
    assert status == 200 and json.loads(body) == {"status": "ok"}


@pytest.mark.parametrize("token", [None, "wrong", TOKENS["telegram"] + "x", ""])
async def test_every_route_but_healthz_needs_the_right_token(api: RunningService, token: str | None) -> None:
    for method, path in [
        ("GET", "/metrics"),
        ("GET", "/v1/styles"),
        ("POST", "/v1/render"),
        ("GET", "/v1/users/telegram/1"),
    ]:
        status, _, body = await raw(api, method, path, token=token)
        assert status == 401, path
        assert json.loads(body)["error"]["code"] == "unauthorized"


async def test_client_raises_unauthorized_for_a_wrong_token(api: RunningService) -> None:
    async with EngineClient(api.url, "not-the-token", max_retries=0) as c:
        with pytest.raises(Unauthorized):
            await c.profile(BOB)


# --- validation ------------------------------------------------------------------------------------------


async def test_malformed_json_is_a_400_with_a_message(api: RunningService) -> None:
    status, _, body = await raw(
        api, "POST", "/v1/render", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert status == 400
    assert json.loads(body)["error"] == {
        "code": "invalid_input",
        "message": "The request body is not valid JSON.",
    }


async def test_unknown_and_missing_fields_are_400(api: RunningService) -> None:
    body = {"user": {"platform": "telegram", "user_id": "1"}, "text": "hi", "colour": "red"}
    status, _, raw_body = await raw(api, "POST", "/v1/render", json=body)
    assert status == 400 and "colour" in json.loads(raw_body)["error"]["message"]
    status, _, raw_body = await raw(api, "POST", "/v1/render", json={"text": "hi"})
    assert status == 400 and "user" in json.loads(raw_body)["error"]["message"]
    status, _, raw_body = await raw(api, "POST", "/v1/render", json=[1, 2])
    assert status == 400


async def test_bad_values_get_kind_messages(api_client: EngineClient) -> None:
    with pytest.raises(EmptyText):
        await api_client.render(BOB, "   ")
    with pytest.raises(TextTooLong):
        await api_client.render(BOB, "a" * 1001)
    with pytest.raises(InvalidInput, match="output"):
        await api_client.render(BOB, "hi", output="hologram")
    with pytest.raises(InvalidInput, match="platform"):
        await api_client.render(Identity("myspace", "1"), "hi")
    with pytest.raises(InvalidInput, match="size_limit_bytes"):
        await api_client.render(BOB, "hi", size_limit_bytes=0)


async def test_json_bodies_over_64_kb_are_413(api: RunningService) -> None:
    body = json.dumps({"user": {"platform": "telegram", "user_id": "1"}, "text": "a" * 70_000}).encode()
    status, _, raw_body = await raw(
        api, "POST", "/v1/render", data=body, headers={"Content-Type": "application/json"}
    )
    assert status == 413
    assert json.loads(raw_body)["error"]["code"] == "media_too_large"


async def test_uploads_over_20_mb_are_413(api_client: EngineClient) -> None:
    await api_client.grant_consent(BOB, "voice_cloning", "I agree that my voice is cloned.")
    with pytest.raises(MediaTooLarge):
        await api_client.enrol_voice(BOB, b"OggS" + b"\0" * (21 * 1024 * 1024), "audio/ogg")


async def test_unknown_route_is_a_json_404(api: RunningService) -> None:
    status, _, body = await raw(api, "GET", "/v1/nothing")
    assert status == 404 and json.loads(body)["error"]["code"] == "not_found"


# --- back-pressure ---------------------------------------------------------------------------------------


async def test_rate_limit_is_429_with_retry_after(start_service: StartService) -> None:
    api = await start_service(with_worker=False, rate_limit_per_minute=2)
    async with EngineClient(api.url, TOKENS["telegram"], max_retries=0) as c:
        await c.render(BOB, "one")
        await c.render(BOB, "two")
        with pytest.raises(RateLimited) as caught:
            await c.render(BOB, "three")
        assert 1 <= caught.value.retry_after_s <= 60
        # another person is not affected by Bob's burst
        await c.render(Identity("telegram", "3003"), "hello")
    status, headers, _ = await raw(api, "POST", "/v1/render", json={"user": BOB.to_json(), "text": "four"})
    assert status == 429 and int(headers["Retry-After"]) >= 1


async def test_full_queue_is_503_with_retry_after(start_service: StartService) -> None:
    api = await start_service(with_worker=False, queue_limit=2)
    async with EngineClient(api.url, TOKENS["telegram"], max_retries=0) as c:
        await c.render(BOB, "one")
        await c.render(Identity("telegram", "3"), "two")
        with pytest.raises(Busy) as caught:
            await c.render(Identity("telegram", "4"), "three")
        assert caught.value.retry_after_s >= 1
    status, headers, body = await raw(api, "POST", "/v1/render", json={"user": BOB.to_json(), "text": "x"})
    assert status == 503 and int(headers["Retry-After"]) >= 1
    assert json.loads(body)["error"]["code"] == "busy"


async def test_client_retries_503_then_raises_busy(start_service: StartService) -> None:
    api = await start_service(with_worker=False, queue_limit=0)
    async with EngineClient(api.url, TOKENS["telegram"], max_retries=1) as c:
        with pytest.raises(Busy) as caught:
            await c.render(BOB, "hello")
    assert caught.value.retry_after_s >= 1


async def test_unreachable_engine_raises_busy() -> None:
    async with EngineClient("http://127.0.0.1:9", TOKENS["telegram"]) as c:
        with pytest.raises(Busy, match="not reachable"):
            await c.profile(BOB)
        assert await c.health() is False


# --- jobs ------------------------------------------------------------------------------------------------


async def test_render_is_queued_and_idempotent(api: RunningService, api_client: EngineClient) -> None:
    first = await api_client.render(BOB, "Hello there", idempotency_key="msg-1")
    assert first.state == "queued" and first.kind == "render" and first.position == 0
    again = await api_client.render(BOB, "Hello there", idempotency_key="msg-1")
    assert again.id == first.id
    status, _, _ = await raw(
        api,
        "POST",
        "/v1/render",
        json={"user": BOB.to_json(), "text": "Hello there", "idempotency_key": "msg-1"},
    )
    assert status == 200  # it already existed
    other = await api_client.render(BOB, "Hello there", idempotency_key="msg-2")
    assert other.id != first.id and other.position == 1
    assert (await api_client.job(first.id)).id == first.id


async def test_jobs_and_media_are_private_to_their_front_end(
    api: RunningService, api_client: EngineClient
) -> None:
    job = await api_client.render(BOB, "secret")
    async with EngineClient(api.url, TOKENS["discord"], max_retries=0) as other:
        with pytest.raises(NotFound):
            await other.job(job.id)
    row_id, secret = job.id.split(".")
    with pytest.raises(NotFound):
        await api_client.job(f"{row_id}.{'A' * len(secret)}")
    with pytest.raises(NotFound):
        await api_client.download(f"{row_id}.{secret}.voice")  # not rendered yet
    with pytest.raises(NotFound):
        await api_client.job("../../etc/passwd")


# --- profiles --------------------------------------------------------------------------------------------


async def test_profile_is_created_on_first_contact_and_updated(api_client: EngineClient) -> None:
    profile = await api_client.profile(BOB)
    assert (profile.language, profile.output, profile.captions) == ("en", "video", "soft")
    assert profile.face.engine == "cartoon" and not profile.voice.enrolled
    styles = await api_client.styles()
    profile = await api_client.update_profile(
        BOB, output="voice", captions="burn", rate=1.2, style=styles[-1]
    )
    assert (profile.output, profile.captions, profile.voice.rate, profile.face.style) == (
        "voice",
        "burn",
        1.2,
        styles[-1],
    )
    profile = await api_client.set_pronunciations(BOB, {"GIF": "jif", "Nguyen": "win"})
    assert profile.voice.pronunciations == {"GIF": "jif", "Nguyen": "win"}


async def test_profile_rejects_bad_values_kindly(api_client: EngineClient) -> None:
    with pytest.raises(UnknownStyle):
        await api_client.update_profile(BOB, style="no-such-style")
    with pytest.raises(InvalidInput, match=r"(?i)rate"):
        await api_client.update_profile(BOB, rate=9.0)
    with pytest.raises(InvalidInput, match="Unknown field"):
        await api_client.update_profile(BOB, shoe_size=44)
    with pytest.raises(InvalidInput):
        await api_client.set_pronunciations(BOB, {"": "x"})


# --- consent ---------------------------------------------------------------------------------------------


async def test_voice_sample_and_photo_need_consent(api_client: EngineClient, shared_data: Path) -> None:
    audio = (shared_data / "audio" / "LJ001-0002.wav").read_bytes()
    photo = (shared_data / "images" / "sadtalker_happy.png").read_bytes()
    with pytest.raises(ConsentRequired):
        await api_client.enrol_voice(BOB, audio, "audio/wav")
    with pytest.raises(ConsentRequired):
        await api_client.set_face_photo(BOB, photo, "image/png")
    granted = await api_client.grant_consent(BOB, "voice_cloning", "You may clone my voice.")
    assert granted.active and granted.scope is None
    job = await api_client.enrol_voice(BOB, audio, "audio/wav")
    assert job.kind == "enrol_voice" and job.state == "queued"
    assert await api_client.revoke_consent(BOB, "voice_cloning") == 1
    with pytest.raises(ConsentRequired):
        await api_client.enrol_voice(BOB, audio, "audio/wav")
    consents = await api_client.consents(BOB)
    assert [(c.purpose, c.active) for c in consents] == [("voice_cloning", False)]


async def test_voice_sample_must_be_usable_audio(api_client: EngineClient, shared_data: Path) -> None:
    await api_client.grant_consent(BOB, "voice_cloning", "You may clone my voice.")
    photo = (shared_data / "images" / "sadtalker_happy.png").read_bytes()
    with pytest.raises(UnsupportedMedia):
        await api_client.enrol_voice(BOB, photo, "audio/ogg")
    await api_client.grant_consent(BOB, "face_animation", "You may animate my photo.")
    with pytest.raises(UnsupportedMedia):
        await api_client.set_face_photo(BOB, b"this is not a picture", "image/jpeg")


async def test_acting_for_someone_needs_their_consent_for_that_server(api_client: EngineClient) -> None:
    tutor, student = Identity("discord", "10"), Identity("discord", "20")
    with pytest.raises(ConsentRequired):
        await api_client.render(tutor, "Hi class", on_behalf_of=student, guild_id="g1")
    tutor_by = await api_client.grant_consent(
        student, "act_for_me", "Tutors in this class may speak for me.", scope="g1", granted_by=tutor
    )
    assert tutor_by.scope == "g1" and tutor_by.granted_by == tutor
    assert tutor_by.text == "Tutors in this class may speak for me."
    job = await api_client.render(tutor, "Hi class", on_behalf_of=student, guild_id="g1")
    assert job.state == "queued"
    with pytest.raises(ConsentRequired):  # another server
        await api_client.render(tutor, "Hi class", on_behalf_of=student, guild_id="g2")
    assert await api_client.revoke_consent(student, "act_for_me", scope="g2") == 0
    assert await api_client.revoke_consent(student, "act_for_me", scope="g1") == 1
    with pytest.raises(ConsentRequired):
        await api_client.render(tutor, "Hi again", on_behalf_of=student, guild_id="g1")


async def test_act_for_me_consents_are_per_server(api_client: EngineClient, api: RunningService) -> None:
    tutor, student = Identity("discord", "10"), Identity("discord", "20")
    with pytest.raises(InvalidInput, match="scope"):
        await api_client.grant_consent(student, "act_for_me", "Tutors may speak for me.")
    with pytest.raises(InvalidInput, match="scope"):
        await api_client.grant_consent(student, "act_for_me", "Tutors may speak for me.", scope="g" * 101)
    # Any text, brackets included, is kept exactly as agreed; the server id lives in its own column.
    text = "[scope:g9] Tutors of this class may speak for me."
    for server in ("g1", "g2"):
        assert (await api_client.grant_consent(student, "act_for_me", text, scope=server)).text == text
    await api_client.grant_consent(student, "voice_cloning", "You may clone my voice.")
    async with api.ctx.db.session() as s:
        user = await users.find_user_by_identity(s, "discord", "20")
        assert user is not None
        rows = await consent.list_consents(s, user.id)
    assert [(str(r.purpose), r.scope, r.text) for r in rows] == [
        ("act_for_another", "g1", text),
        ("act_for_another", "g2", text),
        ("voice_cloning", None, "You may clone my voice."),
    ]
    assert all(r.grantee_user_id is None for r in rows)  # a server's consent covers all its tutors
    with pytest.raises(ConsentRequired):  # a scope that only looks like one in the text counts for nothing
        await api_client.render(tutor, "Hi", on_behalf_of=student, guild_id="g9")
    assert (await api_client.render(tutor, "Hi", on_behalf_of=student, guild_id="g2")).state == "queued"
    assert (await api_client.profile(student)).has_consent("act_for_me", "g1")
    # No scope: withdrawn in every server at once, and nothing else.
    assert await api_client.revoke_consent(student, "act_for_me") == 2
    profile = await api_client.profile(student)
    assert not profile.has_consent("act_for_me", "g1") and not profile.has_consent("act_for_me", "g2")
    assert profile.has_consent("voice_cloning")


# --- phrases and guilds ----------------------------------------------------------------------------------


async def test_phrase_book_crud(api_client: EngineClient) -> None:
    a = await api_client.add_phrase(BOB, "Yes, please", category="answers")
    b = await api_client.add_phrase(BOB, "No, thank you")
    c = await api_client.add_phrase(BOB, "I need a break")
    assert [p.position for p in (a, b, c)] == [0, 1, 2] and not a.ready
    moved = await api_client.update_phrase(BOB, c.id, position=0, text="I need a short break")
    assert moved.position == 0 and moved.text == "I need a short break"
    assert [p.id for p in await api_client.phrases(BOB)] == [c.id, a.id, b.id]
    assert [p.id for p in await api_client.phrases(BOB, query="THANK")] == [b.id]
    await api_client.delete_phrase(BOB, a.id)
    assert [p.id for p in await api_client.phrases(BOB)] == [c.id, b.id]
    with pytest.raises(NotFound):
        await api_client.delete_phrase(BOB, a.id)
    with pytest.raises(EmptyText):
        await api_client.add_phrase(BOB, " ")


async def test_guild_settings(api_client: EngineClient) -> None:
    fresh = await api_client.guild("discord", "555")
    assert fresh.tutor_role_ids == () and fresh.default_language == "en"
    saved = await api_client.update_guild(
        "discord", "555", tutor_role_ids=["1", "2"], allowed_channel_ids=["9"], default_language="de"
    )
    assert (
        saved.tutor_role_ids == ("1", "2") and saved.channel_allowed("9") and not saved.channel_allowed("8")
    )
    assert (await api_client.guild("discord", "555")) == saved


async def test_metrics_are_prometheus_text(api: RunningService, api_client: EngineClient) -> None:
    await api_client.render(BOB, "queued one")
    status, headers, body = await raw(api, "GET", "/metrics")
    text = body.decode()
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert "avatarlab_queue_depth 1" in text
    assert 'avatarlab_jobs{state="queued"} 1' in text
    assert 'avatarlab_model_loaded{kind="face",engine="cartoon"}' in text
