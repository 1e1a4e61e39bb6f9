"""/say: the person's message, spoken in their voice with their avatar, posted where they typed it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bots.discord import replies
from bots.discord.commands.common import FORMATS, MAX_TEXT, output_for_discord
from bots.discord.rules import identity
from engine.service.schema import Job

if TYPE_CHECKING:
    from bots.discord.bot import AvatarLabBot


def register(bot: AvatarLabBot) -> None:
    @bot.tree.command(name="say", description="Say a message in your voice, with your avatar")
    @app_commands.describe(text="What you want to say", format="A video with your avatar, or your voice only")
    @app_commands.choices(format=FORMATS)
    async def say(
        interaction: discord.Interaction,
        text: app_commands.Range[str, 1, MAX_TEXT],
        format: app_commands.Choice[str] | None = None,
    ) -> None:
        guild = await bot.rules.admit(interaction, bot.delivery.deadline(interaction), private=False)
        await replies.defer(interaction, private=False)
        await speak(
            bot, interaction, text, format.value if format else None, guild.guild_id if guild else None
        )


async def speak(
    bot: AvatarLabBot, interaction: discord.Interaction, text: str, output: str | None, guild_id: str | None
) -> None:
    """Render `text` for the person who used the command and post it with the text as the message."""
    who = identity(interaction.user)

    async def submit() -> Job:
        # Inside the retried call: a busy engine may also fail the profile lookup.
        profile = await bot.engine.profile(who)
        # Discord players don't show soft subtitles, but the message text carries the words; soft tracks
        # keep them in the file for players that do. Burned captions stay burned if the person chose them.
        return await bot.engine.render(
            who,
            text,
            output=output_for_discord(output or profile.output),
            captions="burn" if profile.captions == "burn" else "soft",
            size_limit_bytes=interaction.filesize_limit,
            idempotency_key=f"discord:{interaction.id}",
            guild_id=guild_id,
        )

    job = await bot.delivery.run(interaction, submit)
    await bot.delivery.publish_job(interaction, job, text, stem="message")
