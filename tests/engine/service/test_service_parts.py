"""The service's small parts on their own: tokens, ids, rate limits, error mapping, value shapes, metrics."""

from __future__ import annotations

import pytest

from engine.errors import (
    Busy,
    InvalidInput,
    NoFaceFound,
    NotFound,
    RateLimited,
    TextTooLong,
    Unauthorized,
    UnknownVoice,
)
from engine.service import refs
from engine.service.auth import TokenAuth, parse_tokens
from engine.service.client import error_from_json
from engine.service.metrics import Metrics
from engine.service.ratelimit import RateLimiter
from engine.service.schema import Consent, Identity, Job, JobEvent, MediaRef, Profile
from engine.service.specs import normalise_text


def test_tokens_parse_and_authenticate() -> None:
    tokens = parse_tokens(" telegram=abc123 , discord=xyz789,")
    assert tokens == {"telegram": "abc123", "discord": "xyz789"}
    auth = TokenAuth(tokens)
    assert auth.frontend_for("Bearer xyz789") == "discord"
    assert auth.frontend_for("bearer abc123") == "telegram"
    for header in (None, "", "Bearer", "Bearer abc12", "Basic abc123", "abc123", "Bearer  "):
        with pytest.raises(Unauthorized):
            auth.frontend_for(header)
    for bad in ("telegram", "telegram=", "=abc", "a=1,a=2"):
        with pytest.raises(InvalidInput):
            parse_tokens(bad)


def test_ids_are_unguessable_and_parsed_strictly() -> None:
    secret = refs.new_secret()
    assert len(secret) >= 24 and "." not in secret and secret != refs.new_secret()
    parsed = refs.parse_job_id(refs.job_public_id(42, secret))
    assert parsed.row_id == 42 and parsed.matches(secret) and not parsed.matches(secret[:-1] + "A")
    media = refs.parse_media_id(refs.media_id(42, secret, "video"))
    assert (media.row_id, media.kind) == (42, "video") and media.matches(secret)
    for bad in (
        "42",
        "42.",
        f"x.{secret}",
        f"42.{secret}.audio",
        f"-1.{secret}",
        "42.short",
        f"42.{secret}/x",
    ):
        with pytest.raises(NotFound):
            refs.parse_media_id(bad) if bad.count(".") == 2 else refs.parse_job_id(bad)


def test_job_errors_keep_their_code() -> None:
    stored = refs.encode_error("no_face", NoFaceFound.default_message)
    assert refs.decode_error(stored) == ("no_face", NoFaceFound.default_message)
    assert refs.decode_error("The worker handling this stopped responding.")[0] == "error"


def test_rate_limiter_counts_a_rolling_minute_per_person() -> None:
    now = [1000.0]
    limiter = RateLimiter(3, clock=lambda: now[0])
    for _ in range(3):
        limiter.check("alice")
    with pytest.raises(RateLimited) as caught:
        limiter.check("alice")
    assert caught.value.retry_after_s == 60
    limiter.check("bob")  # others are unaffected
    now[0] += 30
    with pytest.raises(RateLimited) as caught:
        limiter.check("alice")
    assert caught.value.retry_after_s == 30 and "30 seconds" in caught.value.message
    now[0] += 30.5
    limiter.check("alice")
    RateLimiter(0).check("anyone")  # 0 disables the limit


def test_client_rebuilds_the_servers_error_classes() -> None:
    exc = error_from_json(400, {"error": {"code": "text_too_long", "message": "Too long, sorry."}})
    assert type(exc) is TextTooLong and exc.message == "Too long, sorry."
    exc = error_from_json(400, {"error": {"code": "unknown_voice", "message": "No such voice."}})
    assert isinstance(exc, UnknownVoice) and exc.message == "No such voice."
    busy = error_from_json(503, {"error": {"code": "busy", "message": "Busy!"}}, retry_after_s=7)
    assert isinstance(busy, Busy) and busy.retry_after_s == 7
    # an unknown code or a non-JSON answer falls back on the HTTP status
    assert isinstance(error_from_json(429, {"error": {"code": "new_thing", "message": "x"}}), RateLimited)
    assert isinstance(error_from_json(404, b"<html>"), NotFound)
    assert error_from_json(500, None).message  # always something to show


def test_value_shapes_round_trip_through_json() -> None:
    media = MediaRef("1.s.voice", "/v1/media/1.s.voice", "audio/ogg", 1234, 1.5, None, None, "1\n…")
    job = Job("1.s", "render", "done", "2026-01-01T00:00:00+00:00", None, media, None, None, ("note",))
    assert Job.from_json(job.to_json()) == job and job.finished
    consent = Consent("act_for_me", "ok", "2026-01-01T00:00:00+00:00", "g1", Identity("discord", "5"))
    profile_json = {
        "platform": "discord",
        "user_id": 7,
        "language": "de",
        "output": "voice",
        "captions": "none",
        "voice": {"engine": "espeak", "rate": 1.1, "enrolled": True, "pronunciations": {"a": "b"}},
        "face": {"engine": "portrait", "style": "default", "has_photo": True},
        "consents": [consent.to_json()],
        "added_later": "ignored",
    }
    profile = Profile.from_json(profile_json)
    assert profile.user_id == "7" and profile.voice.enrolled and profile.has_consent("act_for_me", "g1")
    assert not profile.has_consent("act_for_me", "g2")
    assert Profile.from_json(profile.to_json()) == profile
    event = JobEvent("speech_ready", {"media": media.to_json()})
    assert event.media == media and not event.terminal and JobEvent("failed").terminal


def test_text_is_normalised_for_the_cache() -> None:
    assert normalise_text("  Cafe\u0301 \n") == "Café"


def test_metrics_render_prometheus_text() -> None:
    metrics = Metrics()
    metrics.observe_stage("speech", 0.2)
    metrics.observe_stage("speech", 3.0)
    metrics.job_finished("render", "done")
    metrics.reject("busy")
    text = metrics.render(
        queue_depth=4, jobs_by_state={"queued": 4, "done": 2}, models=[("speech", "espeak", True)]
    )
    assert "avatarlab_queue_depth 4" in text
    assert 'avatarlab_stage_seconds_bucket{stage="speech",le="0.25"} 1' in text
    assert 'avatarlab_stage_seconds_bucket{stage="speech",le="+Inf"} 2' in text
    assert 'avatarlab_stage_seconds_count{stage="speech"} 2' in text
    assert 'avatarlab_jobs_finished_total{kind="render",outcome="done"} 1' in text
    assert 'avatarlab_rejected_total{reason="busy"} 1' in text
    assert 'avatarlab_model_loaded{kind="speech",engine="espeak"} 1' in text
    assert text.endswith("\n")


def test_startup_summary_says_where_and_what() -> None:
    from engine.service.runner import StartupInfo, startup_summary

    info = StartupInfo(
        url="http://127.0.0.1:8750",
        frontends=("discord", "telegram"),
        worker_id="host-1-abc",
        database="sqlite+aiosqlite:///data/avatarlab.db",
        models=(("speech", "espeak", True), ("face", "cartoon", True), ("face", "portrait", False)),
        device="cpu",
    )
    line = startup_summary(info)
    assert line.startswith(
        "Avatar Lab engine listening on http://127.0.0.1:8750 (front ends: discord, telegram)"
    )
    assert "engines loaded: speech espeak, face cartoon" in line and "on demand: face portrait" in line
    assert "device: cpu" in line and "\n" not in line
    api_only = startup_summary(StartupInfo("http://[::1]:80", (), None, "postgresql+asyncpg://db", (), "cpu"))
    assert "no worker in this process" in api_only and "AVATARLAB_API_TOKENS" in api_only
