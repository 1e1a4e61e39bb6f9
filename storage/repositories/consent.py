"""Consent: what a person agreed to, in which words, when, and who recorded it on their behalf."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import translate_errors
from storage.errors import InvalidValueError
from storage.models import Consent, ConsentPurpose
from storage.repositories._common import as_enum, clean_text, flush, now_or
from storage.repositories.users import get_user


def _active_filter(
    user_id: int, purpose: ConsentPurpose, grantee_user_id: int | None
) -> list[ColumnElement[bool]]:
    conditions = [Consent.user_id == user_id, Consent.purpose == purpose, Consent.revoked_at.is_(None)]
    if grantee_user_id is not None:
        conditions.append(Consent.grantee_user_id == grantee_user_id)
    return conditions


async def record_consent(
    session: AsyncSession,
    user_id: int,
    purpose: ConsentPurpose | str,
    text: str,
    *,
    granted_by_user_id: int | None = None,
    grantee_user_id: int | None = None,
    now: datetime | None = None,
) -> Consent:
    """Record that `user_id` agreed to `text` for `purpose`.

    `granted_by_user_id`: someone else (tutor, carer) recorded it on the person's behalf.
    `grantee_user_id`: for ACT_FOR_ANOTHER, the person allowed to act for `user_id` (required then).
    """
    purpose = as_enum(ConsentPurpose, purpose, "consent purpose")
    text = clean_text(text, "consent text", 20_000)
    await get_user(session, user_id)
    for other in (granted_by_user_id, grantee_user_id):
        if other is not None:
            await get_user(session, other)
    if purpose is ConsentPurpose.ACT_FOR_ANOTHER and grantee_user_id is None:
        raise InvalidValueError("Say who may act for this person.")
    consent = Consent(
        user_id=user_id,
        purpose=purpose,
        text=text,
        granted_at=now_or(now),
        granted_by_user_id=granted_by_user_id,
        grantee_user_id=grantee_user_id,
    )
    session.add(consent)
    await flush(session)
    return consent


async def revoke_consent(
    session: AsyncSession,
    user_id: int,
    purpose: ConsentPurpose | str,
    *,
    grantee_user_id: int | None = None,
    revoked_by_user_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """Revoke every active consent of `user_id` for `purpose` (optionally only for one grantee).

    Returns how many were revoked (0 if none was active). The records stay, marked revoked.
    """
    purpose = as_enum(ConsentPurpose, purpose, "consent purpose")
    with translate_errors():
        result = await session.execute(
            update(Consent)
            .where(*_active_filter(user_id, purpose, grantee_user_id))
            .values(revoked_at=now_or(now), revoked_by_user_id=revoked_by_user_id)
            .execution_options(synchronize_session="fetch")
        )
    return int(result.rowcount or 0)


async def get_active_consent(
    session: AsyncSession, user_id: int, purpose: ConsentPurpose | str, *, grantee_user_id: int | None = None
) -> Consent | None:
    """The most recent active consent, or None."""
    purpose = as_enum(ConsentPurpose, purpose, "consent purpose")
    with translate_errors():
        return (
            await session.execute(
                select(Consent)
                .where(*_active_filter(user_id, purpose, grantee_user_id))
                .order_by(Consent.granted_at.desc(), Consent.id.desc())
                .limit(1)
            )
        ).scalar_one_or_none()


async def has_active_consent(
    session: AsyncSession, user_id: int, purpose: ConsentPurpose | str, *, grantee_user_id: int | None = None
) -> bool:
    return await get_active_consent(session, user_id, purpose, grantee_user_id=grantee_user_id) is not None


async def list_consents(session: AsyncSession, user_id: int) -> list[Consent]:
    """Every consent record about `user_id`, revoked ones included, oldest first."""
    with translate_errors():
        rows = await session.execute(
            select(Consent).where(Consent.user_id == user_id).order_by(Consent.granted_at, Consent.id)
        )
    return list(rows.scalars())
