"""Async engine and session factory.

The URL comes from the caller (the service passes `Settings.resolved_database_url`) or, for tools that run
without the engine, from `AVATARLAB_DATABASE_URL` / `AVATARLAB_DATA_DIR` via `database_url_from_env`.
SQLite runs in WAL mode with foreign keys enforced; PostgreSQL goes through asyncpg.
"""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from storage.errors import (
    ConflictError,
    DatabaseUnavailableError,
    InvalidValueError,
    NotFoundError,
    StorageError,
)

DB_FILENAME = "avatarlab.db"
# How long a SQLite writer waits for another writer before giving up (seconds).
SQLITE_BUSY_TIMEOUT_S = 30.0


def default_data_dir(env: Mapping[str, str] | None = None) -> Path:
    """The data directory: AVATARLAB_DATA_DIR, else $XDG_DATA_HOME/avatarlab (same rule as the engine)."""
    env = os.environ if env is None else env
    if env.get("AVATARLAB_DATA_DIR"):
        return Path(env["AVATARLAB_DATA_DIR"])
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "avatarlab"


def database_url_from_env(env: Mapping[str, str] | None = None) -> str:
    """AVATARLAB_DATABASE_URL, else the embedded SQLite file in the data directory."""
    env = os.environ if env is None else env
    url = env.get("AVATARLAB_DATABASE_URL")
    if url:
        return normalize_url(url)
    return f"sqlite+aiosqlite:///{default_data_dir(env) / DB_FILENAME}"


def normalize_url(url: str | URL) -> str:
    """Pick the async driver for the usual spellings (`postgres://`, `postgresql://`, `sqlite:///`)."""
    try:
        parsed = make_url(str(url)) if not isinstance(url, URL) else url
    except exc.ArgumentError as err:
        raise InvalidValueError(f"That is not a database URL: {url!s}") from err
    backend = parsed.get_backend_name()
    if backend in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif backend == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    else:
        raise InvalidValueError(f"Unsupported database {backend!r}: use SQLite or PostgreSQL.")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(url: str | URL) -> bool:
    return make_url(str(url)).get_backend_name() == "sqlite"


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        # WAL + NORMAL is durable across application crashes; only an OS crash may lose the last commit.
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def create_engine(url: str | URL, *, echo: bool = False) -> AsyncEngine:
    """An AsyncEngine for `url` (SQLite file's directory is created; in-memory SQLite is refused)."""
    url = normalize_url(url)
    parsed = make_url(url)
    if is_sqlite(url):
        database = parsed.database or ""
        if database in ("", ":memory:") or database.startswith("file::memory:"):
            raise InvalidValueError("An in-memory SQLite database cannot be shared; use a file path.")
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
        event.listen(engine.sync_engine, "connect", _set_sqlite_pragmas)
        return engine
    return create_async_engine(url, echo=echo, pool_pre_ping=True)


@contextmanager
def translate_errors() -> Iterator[None]:
    """Turn SQLAlchemy / driver exceptions into `storage.errors` (the only errors storage lets out)."""
    try:
        yield
    except StorageError:
        raise
    except exc.IntegrityError as err:
        raise ConflictError(_constraint_message(err)) from err
    except exc.NoResultFound as err:
        raise NotFoundError() from err
    except exc.DataError as err:
        raise InvalidValueError() from err
    except (exc.OperationalError, exc.InterfaceError, exc.DisconnectionError) as err:
        raise DatabaseUnavailableError() from err
    except exc.DBAPIError as err:
        if _sqlstate(err)[:2] in _UNAVAILABLE_SQLSTATE_CLASSES or _sqlstate(err) == "3D000":
            raise DatabaseUnavailableError() from err
        if _sqlstate(err)[:2] == "40":  # serialization failure / deadlock: safe to retry
            raise ConflictError(
                "That clashed with another change at the same moment; please try again."
            ) from err
        raise StorageError() from err
    except exc.SQLAlchemyError as err:
        raise StorageError() from err
    except (
        ConnectionError,
        TimeoutError,
        socket.gaierror,
    ) as err:  # asyncpg raises these raw while connecting
        raise DatabaseUnavailableError() from err


# Connection exception, insufficient resources, operator intervention, invalid authorization.
_UNAVAILABLE_SQLSTATE_CLASSES = {"08", "53", "57", "28"}


def _sqlstate(err: exc.DBAPIError) -> str:
    return str(getattr(err.orig, "sqlstate", None) or getattr(err.orig, "pgcode", None) or "")


def _constraint_message(err: exc.IntegrityError) -> str:
    text = str(err.orig).lower()
    if "unique" in text or "duplicate" in text:
        return "That already exists."
    if "foreign key" in text:
        return "That refers to something that does not exist (any more)."
    return ConflictError.default_message


class Database:
    """One engine plus a session factory. Use `async with db.session() as s:` for one transaction."""

    def __init__(self, url: str | URL | None = None, *, echo: bool = False) -> None:
        self.url = normalize_url(url) if url is not None else database_url_from_env()
        self.engine = create_engine(self.url, echo=echo)
        # Rows stay readable after commit: the service hands them to code that has no session.
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in one transaction: committed on success, rolled back on any error."""
        with translate_errors():
            async with self.sessionmaker() as session, session.begin():
                yield session

    async def dispose(self) -> None:
        await self.engine.dispose()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.dispose()
