"""Answering an interaction: private (ephemeral) answers, deferring, and publishing a clip.

Discord turns the first follow-up after a deferred answer into the deferred "thinking…" message itself,
keeping the defer's visibility. So a private answer after a *public* defer deletes the placeholder first;
otherwise an error meant for one person would be shown to the whole channel.
"""

from __future__ import annotations

import io
import logging
import time
from typing import Any

import discord

log = logging.getLogger(__name__)

NO_PINGS = discord.AllowedMentions.none()
PLACEHOLDER = "avatarlab.placeholder"  # "public" | "private" while a deferred message waits for its content
RECEIVED_AT = "avatarlab.received_at"
BUSY_TEXT = "The engine is busy right now. I'll post this here as soon as it's ready."


def received_at(interaction: discord.Interaction) -> float:
    """When the bot first handled this interaction (monotonic), for its 15-minute token window."""
    return interaction.extras.setdefault(RECEIVED_AT, time.monotonic())


async def defer(interaction: discord.Interaction, *, private: bool) -> None:
    """Show "thinking…" within Discord's 3 seconds; the answer comes later."""
    received_at(interaction)
    if interaction.response.is_done():
        return
    await interaction.response.defer(ephemeral=private, thinking=True)
    interaction.extras[PLACEHOLDER] = "private" if private else "public"


async def tell(
    interaction: discord.Interaction,
    text: str,
    *,
    file: discord.File | None = None,
    view: discord.ui.View | None = None,
) -> None:
    """A private answer to the person who used the command, whatever state the interaction is in."""
    extra: dict[str, Any] = {}
    if file is not None:
        extra["file"] = file
    if view is not None:
        extra["view"] = view
    if not interaction.response.is_done():
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS, **extra)
        return
    placeholder = interaction.extras.pop(PLACEHOLDER, None)
    if placeholder == "private" and view is None:
        edit: dict[str, Any] = {"attachments": [file]} if file is not None else {}
        await interaction.edit_original_response(content=text, allowed_mentions=NO_PINGS, **edit)
        return
    if placeholder == "public":
        try:
            await interaction.delete_original_response()
        except discord.HTTPException as exc:  # already gone: the follow-up is a new message either way
            log.info("could not delete the placeholder of interaction %s: %s", interaction.id, exc)
    await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_PINGS, **extra)


async def publish(interaction: discord.Interaction, content: str, data: bytes, filename: str) -> None:
    """Replace the deferred placeholder with the clip and its text."""
    interaction.extras.pop(PLACEHOLDER, None)
    await interaction.edit_original_response(
        content=content,
        attachments=[discord.File(io.BytesIO(data), filename=filename)],
        allowed_mentions=NO_PINGS,
    )


async def update_placeholder(interaction: discord.Interaction, text: str) -> None:
    """Change the waiting text (e.g. "the engine is busy") without giving up the placeholder."""
    await interaction.edit_original_response(content=text, allowed_mentions=NO_PINGS)
