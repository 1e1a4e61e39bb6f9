"""The consent step: ask once with the exact statement, record the answer with the engine, then act."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from bots.discord import failures, replies
from bots.discord.rules import identity, quick
from bots.discord.views import Action, consent_prompt, consent_question

if TYPE_CHECKING:
    from bots.discord.bot import AvatarLabBot


async def with_consent(
    bot: AvatarLabBot,
    interaction: discord.Interaction,
    purpose: str,
    record: str,
    prompt: str,
    action: Action,
    *,
    scope: str | None = None,
) -> None:
    """Run `action` now if the person already agreed to `purpose` (in `scope`), else after "I agree".

    `prompt` is what they read; `record` (the prompt with its version marker) is what the engine keeps."""
    who = identity(interaction.user)
    profile = await quick(interaction, bot.engine.profile(who))
    if profile.has_consent(purpose, scope):
        await replies.defer(interaction, private=True)
        await action(interaction)
        return

    async def agree(clicked: discord.Interaction) -> None:
        await bot.engine.grant_consent(who, purpose, record, scope=scope)
        await action(clicked)

    view = consent_question(interaction.user.id, prompt, agree, failures.report)
    await replies.tell(interaction, consent_prompt(prompt), view=view)
