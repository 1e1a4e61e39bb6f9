"""Fixtures for the portrait tests: the real photos, prepared once per session."""

from __future__ import annotations

from pathlib import Path

import pytest
from portrait_helpers import FACE_PHOTOS

from engine.face.portrait.prepare import PreparedFace, prepare


@pytest.fixture(scope="session")
def prepared_faces(shared_data: Path) -> dict[str, PreparedFace]:
    return {name: prepare((shared_data / "images" / name).read_bytes()) for name in FACE_PHOTOS}
