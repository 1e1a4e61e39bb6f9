"""Every failure becomes a short, kind, private answer; only our own bugs are logged with a traceback."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bots.discord import replies
from engine.errors import AvatarLabError, Busy, RateLimited

log = logging.getLogger(__name__)

OUR_FAULT = "Something went wrong on my side, sorry. Please try again in a moment."
# Before the first answer there is no message to come back to, so nothing is retried: say so.
BUSY_NOW = (
    "The engine is busy or not reachable right now, so I couldn't do that. Please try again in a moment."
)


def explain(error: BaseException) -> str:
    """The message a person sees for `error`."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, AvatarLabError):
        return error.message
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command works only in a server, not in direct messages."
    if isinstance(error, app_commands.MissingPermissions):
        return "Only people who can manage this server can use this command."
    if isinstance(error, app_commands.TransformerError):
        return f"I couldn't understand “{error.value}”. Please pick it from the list."
    if isinstance(error, app_commands.CommandNotFound):
        return "I don't know that command any more; Discord may still be updating the command list."
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use this command here."
    log.error("unexpected failure", exc_info=error)
    return OUR_FAULT


async def report(interaction: discord.Interaction, error: BaseException) -> None:
    """Tell the person privately what went wrong (autocomplete has nowhere to say it: it is only logged)."""
    if interaction.type is discord.InteractionType.autocomplete:
        return
    cause = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    unanswered = not interaction.response.is_done()
    message = BUSY_NOW if unanswered and isinstance(cause, Busy | RateLimited) else explain(error)
    try:
        await replies.tell(interaction, message)
    except discord.HTTPException as exc:  # the token expired or Discord refused: nothing more we can do
        log.warning("could not report %r to interaction %s: %s", message, interaction.id, exc)
