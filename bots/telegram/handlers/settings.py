"""/settings: what the bot sends (video, round video, voice only), captions, and the language."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bots.common import messages
from bots.common.formatting import settings_summary
from bots.telegram import callbacks as cb
from bots.telegram import keyboards
from bots.telegram.handlers.common import Context, reply, show, who
from bots.telegram.state import get_state


async def on_settings(update: Update, context: Context) -> None:
    profile = await get_state(context).client.profile(who(update))
    await reply(update, settings_summary(profile), keyboards.settings(profile.output, profile.captions))


async def on_setting(update: Update, context: Context) -> None:
    query = update.callback_query
    _, args = cb.parse(query.data)
    if len(args) != 2:
        await query.answer()
        return
    name, value = args
    if name == "language":
        await query.answer()
        await show(query, messages.WELCOME.splitlines()[-1], keyboards.languages(onboarding=False))
        return
    allowed = {"output": messages.OUTPUTS, "captions": messages.CAPTIONS}.get(name)
    if allowed is None or value not in allowed:
        await query.answer()
        return
    profile = await get_state(context).client.update_profile(who(update), **{name: value})
    await query.answer(messages.SETTINGS_SAVED)
    await show(query, settings_summary(profile), keyboards.settings(profile.output, profile.captions))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("settings", on_settings))
    app.add_handler(CallbackQueryHandler(on_setting, pattern=f"^{cb.SETTING}:"))
