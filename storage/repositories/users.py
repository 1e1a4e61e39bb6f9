"""Users, their platform identities and their settings."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import translate_errors
from storage.errors import ConflictError
from storage.models import CaptionsMode, OutputFormat, Platform, PlatformIdentity, User
from storage.repositories._common import as_enum, clean_text, flush, get_or_404, upsert_insert


def _platform_user_id(value: str | int) -> str:
    return clean_text(str(value), "platform user id", 64)


async def get_user(session: AsyncSession, user_id: int) -> User:
    """The user; `NotFoundError` if they do not exist (e.g. were forgotten)."""
    return await get_or_404(session, User, user_id, "user")


async def find_user_by_identity(
    session: AsyncSession, platform: Platform | str, platform_user_id: str | int
) -> User | None:
    platform = as_enum(Platform, platform, "platform")
    with translate_errors():
        return (
            await session.execute(
                select(User)
                .join(PlatformIdentity, PlatformIdentity.user_id == User.id)
                .where(
                    PlatformIdentity.platform == platform,
                    PlatformIdentity.platform_user_id == _platform_user_id(platform_user_id),
                )
            )
        ).scalar_one_or_none()


async def get_or_create_user(
    session: AsyncSession,
    platform: Platform | str,
    platform_user_id: str | int,
    *,
    username: str | None = None,
    display_name: str | None = None,
) -> tuple[User, bool]:
    """The user behind a platform identity, created on first contact. Returns (user, created).

    Safe under concurrency: two first messages at once yield one user (the loser's row is discarded).
    """
    platform = as_enum(Platform, platform, "platform")
    pid = _platform_user_id(platform_user_id)
    existing = await find_user_by_identity(session, platform, pid)
    if existing is not None:
        return existing, False
    name = (display_name or username or "").strip()[:200] or None
    user = User(display_name=name)
    session.add(user)
    await flush(session)
    stmt = (
        upsert_insert(session, PlatformIdentity)
        .values(user_id=user.id, platform=platform, platform_user_id=pid, username=username)
        .on_conflict_do_nothing(index_elements=["platform", "platform_user_id"])
        .returning(PlatformIdentity.id)
    )
    with translate_errors():
        inserted = (await session.execute(stmt)).scalar_one_or_none()
    if inserted is not None:
        return user, True
    await session.delete(user)
    await flush(session)
    winner = await find_user_by_identity(session, platform, pid)
    if winner is None:  # the concurrent creator rolled back; nothing to attach to
        raise ConflictError("Please send that again.")
    return winner, False


async def link_identity(
    session: AsyncSession,
    user_id: int,
    platform: Platform | str,
    platform_user_id: str | int,
    *,
    username: str | None = None,
) -> PlatformIdentity:
    """Attach another platform account to an existing user (one person using both bots)."""
    platform = as_enum(Platform, platform, "platform")
    pid = _platform_user_id(platform_user_id)
    await get_user(session, user_id)
    with translate_errors():
        current = (
            await session.execute(
                select(PlatformIdentity).where(
                    PlatformIdentity.platform == platform, PlatformIdentity.platform_user_id == pid
                )
            )
        ).scalar_one_or_none()
    if current is not None:
        if current.user_id != user_id:
            raise ConflictError("That account is already linked to someone else.")
        return current
    identity = PlatformIdentity(user_id=user_id, platform=platform, platform_user_id=pid, username=username)
    session.add(identity)
    await flush(session)
    return identity


async def list_identities(session: AsyncSession, user_id: int) -> list[PlatformIdentity]:
    with translate_errors():
        rows = await session.execute(
            select(PlatformIdentity).where(PlatformIdentity.user_id == user_id).order_by(PlatformIdentity.id)
        )
    return list(rows.scalars())


async def update_user_settings(
    session: AsyncSession,
    user_id: int,
    *,
    display_name: str | None = None,
    output_format: OutputFormat | str | None = None,
    captions: CaptionsMode | str | None = None,
    language: str | None = None,
    interface_locale: str | None = None,
) -> User:
    """Change only the settings given (None leaves a setting as it is)."""
    user = await get_user(session, user_id)
    if display_name is not None:
        user.display_name = clean_text(display_name, "name", 200)
    if output_format is not None:
        user.output_format = as_enum(OutputFormat, output_format, "output format")
    if captions is not None:
        user.captions = as_enum(CaptionsMode, captions, "captions mode")
    if language is not None:
        user.language = clean_text(language, "language", 35)
    if interface_locale is not None:
        user.interface_locale = clean_text(interface_locale, "interface language", 35)
    await flush(session)
    return user
