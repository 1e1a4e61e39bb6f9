"""From an engine job to a Discord message: wait for it (through busy spells), fetch it, post it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import discord

from bots.common.busy_retry import until_deadline
from bots.discord import replies
from engine.errors import AvatarLabError, MediaTooLarge
from engine.service.client import EngineClient, error_from_json
from engine.service.schema import Job, MediaRef

log = logging.getLogger(__name__)

EXTENSIONS = {"video/mp4": ".mp4", "audio/ogg": ".ogg", "audio/mpeg": ".mp3", "application/zip": ".zip"}


class Delivery:
    """Runs engine jobs for interactions within the interaction token's life."""

    def __init__(self, engine: EngineClient, window_s: float) -> None:
        self.engine = engine
        self.window_s = window_s

    def deadline(self, interaction: discord.Interaction) -> float:
        return replies.received_at(interaction) + self.window_s

    async def run(
        self,
        interaction: discord.Interaction,
        submit: Callable[[], Awaitable[Job]],
        *,
        busy_text: str = replies.BUSY_TEXT,
    ) -> Job:
        """Submit (again, if the engine was busy: submissions carry an idempotency key) and wait for the
        finished job. A failed job raises its error; so does running out of the token's time."""

        async def attempt() -> Job:
            job = await submit()
            return job if job.finished else await self.engine.wait(job.id)

        async def tell_busy(_: AvatarLabError) -> None:
            if interaction.extras.get(replies.PLACEHOLDER):
                await replies.update_placeholder(interaction, busy_text)

        job = await until_deadline(attempt, self.deadline(interaction), on_busy=tell_busy)
        if job.state == "failed":
            error = job.error.to_json() if job.error else {"code": "error", "message": None}
            raise error_from_json(400, {"error": error})
        return job

    async def fetch(self, interaction: discord.Interaction, media: MediaRef) -> bytes:
        """The clip's bytes, refusing what Discord would refuse in this place."""
        limit = interaction.filesize_limit
        if media.size_bytes > limit:
            raise MediaTooLarge(
                f"The clip came out at {media.size_bytes / 1e6:.1f} MB, more than the {limit / 1e6:.1f} MB "
                "Discord allows here. Try a shorter message or the voice-only format."
            )
        return await until_deadline(lambda: self.engine.download(media), self.deadline(interaction))

    async def publish_job(
        self, interaction: discord.Interaction, job: Job, content: str, *, stem: str
    ) -> None:
        """Post the job's clip (video if it has one, else the voice) with `content` as the message text."""
        media = job.video or job.voice
        if media is None:
            raise AvatarLabError("The engine finished without a clip. Please try again.")
        data = await self.fetch(interaction, media)
        await replies.publish(interaction, content, data, stem + EXTENSIONS.get(media.mime, ""))
        if job.notices:
            await interaction.followup.send(
                "\n".join(job.notices), ephemeral=True, allowed_mentions=replies.NO_PINGS
            )
