"""Alembic revisions: upgrade from empty, no drift against the models, downgrade and up again."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import inspect, text

from storage import migrate
from storage.db import create_engine
from storage.errors import DatabaseUnavailableError, MigrationError
from storage.models import Base


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def _execute(url: str, sql: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


def test_upgrade_check_downgrade_upgrade(empty_database_url: str) -> None:
    url = empty_database_url
    assert migrate.current(url) is None
    migrate.upgrade(url)
    assert migrate.current(url) == migrate.head()
    migrate.check(url)  # raises on drift
    assert set(Base.metadata.tables) <= asyncio.run(_tables(url))

    migrate.downgrade(url, "base")
    assert migrate.current(url) is None
    assert asyncio.run(_tables(url)) <= {"alembic_version"}

    migrate.upgrade(url)
    assert migrate.current(url) == migrate.head()
    migrate.check(url)


def test_check_reports_drift(empty_database_url: str) -> None:
    url = empty_database_url
    migrate.upgrade(url)
    asyncio.run(_execute(url, "ALTER TABLE phrases ADD COLUMN sneaky INTEGER"))
    with pytest.raises(MigrationError):
        migrate.check(url)


def test_check_requires_head(empty_database_url: str) -> None:
    with pytest.raises(MigrationError):
        migrate.check(empty_database_url)


async def test_upgrade_works_from_inside_an_event_loop(empty_database_url: str) -> None:
    # The service calls upgrade during its async start-up.
    migrate.upgrade(empty_database_url)
    assert migrate.current(empty_database_url) == migrate.head()


def test_unreachable_server_is_a_storage_error() -> None:
    with pytest.raises(DatabaseUnavailableError):
        migrate.current("postgresql://nobody@127.0.0.1:1/none")
