"""Server rules: which channels the bot answers in, who is a tutor, who manages the server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import TypeVar

import discord

from bots.common.busy_retry import until_deadline
from bots.discord import replies
from bots.discord.replies import BUSY_TEXT, received_at
from engine.errors import AvatarLabError, Busy, RateLimited
from engine.service.client import EngineClient
from engine.service.schema import Guild, Identity

T = TypeVar("T")

PLATFORM = "discord"
ANSWER_BUDGET_S = 2.2  # engine lookups before the first answer; Discord wants that answer within 3 s
CACHE_TTL_S = 30.0


class NotAllowedHere(AvatarLabError):
    code = "not_allowed_here"
    status = 403


class NotPermitted(AvatarLabError):
    code = "not_permitted"
    status = 403


async def quick(interaction: discord.Interaction, call: Awaitable[T]) -> T:
    """An engine call made before answering Discord: all of them together must leave time to answer
    within the 3 seconds, so each gets what is left of ANSWER_BUDGET_S since the interaction arrived."""
    left = received_at(interaction) + ANSWER_BUDGET_S - time.monotonic()
    try:
        async with asyncio.timeout(max(left, 0.05)):
            return await call
    except TimeoutError as exc:
        raise Busy("The engine is slow to answer right now; please try again in a moment.") from exc


def identity(user: discord.abc.User) -> Identity:
    return Identity(PLATFORM, str(user.id))


class GuildRules:
    """The engine's per-server settings, cached briefly so checks stay inside Discord's 3 seconds."""

    def __init__(self, engine: EngineClient, ttl_s: float = CACHE_TTL_S) -> None:
        self.engine = engine
        self.ttl_s = ttl_s
        self._cache: dict[str, tuple[float, Guild]] = {}

    async def get(
        self, interaction: discord.Interaction, guild_id: int | str, *, patient: bool = False
    ) -> Guild:
        """The server's settings: quickly (before the first answer), or, `patient`, after deferring."""
        key = str(guild_id)
        cached = self._cache.get(key)
        if cached is not None and time.monotonic() - cached[0] < self.ttl_s:
            return cached[1]
        call = self.engine.guild(PLATFORM, key)
        guild = await (call if patient else quick(interaction, call))
        self.remember(guild)
        return guild

    def remember(self, guild: Guild) -> None:
        self._cache[guild.guild_id] = (time.monotonic(), guild)

    async def check_channel(self, interaction: discord.Interaction, *, patient: bool = False) -> Guild | None:
        """The server's settings, or NotAllowedHere if the command was used outside its allowed channels.

        In DMs there are no server rules (None)."""
        if interaction.guild_id is None:
            return None
        guild = await self.get(interaction, interaction.guild_id, patient=patient)
        channel = interaction.channel
        channel_ids = {str(interaction.channel_id)}
        parent_id = getattr(channel, "parent_id", None)  # a thread follows its channel's rule
        if parent_id is not None:
            channel_ids.add(str(parent_id))
        if any(guild.channel_allowed(c) for c in channel_ids):
            return guild
        where = ", ".join(f"<#{c}>" for c in guild.allowed_channel_ids)
        raise NotAllowedHere(
            f"I only answer in {where} on this server. You can also use me in a direct message with me."
        )

    async def admit(
        self, interaction: discord.Interaction, deadline: float, *, private: bool
    ) -> Guild | None:
        """check_channel for commands that make a clip: if the engine is busy, defer (as the command's
        answer would be shown) and keep asking until it answers, instead of turning the person away."""
        try:
            return await self.check_channel(interaction)
        except (Busy, RateLimited):
            await replies.defer(interaction, private=private)

        async def busy(_: AvatarLabError) -> None:
            await replies.update_placeholder(interaction, BUSY_TEXT)

        return await until_deadline(
            lambda: self.check_channel(interaction, patient=True), deadline, on_busy=busy
        )


def is_manager(interaction: discord.Interaction) -> bool:
    return interaction.guild_id is not None and interaction.permissions.manage_guild


def is_tutor(interaction: discord.Interaction, guild: Guild) -> bool:
    """Server managers count as tutors; otherwise one of the server's tutor roles is needed."""
    if is_manager(interaction):
        return True
    roles = getattr(interaction.user, "roles", [])
    return any(str(role.id) in guild.tutor_role_ids for role in roles)
