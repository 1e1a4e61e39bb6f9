"""Files people send: a photo becomes their face, a recording becomes part of their voice. Each needs the
matching consent first; an upload that arrives before it is kept until the person agrees."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bots.common import messages
from bots.common.consent import CONSENT_PROMPTS, CONSENT_TEXTS, FACE_ANIMATION, VOICE_CLONING
from bots.telegram import callbacks as cb
from bots.telegram import keyboards
from bots.telegram.dedup import message_key
from bots.telegram.handlers.common import Context, reply, show, who
from bots.telegram.handlers.face import prepare_photo
from bots.telegram.handlers.voice import enrol_sample
from bots.telegram.state import get_state
from bots.telegram.uploads import DOWNLOAD_LIMIT, Upload, upload_of
from engine.errors import AvatarLabError, Busy, MediaTooLarge, RateLimited

PURPOSE = {"image": FACE_ANIMATION, "audio": VOICE_CLONING}
ASK = {FACE_ANIMATION: messages.FACE_NEEDS_CONSENT, VOICE_CLONING: messages.VOICE_NEEDS_CONSENT}
PENDING_KEY = "pending_uploads"  # user_data: purpose → the uploads waiting for consent, oldest first
MAX_PENDING = 10


async def on_file(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None or update.effective_user is None:
        return
    if not get_state(context).seen.first_time(message_key(message.chat.id, message.message_id)):
        return
    upload = upload_of(message)  # raises UnsupportedMedia for other files (the error handler answers)
    if upload is None:
        return
    if upload.size is not None and upload.size > DOWNLOAD_LIMIT:
        raise MediaTooLarge(messages.FILE_TOO_BIG)  # say so at once, before any consent question
    key = message_key(message.chat.id, message.message_id)
    await with_retry(update, context, key, lambda: _consent_then_use(update, context, upload))


async def _consent_then_use(update: Update, context: Context, upload: Upload) -> None:
    purpose = PURPOSE[upload.kind]
    profile = await get_state(context).client.profile(who(update))
    if not profile.has_consent(purpose):
        waiting = context.user_data.setdefault(PENDING_KEY, {}).setdefault(purpose, [])
        asked = bool(waiting)
        waiting[:] = [*waiting, upload][-MAX_PENDING:]
        if asked:  # several recordings in a row: one question is enough
            await reply(update, messages.KEPT_FOR_CONSENT)
        else:
            await reply(update, f"{ASK[purpose]}\n\n{CONSENT_PROMPTS[purpose]}", keyboards.consent(purpose))
        return
    await _use(update, context, upload)


async def with_retry(update: Update, context: Context, key: str, work: Callable[[], Awaitable[None]]) -> None:
    """Run `work`; if the engine is busy or down, say so once and retry it in the background."""
    try:
        await work()
    except (Busy, RateLimited) as exc:
        await reply(update, messages.BUSY)

        async def again() -> None:
            try:
                await work()
            except (Busy, RateLimited):
                raise
            except AvatarLabError as err:  # e.g. no face in the photo: the person's answer, not a retry
                await reply(update, err.message)

        async def give_up() -> None:
            await reply(update, messages.UPLOAD_GAVE_UP)

        get_state(context).retry.submit(key, again, give_up, first_delay_s=exc.retry_after_s)


async def _use(update: Update, context: Context, upload: Upload) -> None:
    if upload.kind == "image":
        await prepare_photo(update, context, upload)
    else:
        await enrol_sample(update, context, upload)


async def on_consent(update: Update, context: Context) -> None:
    query = update.callback_query
    _, args = cb.parse(query.data)
    await query.answer()
    if len(args) != 2 or args[0] not in CONSENT_TEXTS:
        return
    purpose, agreed = args[0], args[1] == "yes"
    waiting = context.user_data.setdefault(PENDING_KEY, {})
    if not agreed:
        waiting.pop(purpose, None)
        await show(query, messages.CANCELLED)
        return
    await get_state(context).client.grant_consent(who(update), purpose, CONSENT_TEXTS[purpose])
    pending = waiting.pop(purpose, [])
    if pending:
        await show(query, messages.CONSENT_THANKS)
        for n, upload in enumerate(pending):
            key = f"tg:consent:{query.id}:{n}"
            await with_retry(update, context, key, lambda upload=upload: _use(update, context, upload))
        return
    after = messages.FACE_SEND_PHOTO if purpose == FACE_ANIMATION else messages.VOICE_SEND_SAMPLES
    await show(query, f"{messages.CONSENT_THANKS}\n{after}")


def register(app: Application) -> None:
    files = (
        filters.PHOTO
        | filters.VOICE
        | filters.AUDIO
        | filters.VIDEO
        | filters.VIDEO_NOTE
        | filters.Document.ALL
        | filters.Sticker.ALL
        | filters.ANIMATION
    )
    # Only in a private chat: in a group, a photo or recording is usually not meant for the bot.
    app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE & files, on_file))
    app.add_handler(CallbackQueryHandler(on_consent, pattern=f"^{cb.CONSENT}:"))
