"""The last line: any failure while handling an update becomes a short, kind answer, never silence."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application

from bots.common import messages
from bots.telegram.handlers.common import Context
from engine.errors import AvatarLabError, Busy, RateLimited

log = logging.getLogger(__name__)


async def on_error(update: object, context: Context) -> None:
    error = context.error
    if not isinstance(update, Update):
        log.error("error outside an update: %s", error, exc_info=error)
        return
    if isinstance(error, Busy | RateLimited):
        text = messages.BUSY_TRY_AGAIN  # only speaking is retried in the background; this was something else
    elif isinstance(error, AvatarLabError):
        text = error.message
    else:
        log.error("update %s failed", update.update_id, exc_info=error)
        text = messages.UNEXPECTED
    if update.inline_query is not None:
        return  # nowhere to write to; the person simply sees no results
    if update.callback_query is not None:
        # It may already be answered by the handler before it failed.
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer()
    try:
        chat = update.effective_chat
        if chat is not None:
            await context.bot.send_message(chat.id, text)
    except TelegramError as exc:
        log.warning("could not tell chat about the error: %s", exc)


def register(app: Application) -> None:
    app.add_error_handler(on_error)
