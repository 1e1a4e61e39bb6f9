"""Speak what people type: plain text in a private chat, or in a group when the bot is addressed; edited
messages on request; "Save phrase" under every spoken message."""

from __future__ import annotations

from telegram import Bot, Message, MessageEntity, Update
from telegram.constants import ChatType
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bots.common import messages
from bots.common.clips import split_message
from bots.common.formatting import short
from bots.telegram import callbacks as cb
from bots.telegram import keyboards
from bots.telegram.dedup import message_key
from bots.telegram.handlers.common import Context, reply, who
from bots.telegram.speaking import UPLOAD_LIMIT, SpeakTask, speak
from bots.telegram.state import get_state
from engine.errors import EmptyText
from engine.service.schema import Identity, Job


def addressed_text(message: Message, bot: Bot) -> str | None:
    """The text to speak, or None when a group message is not meant for the bot."""
    text = message.text or ""
    if message.chat.type == ChatType.PRIVATE:
        return text
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot.id:
        return text
    mention = f"@{bot.username}".lower() if bot.username else None
    for value in message.parse_entities([MessageEntity.MENTION]).values():
        if mention and value.lower() == mention:
            return text.replace(value, " ", 1)
    return None


def text_task(
    context: Context, identity: Identity, chat_id: int, text: str, key: str, reply_to: int
) -> SpeakTask:
    client = get_state(context).client

    async def prepare(task: SpeakTask) -> None:
        profile = await client.profile(identity)
        parts = split_message(text, profile.language)
        if not parts:
            raise EmptyText(messages.NOTHING_TO_SAY)
        task.captions, task.output = parts, profile.output

    async def start_job(index: int) -> Job:
        return await client.render(
            identity,
            task.captions[index],
            output=task.output,
            size_limit_bytes=UPLOAD_LIMIT,
            idempotency_key=f"{key}:{index}",
        )

    task = SpeakTask(
        key=key,
        chat_id=chat_id,
        start_job=start_job,
        prepare=prepare,
        reply_to=reply_to,
        markup=keyboards.spoken(save=True),
    )
    return task


async def on_text(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None or update.effective_user is None:
        return
    text = addressed_text(message, context.bot)
    if text is None:
        return
    state = get_state(context)
    key = message_key(message.chat.id, message.message_id)
    if not state.seen.first_time(key):
        return  # the same message again: its clips are already on their way
    if not text.strip():
        await reply(update, messages.NOTHING_TO_SAY)
        return
    task = text_task(context, who(update), message.chat.id, text, key, message.message_id)
    await speak(state, context.bot, task)


async def on_edited(update: Update, context: Context) -> None:
    message = update.edited_message
    if message is None or message.edit_date is None:
        return
    text = addressed_text(message, context.bot)
    if text is None or not text.strip():
        return
    edit_date = int(message.edit_date.timestamp())
    get_state(context).remember_edit(message.chat.id, message.message_id, edit_date, text)
    await message.reply_text(
        messages.EDITED, reply_markup=keyboards.speak_edited(message.message_id, edit_date)
    )


async def on_speak_edited(update: Update, context: Context) -> None:
    query = update.callback_query
    _, args = cb.parse(query.data)
    await query.answer()
    message = query.message
    if message is None or len(args) != 2 or not all(a.isdigit() for a in args):
        return
    message_id, edit_date = int(args[0]), int(args[1])
    state = get_state(context)
    text = state.edits.get((message.chat.id, message_id, edit_date))
    if text is None:
        await context.bot.send_message(message.chat.id, messages.SPEAK_EDITED_GONE)
        return
    key = message_key(message.chat.id, message_id, f"e{edit_date}")
    if not state.seen.first_time(key):
        return
    await speak(state, context.bot, text_task(context, who(update), message.chat.id, text, key, message_id))


async def on_save_spoken(update: Update, context: Context) -> None:
    query = update.callback_query
    message = query.message
    caption = getattr(message, "caption", None) if message is not None else None
    if not caption:
        await query.answer(messages.PHRASE_GONE)
        return
    client, identity = get_state(context).client, who(update)
    if any(p.text == caption for p in await client.phrases(identity, query=caption)):
        await query.answer(messages.PHRASE_EXISTS)
        return
    await client.add_phrase(identity, caption)
    await query.answer(messages.PHRASE_SAVED.format(text=short(caption, 60)))


def register(app: Application) -> None:
    app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, on_text))
    app.add_handler(
        MessageHandler(filters.UpdateType.EDITED_MESSAGE & filters.TEXT & ~filters.COMMAND, on_edited)
    )
    app.add_handler(CallbackQueryHandler(on_speak_edited, pattern=f"^{cb.SPEAK_EDITED}:"))
    app.add_handler(CallbackQueryHandler(on_save_spoken, pattern=f"^{cb.SAVE_SPOKEN}$"))
