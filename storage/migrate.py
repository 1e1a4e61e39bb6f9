"""Schema migrations (Alembic) as plain functions, for `avatarlab db ...` and service start-up.

These are synchronous: Alembic's env.py runs its own event loop. Called from a running event loop they
run in a helper thread, so `upgrade(url)` in the service's async start-up works (it blocks that loop
briefly; `await asyncio.to_thread(upgrade, url)` avoids even that).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection

from storage.db import create_engine, normalize_url, translate_errors
from storage.errors import MigrationError, StorageError

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"
T = TypeVar("T")


def alembic_config(url: str | None = None) -> Config:
    """An Alembic Config for `url` that needs no alembic.ini (works from any working directory)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.attributes["database_url"] = normalize_url(url)
    return config


def _run(fn: Callable[[], T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _guarded(fn)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="avatarlab-migrate") as pool:
        return pool.submit(_guarded, fn).result()


def _guarded(fn: Callable[[], T]) -> T:
    try:
        with translate_errors():
            return fn()
    except StorageError:
        raise
    except CommandError as err:
        raise MigrationError(f"Database migration failed: {err}") from err


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema up to `revision` (default: the newest). Creates the SQLite file if needed."""
    _run(lambda: command.upgrade(alembic_config(url), revision))


def downgrade(url: str, revision: str) -> None:
    """Take the schema down to `revision` ("base" removes every table)."""
    _run(lambda: command.downgrade(alembic_config(url), revision))


def current(url: str) -> str | None:
    """The revision the database is at, or None for an empty (never migrated) database."""

    async def read() -> str | None:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:

                def revision(sync_conn: Connection) -> str | None:
                    return MigrationContext.configure(sync_conn).get_current_revision()

                return await conn.run_sync(revision)
        finally:
            await engine.dispose()

    return _run(lambda: asyncio.run(read()))


def head() -> str:
    """The newest revision shipped with this code."""
    rev = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if rev is None:
        raise MigrationError("No migrations are installed.")
    return rev


def check(url: str) -> None:
    """Raise `MigrationError` unless the database is at head and matches the models exactly (no drift)."""
    _run(lambda: command.check(alembic_config(url)))
