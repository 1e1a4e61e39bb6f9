"""/phrases and /save: the phrase book. One tap speaks a saved phrase (its clip is pre-rendered by the
engine, so it comes back at once); phrases can be moved and deleted from the keyboard."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bots.common import messages
from bots.common.formatting import short
from bots.telegram import callbacks as cb
from bots.telegram import keyboards
from bots.telegram.handlers.common import Context, reply, show, who
from bots.telegram.speaking import UPLOAD_LIMIT, SpeakTask, speak
from bots.telegram.state import get_state
from engine.errors import NotFound
from engine.service.schema import Job

MAX_LISTED = 30  # a longer keyboard is hard to scan; inline mode searches all of them


async def on_phrases(update: Update, context: Context) -> None:
    items = await get_state(context).client.phrases(who(update))
    if not items:
        await reply(update, messages.PHRASES_EMPTY)
        return
    await reply(update, messages.PHRASES_LIST, keyboards.phrases(items[:MAX_LISTED]))


async def on_save(update: Update, context: Context) -> None:
    text = " ".join(context.args or [])
    if not text.strip():
        await reply(update, messages.SAVE_USAGE)
        return
    phrase = await get_state(context).client.add_phrase(who(update), text.strip())
    await reply(update, messages.PHRASE_SAVED.format(text=short(phrase.text, 60)))


async def on_say(update: Update, context: Context) -> None:
    query = update.callback_query
    _, args = cb.parse(query.data)
    await query.answer()
    if len(args) != 1 or not args[0].isdigit() or query.message is None:
        return
    state = get_state(context)
    if not state.seen.first_time(f"tg:cb:{query.id}"):
        return
    identity = who(update)
    phrase_id = int(args[0])
    chat_id = query.message.chat.id

    async def prepare(task: SpeakTask) -> None:
        profile = await state.client.profile(identity)
        phrase = next((p for p in await state.client.phrases(identity) if p.id == phrase_id), None)
        if phrase is None:
            raise NotFound(messages.PHRASE_GONE)
        task.captions, task.output = [phrase.text], profile.output

    async def start_job(_index: int) -> Job:
        return await state.client.speak_phrase(
            identity, phrase_id, output=task.output, size_limit_bytes=UPLOAD_LIMIT, idempotency_key=task.key
        )

    def remember(_index: int, message: Message) -> None:
        # Inline mode can then offer this clip by file_id, without sending it again.
        if message.voice is not None:
            state.remember_phrase_voice(identity.user_id, phrase_id, task.captions[0], message.voice.file_id)

    task = SpeakTask(
        key=f"tg:cb:{query.id}", chat_id=chat_id, start_job=start_job, prepare=prepare, on_voice=remember
    )
    await speak(state, context.bot, task)


async def on_edit(update: Update, context: Context) -> None:
    query = update.callback_query
    _, args = cb.parse(query.data)
    await query.answer()
    await _show_list(update, context, editing=bool(args) and args[0] == "edit")


async def _show_list(update: Update, context: Context, editing: bool) -> None:
    query = update.callback_query
    items = (await get_state(context).client.phrases(who(update)))[:MAX_LISTED]
    if not items:
        await show(query, messages.PHRASES_EMPTY)
    elif editing:
        await show(query, messages.PHRASES_EDIT, keyboards.phrases_edit(items))
    else:
        await show(query, messages.PHRASES_LIST, keyboards.phrases(items))


async def on_move(update: Update, context: Context) -> None:
    query = update.callback_query
    _, args = cb.parse(query.data)
    if len(args) != 2 or not args[0].isdigit() or args[1] not in ("-1", "1"):
        await query.answer()
        return
    client = get_state(context).client
    identity = who(update)
    items = await client.phrases(identity)
    phrase = next((p for p in items if p.id == int(args[0])), None)
    if phrase is None:
        await query.answer(messages.PHRASE_GONE)
    else:
        target = phrase.position + int(args[1])
        if target >= 0 and any(p.position == target for p in items):
            await client.update_phrase(identity, phrase.id, position=target)
        await query.answer(messages.PHRASE_MOVED)
    await _show_list(update, context, editing=True)


async def on_delete(update: Update, context: Context) -> None:
    query = update.callback_query
    _, args = cb.parse(query.data)
    if len(args) != 1 or not args[0].isdigit():
        await query.answer()
        return
    try:
        await get_state(context).client.delete_phrase(who(update), int(args[0]))
        await query.answer(messages.PHRASE_DELETED)
    except NotFound:
        await query.answer(messages.PHRASE_GONE)
    await _show_list(update, context, editing=True)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("phrases", on_phrases))
    app.add_handler(CommandHandler("save", on_save))
    app.add_handler(CallbackQueryHandler(on_say, pattern=f"^{cb.PHRASE_SAY}:"))
    app.add_handler(CallbackQueryHandler(on_edit, pattern=f"^{cb.PHRASE_EDIT}:"))
    app.add_handler(CallbackQueryHandler(on_move, pattern=f"^{cb.PHRASE_MOVE}:"))
    app.add_handler(CallbackQueryHandler(on_delete, pattern=f"^{cb.PHRASE_DELETE}:"))
