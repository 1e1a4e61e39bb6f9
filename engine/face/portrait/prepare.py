"""Prepare once, render many: photo → aligned square portrait, landmarks and mouth colours.

The result is stored with the person's profile (PreparedFace.to_bytes) so rendering a message never
repeats face detection or colour analysis.
"""

from __future__ import annotations

import io
import json
import struct
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from engine.errors import CorruptMedia, InvalidInput, NoFaceFound
from engine.face.portrait.landmarks import (
    CHIN,
    FACE_OVAL,
    FOREHEAD_TOP,
    FaceLandmarks,
    detect_landmarks,
)
from engine.face.portrait.regions import INNER_LIPS, OUTER_LIPS, polygon_mask
from engine.media.decode import decode_image

PORTRAIT_SIZE = 512
FACE_FRACTION = 0.46  # forehead-to-chin height as a share of the frame: head, hair and shoulders fit
MAX_FACE_FRACTION = 0.8
MAGIC = b"ALPF"
VERSION = 1
_HEADER = struct.Struct("<4sBII")  # magic, version, json length, jpeg length
MAX_BLOB_BYTES = 4_000_000


@dataclass(frozen=True, eq=False)
class MouthColours:
    """RGB colours of the synthetic mouth interior, matched to this face's colours and light."""

    cavity: tuple[int, int, int]
    tongue: tuple[int, int, int]
    teeth: tuple[int, int, int]

    def as_dict(self) -> dict[str, list[int]]:
        return {"cavity": list(self.cavity), "tongue": list(self.tongue), "teeth": list(self.teeth)}


@dataclass(frozen=True, eq=False)
class PreparedFace:
    """An aligned square portrait with its 478 landmarks (pixels) and mouth colours."""

    image: np.ndarray  # (S, S, 3) uint8 RGB
    points: np.ndarray  # (478, 2) float32
    colours: MouthColours
    notices: tuple[str, ...] = ()  # things the person should know, e.g. which of several faces was used

    @property
    def size(self) -> int:
        return int(self.image.shape[0])

    @staticmethod
    def is_serialized(data: bytes) -> bool:
        """Whether bytes look like a PreparedFace (rather than a photo); from_bytes still validates."""
        return bytes(data[:4]) == MAGIC

    def to_bytes(self) -> bytes:
        header = {"size": self.size, "colours": self.colours.as_dict(), "notices": list(self.notices)}
        header_bytes = json.dumps(header, separators=(",", ":")).encode()
        buf = io.BytesIO()
        # High-quality JPEG: 10× smaller than PNG and visually lossless at this quality.
        Image.fromarray(self.image).save(buf, format="JPEG", quality=94, subsampling=0)
        jpeg = buf.getvalue()
        points = np.ascontiguousarray(self.points, dtype="<f4").tobytes()
        return _HEADER.pack(MAGIC, VERSION, len(header_bytes), len(jpeg)) + header_bytes + jpeg + points

    @classmethod
    def from_bytes(cls, data: bytes) -> PreparedFace:
        bad = InvalidInput("The saved portrait avatar is damaged. Please set up your photo again.")
        if not isinstance(data, bytes | bytearray | memoryview) or len(data) < _HEADER.size:
            raise bad
        data = bytes(data)
        magic, version, n_json, n_jpeg = _HEADER.unpack_from(data)
        if magic != MAGIC:
            raise bad
        if version != VERSION:
            raise InvalidInput(
                "This portrait avatar was saved by a different version. Please set up your photo again."
            )
        n_points = 478 * 2 * 4
        if _HEADER.size + n_json + n_jpeg + n_points != len(data):
            raise bad
        pos = _HEADER.size
        try:
            header = json.loads(data[pos : pos + n_json])
            pos += n_json
            image = np.asarray(Image.open(io.BytesIO(data[pos : pos + n_jpeg])).convert("RGB"))
            pos += n_jpeg
            points = np.frombuffer(data[pos:], dtype="<f4").reshape(478, 2).astype(np.float32)
            colours = MouthColours(**{k: tuple(int(c) for c in v) for k, v in header["colours"].items()})
            size = int(header["size"])
            notices = tuple(str(n) for n in header.get("notices", []))
        except (ValueError, KeyError, TypeError, OSError) as exc:
            raise bad from exc
        if image.shape != (size, size, 3) or not np.isfinite(points).all():
            raise bad
        if points.min() < -size or points.max() > 2 * size:
            raise bad
        for c in (colours.cavity, colours.tongue, colours.teeth):
            if len(c) != 3 or not all(0 <= v <= 255 for v in c):
                raise bad
        return cls(image=image, points=points, colours=colours, notices=notices)


def prepare(photo: bytes | np.ndarray, *, size: int = PORTRAIT_SIZE) -> PreparedFace:
    """Detect, align and crop the face of a photo (encoded bytes or an RGB uint8 array)."""
    rgb = decode_image(photo) if isinstance(photo, bytes | bytearray) else _check_array(photo)
    found = detect_landmarks(rgb)
    matrix = _alignment(found.points, size, rgb.shape[1], rgb.shape[0])
    scale = float(np.hypot(matrix[0, 0], matrix[0, 1]))
    if scale < 0.8:
        # warpAffine does not antialias; shrink big photos with INTER_AREA first, then align.
        rgb = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        found = FaceLandmarks(points=found.points * scale, notice=found.notice)
        matrix = _alignment(found.points, size, rgb.shape[1], rgb.shape[0])
    # Only a rotated corner or a face at the very edge reaches past the photo: extend its edge pixels.
    image = cv2.warpAffine(rgb, matrix, (size, size), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    points = _apply(matrix, found.points)
    colours = analyse_mouth_colours(image, points)
    notices = (found.notice,) if found.notice else ()
    return PreparedFace(image=np.ascontiguousarray(image), points=points, colours=colours, notices=notices)


def prepare_from_file(path: str | Path) -> bytes:
    """For the CLI: read a photo file and return the serialised PreparedFace."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError as exc:
        raise InvalidInput(f"There is no file at {path}.") from exc
    except OSError as exc:
        raise InvalidInput(f"I can't read {path}: {exc.strerror}.") from exc
    return prepare(data).to_bytes()


def _check_array(photo: np.ndarray) -> np.ndarray:
    if not isinstance(photo, np.ndarray) or photo.dtype != np.uint8 or photo.ndim != 3 or photo.shape[2] != 3:
        raise CorruptMedia("The photo must be an RGB image.")
    return np.ascontiguousarray(photo)


def _alignment(p: np.ndarray, size: int, width: int, height: int) -> np.ndarray:
    """Similarity transform to a square frame: eyes level, face near the centre, background kept.

    The frame prefers FACE_FRACTION of its height for the face but shrinks to stay inside the photo
    (invented background at the edges looks wrong), never so far that the face overflows it.
    """
    r_eye, l_eye = FaceLandmarks(points=p).eye_centres
    angle = float(np.arctan2(*(l_eye - r_eye)[::-1]))
    face_h = float(np.linalg.norm(p[CHIN] - p[FOREHEAD_TOP]))
    if face_h <= 0:
        raise NoFaceFound()
    side = max(min(face_h / FACE_FRACTION, width, height), face_h / MAX_FACE_FRACTION)
    centre = p[list(FACE_OVAL)].mean(axis=0)
    # Face centre a little above the frame centre leaves room for the neck and shoulders.
    cx, cy = float(centre[0]), float(centre[1]) + 0.05 * side
    if side <= width:
        cx = float(np.clip(cx, side / 2, width - side / 2))
    if side <= height:
        cy = float(np.clip(cy, side / 2, height - side / 2))
    scale = size / side
    cos, sin = np.cos(-angle) * scale, np.sin(-angle) * scale
    rot = np.array([[cos, -sin], [sin, cos]], dtype=np.float64)
    target = np.array([size / 2, size / 2])
    return np.hstack([rot, (target - rot @ np.array([cx, cy]))[:, None]])


def _apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    return (points.astype(np.float64) @ matrix[:, :2].T + matrix[:, 2]).astype(np.float32)


def analyse_mouth_colours(image: np.ndarray, points: np.ndarray) -> MouthColours:
    """Colours for the mouth interior from the lips and skin, so the inside belongs to this face."""
    lips = polygon_mask(image.shape[:2], points[list(OUTER_LIPS)]) & ~polygon_mask(
        image.shape[:2], points[list(INNER_LIPS)]
    )
    face = polygon_mask(image.shape[:2], points[list(FACE_OVAL)])
    pixels = image.reshape(-1, 3).astype(np.float64)
    lip = np.median(pixels[lips.ravel()], axis=0) if lips.any() else np.array([170.0, 100.0, 100.0])
    skin = np.median(pixels[face.ravel()], axis=0) if face.any() else np.array([190.0, 150.0, 130.0])
    # Saturation of the face: a black-and-white photo or a muted painting gets a muted mouth.
    chroma = float(np.mean(np.ptp(pixels[face.ravel()], axis=1))) if face.any() else 40.0
    colourfulness = float(np.clip(chroma / 45.0, 0.0, 1.0))
    light = float(np.clip(np.mean(skin) / 170.0, 0.45, 1.25))

    def tone(rgb: np.ndarray) -> tuple[int, int, int]:
        grey = float(np.dot(rgb, (0.299, 0.587, 0.114)))
        mixed = grey + (rgb - grey) * colourfulness
        return tuple(int(v) for v in np.clip(mixed, 0, 255).round())  # type: ignore[return-value]

    cavity = lip * np.array([0.27, 0.13, 0.13])
    tongue = lip * np.array([0.85, 0.55, 0.55]) * min(light, 1.0)
    teeth = _source_teeth(image, points)
    if teeth is None:
        teeth = np.array([232.0, 226.0, 212.0]) * min(light, 1.0)
    return MouthColours(cavity=tone(cavity), tongue=tone(tongue), teeth=tone(teeth))


def _source_teeth(image: np.ndarray, points: np.ndarray) -> np.ndarray | None:
    """If the photo shows teeth, their real colour (the brightest part of the open mouth)."""
    inner = polygon_mask(image.shape[:2], points[list(INNER_LIPS)])
    mouth_w = float(np.linalg.norm(points[308] - points[78]))
    if inner.sum() < max(30.0, 0.06 * mouth_w**2):
        return None
    pixels = image[inner].astype(np.float64)
    luma = pixels @ np.array([0.299, 0.587, 0.114])
    bright = pixels[luma >= np.percentile(luma, 75)]
    chroma = float(np.mean(np.ptp(bright, axis=1))) if len(bright) else 255.0
    if len(bright) < 10 or float(np.mean(bright @ np.array([0.299, 0.587, 0.114]))) < 110 or chroma > 60:
        return None
    return np.median(bright, axis=0)
