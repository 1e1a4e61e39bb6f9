"""Portrait avatars: the person's own photo, animated by landmark warping on the CPU."""

from engine.face.portrait.engine import PortraitFaceEngine, loudness_envelope
from engine.face.portrait.landmarks import FaceLandmarks, detect_landmarks
from engine.face.portrait.prepare import PreparedFace, prepare, prepare_from_file

__all__ = [
    "FaceLandmarks",
    "PortraitFaceEngine",
    "PreparedFace",
    "detect_landmarks",
    "loudness_envelope",
    "prepare",
    "prepare_from_file",
]
