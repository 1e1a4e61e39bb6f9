"""What a person sent us as a file: which kind it is, and its bytes (within the Bot API's 20 MB limit)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from telegram import Bot, Message
from telegram.constants import FileSizeLimit
from telegram.error import BadRequest

from bots.common import messages
from engine.errors import MediaTooLarge, UnsupportedMedia

DOWNLOAD_LIMIT = int(FileSizeLimit.FILESIZE_DOWNLOAD)  # 20 MB: getFile refuses anything larger

Kind = Literal["audio", "image"]


@dataclass(frozen=True, slots=True)
class Upload:
    kind: Kind
    file_id: str
    mime: str
    size: int | None  # as Telegram reports it; None when unknown


def upload_of(message: Message) -> Upload | None:
    """The photo or recording in `message`; None when it carries no file at all.

    Raises UnsupportedMedia for a file that is neither (a PDF, a sticker…).
    """
    if message.photo:
        largest = message.photo[-1]
        return Upload("image", largest.file_id, "image/jpeg", largest.file_size)
    if message.voice:
        return Upload(
            "audio", message.voice.file_id, message.voice.mime_type or "audio/ogg", message.voice.file_size
        )
    if message.audio:
        a = message.audio
        return Upload("audio", a.file_id, a.mime_type or "audio/mpeg", a.file_size)
    if message.video_note:
        v = message.video_note
        return Upload("audio", v.file_id, "video/mp4", v.file_size)
    if message.video:
        v = message.video
        return Upload("audio", v.file_id, v.mime_type or "video/mp4", v.file_size)
    if message.document:
        d = message.document
        mime = (d.mime_type or "").lower()
        if mime.startswith("image/"):
            return Upload("image", d.file_id, mime, d.file_size)
        if mime.startswith(("audio/", "video/")):
            return Upload("audio", d.file_id, mime, d.file_size)
        raise UnsupportedMedia(messages.UNSUPPORTED_FILE)
    if message.sticker or message.animation:
        raise UnsupportedMedia(messages.UNSUPPORTED_FILE)
    return None


async def download(bot: Bot, upload: Upload) -> bytes:
    """The file's bytes. Raises MediaTooLarge before downloading anything over the 20 MB limit."""
    if upload.size is not None and upload.size > DOWNLOAD_LIMIT:
        raise MediaTooLarge(messages.FILE_TOO_BIG)
    try:
        file = await bot.get_file(upload.file_id)
    except BadRequest as exc:
        if "too big" in exc.message.lower():
            raise MediaTooLarge(messages.FILE_TOO_BIG) from exc
        raise
    if file.file_size is not None and file.file_size > DOWNLOAD_LIMIT:
        raise MediaTooLarge(messages.FILE_TOO_BIG)
    data = bytes(await file.download_as_bytearray())
    if len(data) > DOWNLOAD_LIMIT:
        raise MediaTooLarge(messages.FILE_TOO_BIG)
    return data
