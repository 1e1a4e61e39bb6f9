"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("AVATARLAB_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Real test media (../shared/data beside the checkout); never copied into the project."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"test media not found at {SHARED_DATA} (set AVATARLAB_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data directory, so nothing touches the user's real one."""
    data_dir = tmp_path_factory.mktemp("avatarlab-data")
    monkeypatch.setenv("AVATARLAB_DATA_DIR", str(data_dir))
    return data_dir
