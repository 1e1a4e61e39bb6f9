"""Engine/URL handling and the content-addressed blob store."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from storage.blobs import BlobStore, FileBlobStore, blob_key
from storage.db import Database, database_url_from_env, normalize_url
from storage.errors import DatabaseUnavailableError, InvalidValueError, NotFoundError


def test_url_from_env_defaults_to_sqlite_in_data_dir(tmp_path: Path) -> None:
    env = {"AVATARLAB_DATA_DIR": str(tmp_path)}
    assert database_url_from_env(env) == f"sqlite+aiosqlite:///{tmp_path / 'avatarlab.db'}"
    env["AVATARLAB_DATABASE_URL"] = "postgres://u:p%40ss@db.example:5433/avl"
    assert database_url_from_env(env) == "postgresql+asyncpg://u:p%40ss@db.example:5433/avl"


async def test_default_database_lives_in_the_data_dir(_isolated_data_dir: Path) -> None:
    async with Database() as db, db.session() as session:
        await session.execute(text("SELECT 1"))
    assert (_isolated_data_dir / "avatarlab.db").is_file()


@pytest.mark.parametrize("url", ["mysql://x@y/z", "not a url", "sqlite:///:memory:"])
def test_unsupported_urls_are_refused(url: str) -> None:
    with pytest.raises(InvalidValueError):
        Database(normalize_url(url) if url.startswith("sqlite") else url)


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    async with Database(f"sqlite:///{tmp_path / 'nested' / 'x.db'}") as db, db.session() as session:
        assert (await session.execute(text("PRAGMA journal_mode"))).scalar_one() == "wal"
        assert (await session.execute(text("PRAGMA foreign_keys"))).scalar_one() == 1


async def test_unreachable_postgres_is_a_storage_error() -> None:
    async with Database("postgresql://nobody@127.0.0.1:1/none") as db:
        with pytest.raises(DatabaseUnavailableError):
            async with db.session() as session:
                await session.execute(text("SELECT 1"))


def test_blob_roundtrip_dedup_and_delete(store: FileBlobStore) -> None:
    assert isinstance(store, BlobStore)
    data = b"RIFF....WAVEfmt fake audio"
    key = store.put(data)
    assert key == blob_key(data) and len(key) == 64
    assert store.put(bytearray(data)) == key  # same content, same blob
    assert store.get(key) == data and store.size(key) == len(data) and store.exists(key)
    assert list(store.keys()) == [key]
    assert not any((store.root / "tmp").iterdir())  # no half-written leftovers
    assert store.delete(key) is True and store.delete(key) is False
    assert not store.exists(key) and list(store.keys()) == []
    with pytest.raises(NotFoundError):
        store.get(key)


@pytest.mark.parametrize("key", ["../../etc/passwd", "ABC", "g" * 64, "A" * 64, ""])
def test_bad_blob_keys_are_refused(store: FileBlobStore, key: str) -> None:
    with pytest.raises(InvalidValueError):
        store.get(key)


def test_non_bytes_are_refused(store: FileBlobStore) -> None:
    with pytest.raises(InvalidValueError):
        store.put("text is not media")  # type: ignore[arg-type]
