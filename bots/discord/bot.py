"""The Discord client: a gateway connection, the slash-command tree, and the engine client behind it."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bots.discord import failures, views
from bots.discord.commands import account, classroom, phrases, profile, speak
from bots.discord.delivery import Delivery
from bots.discord.rules import GuildRules
from bots.discord.settings import DiscordSettings
from engine.service.client import EngineClient

log = logging.getLogger(__name__)


class AvatarLabBot(discord.AutoShardedClient):
    """Sharded even when small: the shard count and gateway URL then come from GET /gateway/bot, as Discord
    recommends, instead of a hard-coded gateway address."""

    def __init__(self, settings: DiscordSettings, engine: EngineClient | None = None) -> None:
        # discord.py builds every REST URL from this class attribute (webhook follow-ups included).
        discord.http.Route.BASE = settings.api_url
        super().__init__(intents=discord.Intents(guilds=True), application_id=settings.application_id)
        self.settings = settings
        self.engine = engine or EngineClient(settings.engine_url, settings.engine_token)
        self.rules = GuildRules(self.engine)
        self.delivery = Delivery(self.engine, settings.interaction_window_s)
        self.tree = app_commands.CommandTree(self)
        self.tree.on_error = self._on_command_error  # type: ignore[method-assign]
        for module in (speak, phrases, profile, account, classroom):
            module.register(self)

    async def setup_hook(self) -> None:
        if not await self.engine.health():
            # Not fatal: commands wait for it (or say it is busy), and it may simply start later.
            log.warning("the engine service at %s is not answering yet", self.settings.engine_url)
        if not self.settings.sync_commands:
            return
        if self.settings.sync_guild_id is not None:
            guild = discord.Object(id=self.settings.sync_guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to guild %s", len(synced), guild.id)
        else:
            synced = await self.tree.sync()
            log.info("synced %d global commands", len(synced))

    async def on_ready(self) -> None:
        log.info("connected to Discord as %s, in %d servers", self.user, len(self.guilds))

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if views.is_stale_press(interaction):
            await interaction.response.send_message(
                "This question has expired. Please use the command again.", ephemeral=True
            )

    async def _on_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await failures.report(interaction, error)

    async def close(self) -> None:
        try:
            await super().close()
        finally:
            await self.engine.close()


async def run(settings: DiscordSettings) -> None:
    """Run the bot until it is stopped."""
    async with AvatarLabBot(settings) as bot:
        await bot.start(settings.token)
