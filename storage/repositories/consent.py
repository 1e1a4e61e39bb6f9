"""Consent: what a person agreed to, in which words, where, when, and who recorded it on their behalf.

A consent may be scoped (e.g. ACT_FOR_ANOTHER for one class server: that server's tutors may speak for
the person there) or not (scope None: it holds everywhere). Lookups take a `scope`: None matches only
unscoped consents, a string only that scope, `ANY_SCOPE` every consent whatever its scope.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Final, Literal

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import translate_errors
from storage.errors import InvalidValueError
from storage.models import CONSENT_SCOPE_LENGTH, Consent, ConsentPurpose
from storage.repositories._common import as_enum, clean_text, flush, now_or
from storage.repositories.users import get_user


class AnyScope(enum.Enum):
    ANY = "any"


ANY_SCOPE: Final = AnyScope.ANY
ScopeFilter = str | None | Literal[AnyScope.ANY]


def _clean_scope(scope: str | None) -> str | None:
    return None if scope is None else clean_text(scope, "consent scope", CONSENT_SCOPE_LENGTH)


def _scope_filter(scope: ScopeFilter) -> list[ColumnElement[bool]]:
    if scope is ANY_SCOPE:
        return []
    if scope is None:
        return [Consent.scope.is_(None)]
    return [Consent.scope == _clean_scope(scope)]


def _active_filter(user_id: int, purpose: ConsentPurpose, scope: ScopeFilter) -> list[ColumnElement[bool]]:
    return [
        Consent.user_id == user_id,
        Consent.purpose == purpose,
        Consent.revoked_at.is_(None),
        *_scope_filter(scope),
    ]


async def record_consent(
    session: AsyncSession,
    user_id: int,
    purpose: ConsentPurpose | str,
    text: str,
    *,
    scope: str | None = None,
    granted_by_user_id: int | None = None,
    grantee_user_id: int | None = None,
    now: datetime | None = None,
) -> Consent:
    """Record that `user_id` agreed to `text` for `purpose`.

    `scope`: where it holds (None: everywhere). ACT_FOR_ANOTHER needs one: nobody gets to act for a
    person everywhere at once.
    `granted_by_user_id`: someone else (tutor, carer) recorded it on the person's behalf.
    `grantee_user_id`: for ACT_FOR_ANOTHER, the one person allowed to act for `user_id`; None: whoever
    the scope trusts (e.g. every tutor of that server).
    """
    purpose = as_enum(ConsentPurpose, purpose, "consent purpose")
    text = clean_text(text, "consent text", 20_000)
    scope = _clean_scope(scope)
    if purpose is ConsentPurpose.ACT_FOR_ANOTHER and scope is None:
        raise InvalidValueError("Say where (for example which server) others may act for this person.")
    await get_user(session, user_id)
    for other in (granted_by_user_id, grantee_user_id):
        if other is not None:
            await get_user(session, other)
    consent = Consent(
        user_id=user_id,
        purpose=purpose,
        scope=scope,
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
    scope: ScopeFilter = None,
    grantee_user_id: int | None = None,
    revoked_by_user_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """Revoke every active consent of `user_id` for `purpose` in `scope` (`ANY_SCOPE`: in all of them;
    with `grantee_user_id`, only those naming that grantee).

    Returns how many were revoked (0 if none was active). The records stay, marked revoked.
    """
    purpose = as_enum(ConsentPurpose, purpose, "consent purpose")
    conditions = _active_filter(user_id, purpose, scope)
    if grantee_user_id is not None:
        conditions.append(Consent.grantee_user_id == grantee_user_id)
    with translate_errors():
        result = await session.execute(
            update(Consent)
            .where(*conditions)
            .values(revoked_at=now_or(now), revoked_by_user_id=revoked_by_user_id)
            .execution_options(synchronize_session="fetch")
        )
    return int(result.rowcount or 0)


async def get_active_consent(
    session: AsyncSession,
    user_id: int,
    purpose: ConsentPurpose | str,
    *,
    scope: ScopeFilter = None,
    grantee_user_id: int | None = None,
) -> Consent | None:
    """The most recent active consent for `purpose` in `scope`, or None.

    With `grantee_user_id`: one that lets that person act, i.e. names them or names nobody in particular.
    """
    purpose = as_enum(ConsentPurpose, purpose, "consent purpose")
    conditions = _active_filter(user_id, purpose, scope)
    if grantee_user_id is not None:
        conditions.append(or_(Consent.grantee_user_id == grantee_user_id, Consent.grantee_user_id.is_(None)))
    with translate_errors():
        return (
            await session.execute(
                select(Consent)
                .where(*conditions)
                .order_by(Consent.granted_at.desc(), Consent.id.desc())
                .limit(1)
            )
        ).scalar_one_or_none()


async def has_active_consent(
    session: AsyncSession,
    user_id: int,
    purpose: ConsentPurpose | str,
    *,
    scope: ScopeFilter = None,
    grantee_user_id: int | None = None,
) -> bool:
    found = await get_active_consent(session, user_id, purpose, scope=scope, grantee_user_id=grantee_user_id)
    return found is not None


async def list_consents(
    session: AsyncSession, user_id: int, *, scope: ScopeFilter = ANY_SCOPE
) -> list[Consent]:
    """Every consent record about `user_id` (in `scope`; by default all), revoked ones included, oldest
    first."""
    with translate_errors():
        rows = await session.execute(
            select(Consent)
            .where(Consent.user_id == user_id, *_scope_filter(scope))
            .order_by(Consent.granted_at, Consent.id)
        )
    return list(rows.scalars())
