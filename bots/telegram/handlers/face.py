"""/face: cartoon styles, or the person's own photo (after consent) with a short preview clip."""

from __future__ import annotations

from telegram import InputFile, Update
from telegram.constants import ChatAction
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bots.common import messages
from bots.common.consent import CONSENT_PROMPTS, FACE_ANIMATION
from bots.common.formatting import face_name
from bots.telegram import callbacks as cb
from bots.telegram import keyboards
from bots.telegram.actions import ChatActionKeeper
from bots.telegram.delivery import job_error
from bots.telegram.handlers.common import Context, reply, show, who
from bots.telegram.state import get_state
from bots.telegram.uploads import Upload, download


async def on_face_command(update: Update, context: Context) -> None:
    client = get_state(context).client
    profile = await client.profile(who(update))
    menu = keyboards.face_menu(await client.styles(), profile.face.has_photo)
    await reply(update, messages.FACE_MENU.format(face=face_name(profile)), menu)


async def on_face_menu(update: Update, context: Context) -> None:
    query = update.callback_query
    _, args = cb.parse(query.data)
    await query.answer()
    client = get_state(context).client
    identity = who(update)
    choice = args[0] if args else ""
    if choice == "own":
        profile = await client.profile(identity)
        if profile.has_consent(FACE_ANIMATION):
            await show(query, messages.FACE_SEND_PHOTO)
        else:
            text = messages.FACE_OWN_ASK.format(consent=CONSENT_PROMPTS[FACE_ANIMATION])
            await show(query, text, keyboards.consent(FACE_ANIMATION))
    elif choice == "clear":
        await client.clear_face_photo(identity)
        await show(query, messages.FACE_CLEARED)


async def on_style(update: Update, context: Context) -> None:
    query = update.callback_query
    _, args = cb.parse(query.data)
    await query.answer()
    if len(args) != 1:
        return
    client = get_state(context).client
    # The engine checks the name and answers an unknown one with a kind message.
    await client.update_profile(who(update), style=args[0])
    done = messages.FACE_STYLE_SET.format(style=args[0].replace("_", " ").replace("-", " "))
    tones = None if "-" in args[0] else keyboards.style_tones(args[0], await client.styles())
    await show(query, f"{done}\n{messages.PICK_TONE}" if tones else done, tones)


async def prepare_photo(update: Update, context: Context, upload: Upload) -> None:
    """A photo of the person: prepare their face and send the preview (consent was checked by the caller)."""
    state = get_state(context)
    chat_id = update.effective_chat.id
    data = await download(context.bot, upload)
    job = await state.client.set_face_photo(who(update), data, upload.mime)
    await reply(update, messages.FACE_WORKING)  # only once the engine has taken it (not again on a retry)
    async with ChatActionKeeper(context.bot, chat_id, ChatAction.UPLOAD_VIDEO):
        job = await state.client.wait(job.id)
        if job.state == "failed":
            raise job_error(job.error)
        if job.video is None:
            await reply(update, messages.FACE_READY)
            return
        clip = await state.client.download(job.video)
        await context.bot.send_video(
            chat_id,
            video=InputFile(clip, filename="preview.mp4", attach=True),
            duration=round(job.video.duration_s) if job.video.duration_s else None,
            width=job.video.width,
            height=job.video.height,
            caption="\n".join([messages.FACE_READY, *job.notices]),
            supports_streaming=True,
        )


def register(app: Application) -> None:
    app.add_handler(CommandHandler("face", on_face_command))
    app.add_handler(CallbackQueryHandler(on_face_menu, pattern=f"^{cb.FACE}:"))
    app.add_handler(CallbackQueryHandler(on_style, pattern=f"^{cb.STYLE}:"))
