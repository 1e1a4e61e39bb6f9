"""Face detection and 478 dense landmarks with mediapipe's bundled face mesh (offline, no downloads).

Photos are searched at a bounded resolution (the mesh model works on a 192 px face crop anyway), and
the answer is checked for what makes a portrait animatable: big enough, inside the picture, facing
the camera.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import cv2
import numpy as np

from engine.errors import FaceNotUsable, NoFaceFound

DETECT_MAX_SIDE = 1024
MIN_FACE_PX = 48  # eye-to-chin height in the original photo below which detail is too coarse
MAX_YAW_RATIO = 0.45  # nose offset from the eyes' midline, relative to eye distance
MAX_ROLL_DEG = 35.0
# The mesh model will fit a face to anything face-like (a dog scores 0.72 with the short-range
# detector); real human faces, photos and paintings alike, score above 0.9.
MIN_SHORT_RANGE_SCORE = 0.85
MIN_FULL_RANGE_SCORE = 0.8

# Landmark indices in mediapipe's canonical face mesh.
FACE_OVAL = (
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
    152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
)  # fmt: skip
FOREHEAD_TOP, CHIN, NOSE_TIP = 10, 152, 1
RIGHT_EYE_OUTER, RIGHT_EYE_INNER, LEFT_EYE_INNER, LEFT_EYE_OUTER = 33, 133, 362, 263

_lock = threading.Lock()
_mesh = None
_detectors: dict[int, object] = {}


@dataclass(frozen=True)
class FaceLandmarks:
    """478 (x, y) points in pixels of the analysed image, and a notice for the person if any."""

    points: np.ndarray  # (478, 2) float32
    notice: str | None = None

    @property
    def eye_centres(self) -> tuple[np.ndarray, np.ndarray]:
        p = self.points
        return (p[RIGHT_EYE_OUTER] + p[RIGHT_EYE_INNER]) / 2, (p[LEFT_EYE_OUTER] + p[LEFT_EYE_INNER]) / 2


def _face_mesh():  # mediapipe's graph is expensive to build and not thread-safe: one, behind a lock
    global _mesh
    if _mesh is None:
        from mediapipe.python.solutions import face_mesh

        _mesh = face_mesh.FaceMesh(
            static_image_mode=True, max_num_faces=4, refine_landmarks=True, min_detection_confidence=0.5
        )
    return _mesh


def _detector(model: int):
    if model not in _detectors:
        from mediapipe.python.solutions import face_detection

        _detectors[model] = face_detection.FaceDetection(model_selection=model, min_detection_confidence=0.5)
    return _detectors[model]


def _detections(small: np.ndarray, model: int) -> list[tuple[float, np.ndarray]]:
    """(score, box x0 y0 x1 y1 relative to the image) for each face the detector reports."""
    out = []
    for d in _detector(model).process(small).detections or []:
        box = d.location_data.relative_bounding_box
        out.append(
            (float(d.score[0]), np.array([box.xmin, box.ymin, box.xmin + box.width, box.ymin + box.height]))
        )
    return out


def detect_landmarks(rgb: np.ndarray) -> FaceLandmarks:
    """Find the largest face in an RGB uint8 image; raise NoFaceFound / FaceNotUsable with advice."""
    h, w = rgb.shape[:2]
    scale = min(1.0, DETECT_MAX_SIDE / max(h, w))
    small = (
        rgb
        if scale == 1.0
        else cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    )
    small = np.ascontiguousarray(small)
    with _lock:
        near, far = _detections(small, 0), _detections(small, 1)
        human = [b for sc, b in near if sc >= MIN_SHORT_RANGE_SCORE] + [
            b for sc, b in far if sc >= MIN_FULL_RANGE_SCORE
        ]
        result = _face_mesh().process(small) if human else None
    if not human:
        # A face that runs off the picture scores low; say that rather than "no face".
        if any(sc >= 0.5 and _overhang(b) > 0.1 for sc, b in near):
            raise FaceNotUsable(_CUT_OFF)
        raise NoFaceFound()
    faces = (result.multi_face_landmarks or []) if result is not None else []
    if not faces:
        biggest = max(human, key=lambda b: (b[2] - b[0]) * (b[3] - b[1]))
        if (biggest[3] - biggest[1]) * h < MIN_FACE_PX * 2:
            raise FaceNotUsable(_TOO_SMALL)
        if _overhang(biggest) > 0.05:
            raise FaceNotUsable(_CUT_OFF)
        raise FaceNotUsable(
            "I can see a face but can't make out its features clearly. A sharp, well-lit photo looking "
            "straight at the camera works best."
        )
    sh, sw = small.shape[:2]
    candidates = [
        np.array([(lm.x * sw, lm.y * sh) for lm in face.landmark], dtype=np.float32) / scale for face in faces
    ]
    areas = [float(np.ptp(c[:, 0]) * np.ptp(c[:, 1])) for c in candidates]
    points = candidates[int(np.argmax(areas))]
    notice = None
    if len(candidates) > 1:
        notice = (
            f"I found {len(candidates)} faces in that photo and used the largest one. "
            "For the best result, send a photo of just you."
        )
    _check_usable(points, w, h)
    return FaceLandmarks(points=points, notice=notice)


def _overhang(box: np.ndarray) -> float:
    """How far a relative box reaches beyond the image, as a share of its own height."""
    height = max(float(box[3] - box[1]), 1e-6)
    beyond = max(0.0, -box[0]) + max(0.0, -box[1]) + max(0.0, box[2] - 1) + max(0.0, box[3] - 1)
    return beyond / height


_TOO_SMALL = (
    "The face in that photo is too small for me to animate. Please send a closer photo where your face "
    "fills more of the picture."
)
_CUT_OFF = (
    "Part of the face is cut off at the edge of that photo. Please send one that shows your whole face, "
    "from the top of your forehead to your chin."
)


def _check_usable(points: np.ndarray, width: int, height: int) -> None:
    oval = points[list(FACE_OVAL)]
    face_h = float(np.linalg.norm(points[CHIN] - points[FOREHEAD_TOP]))
    if face_h < MIN_FACE_PX * 1.6:
        raise FaceNotUsable(_TOO_SMALL)
    margin = 0.02 * face_h
    outside = (oval[:, 0] < -margin) | (oval[:, 0] > width + margin)
    outside |= (oval[:, 1] < -margin) | (oval[:, 1] > height + margin)
    if outside.mean() > 0.08:
        raise FaceNotUsable(_CUT_OFF)
    r_eye = (points[RIGHT_EYE_OUTER] + points[RIGHT_EYE_INNER]) / 2
    l_eye = (points[LEFT_EYE_OUTER] + points[LEFT_EYE_INNER]) / 2
    eye_vec = l_eye - r_eye
    eye_dist = float(np.linalg.norm(eye_vec))
    roll = float(np.degrees(np.arctan2(eye_vec[1], eye_vec[0])))
    # Projected offset of the nose tip from the perpendicular bisector of the eyes: ≈ sin(yaw).
    mid = (r_eye + l_eye) / 2
    yaw_ratio = float(np.dot(points[NOSE_TIP] - mid, eye_vec / max(eye_dist, 1e-6))) / max(eye_dist, 1e-6)
    if abs(yaw_ratio) > MAX_YAW_RATIO:
        raise FaceNotUsable(
            "The face in that photo is turned too far to the side. Please send a photo looking straight "
            "at the camera."
        )
    if abs(roll) > MAX_ROLL_DEG:
        raise FaceNotUsable(
            "The head in that photo is tilted a lot. Please send an upright photo looking at the camera."
        )
