"""End to end through the real server and EngineClient: renders, events, media, phrases, photos, privacy."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import zipfile
from pathlib import Path

import aiohttp
import av
import pytest

from engine.errors import NoFaceFound, NotFound
from engine.service.client import EngineClient
from engine.service.runner import RunningService
from engine.service.schema import Identity, Job, MediaRef
from tests.engine.service.harness import TOKENS, alice, client, service, start_service, use_espeak

__all__ = ["alice", "client", "service", "start_service"]

pytestmark = pytest.mark.timeout(180)


def decode(data: bytes) -> dict[str, object]:
    """What PyAV finds in a clip: stream kinds, codecs, picture size, duration and decoded frame counts."""
    with av.open(io.BytesIO(data)) as container:
        info: dict[str, object] = {
            "streams": sorted(s.type for s in container.streams),
            "codecs": sorted(s.codec_context.name for s in container.streams if s.type in ("audio", "video")),
            "duration_s": (container.duration or 0) / av.time_base,
        }
        video = container.streams.video[0] if container.streams.video else None
        if video is not None:
            info["size"] = (video.codec_context.width, video.codec_context.height)
        frames = sum(1 for _ in container.decode(video=0)) if video is not None else 0
        info["video_frames"] = frames
    with av.open(io.BytesIO(data)) as container:
        samples = sum(f.samples for f in container.decode(audio=0))
        info["audio_samples"] = samples
    return info


async def wait_done(client: EngineClient, job: Job) -> Job:
    return await asyncio.wait_for(client.wait(job.id), 120)


async def test_render_streams_voice_first_then_video(
    service: RunningService, client: EngineClient, alice: Identity
) -> None:
    await use_espeak(client, alice)
    job = await client.render(alice, "Hello! I would like a cup of tea, please.", idempotency_key="m-1")
    names: list[str] = []
    voice: MediaRef | None = None
    video: MediaRef | None = None
    async for event in client.events(job.id):
        names.append(event.name)
        voice = event.media if event.name == "speech_ready" else voice
        video = event.media if event.name == "video_ready" else video
    assert names[0] == "queued" and names[-1] == "done"
    assert names.index("running") < names.index("speech_ready") < names.index("video_ready")
    assert voice is not None and video is not None

    voice_clip = decode(await client.download(voice))
    assert voice_clip["codecs"] == ["opus"] and voice_clip["streams"] == ["audio"]
    assert voice.mime == "audio/ogg" and 1.0 < (voice.duration_s or 0) < 6.0
    assert voice_clip["audio_samples"] > 48_000  # more than a second of sound at Opus' 48 kHz

    chunks = [chunk async for chunk in client.stream_media(video)]
    video_bytes = b"".join(chunks)
    assert len(video_bytes) == video.size_bytes
    clip = decode(video_bytes)
    assert clip["size"] == (128, 128) and "h264" in clip["codecs"] and "aac" in clip["codecs"]
    assert clip["video_frames"] >= int(12 * (voice.duration_s or 0)) - 1
    assert "cup of tea" in video.captions_srt

    # a finished job replays its events at once, and the same key gives the same job
    replay = [e.name async for e in client.events(job.id)]
    assert replay == ["queued", "running", "speech_ready", "video_ready", "done"]
    again = await client.render(alice, "Hello! I would like a cup of tea, please.", idempotency_key="m-1")
    assert again.id == job.id and again.state == "done"


async def test_media_supports_range_requests(
    service: RunningService, client: EngineClient, alice: Identity
) -> None:
    await use_espeak(client, alice)
    job = await wait_done(client, await client.render(alice, "Range test.", output="voice"))
    assert job.state == "done" and job.voice is not None and job.video is None
    full = await client.download(job.voice)
    headers = {"Authorization": f"Bearer {TOKENS['telegram']}", "Range": "bytes=10-29"}
    async with (
        aiohttp.ClientSession() as http,
        http.get(service.url + job.voice.url, headers=headers) as resp,
    ):
        assert resp.status == 206
        assert resp.headers["Content-Type"] == "audio/ogg"
        assert resp.headers["Content-Range"] == f"bytes 10-29/{len(full)}"
        assert await resp.read() == full[10:30]
    async with EngineClient(service.url, TOKENS["discord"]) as other:
        with pytest.raises(NotFound):
            await other.download(job.voice)


async def test_identical_requests_are_served_from_the_clip_cache(
    service: RunningService, client: EngineClient, alice: Identity
) -> None:
    await use_espeak(client, alice)
    first = await wait_done(client, await client.render(alice, "Same again.", output="voice"))
    second = await client.render(alice, "  Same again.", output="voice")
    assert second.id != first.id and second.state == "done"  # done at once, without the worker
    assert second.voice is not None and first.voice is not None
    assert second.voice.size_bytes == first.voice.size_bytes
    assert await client.download(second.voice) == await client.download(first.voice)


async def test_saved_phrase_is_prerendered_and_spoken_from_cache(
    service: RunningService, client: EngineClient, alice: Identity
) -> None:
    await use_espeak(client, alice)
    await client.update_profile(alice, output="voice")
    phrase = await client.add_phrase(alice, "See you tomorrow!")
    for _ in range(600):
        if (await client.phrases(alice))[0].ready:
            break
        await asyncio.sleep(0.1)
    assert (await client.phrases(alice))[0].ready
    job = await client.speak_phrase(alice, phrase.id)
    assert job.kind == "phrase" and job.state == "done" and job.voice is not None
    assert decode(await client.download(job.voice))["codecs"] == ["opus"]
    assert (await client.phrases(alice))[0].use_count == 1
    # another format is not in the cache: it is rendered, then counted too
    video_job = await wait_done(client, await client.speak_phrase(alice, phrase.id, output="video"))
    assert video_job.state == "done" and video_job.video is not None
    assert (await client.phrases(alice))[0].use_count == 2


async def test_photo_without_a_face_fails_with_the_no_face_message(
    service: RunningService, client: EngineClient, alice: Identity, shared_data: Path
) -> None:
    await client.grant_consent(alice, "face_animation", "You may animate my photo.")
    dog = (shared_data / "images" / "liveportrait_s25_dog_noface.jpg").read_bytes()
    job = await client.set_face_photo(alice, dog, "image/jpeg")
    assert job.kind == "prepare_face"
    events = [e async for e in client.events(job.id)]
    assert events[-1].name == "failed"
    assert events[-1].error is not None and events[-1].error.code == "no_face"
    final = await client.job(job.id)
    assert final.state == "failed" and final.error is not None
    assert final.error.message == NoFaceFound.default_message
    assert (await client.profile(alice)).face.engine == "cartoon"
    assert not service.ctx.store.exists(hashlib.sha256(dog).hexdigest())  # a failed upload is not kept


async def test_photo_becomes_the_face(client: EngineClient, alice: Identity, shared_data: Path) -> None:
    await use_espeak(client, alice)
    await client.grant_consent(alice, "face_animation", "You may animate my photo.")
    photo = (shared_data / "images" / "sadtalker_happy.png").read_bytes()
    job = await wait_done(client, await client.set_face_photo(alice, photo, "image/png"))
    assert job.state == "done", job.error
    assert job.video is not None and decode(await client.download(job.video))["size"] == (128, 128)
    profile = await client.profile(alice)
    assert profile.face.engine == "portrait" and profile.face.has_photo
    cleared = await client.clear_face_photo(alice)
    assert cleared.face.engine == "cartoon" and not cleared.face.has_photo


async def test_export_then_forget(
    service: RunningService, client: EngineClient, alice: Identity, shared_data: Path
) -> None:
    await use_espeak(client, alice)
    await client.grant_consent(alice, "voice_cloning", "You may clone my voice.")
    sample = (shared_data / "audio" / "LJ001-0002.wav").read_bytes()
    enrol = await wait_done(
        client, await client.enrol_voice(alice, sample, "audio/wav", transcript="in being")
    )
    assert enrol.state == "done", enrol.error
    assert (await client.profile(alice)).voice.enrolled
    await client.add_phrase(alice, "Good morning")
    rendered = await wait_done(client, await client.render(alice, "Remember me.", output="voice"))
    assert rendered.voice is not None

    archive = zipfile.ZipFile(io.BytesIO(await client.export(alice)))
    names = archive.namelist()
    assert "manifest.json" in names
    assert any(n.startswith("media/") for n in names)
    everything = b"".join(archive.read(n) for n in names if not n.startswith("media/"))
    assert b"Good morning" in everything and b"You may clone my voice." in everything
    assert sample in [archive.read(n) for n in names if n.startswith("media/")]
    json.loads(archive.read("manifest.json"))

    blobs_before = {p.name for p in service.ctx.store.root.rglob("*") if p.is_file()}
    await client.forget(alice)
    with pytest.raises(NotFound):
        await client.job(rendered.id)
    with pytest.raises(NotFound):
        await client.download(rendered.voice)
    blobs_after = {p.name for p in service.ctx.store.root.rglob("*") if p.is_file()}
    assert blobs_after < blobs_before and not blobs_after  # alice was the only person here
    fresh = await client.profile(alice)
    assert not fresh.voice.enrolled and fresh.consents == () and await client.phrases(alice) == []
