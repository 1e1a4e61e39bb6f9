"""Send one clip to a chat: the voice message as soon as the speech is ready, then the video (or round
video note) when the picture is done, with the chat action kept alive in between."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from telegram import Bot, InlineKeyboardMarkup, InputFile, Message
from telegram.constants import ChatAction, MessageLimit

from bots.common.formatting import short
from bots.telegram.actions import ChatActionKeeper
from engine.errors import AvatarLabError
from engine.service.client import EngineClient, error_from_json
from engine.service.schema import ErrorInfo, MediaRef

VIDEO_NOTE_MAX = 639  # the Bot API rejects a video note length of 640 or more
VIDEO_ACTIONS = {"video": ChatAction.UPLOAD_VIDEO, "video_note": ChatAction.RECORD_VIDEO_NOTE}


@dataclass
class ClipDelivery:
    """One clip on its way to a chat. Remembers what was sent, so a retry after the engine was busy never
    sends the voice message twice."""

    chat_id: int
    caption: str
    output: str  # "video" | "video_note" | "voice"
    reply_to: int | None = None
    markup: InlineKeyboardMarkup | None = None
    on_voice: Callable[[Message], None] | None = None
    voice_sent: bool = False
    video_sent: bool = False

    @property
    def complete(self) -> bool:
        return self.voice_sent and (self.video_sent or self.output == "voice")


def job_error(error: ErrorInfo | None) -> AvatarLabError:
    """The engine.errors exception of a failed job (its message is written for the person)."""
    body = {"error": error.to_json()} if error else None
    return error_from_json(400, body)


async def deliver(bot: Bot, client: EngineClient, job_id: str, clip: ClipDelivery) -> None:
    """Follow the job's events and send what is ready. Raises the job's error if it fails, Busy if the
    engine goes away (the caller retries; what was already sent is not sent again)."""
    first = (
        ChatAction.RECORD_VOICE if not clip.voice_sent else VIDEO_ACTIONS.get(clip.output, ChatAction.TYPING)
    )
    async with ChatActionKeeper(bot, clip.chat_id, first) as keeper:
        async for event in client.events(job_id):
            if event.name == "speech_ready" and event.media is not None:
                await _send_voice(bot, client, clip, event.media)
                if clip.output in VIDEO_ACTIONS:
                    keeper.set(VIDEO_ACTIONS[clip.output])
            elif event.name == "video_ready" and event.media is not None:
                await _send_video(bot, client, clip, event.media)
            elif event.name == "failed":
                raise job_error(event.error)
            elif event.name == "done":
                job = event.job or await client.job(job_id)
                if job.state == "failed":
                    raise job_error(job.error)
                # A job served from a cache may only report its media at the end.
                if job.voice is not None:
                    await _send_voice(bot, client, clip, job.voice)
                if job.video is not None:
                    await _send_video(bot, client, clip, job.video)


async def _send_voice(bot: Bot, client: EngineClient, clip: ClipDelivery, media: MediaRef) -> None:
    if clip.voice_sent:
        return
    data = await client.download(media)
    message = await bot.send_voice(
        clip.chat_id,
        voice=InputFile(data, filename="voice.ogg", attach=True),
        caption=short(clip.caption, MessageLimit.CAPTION_LENGTH),
        duration=round(media.duration_s) if media.duration_s else None,
        reply_to_message_id=clip.reply_to,
        allow_sending_without_reply=True,
        reply_markup=clip.markup,
    )
    clip.voice_sent = True
    if clip.on_voice is not None:
        clip.on_voice(message)


async def _send_video(bot: Bot, client: EngineClient, clip: ClipDelivery, media: MediaRef) -> None:
    if clip.video_sent or clip.output == "voice":
        return
    data = await client.download(media)
    duration = round(media.duration_s) if media.duration_s else None
    if clip.output == "video_note":
        side = min(media.width or VIDEO_NOTE_MAX, media.height or VIDEO_NOTE_MAX, VIDEO_NOTE_MAX)
        await bot.send_video_note(
            clip.chat_id,
            video_note=InputFile(data, filename="note.mp4", attach=True),
            duration=duration,
            length=side,
            reply_to_message_id=clip.reply_to,
            allow_sending_without_reply=True,
        )
    else:
        await bot.send_video(
            clip.chat_id,
            video=InputFile(data, filename="clip.mp4", attach=True),
            duration=duration,
            width=media.width,
            height=media.height,
            caption=short(clip.caption, MessageLimit.CAPTION_LENGTH),
            supports_streaming=True,
            reply_to_message_id=clip.reply_to,
            allow_sending_without_reply=True,
        )
    clip.video_sent = True
