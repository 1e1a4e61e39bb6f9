"""Button views: the consent step ("I agree" / "No") and yes/no confirmations."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

import discord

from bots.discord import replies

Action = Callable[[discord.Interaction], Awaitable[None]]
ErrorHandler = Callable[[discord.Interaction, Exception], Awaitable[None]]
QUESTION_TIMEOUT_S = 600.0
PREFIX = "avatarlab:question:"
# Questions of this process that have not timed out. A press on another question's button (it timed out, or
# the bot restarted) gets a clear answer instead of Discord's "interaction failed". Answered questions stay
# open until their timeout so the view itself answers double presses (no race with on_interaction).
OPEN_QUESTIONS: set[str] = set()


def is_stale_press(interaction: discord.Interaction) -> bool:
    data = interaction.data or {}
    custom_id = (
        str(data.get("custom_id", "")) if interaction.type is discord.InteractionType.component else ""
    )
    return custom_id.startswith(PREFIX) and custom_id.split(":")[2] not in OPEN_QUESTIONS


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
        self.answered = False
        self.key = secrets.token_hex(8)
        OPEN_QUESTIONS.add(self.key)
        yes_button = discord.ui.Button(label=yes, style=yes_style, custom_id=f"{PREFIX}{self.key}:yes")
        no_button = discord.ui.Button(
            label=no, style=discord.ButtonStyle.secondary, custom_id=f"{PREFIX}{self.key}:no"
        )
        yes_button.callback = self._yes
        no_button.callback = self._no
        self.add_item(yes_button)
        self.add_item(no_button)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        replies.received_at(interaction)
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message("This question is for someone else.", ephemeral=True)
            return False
        if self.answered:  # a double press, before Discord removed the buttons
            await interaction.response.send_message("You already answered this question.", ephemeral=True)
            return False
        self.answered = True
        return True

    async def on_timeout(self) -> None:
        OPEN_QUESTIONS.discard(self.key)

    async def _yes(self, interaction: discord.Interaction) -> None:
        await interaction.response.edit_message(content=self.yes_text, view=None)
        await self.on_yes(interaction)

    async def _no(self, interaction: discord.Interaction) -> None:
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
