"""/voice, /avatar and /settings: how the person sounds and looks, and how their messages are sent."""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bots.common.consent import CONSENT_PROMPTS, CONSENT_TEXTS, FACE_ANIMATION, VOICE_CLONING
from bots.discord import attachments, replies
from bots.discord.commands.common import choices, shorten
from bots.discord.consent import with_consent
from bots.discord.rules import identity, quick
from engine.errors import AvatarLabError, InvalidInput
from engine.service.schema import Profile

if TYPE_CHECKING:
    from bots.discord.bot import AvatarLabBot

log = logging.getLogger(__name__)

OUTPUT_NAMES = {
    "video": "video with your avatar",
    "video_note": "video with your avatar",
    "voice": "voice only",
}
CAPTION_NAMES = {"soft": "in the message and the file", "burn": "written into the video", "none": "off"}


def describe_voice(profile: Profile) -> str:
    v = profile.voice
    name = "your own recorded voice" if v.enrolled else (v.voice or "the standard voice")
    return (
        f"**Your voice:** {name}\n"
        f"Speed {v.rate:g}× · pitch {v.pitch:+g} semitones · volume {v.volume:g}×\n"
        "Change it with /voice, or record yourself and attach it to /voice sample: to use your own voice."
    )


def describe_avatar(profile: Profile) -> str:
    if profile.face.engine == "portrait" or profile.face.has_photo:
        return (
            "**Your avatar:** your photo. Choose a cartoon style with /avatar style: to go back to a cartoon."
        )
    return (
        f"**Your avatar:** the cartoon style “{profile.face.style}”. "
        "Pick another style with /avatar style:, or attach a photo of yourself with /avatar photo:."
    )


def describe_settings(profile: Profile) -> str:
    return (
        f"**Language:** {profile.language}\n"
        f"**Messages are sent as:** {OUTPUT_NAMES.get(profile.output, profile.output)}\n"
        f"**Captions:** {CAPTION_NAMES.get(profile.captions, profile.captions)}\n\n"
        f"{describe_voice(profile)}\n\n{describe_avatar(profile)}"
    )


def _present(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def register(bot: AvatarLabBot) -> None:
    async def voice_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        async def fetch() -> list[app_commands.Choice[str]]:
            language = (await bot.engine.profile(identity(interaction.user))).language
            voices = await bot.engine.voices(language)
            wanted = current.casefold()
            return [
                app_commands.Choice(name=shorten(f"{v.name} ({v.language}, {v.engine})"), value=v.id)
                for v in voices
                if wanted in v.name.casefold() or wanted in v.id.casefold()
            ]

        return await choices(fetch)

    async def style_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        async def fetch() -> list[app_commands.Choice[str]]:
            wanted = current.casefold()
            return [
                app_commands.Choice(name=s, value=s)
                for s in await bot.engine.styles()
                if wanted in s.casefold()
            ]

        return await choices(fetch)

    @bot.tree.command(name="voice", description="Choose how you sound, or make a copy of your own voice")
    @app_commands.describe(
        preset="A ready-made voice",
        rate="Speed: 0.5 (slow) to 2 (fast)",
        pitch="Pitch in semitones: -12 (lower) to 12 (higher)",
        volume="Loudness: 0.1 to 2",
        sample="A recording of you speaking (at least a few sentences) to copy your voice",
    )
    @app_commands.autocomplete(preset=voice_choices)
    async def voice(
        interaction: discord.Interaction,
        preset: str | None = None,
        rate: app_commands.Range[float, 0.5, 2.0] | None = None,
        pitch: app_commands.Range[float, -12.0, 12.0] | None = None,
        volume: app_commands.Range[float, 0.1, 2.0] | None = None,
        sample: discord.Attachment | None = None,
    ) -> None:
        await bot.rules.check_channel(interaction)
        who = identity(interaction.user)
        changes = _present(voice=preset, rate=rate, pitch=pitch, volume=volume)
        if sample is None:
            await replies.defer(interaction, private=True)
            profile = (
                await bot.engine.update_profile(who, **changes) if changes else await bot.engine.profile(who)
            )
            await replies.tell(interaction, ("Done. " if changes else "") + describe_voice(profile))
            return
        kind = attachments.check_recording(sample)
        if changes:
            await quick(interaction, bot.engine.update_profile(who, **changes))

        async def enrol(answering: discord.Interaction) -> None:
            data = await attachments.download(sample)
            await bot.delivery.run(answering, lambda: bot.engine.enrol_voice(who, data, kind))
            text = "Your voice is ready. /say now speaks in it."
            try:
                preview = await bot.delivery.run(answering, lambda: bot.engine.preview_voice(who))
                clip = await bot.delivery.fetch(answering, preview.voice) if preview.voice else None
            except AvatarLabError as exc:  # the voice is saved; only the sample could not be made
                log.info("voice preview failed: %s", exc.message)
                clip = None
            if clip is None:
                await replies.tell(answering, text)
                return
            file = discord.File(io.BytesIO(clip), filename="voice-preview.ogg")
            await replies.tell(answering, text + " Here is how it sounds:", file=file)

        await with_consent(
            bot,
            interaction,
            VOICE_CLONING,
            CONSENT_TEXTS[VOICE_CLONING],
            CONSENT_PROMPTS[VOICE_CLONING],
            enrol,
        )

    @bot.tree.command(name="avatar", description="Choose a cartoon avatar, or use a photo of your face")
    @app_commands.describe(style="A cartoon style", photo="A clear photo of your face, looking at the camera")
    @app_commands.autocomplete(style=style_choices)
    async def avatar(
        interaction: discord.Interaction, style: str | None = None, photo: discord.Attachment | None = None
    ) -> None:
        await bot.rules.check_channel(interaction)
        who = identity(interaction.user)
        if style is not None and photo is not None:
            raise InvalidInput("Please choose either a cartoon style or a photo, not both at once.")
        if photo is None:
            await replies.defer(interaction, private=True)
            profile = await bot.engine.profile(who)
            if style is not None:
                if profile.face.has_photo:
                    await bot.engine.clear_face_photo(who)
                profile = await bot.engine.update_profile(who, style=style)
            await replies.tell(interaction, ("Done. " if style else "") + describe_avatar(profile))
            return
        kind = attachments.check_photo(photo)

        async def prepare(answering: discord.Interaction) -> None:
            data = await attachments.download(photo)
            job = await bot.delivery.run(answering, lambda: bot.engine.set_face_photo(who, data, kind))
            text = "Your photo avatar is ready. /say now uses your face."
            if job.video is not None and job.video.size_bytes <= answering.filesize_limit:
                preview = await bot.delivery.fetch(answering, job.video)
                file = discord.File(io.BytesIO(preview), filename="avatar-preview.mp4")
                await replies.tell(answering, text, file=file)
            else:
                await replies.tell(answering, text)

        await with_consent(
            bot,
            interaction,
            FACE_ANIMATION,
            CONSENT_TEXTS[FACE_ANIMATION],
            CONSENT_PROMPTS[FACE_ANIMATION],
            prepare,
        )

    @bot.tree.command(name="settings", description="See or change your language and how messages are sent")
    @app_commands.describe(
        language="Language code, e.g. en, de, es, fr",
        format="Send a video with your avatar, or your voice only",
        captions="Show the words in the file (soft), written into the video (burn), or not at all",
    )
    @app_commands.choices(
        format=[
            app_commands.Choice(name="video with my avatar", value="video"),
            app_commands.Choice(name="voice only", value="voice"),
        ],
        captions=[
            app_commands.Choice(name="soft (in the message and file)", value="soft"),
            app_commands.Choice(name="burned into the video", value="burn"),
            app_commands.Choice(name="none", value="none"),
        ],
    )
    async def settings(
        interaction: discord.Interaction,
        language: app_commands.Range[str, 2, 16] | None = None,
        format: app_commands.Choice[str] | None = None,
        captions: app_commands.Choice[str] | None = None,
    ) -> None:
        await bot.rules.check_channel(interaction)
        await replies.defer(interaction, private=True)
        who = identity(interaction.user)
        changes = _present(
            language=language.strip() if language else None,
            output=format.value if format else None,
            captions=captions.value if captions else None,
        )
        profile = (
            await bot.engine.update_profile(who, **changes) if changes else await bot.engine.profile(who)
        )
        text = ("Saved.\n" if changes else "") + describe_settings(profile)
        if interaction.guild_id is not None:
            guild = await bot.rules.get(interaction, interaction.guild_id, patient=True)
            if guild.default_language != profile.language:
                text += (
                    f"\n\nThis server's language is **{guild.default_language}**. "
                    f"To speak it, use /settings language:{guild.default_language}"
                )
        await replies.tell(interaction, text)
