"""Files people attach to commands: checked before anything is asked or uploaded, then downloaded.

The checks here use what Discord tells us (size, declared type, file name) so that the obvious mistakes
get a specific answer at once; the engine then reads the actual bytes and has the last word.
"""

from __future__ import annotations

import mimetypes

import discord

from engine.errors import CorruptMedia, MediaTooLarge, UnsupportedMedia

MAX_UPLOAD_BYTES = 20_000_000  # the engine's limit for photos and recordings (docs/api.md)
PHOTO_EXAMPLES = "a JPEG, PNG, WebP or HEIC photo"
RECORDING_EXAMPLES = "a voice recording (OGG, MP3, M4A, WAV) or a short video of you speaking"


def content_type(attachment: discord.Attachment) -> str:
    """The declared type, or one guessed from the name; "" when neither says anything."""
    declared = (attachment.content_type or "").split(";")[0].strip().lower()
    if declared:
        return declared
    guessed, _ = mimetypes.guess_type(attachment.filename)
    return guessed or ""


def _describe(kind: str) -> str:
    if kind.startswith("text/") or kind in ("application/pdf", "application/msword"):
        return "a document"
    if kind.startswith("video/"):
        return "a video"
    if kind.startswith("audio/"):
        return "a sound recording"
    if kind.startswith("image/"):
        return "a picture"
    if kind in ("application/zip", "application/x-zip-compressed", "application/x-7z-compressed"):
        return "an archive"
    return "a file I can't use"


def _check_size(attachment: discord.Attachment, what: str) -> None:
    if attachment.size > MAX_UPLOAD_BYTES:
        raise MediaTooLarge(
            f"That {what} is {attachment.size / 1e6:.1f} MB; the largest I can take is "
            f"{MAX_UPLOAD_BYTES / 1e6:.0f} MB. Please send a smaller one."
        )
    if attachment.size == 0:
        raise CorruptMedia(f"“{attachment.filename}” is empty. Please attach the {what} again.")


def check_photo(attachment: discord.Attachment) -> str:
    """The photo's content type, or an error that says what is wrong with it."""
    _check_size(attachment, "photo")
    kind = content_type(attachment)
    if kind and not kind.startswith("image/"):
        raise UnsupportedMedia(
            f"“{attachment.filename}” looks like {_describe(kind)}, not a photo. "
            f"Please attach {PHOTO_EXAMPLES} of your face."
        )
    return kind or "application/octet-stream"


def check_recording(attachment: discord.Attachment) -> str:
    """The recording's content type, or an error that says what is wrong with it."""
    _check_size(attachment, "recording")
    kind = content_type(attachment)
    if kind and not (kind.startswith(("audio/", "video/")) or kind == "application/ogg"):
        raise UnsupportedMedia(
            f"“{attachment.filename}” looks like {_describe(kind)}, not a recording. "
            f"Please attach {RECORDING_EXAMPLES}."
        )
    return kind or "application/octet-stream"


async def download(attachment: discord.Attachment) -> bytes:
    try:
        data = await attachment.read()
    except (discord.HTTPException, discord.NotFound) as exc:
        raise CorruptMedia(
            f"I couldn't download “{attachment.filename}” from Discord. Please attach it again."
        ) from exc
    if len(data) > MAX_UPLOAD_BYTES:
        raise MediaTooLarge(f"That file is larger than {MAX_UPLOAD_BYTES / 1e6:.0f} MB.")
    return data
