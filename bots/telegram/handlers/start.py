"""/start (welcome, language, preset voice) and /help."""

from __future__ import annotations

from telegram import CallbackQuery, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bots.common import messages
from bots.common.languages import LANGUAGES, language_name
from bots.telegram import callbacks as cb
from bots.telegram import keyboards
from bots.telegram.handlers.common import Context, reply, show, who
from bots.telegram.state import get_state


async def on_start(update: Update, context: Context) -> None:
    await get_state(context).client.profile(who(update))  # creates the profile: the cartoon works at once
    await reply(update, messages.WELCOME, keyboards.languages(onboarding=True))


async def on_help(update: Update, context: Context) -> None:
    await reply(update, messages.HELP.format(bot=context.bot.username or "bot"))


async def on_language(update: Update, context: Context) -> None:
    query = update.callback_query
    _, args = cb.parse(query.data)
    await query.answer()
    if len(args) != 2 or args[1] not in LANGUAGES:
        return
    onboarding, code = args[0] == "1", args[1]
    client = get_state(context).client
    await client.update_profile(who(update), language=code)
    if not onboarding:
        await show(query, messages.LANGUAGE_SET.format(language=language_name(code)))
        return
    voices = await client.voices(code)
    if voices:
        await show(query, messages.PICK_VOICE, keyboards.voices(voices, code, onboarding=True))
    else:
        await show(query, f"{messages.NO_VOICES}\n\n{messages.READY}")


async def on_voice_set(update: Update, context: Context) -> None:
    query = update.callback_query
    _, args = cb.parse(query.data)
    await query.answer()
    if len(args) < 3:
        return
    onboarding, engine, voice = args[0] == "1", args[1], ":".join(args[2:])
    await get_state(context).client.update_profile(who(update), engine=engine, voice=voice)
    done = messages.VOICE_SET.format(voice=_button_label(query) or voice)
    await show(query, f"{done}\n\n{messages.READY}" if onboarding else done)


def _button_label(query: CallbackQuery) -> str | None:
    """The label of the tapped button (the voice's name, where the callback data only has its id)."""
    markup = query.message.reply_markup if query.message is not None else None
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            if button.callback_data == query.data:
                return button.text
    return None


def register(app: Application) -> None:
    app.add_handler(CommandHandler("start", on_start))
    app.add_handler(CommandHandler("help", on_help))
    app.add_handler(CallbackQueryHandler(on_language, pattern=f"^{cb.LANG}:"))
    app.add_handler(CallbackQueryHandler(on_voice_set, pattern=f"^{cb.VOICE_SET}:"))
