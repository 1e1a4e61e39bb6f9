"""Content-addressed blob store: media is named by its SHA-256, so equal content is stored once.

Rows reference blobs by key; a blob is deleted only when no row references it any more
(see `storage.repositories.blobrefs`). `BlobStore` is the interface; `FileBlobStore` keeps blobs on the
local filesystem and writes atomically (temporary file, fsync, rename), so a reader never sees half a blob.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from storage.errors import InvalidValueError, NotFoundError, StorageError

_KEY_RE = re.compile(r"[0-9a-f]{64}")


def blob_key(data: bytes) -> str:
    """The key a blob with this content has (lowercase hex SHA-256)."""
    return hashlib.sha256(data).hexdigest()


def validate_key(key: str) -> str:
    if not isinstance(key, str) or not _KEY_RE.fullmatch(key):
        raise InvalidValueError("That is not a valid media reference.")
    return key


@runtime_checkable
class BlobStore(Protocol):
    """Where media bytes live. Keys are SHA-256 hex digests of the content."""

    def put(self, data: bytes) -> str:
        """Store `data` (no-op if already present) and return its key."""
        ...

    def get(self, key: str) -> bytes:
        """The bytes for `key`; `NotFoundError` if absent."""
        ...

    def open(self, key: str) -> BinaryIO:
        """A readable binary file for `key` (for large blobs); `NotFoundError` if absent."""
        ...

    def exists(self, key: str) -> bool: ...

    def size(self, key: str) -> int:
        """Size in bytes; `NotFoundError` if absent."""
        ...

    def delete(self, key: str) -> bool:
        """Remove the blob; True if it existed. Callers check references first."""
        ...

    def keys(self) -> Iterator[str]:
        """Every stored key (for garbage collection and audits)."""
        ...

    def age_seconds(self, key: str) -> float:
        """Seconds since the blob was written (lets GC spare blobs whose row is not committed yet)."""
        ...


class FileBlobStore:
    """Blobs as files under `root/ab/cd/<sha256>`; writes are atomic renames inside `root`."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self._tmp = self.root / "tmp"

    @classmethod
    def in_data_dir(cls, data_dir: str | os.PathLike[str]) -> FileBlobStore:
        return cls(Path(data_dir) / "blobs")

    def path(self, key: str) -> Path:
        validate_key(key)
        return self.root / key[:2] / key[2:4] / key

    def put(self, data: bytes) -> str:
        if not isinstance(data, bytes | bytearray | memoryview):
            raise InvalidValueError("Media must be bytes.")
        data = bytes(data)
        key = blob_key(data)
        target = self.path(key)
        if target.is_file() and target.stat().st_size == len(data):
            return key
        try:
            self._tmp.mkdir(parents=True, exist_ok=True)
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(dir=self._tmp, prefix=key[:8], suffix=".part")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                try:
                    os.replace(tmp_name, target)
                except FileNotFoundError:  # a concurrent delete pruned the empty fan-out directory
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(tmp_name, target)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp_name)
                raise
        except OSError as err:
            raise StorageError("Could not save the media file (is the disk full?).") from err
        return key

    def get(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError as err:
            raise NotFoundError("That media file is no longer stored.") from err
        except OSError as err:
            raise StorageError("Could not read the media file.") from err

    def open(self, key: str) -> BinaryIO:
        try:
            return self.path(key).open("rb")
        except FileNotFoundError as err:
            raise NotFoundError("That media file is no longer stored.") from err
        except OSError as err:
            raise StorageError("Could not read the media file.") from err

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def size(self, key: str) -> int:
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError as err:
            raise NotFoundError("That media file is no longer stored.") from err

    def age_seconds(self, key: str) -> float:
        try:
            return max(0.0, time.time() - self.path(key).stat().st_mtime)
        except FileNotFoundError as err:
            raise NotFoundError("That media file is no longer stored.") from err

    def delete(self, key: str) -> bool:
        path = self.path(key)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        except OSError as err:
            raise StorageError("Could not delete the media file.") from err
        for parent in (path.parent, path.parent.parent):
            with contextlib.suppress(OSError):  # not empty, or raced with a writer: keep it
                parent.rmdir()
        return True

    def keys(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for first in sorted(self.root.iterdir()):
            if first.name == "tmp" or not first.is_dir():
                continue
            for path in sorted(first.glob("*/*")):
                if _KEY_RE.fullmatch(path.name) and path.is_file():
                    yield path.name
