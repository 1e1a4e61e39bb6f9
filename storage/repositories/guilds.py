"""Class servers (Discord guilds / Telegram groups): settings, tutors and members."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import translate_errors
from storage.errors import NotFoundError
from storage.models import CaptionsMode, Guild, GuildMember, GuildRole, OutputFormat, Platform
from storage.repositories._common import as_enum, clean_text, flush, get_or_404, upsert_insert
from storage.repositories.users import get_user

_UNSET = object()


def _ids(values: Sequence[str | int], what: str) -> list[str]:
    return [clean_text(str(v), what, 64) for v in values]


async def get_guild(session: AsyncSession, guild_id: int) -> Guild:
    return await get_or_404(session, Guild, guild_id, "server")


async def find_guild(
    session: AsyncSession, platform: Platform | str, platform_guild_id: str | int
) -> Guild | None:
    platform = as_enum(Platform, platform, "platform")
    with translate_errors():
        return (
            await session.execute(
                select(Guild).where(
                    Guild.platform == platform, Guild.platform_guild_id == str(platform_guild_id)
                )
            )
        ).scalar_one_or_none()


async def get_or_create_guild(
    session: AsyncSession, platform: Platform | str, platform_guild_id: str | int, *, name: str | None = None
) -> tuple[Guild, bool]:
    """The guild row for a platform server, created on first sight (concurrency-safe).

    Returns (guild, created)."""
    platform = as_enum(Platform, platform, "platform")
    gid = clean_text(str(platform_guild_id), "server id", 64)
    stmt = (
        upsert_insert(session, Guild)
        .values(
            platform=platform,
            platform_guild_id=gid,
            name=name,
            tutor_role_ids=[],
            allowed_channel_ids=[],
        )
        .on_conflict_do_nothing(index_elements=["platform", "platform_guild_id"])
        .returning(Guild.id)
    )
    with translate_errors():
        new_id = (await session.execute(stmt)).scalar_one_or_none()
    guild = await find_guild(session, platform, gid)
    if guild is None:
        raise NotFoundError("That server could not be registered; please try again.")
    return guild, new_id is not None


async def update_guild_settings(
    session: AsyncSession,
    guild_id: int,
    *,
    name: str | None = None,
    tutor_role_ids: Sequence[str | int] | None = None,
    allowed_channel_ids: Sequence[str | int] | None = None,
    default_language: str | object | None = _UNSET,
    default_output_format: OutputFormat | str | object | None = _UNSET,
    default_captions: CaptionsMode | str | object | None = _UNSET,
) -> Guild:
    """Change the given settings. For the defaults, None clears the server default (users' own apply)."""
    guild = await get_guild(session, guild_id)
    if name is not None:
        guild.name = clean_text(name, "server name", 200)
    if tutor_role_ids is not None:
        guild.tutor_role_ids = _ids(tutor_role_ids, "role id")
    if allowed_channel_ids is not None:
        guild.allowed_channel_ids = _ids(allowed_channel_ids, "channel id")
    if default_language is not _UNSET:
        guild.default_language = (
            None if default_language is None else clean_text(str(default_language), "language", 35)
        )
    if default_output_format is not _UNSET:
        guild.default_output_format = (
            None
            if default_output_format is None
            else as_enum(OutputFormat, default_output_format, "output format")  # type: ignore[arg-type]
        )
    if default_captions is not _UNSET:
        guild.default_captions = (
            None if default_captions is None else as_enum(CaptionsMode, default_captions, "captions mode")  # type: ignore[arg-type]
        )
    await flush(session)
    return guild


async def set_guild_member(
    session: AsyncSession, guild_id: int, user_id: int, role: GuildRole | str = GuildRole.MEMBER
) -> GuildMember:
    """Add the user to the guild, or change their role there."""
    role = as_enum(GuildRole, role, "role")
    await get_guild(session, guild_id)
    await get_user(session, user_id)
    with translate_errors():
        member = await session.get(GuildMember, (guild_id, user_id))
    if member is None:
        member = GuildMember(guild_id=guild_id, user_id=user_id, role=role)
        session.add(member)
    else:
        member.role = role
    await flush(session)
    return member


async def remove_guild_member(session: AsyncSession, guild_id: int, user_id: int) -> bool:
    with translate_errors():
        member = await session.get(GuildMember, (guild_id, user_id))
    if member is None:
        return False
    await session.delete(member)
    await flush(session)
    return True


async def list_guild_members(
    session: AsyncSession, guild_id: int, *, role: GuildRole | str | None = None
) -> list[GuildMember]:
    query = select(GuildMember).where(GuildMember.guild_id == guild_id)
    if role is not None:
        query = query.where(GuildMember.role == as_enum(GuildRole, role, "role"))
    with translate_errors():
        rows = await session.execute(query.order_by(GuildMember.joined_at, GuildMember.user_id))
    return list(rows.scalars())


async def list_user_guilds(session: AsyncSession, user_id: int) -> list[tuple[Guild, GuildMember]]:
    with translate_errors():
        rows = await session.execute(
            select(Guild, GuildMember)
            .join(GuildMember, GuildMember.guild_id == Guild.id)
            .where(GuildMember.user_id == user_id)
            .order_by(Guild.id)
        )
    return [(g, m) for g, m in rows]


async def is_tutor(session: AsyncSession, guild_id: int, user_id: int) -> bool:
    with translate_errors():
        member = await session.get(GuildMember, (guild_id, user_id))
    return member is not None and member.role is GuildRole.TUTOR
