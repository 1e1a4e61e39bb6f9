"""/phrase add|list|remove|say: the person's phrase book, with autocomplete of their saved phrases."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bots.discord import replies
from bots.discord.commands.common import (
    FORMATS,
    MAX_TEXT,
    choices,
    find_phrase,
    output_for_discord,
    phrase_choices,
    shorten,
)
from bots.discord.rules import identity
from engine.service.schema import Job, Phrase

if TYPE_CHECKING:
    from bots.discord.bot import AvatarLabBot

LIST_LIMIT = 1900  # Discord messages hold 2000 characters


def format_book(book: list[Phrase]) -> str:
    if not book:
        return "Your phrase book is empty. Add a phrase with /phrase add."
    lines = ["**Your phrases** (✓ = ready to play at once):"]
    for number, phrase in enumerate(book, start=1):
        category = f" _({phrase.category})_" if phrase.category else ""
        line = f"{number}. {'✓ ' if phrase.ready else ''}{shorten(phrase.text, 150)}{category}"
        if sum(len(x) + 1 for x in lines) + len(line) > LIST_LIMIT:
            lines.append(f"…and {len(book) - number + 1} more. Type in /phrase say to search them.")
            break
        lines.append(line)
    return "\n".join(lines)


def register(bot: AvatarLabBot) -> None:
    group = app_commands.Group(name="phrase", description="Your saved phrases, ready to say at once")

    async def autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await choices(lambda: phrase_choices(bot.engine, identity(interaction.user), current))

    @group.command(name="add", description="Save a phrase to say quickly later")
    @app_commands.describe(text="The phrase", category="A group for it, e.g. greetings (optional)")
    async def add(
        interaction: discord.Interaction,
        text: app_commands.Range[str, 1, MAX_TEXT],
        category: app_commands.Range[str, 1, 50] | None = None,
    ) -> None:
        await bot.rules.check_channel(interaction)
        await replies.defer(interaction, private=True)
        phrase = await bot.engine.add_phrase(identity(interaction.user), text, category)
        await replies.tell(interaction, f"Saved “{shorten(phrase.text, 300)}”. Say it with /phrase say.")

    @group.command(name="list", description="Show your saved phrases")
    async def list_(interaction: discord.Interaction) -> None:
        await bot.rules.check_channel(interaction)
        await replies.defer(interaction, private=True)
        await replies.tell(interaction, format_book(await bot.engine.phrases(identity(interaction.user))))

    @group.command(name="remove", description="Delete a saved phrase")
    @app_commands.describe(phrase="The phrase to delete")
    @app_commands.autocomplete(phrase=autocomplete)
    async def remove(interaction: discord.Interaction, phrase: str) -> None:
        await bot.rules.check_channel(interaction)
        await replies.defer(interaction, private=True)
        who = identity(interaction.user)
        found = await find_phrase(bot.engine, who, phrase)
        await bot.engine.delete_phrase(who, found.id)
        await replies.tell(interaction, f"Deleted “{shorten(found.text, 300)}” from your phrases.")

    @group.command(name="say", description="Say one of your saved phrases")
    @app_commands.describe(phrase="Start typing to find it", format="A video with your avatar, or voice only")
    @app_commands.autocomplete(phrase=autocomplete)
    @app_commands.choices(format=FORMATS)
    async def say(
        interaction: discord.Interaction, phrase: str, format: app_commands.Choice[str] | None = None
    ) -> None:
        guild = await bot.rules.admit(interaction, bot.delivery.deadline(interaction), private=False)
        await replies.defer(interaction, private=False)
        who = identity(interaction.user)
        found: list[Phrase] = []

        async def submit() -> Job:
            found[:] = [await find_phrase(bot.engine, who, phrase)]
            output = format.value if format else (await bot.engine.profile(who)).output
            return await bot.engine.speak_phrase(
                who,
                found[0].id,
                output=output_for_discord(output),
                size_limit_bytes=interaction.filesize_limit,
                idempotency_key=f"discord:{interaction.id}",
                guild_id=guild.guild_id if guild else None,
            )

        job = await bot.delivery.run(interaction, submit)
        await bot.delivery.publish_job(interaction, job, found[0].text, stem="phrase")

    bot.tree.add_command(group)
