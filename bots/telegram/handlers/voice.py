"""/voice: preset voices, speed/pitch/volume, a sample, and enrolling one's own voice after consent."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatAction
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bots.common import messages
from bots.common.adjust import KNOBS, adjusted
from bots.common.consent import CONSENT_PROMPTS, VOICE_CLONING
from bots.common.formatting import voice_adjusted, voice_summary
from bots.telegram import callbacks as cb
from bots.telegram import keyboards
from bots.telegram.actions import ChatActionKeeper
from bots.telegram.delivery import job_error
from bots.telegram.handlers.common import Context, reply, show, who
from bots.telegram.speaking import SpeakTask, speak
from bots.telegram.state import get_state
from bots.telegram.uploads import Upload, download
from engine.errors import CorruptMedia
from engine.service.schema import Job


async def on_voice_command(update: Update, context: Context) -> None:
    profile = await get_state(context).client.profile(who(update))
    await reply(update, voice_summary(profile), keyboards.voice_menu())


async def on_voice_menu(update: Update, context: Context) -> None:
    query = update.callback_query
    _, args = cb.parse(query.data)
    await query.answer()
    client = get_state(context).client
    identity = who(update)
    choice = args[0] if args else ""
    if choice == "presets":
        profile = await client.profile(identity)
        await show(
            query,
            messages.VOICE_PICK,
            keyboards.voices(await client.voices(profile.language), profile.language, False),
        )
    elif choice == "own":
        profile = await client.profile(identity)
        if profile.has_consent(VOICE_CLONING):
            await show(query, messages.VOICE_SEND_SAMPLES)
        else:
            text = messages.VOICE_OWN_ASK.format(consent=CONSENT_PROMPTS[VOICE_CLONING])
            await show(query, text, keyboards.consent(VOICE_CLONING))
    elif choice == "sample" and query.message is not None:
        await _speak_sample(update, context, query.message.chat.id)


async def _speak_sample(update: Update, context: Context, chat_id: int) -> None:
    state = get_state(context)
    identity = who(update)

    async def start_job(_index: int) -> Job:
        return await state.client.preview_voice(identity, messages.SAMPLE_TEXT)

    key = f"tg:sample:{update.callback_query.id}"
    task = SpeakTask(
        key=key, chat_id=chat_id, start_job=start_job, captions=[messages.SAMPLE_TEXT], output="voice"
    )
    await speak(state, context.bot, task)


async def on_knob(update: Update, context: Context) -> None:
    query = update.callback_query
    _, args = cb.parse(query.data)
    if len(args) != 2 or args[0] not in KNOBS:
        await query.answer()
        return
    client = get_state(context).client
    identity = who(update)
    knob = KNOBS[args[0]]
    profile = await client.profile(identity)
    value = adjusted(profile.voice, args[0], 1 if args[1] == "+" else -1)
    if value is None:
        end = "highest" if args[1] == "+" else "lowest"
        await query.answer(messages.VOICE_LIMIT.format(end=end, what=knob.label))
        return
    profile = await client.update_profile(identity, **{knob.field: value})
    await query.answer(voice_adjusted(profile))
    await show(query, voice_summary(profile), keyboards.voice_menu())


async def enrol_sample(update: Update, context: Context, upload: Upload) -> None:
    """A recording of the person's voice: add it to their voice (consent was checked by the caller)."""
    state = get_state(context)
    chat_id = update.effective_chat.id
    async with ChatActionKeeper(context.bot, chat_id, ChatAction.TYPING):
        data = await download(context.bot, upload)
        try:
            job = await state.client.enrol_voice(who(update), data, upload.mime)
            job = await state.client.wait(job.id)
        except CorruptMedia as exc:
            raise CorruptMedia(messages.UNREADABLE_AUDIO) from exc
    if job.state == "failed":
        error = job_error(job.error)
        await reply(update, messages.UNREADABLE_AUDIO if isinstance(error, CorruptMedia) else error.message)
        return
    await reply(update, "\n".join([messages.VOICE_SAMPLE_ADDED, *job.notices]))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("voice", on_voice_command))
    app.add_handler(CallbackQueryHandler(on_voice_menu, pattern=f"^{cb.VOICE_MENU}:"))
    app.add_handler(CallbackQueryHandler(on_knob, pattern=f"^{cb.VOICE_KNOB}:"))
