"""The Discord bot wired end to end for tests: the real bot, the stand-in Discord and the real engine service.

rig = await make_rig(start_service)             # in a test: everything started, the bot READY
interaction = await rig.send("say", user="student", text="Hello")
clip = await rig.published(interaction)          # the edit that replaced "thinking…"
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import av
import pytest
from discord import http as discord_http

from bots.discord.bot import AvatarLabBot
from bots.discord.settings import INTERACTION_WINDOW_S, DiscordSettings
from engine.service.client import EngineClient
from engine.service.runner import RunningService
from engine.service.schema import Identity
from tests.bots.discord.interactions import click, slash
from tests.bots.discord.standin import EPHEMERAL, LOADING, Interaction, Request, StandInDiscord
from tests.engine.service.harness import TOKENS, StartService

WAIT_S = 60.0
DEFERRED, MESSAGE, UPDATE, AUTOCOMPLETE = 5, 4, 7, 8


@dataclass
class Rig:
    discord: StandInDiscord
    bot: AvatarLabBot
    engine: EngineClient  # the test's own view of the engine (same front-end token as the bot)
    service: RunningService | None

    def who(self, user: str) -> Identity:
        return Identity("discord", self.discord.users[user]["id"])

    async def use_espeak(self, *users: str) -> None:
        """espeak is the fastest engine: tests that render use it."""
        for user in users:
            await self.engine.update_profile(self.who(user), engine="espeak")

    async def send(self, path: str, **kwargs: Any) -> Interaction:
        return await self.discord.send_interaction(slash(self.discord, path, **kwargs))

    async def click(self, message: dict[str, Any], label: str, **kwargs: Any) -> Interaction:
        return await self.discord.send_interaction(click(self.discord, message, label, **kwargs))

    async def callback(self, interaction: Interaction) -> Request:
        return await self.discord.wait_until(lambda: interaction.callback, WAIT_S)

    async def until(self, predicate: Callable[[], Any], timeout: float = WAIT_S) -> Any:
        return await self.discord.wait_until(predicate, timeout)

    async def published(self, interaction: Interaction) -> Request:
        """The successful edit of the deferred message that carries a clip."""
        return await self.until(
            lambda: (
                next((r for r in interaction.requests if r.route == "edit_original" and r.files), None)
                or _failed(interaction)
            )
        )

    async def private_answer(self, interaction: Interaction) -> dict[str, Any]:
        """The latest private (ephemeral) message the person sees, once there is one with text."""

        # A button press first updates the message it is on; what the bot answers after that is a follow-up.
        component = interaction.payload["type"] == 3

        def answer() -> dict[str, Any] | None:
            candidates = interaction.followups if component else interaction.messages
            shown = [m for m in candidates if m["content"] and m["flags"] & EPHEMERAL]
            return shown[-1] if shown and not shown[-1]["flags"] & LOADING else None

        return await self.until(answer)

    @staticmethod
    def public_messages(interaction: Interaction) -> list[dict[str, Any]]:
        return [m for m in interaction.messages if not m["flags"] & EPHEMERAL]


def _failed(interaction: Interaction) -> None:
    for message in interaction.messages:
        if message["flags"] & EPHEMERAL and message["content"] and not message["attachments"]:
            raise AssertionError(f"the bot answered with an error: {message['content']!r}")
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def start_rig(
    start_service: StartService | None,
    *,
    attachment_size_limit: int | None = None,
    engine_url: str | None = None,
    window_s: float = INTERACTION_WINDOW_S,
) -> AsyncIterator[Rig]:
    """Start everything (the service too unless engine_url is given); yields the rig, then stops it all."""
    discord = StandInDiscord()
    if attachment_size_limit is not None:
        discord.attachment_size_limit = attachment_size_limit
    await discord.start()
    service = await start_service() if engine_url is None and start_service is not None else None
    url = engine_url or (service.url if service else "")
    settings = DiscordSettings(
        token=discord.token,
        application_id=int(discord.application_id),
        engine_url=url,
        engine_token=TOKENS["discord"],
        sync_commands=True,
        api_url=discord.api_base,
        interaction_window_s=window_s,
    )
    route_base = discord_http.Route.BASE  # the bot points this class attribute at the stand-in
    bot = AvatarLabBot(settings)
    running = asyncio.create_task(bot.start(settings.token))
    engine = EngineClient(url, TOKENS["discord"], max_retries=0)
    try:
        async with asyncio.timeout(30):
            # The guild is cached as soon as GUILD_CREATE arrives; is_ready() would add discord.py's
            # 2-second wait for further guilds, which a one-guild stand-in never sends.
            while bot.get_guild(int(discord.guild["id"])) is None:
                if running.done():
                    running.result()
                await asyncio.sleep(0.05)
        yield Rig(discord, bot, engine, service)
    finally:
        await bot.close()
        await asyncio.gather(running, return_exceptions=True)
        await engine.close()
        await discord.close()
        discord_http.Route.BASE = route_base


def decode(data: bytes) -> dict[str, Any]:
    """What PyAV finds in a clip: codecs, picture size, duration and decoded frame/sample counts."""
    with av.open(io.BytesIO(data)) as container:
        info: dict[str, Any] = {
            "codecs": sorted(s.codec_context.name for s in container.streams if s.type in ("audio", "video")),
            "duration_s": (container.duration or 0) / av.time_base,
            "subtitles": [s.codec_context.name for s in container.streams if s.type == "subtitle"],
        }
        info["video_frames"] = sum(1 for _ in container.decode(video=0)) if container.streams.video else 0
    with av.open(io.BytesIO(data)) as container:
        info["audio_samples"] = sum(f.samples for f in container.decode(audio=0))
    return info


@pytest.fixture
async def rig(start_service: StartService) -> AsyncIterator[Rig]:
    async with start_rig(start_service) as started:
        yield started
