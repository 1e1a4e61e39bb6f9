"""Prepare once: alignment, mouth colours and the versioned, validated serialisation."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from portrait_helpers import FACE_PHOTOS

from engine.errors import InvalidInput, NoFaceFound, UnsupportedMedia
from engine.face.portrait.prepare import PORTRAIT_SIZE, PreparedFace, prepare, prepare_from_file


@pytest.mark.parametrize("name", FACE_PHOTOS)
def test_each_real_photo_prepares_to_an_aligned_square(
    prepared_faces: dict[str, PreparedFace], name: str
) -> None:
    face = prepared_faces[name]
    assert face.image.shape == (PORTRAIT_SIZE, PORTRAIT_SIZE, 3) and face.image.dtype == np.uint8
    p = face.points
    assert p.shape == (478, 2) and (p > 0).all() and (p < PORTRAIT_SIZE).all()
    right, left = (p[33] + p[133]) / 2, (p[362] + p[263]) / 2
    assert abs(right[1] - left[1]) < 0.02 * PORTRAIT_SIZE  # eyes level after alignment
    face_h = float(np.linalg.norm(p[152] - p[10]))
    assert 0.3 * PORTRAIT_SIZE < face_h < 0.85 * PORTRAIT_SIZE


@pytest.mark.parametrize("name", FACE_PHOTOS)
def test_serialisation_round_trip_is_compact(prepared_faces: dict[str, PreparedFace], name: str) -> None:
    face = prepared_faces[name]
    data = face.to_bytes()
    assert PreparedFace.is_serialized(data)
    assert len(data) < 250_000
    back = PreparedFace.from_bytes(data)
    np.testing.assert_array_equal(back.points, face.points)
    assert back.colours.as_dict() == face.colours.as_dict()
    assert np.abs(back.image.astype(int) - face.image.astype(int)).mean() < 2.0


def test_black_and_white_photo_gets_a_grey_mouth(prepared_faces: dict[str, PreparedFace]) -> None:
    colours = prepared_faces["liveportrait_s2.jpg"].colours
    for rgb in (colours.cavity, colours.tongue, colours.teeth):
        assert max(rgb) - min(rgb) <= 3
    colour = prepared_faces["sadtalker_sad.png"].colours
    assert colour.cavity[0] > colour.cavity[2]  # a colour photo's mouth is reddish
    assert min(colour.teeth) > 120 and colour.teeth[0] > colour.cavity[0] * 2


def test_damaged_or_foreign_blobs_are_refused(prepared_faces: dict[str, PreparedFace]) -> None:
    data = prepared_faces["sadtalker_sad.png"].to_bytes()
    bad_version = data[:4] + bytes([99]) + data[5:]
    flipped_points = data[:-8] + struct.pack("<ff", float("nan"), 1.0)
    for broken in (b"", b"ALPF", data[:-1], data + b"x", b"XXXX" + data[4:], flipped_points):
        with pytest.raises(InvalidInput, match="damaged"):
            PreparedFace.from_bytes(broken)
    with pytest.raises(InvalidInput, match="version"):
        PreparedFace.from_bytes(bad_version)
    assert not PreparedFace.is_serialized(b"\x89PNG\r\n\x1a\n")


def test_prepare_accepts_arrays_and_files(shared_data: Path, tmp_path: Path) -> None:
    from engine.media.decode import decode_image

    path = shared_data / "images" / "sadtalker_happy1.png"
    from_array = prepare(decode_image(path.read_bytes()))
    assert from_array.image.shape == (PORTRAIT_SIZE, PORTRAIT_SIZE, 3)
    blob = prepare_from_file(path)
    assert PreparedFace.from_bytes(blob).notices == ()
    with pytest.raises(InvalidInput, match="no file"):
        prepare_from_file(tmp_path / "missing.jpg")


def test_unusable_inputs_fail_with_the_specific_error(shared_data: Path, tmp_path: Path) -> None:
    with pytest.raises(NoFaceFound):
        prepare((shared_data / "images" / "liveportrait_s25_dog_noface.jpg").read_bytes())
    text = tmp_path / "note.jpg"
    text.write_text("not a photo at all")
    with pytest.raises(UnsupportedMedia, match="not a picture"):
        prepare_from_file(text)
