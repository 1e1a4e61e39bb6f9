"""Face finding on real photos and the advice given when a photo cannot be used."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from portrait_helpers import FACE_PHOTOS

from engine.errors import FaceNotUsable, NoFaceFound
from engine.face.portrait.landmarks import NOSE_TIP, _check_usable, detect_landmarks
from engine.media.decode import decode_image


def load(shared_data: Path, name: str) -> np.ndarray:
    return decode_image((shared_data / "images" / name).read_bytes())


@pytest.mark.parametrize("name", FACE_PHOTOS)
def test_real_faces_get_478_landmarks_inside_the_photo(shared_data: Path, name: str) -> None:
    rgb = load(shared_data, name)
    found = detect_landmarks(rgb)
    assert found.points.shape == (478, 2)
    assert found.notice is None
    h, w = rgb.shape[:2]
    assert (found.points[:, 0] > 0).all() and (found.points[:, 0] < w).all()
    assert (found.points[:, 1] > 0).all() and (found.points[:, 1] < h).all()
    right, left = found.eye_centres
    assert right[0] < left[0]  # the person's right eye is on the image's left


def test_dog_is_not_a_face(shared_data: Path) -> None:
    with pytest.raises(NoFaceFound) as info:
        detect_landmarks(load(shared_data, "liveportrait_s25_dog_noface.jpg"))
    assert "passport photo or a selfie" in info.value.message


def test_blank_picture_has_no_face() -> None:
    with pytest.raises(NoFaceFound):
        detect_landmarks(np.full((300, 300, 3), 128, dtype=np.uint8))


def test_several_faces_use_the_largest_and_say_so(shared_data: Path) -> None:
    sad, happy = load(shared_data, "sadtalker_sad.png"), load(shared_data, "sadtalker_happy.png")
    canvas = np.full((300, 600, 3), 200, dtype=np.uint8)
    canvas[:256, :256] = sad
    canvas[40:260, 330:550] = cv2.resize(happy, (220, 220), interpolation=cv2.INTER_AREA)
    found = detect_landmarks(canvas)
    assert found.notice is not None and "2 faces" in found.notice and "largest" in found.notice
    assert found.points[:, 0].mean() < 256  # the bigger face on the left was used


def test_small_face_is_refused_with_advice(shared_data: Path) -> None:
    canvas = np.full((500, 500, 3), 200, dtype=np.uint8)
    canvas[200:280, 200:280] = cv2.resize(
        load(shared_data, "sadtalker_sad.png"), (80, 80), interpolation=cv2.INTER_AREA
    )
    with pytest.raises(FaceNotUsable, match="too small"):
        detect_landmarks(canvas)


def test_face_cut_off_at_the_edge_is_refused(shared_data: Path) -> None:
    top_only = np.ascontiguousarray(load(shared_data, "sadtalker_sad.png")[:150])
    with pytest.raises(FaceNotUsable, match="cut off"):
        detect_landmarks(top_only)


def test_tilted_head_is_refused(shared_data: Path) -> None:
    rot = cv2.getRotationMatrix2D((128, 128), 50, 0.8)
    tilted = cv2.warpAffine(
        load(shared_data, "sadtalker_sad.png"), rot, (256, 256), borderMode=cv2.BORDER_REPLICATE
    )
    with pytest.raises(FaceNotUsable, match="tilted"):
        detect_landmarks(tilted)


def test_face_turned_to_the_side_is_refused(shared_data: Path) -> None:
    # Moving the nose tip sideways by most of the eye distance is what a ~40° head turn projects to.
    points = detect_landmarks(load(shared_data, "sadtalker_sad.png")).points.copy()
    _check_usable(points, 256, 256)
    eye_distance = float(np.linalg.norm(points[263] - points[33])) * 0.8
    points[NOSE_TIP, 0] += 0.6 * eye_distance
    with pytest.raises(FaceNotUsable, match="turned"):
        _check_usable(points, 256, 256)
