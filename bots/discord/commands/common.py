"""Small helpers shared by the command modules."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from discord import app_commands

from engine.errors import NotFound
from engine.service.client import EngineClient
from engine.service.schema import Identity, Phrase

log = logging.getLogger(__name__)

AUTOCOMPLETE_TIMEOUT_S = 2.0
MAX_CHOICES = 25  # Discord's limit
CHOICE_NAME_MAX = 100
MAX_TEXT = 1000  # the engine's default max_text_chars; the engine has the last word
FORMATS = [
    app_commands.Choice(name="video with my avatar", value="video"),
    app_commands.Choice(name="voice only", value="voice"),
]


def shorten(text: str, limit: int = CHOICE_NAME_MAX) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def choices(
    fetch: Callable[[], Awaitable[list[app_commands.Choice[str]]]],
) -> list[app_commands.Choice[str]]:
    """Autocomplete answers must come fast and never fail: on any trouble, offer nothing."""
    try:
        async with asyncio.timeout(AUTOCOMPLETE_TIMEOUT_S):
            return (await fetch())[:MAX_CHOICES]
    except Exception as exc:  # an empty list is the only answer autocomplete can give
        log.info("autocomplete failed: %r", exc)
        return []


async def phrase_choices(
    engine: EngineClient, owner: Identity, current: str
) -> list[app_commands.Choice[str]]:
    found = await engine.phrases(owner, query=current.strip() or None)
    return [app_commands.Choice(name=shorten(p.text), value=str(p.id)) for p in found]


async def find_phrase(engine: EngineClient, owner: Identity, value: str, *, whose: str = "your") -> Phrase:
    """The phrase picked from autocomplete (its id) or typed (its text, or a unique part of it)."""
    book = await engine.phrases(owner)
    wanted = value.strip()
    for phrase in book:
        if str(phrase.id) == wanted or phrase.text.casefold() == wanted.casefold():
            return phrase
    partial = [p for p in book if wanted.casefold() in p.text.casefold()] if wanted else []
    if len(partial) == 1:
        return partial[0]
    if not book:
        raise NotFound(f"There are no saved phrases in {whose} phrase book yet.")
    raise NotFound(f"I couldn't find “{shorten(wanted, 80)}” in {whose} phrase book. Pick one from the list.")


def output_for_discord(output: str) -> str:
    """Round video notes are a Telegram thing; on Discord they are ordinary videos."""
    return "video" if output == "video_note" else output
