"""Attachment checks: each obvious mistake gets its own specific message before anything is uploaded."""

from __future__ import annotations

from typing import Any

import discord
import pytest

from bots.discord.attachments import MAX_UPLOAD_BYTES, check_photo, check_recording
from engine.errors import CorruptMedia, MediaTooLarge, UnsupportedMedia

STATE = discord.Client(intents=discord.Intents.none())._connection  # a real (unconnected) client state


def attachment(filename: str, size: int, content_type: str | None) -> discord.Attachment:
    data: dict[str, Any] = {
        "id": "1",
        "filename": filename,
        "size": size,
        "url": "http://127.0.0.1/x",
        "proxy_url": "http://127.0.0.1/x",
    }
    if content_type is not None:
        data["content_type"] = content_type
    return discord.Attachment(data=data, state=STATE)  # type: ignore[arg-type]


def test_photos_pass_with_their_declared_or_guessed_type() -> None:
    assert check_photo(attachment("me.png", 1000, "image/png")) == "image/png"
    assert check_photo(attachment("me.jpg", 1000, None)) == "image/jpeg"
    assert check_photo(attachment("blob", 1000, None)) == "application/octet-stream"  # the engine sniffs it


@pytest.mark.parametrize(
    ("name", "kind", "said"),
    [
        ("notes.pdf", "application/pdf", "a document"),
        ("song.mp3", "audio/mpeg", "a sound recording"),
        ("stuff.zip", "application/zip", "an archive"),
    ],
)
def test_a_photo_that_is_not_a_photo_says_what_it_is(name: str, kind: str, said: str) -> None:
    with pytest.raises(UnsupportedMedia) as raised:
        check_photo(attachment(name, 1000, kind))
    assert name in raised.value.message and said in raised.value.message and "photo" in raised.value.message


def test_too_large_and_empty_files_are_refused_with_their_size() -> None:
    with pytest.raises(MediaTooLarge) as raised:
        check_photo(attachment("big.jpg", MAX_UPLOAD_BYTES + 500_000, "image/jpeg"))
    assert "20.5 MB" in raised.value.message and "20 MB" in raised.value.message
    with pytest.raises(CorruptMedia):
        check_recording(attachment("empty.ogg", 0, "audio/ogg"))


def test_recordings_accept_audio_and_video_but_not_pictures() -> None:
    assert check_recording(attachment("me.ogg", 10, "audio/ogg")) == "audio/ogg"
    assert check_recording(attachment("me.mp4", 10, "video/mp4")) == "video/mp4"
    assert check_recording(attachment("voice.wav", 10, None)) in ("audio/x-wav", "audio/wav")
    with pytest.raises(UnsupportedMedia) as raised:
        check_recording(attachment("me.png", 10, "image/png"))
    assert "a picture" in raised.value.message and "recording" in raised.value.message
