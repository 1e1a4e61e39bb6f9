"""Small helpers shared by the handlers."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bots.telegram.state import identity_of
from engine.service.schema import Identity

log = logging.getLogger(__name__)


def who(update: Update) -> Identity:
    user = update.effective_user
    if user is None:  # channel posts have no sender; no handler here is registered for them
        raise LookupError("update without a user")
    return identity_of(user.id)


async def reply(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Answer in the chat the update came from (a reply to the message when there is one)."""
    message = update.effective_message
    if message is not None:
        await message.reply_text(text, reply_markup=markup, do_quote=message.chat.type != "private")
    elif update.effective_chat is not None:
        await update.get_bot().send_message(update.effective_chat.id, text, reply_markup=markup)


async def show(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Replace the text (and buttons) of the message a button was tapped on; a message that can't be
    edited any more (too old, or a voice message) gets a new message instead."""
    message = query.message
    try:
        if message is not None and getattr(message, "text", None) is not None:
            await query.edit_message_text(text, reply_markup=markup)
            return
    except BadRequest as exc:
        if "not modified" in exc.message.lower():
            return
        log.info("could not edit message: %s", exc)
    if message is not None:
        await query.get_bot().send_message(message.chat.id, text, reply_markup=markup)


def is_private(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type == "private"


Context = ContextTypes.DEFAULT_TYPE
