"""Button views: the consent step ("I agree" / "No") and yes/no confirmations."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import discord

from bots.discord import replies

Action = Callable[[discord.Interaction], Awaitable[None]]
ErrorHandler = Callable[[discord.Interaction, Exception], Awaitable[None]]
QUESTION_TIMEOUT_S = 600.0


class Question(discord.ui.View):
    """Two buttons for the person who asked; the first runs `on_yes`, the second only answers."""

    def __init__(
        self,
        owner_id: int,
        *,
        yes: str,
        no: str,
        yes_text: str,
        no_text: str,
        on_yes: Action,
        on_error: ErrorHandler,
        yes_style: discord.ButtonStyle = discord.ButtonStyle.success,
    ) -> None:
        super().__init__(timeout=QUESTION_TIMEOUT_S)
        self.owner_id = owner_id
        self.yes_text, self.no_text = yes_text, no_text
        self.on_yes, self.handle_error = on_yes, on_error
        yes_button = discord.ui.Button(label=yes, style=yes_style)
        no_button = discord.ui.Button(label=no, style=discord.ButtonStyle.secondary)
        yes_button.callback = self._yes
        no_button.callback = self._no
        self.add_item(yes_button)
        self.add_item(no_button)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        replies.received_at(interaction)
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message("This question is for someone else.", ephemeral=True)
        return False

    async def _yes(self, interaction: discord.Interaction) -> None:
        self.stop()
        await interaction.response.edit_message(content=self.yes_text, view=None)
        await self.on_yes(interaction)

    async def _no(self, interaction: discord.Interaction) -> None:
        self.stop()
        await interaction.response.edit_message(content=self.no_text, view=None)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item
    ) -> None:
        await self.handle_error(interaction, error)


def consent_question(owner_id: int, statement: str, on_agree: Action, on_error: ErrorHandler) -> Question:
    return Question(
        owner_id,
        yes="I agree",
        no="No",
        yes_text=f"Thank you. You agreed to this:\n> {statement}",
        no_text="No problem: nothing was saved, and nothing will be used.",
        on_yes=on_agree,
        on_error=on_error,
    )


def consent_prompt(statement: str) -> str:
    return f"**Before I use this, please read and confirm:**\n> {statement}"
