"""/forget and /export: the person's data, deleted or handed over."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import discord

from bots.discord import failures, replies
from bots.discord.rules import identity
from bots.discord.views import Question

if TYPE_CHECKING:
    from bots.discord.bot import AvatarLabBot

FORGET_QUESTION = (
    "**Delete everything I hold about you?**\n"
    "Your voice recordings and copied voice, your photo, your saved phrases, your settings and your "
    "consents will be deleted for good. Clips already posted in chats stay where they are."
)


def register(bot: AvatarLabBot) -> None:
    @bot.tree.command(name="forget", description="Delete everything Avatar Lab holds about you")
    async def forget(interaction: discord.Interaction) -> None:
        who = identity(interaction.user)

        async def confirmed(clicked: discord.Interaction) -> None:
            await bot.engine.forget(who)
            await replies.tell(clicked, "Done: everything I held about you is deleted.")

        view = Question(
            interaction.user.id,
            yes="Delete everything",
            no="Keep my data",
            yes_text="Deleting…",
            no_text="Nothing was deleted.",
            on_yes=confirmed,
            on_error=failures.report,
            yes_style=discord.ButtonStyle.danger,
        )
        await replies.tell(interaction, FORGET_QUESTION, view=view)

    @bot.tree.command(name="export", description="Get a copy of everything Avatar Lab holds about you")
    async def export(interaction: discord.Interaction) -> None:
        await replies.defer(interaction, private=True)
        data = await bot.engine.export(identity(interaction.user))
        if len(data) > interaction.filesize_limit:
            await replies.tell(
                interaction,
                f"Your data is {len(data) / 1e6:.1f} MB, more than Discord lets me send here "
                f"({interaction.filesize_limit / 1e6:.1f} MB). Please ask the person who runs this bot "
                "for a copy.",
            )
            return
        file = discord.File(io.BytesIO(data), filename="avatarlab-export.zip")
        await replies.tell(interaction, "Here is everything I hold about you.", file=file)
