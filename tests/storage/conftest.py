"""Storage fixtures: every storage test runs against SQLite and a real PostgreSQL server.

PostgreSQL: a throwaway database `avatarlab_test_<random>` is created per test session on the server named
by AVATARLAB_TEST_POSTGRES_DSN (default postgresql://postgres@127.0.0.1:5432/postgres) and dropped at the
end. When no server answers, the PostgreSQL cases are skipped with the reason.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text

from storage import migrate
from storage.blobs import FileBlobStore
from storage.db import Database
from storage.models import Base

ADMIN_DSN = os.environ.get("AVATARLAB_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN_DSN, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _pg_url(database: str) -> str:
    base = ADMIN_DSN.rsplit("/", 1)[0]
    return f"{base.replace('postgresql://', 'postgresql+asyncpg://', 1)}/{database}"


class PostgresServer:
    """Creates throwaway databases on the test server and drops them all at the end of the session."""

    def __init__(self) -> None:
        self.created: list[str] = []

    def new_database(self) -> str:
        name = f"avatarlab_test_{secrets.token_hex(6)}"
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return _pg_url(name)

    def drop_all(self) -> None:
        for name in self.created:
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    try:
        asyncio.run(_admin("SELECT 1"))
    except (OSError, asyncpg.PostgresError, TimeoutError) as err:
        pytest.skip(
            f"PostgreSQL not reachable at {ADMIN_DSN} ({type(err).__name__}: {err}); run .ci/postgres.sh"
        )
    server = PostgresServer()
    yield server
    server.drop_all()


@pytest.fixture(scope="session")
def postgres_migrated_url(postgres_server: PostgresServer) -> str:
    url = postgres_server.new_database()
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per session, copied for each test (faster than migrating every time)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    migrate.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def empty_database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with no tables at all (for migration tests)."""
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    return request.getfixturevalue("postgres_server").new_database()


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database (schema at head, tables emptied) for this test."""
    if backend == "sqlite":
        path = tmp_path / "avatarlab.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    return request.getfixturevalue("postgres_migrated_url")


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    if database.dialect == "postgresql":
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        async with database.session() as session:
            await session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield database
    await database.dispose()


@pytest.fixture
def store(tmp_path: Path) -> FileBlobStore:
    return FileBlobStore(tmp_path / "blobs")


@pytest.fixture
def make_user(db: Database) -> Callable[..., object]:
    """`await make_user("telegram", 42)` → the new user's id."""
    from storage.repositories import users

    async def make(platform: str = "telegram", platform_user_id: str | int = "1", **kwargs: object) -> int:
        async with db.session() as session:
            user, _ = await users.get_or_create_user(session, platform, platform_user_id, **kwargs)  # type: ignore[arg-type]
            return user.id

    return make
