"""/forget (after a confirmation, every trace of the person is removed) and /export (a zip of their data)."""

from __future__ import annotations

from telegram import InputFile, Update
from telegram.constants import ChatAction
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bots.common import messages
from bots.telegram import callbacks as cb
from bots.telegram import keyboards
from bots.telegram.handlers.common import Context, reply, show, who
from bots.telegram.handlers.media import PENDING_KEY
from bots.telegram.state import get_state


async def on_forget(update: Update, context: Context) -> None:
    await reply(update, messages.FORGET_ASK, keyboards.forget())


async def on_forget_answer(update: Update, context: Context) -> None:
    query = update.callback_query
    _, args = cb.parse(query.data)
    await query.answer()
    if args != ["yes"]:
        await show(query, messages.FORGET_KEPT)
        return
    identity = who(update)
    state = get_state(context)
    await state.client.forget(identity)
    # What this process remembers about them goes too: cached clip ids and uploads waiting for consent.
    state.forget_user(identity.user_id)
    context.user_data.pop(PENDING_KEY, None)
    await show(query, messages.FORGOTTEN)


async def on_export(update: Update, context: Context) -> None:
    identity = who(update)
    await context.bot.send_chat_action(update.effective_chat.id, ChatAction.UPLOAD_DOCUMENT)
    data = await get_state(context).client.export(identity)
    await update.effective_message.reply_document(
        InputFile(data, filename=f"avatarlab-{identity.user_id}.zip", attach=True),
        caption=messages.EXPORT_CAPTION,
    )


def register(app: Application) -> None:
    app.add_handler(CommandHandler("forget", on_forget))
    app.add_handler(CommandHandler("export", on_export))
    app.add_handler(CallbackQueryHandler(on_forget_answer, pattern=f"^{cb.FORGET}:"))
