"""Class servers: /class-setup for managers; /class say|phrase for tutors; /class allow|revoke for students.

A tutor speaks for a student only where the student agreed, for that server (an `act_for_me` consent
scoped to the guild). The bot checks first so the tutor gets a clear private answer at once; the engine
checks again, because it is the one that owns consent. What a tutor sends always names both people.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bots.common.tutor_consent import ACT_FOR_ME, act_for_me_prompt, act_for_me_text
from bots.discord import replies
from bots.discord.commands.common import MAX_TEXT, choices, find_phrase, output_for_discord, phrase_choices
from bots.discord.consent import with_consent
from bots.discord.rules import NotPermitted, identity, is_manager, is_tutor, quick
from engine.errors import ConsentRequired, InvalidInput
from engine.service.schema import Guild, Job, Phrase, Profile

if TYPE_CHECKING:
    from bots.discord.bot import AvatarLabBot

Submit = Callable[[], Awaitable[Job]]


def attribution(tutor: discord.abc.User, student: discord.abc.User, text: str) -> str:
    return f"**Said by {tutor.mention} for {student.mention}:** {text}"


def describe_guild(guild: Guild) -> str:
    tutors = ", ".join(f"<@&{r}>" for r in guild.tutor_role_ids) or "none yet (server managers only)"
    channels = ", ".join(f"<#{c}>" for c in guild.allowed_channel_ids) or "every channel"
    return (
        f"**Tutor roles:** {tutors}\n**Channels I answer in:** {channels}\n"
        f"**Language:** {guild.default_language}"
    )


def no_consent(student: discord.abc.User) -> ConsentRequired:
    return ConsentRequired(
        f"{student.mention} hasn't allowed tutors to speak for them on this server. "
        "They can allow it with /class allow tutor-help."
    )


def require_server(interaction: discord.Interaction) -> str:
    """Discord hides these commands in DMs, but an old client or a cached command list can still send one."""
    if interaction.guild_id is None:
        raise InvalidInput("This command works only in a server, not in direct messages.")
    return str(interaction.guild_id)


def register(bot: AvatarLabBot) -> None:
    group = app_commands.Group(
        name="class", description="Tutors and students in a class server", guild_only=True
    )
    allow = app_commands.Group(name="allow", description="Allow tutors to help you", parent=group)
    revoke = app_commands.Group(name="revoke", description="Stop tutors helping you", parent=group)

    async def tutor_guild(interaction: discord.Interaction, student: discord.Member) -> tuple[Guild, Profile]:
        """The server's settings and the student's profile, once the caller is a tutor and the student
        agreed to tutor help here."""
        require_server(interaction)
        guild = await bot.rules.check_channel(interaction)
        if guild is None:  # only in DMs, which require_server has ruled out
            raise InvalidInput("This command works only in a server, not in direct messages.")
        if not is_tutor(interaction, guild):
            raise NotPermitted("Only tutors can speak for a student. A server manager sets the tutor roles.")
        if student.bot or student.id == interaction.user.id:
            raise InvalidInput("Please choose a student other than yourself or a bot.")
        profile = await quick(interaction, bot.engine.profile(identity(student)))
        if not profile.has_consent(ACT_FOR_ME, guild.guild_id):
            raise no_consent(student)
        return guild, profile

    async def run_for(interaction: discord.Interaction, student: discord.Member, submit: Submit) -> Job:
        try:
            return await bot.delivery.run(interaction, submit)
        except ConsentRequired as exc:  # withdrawn between our check and the engine's
            raise no_consent(student) from exc

    @group.command(
        name="say", description="Say a message for a student, in their voice and with their avatar"
    )
    @app_commands.describe(student="The student you speak for", text="What they want to say")
    async def say(
        interaction: discord.Interaction, student: discord.Member, text: app_commands.Range[str, 1, MAX_TEXT]
    ) -> None:
        guild, profile = await tutor_guild(interaction, student)
        await replies.defer(interaction, private=False)
        tutor = identity(interaction.user)

        async def submit() -> Job:
            return await bot.engine.render(
                tutor,
                text,
                output=output_for_discord(profile.output),
                captions="burn" if profile.captions == "burn" else "soft",
                size_limit_bytes=interaction.filesize_limit,
                idempotency_key=f"discord:{interaction.id}",
                on_behalf_of=identity(student),
                guild_id=guild.guild_id,
            )

        job = await run_for(interaction, student, submit)
        await bot.delivery.publish_job(
            interaction, job, attribution(interaction.user, student, text), stem="message"
        )

    async def student_phrases(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        async def fetch() -> list[app_commands.Choice[str]]:
            student = interaction.namespace.student
            if student is None or interaction.guild_id is None:
                return []
            guild = await bot.rules.get(interaction, interaction.guild_id)
            owner = identity(student)
            if not is_tutor(interaction, guild):
                return []
            if not (await bot.engine.profile(owner)).has_consent(ACT_FOR_ME, guild.guild_id):
                return []
            return await phrase_choices(bot.engine, owner, current)

        return await choices(fetch)

    @group.command(name="phrase", description="Say one of a student's saved phrases for them")
    @app_commands.describe(student="The student you speak for", phrase="Start typing to find their phrase")
    @app_commands.autocomplete(phrase=student_phrases)
    async def phrase(interaction: discord.Interaction, student: discord.Member, phrase: str) -> None:
        guild, profile = await tutor_guild(interaction, student)
        await replies.defer(interaction, private=False)
        found: list[Phrase] = []

        async def submit() -> Job:
            whose = f"{student.display_name}'s"
            found[:] = [await find_phrase(bot.engine, identity(student), phrase, whose=whose)]
            return await bot.engine.speak_phrase(
                identity(interaction.user),
                found[0].id,
                output=output_for_discord(profile.output),
                size_limit_bytes=interaction.filesize_limit,
                idempotency_key=f"discord:{interaction.id}",
                on_behalf_of=identity(student),
                guild_id=guild.guild_id,
            )

        job = await run_for(interaction, student, submit)
        content = attribution(interaction.user, student, found[0].text)
        await bot.delivery.publish_job(interaction, job, content, stem="phrase")

    @allow.command(name="tutor-help", description="Let this server's tutors speak your phrases and messages")
    async def allow_tutor_help(interaction: discord.Interaction) -> None:
        guild_id = require_server(interaction)
        place = f"the server “{interaction.guild.name}”" if interaction.guild else "this server"

        async def done(answering: discord.Interaction) -> None:
            await replies.tell(
                answering,
                "Tutors on this server can now speak for you. Stop it with /class revoke tutor-help.",
            )

        await with_consent(
            bot,
            interaction,
            ACT_FOR_ME,
            act_for_me_text(place),
            act_for_me_prompt(place),
            done,
            scope=guild_id,
        )

    @revoke.command(name="tutor-help", description="Stop this server's tutors speaking for you")
    async def revoke_tutor_help(interaction: discord.Interaction) -> None:
        guild_id = require_server(interaction)
        await replies.defer(interaction, private=True)
        revoked = await bot.engine.revoke_consent(identity(interaction.user), ACT_FOR_ME, guild_id)
        text = (
            "Tutors on this server can no longer speak for you."
            if revoked
            else "Tutors weren't allowed to speak for you here anyway."
        )
        await replies.tell(interaction, text)

    @bot.tree.command(
        name="class-setup", description="Set up this server for a class: tutors, channels, language"
    )
    @app_commands.describe(
        tutor_role="Add a role whose members may speak for students who allow it",
        remove_tutor_role="Remove a tutor role",
        allow_channel="Answer in this channel (once any channel is added, only in the added ones)",
        disallow_channel="Stop answering in this channel",
        all_channels="Answer in every channel again",
        language="Default language for this server, e.g. en, de, es",
    )
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def class_setup(
        interaction: discord.Interaction,
        tutor_role: discord.Role | None = None,
        remove_tutor_role: discord.Role | None = None,
        allow_channel: discord.TextChannel | None = None,
        disallow_channel: discord.TextChannel | None = None,
        all_channels: bool | None = None,
        language: app_commands.Range[str, 2, 16] | None = None,
    ) -> None:
        # Discord hides the command from others by default, but server admins can change who sees it.
        require_server(interaction)
        if not is_manager(interaction):
            raise NotPermitted("Only people who can manage this server can set it up for a class.")
        await replies.defer(interaction, private=True)
        guild = await bot.engine.guild("discord", str(interaction.guild_id))
        tutors = [r for r in guild.tutor_role_ids if not remove_tutor_role or r != str(remove_tutor_role.id)]
        if tutor_role is not None and str(tutor_role.id) not in tutors:
            tutors.append(str(tutor_role.id))
        channels = [] if all_channels else list(guild.allowed_channel_ids)
        if disallow_channel is not None:
            if not channels:
                others = (
                    [c for c in interaction.guild.text_channels if c.id != disallow_channel.id]
                    if interaction.guild
                    else []
                )
                channels = [str(c.id) for c in others]
            channels = [c for c in channels if c != str(disallow_channel.id)]
        if allow_channel is not None and str(allow_channel.id) not in channels:
            channels.append(str(allow_channel.id))
        changed = await bot.engine.update_guild(
            "discord",
            str(interaction.guild_id),
            tutor_role_ids=tutors,
            allowed_channel_ids=channels,
            default_language=(language or guild.default_language).strip(),
        )
        bot.rules.remember(changed)
        await replies.tell(interaction, "**Class setup saved.**\n" + describe_guild(changed))

    bot.tree.add_command(group)
