"""The `portrait` FaceEngine: protocol, registry, frame counts and batches, errors before frames."""

from __future__ import annotations

import numpy as np
import pytest
from portrait_helpers import silent_utterance, syllable_utterance

from engine.errors import InvalidInput
from engine.face import engine_for
from engine.face.base import FaceEngine
from engine.face.portrait import PortraitFaceEngine, PreparedFace
from engine.types import FaceSettings


def test_registered_and_implements_the_protocol() -> None:
    engine = engine_for(FaceSettings(engine="portrait"))
    assert isinstance(engine, PortraitFaceEngine) and isinstance(engine, FaceEngine)
    assert engine.name == "portrait"


@pytest.mark.parametrize(("size", "fps"), [(64, 12), (128, 25), (512, 30)])
def test_renders_exactly_frame_count_frames_in_rgb_batches(
    prepared_faces: dict[str, PreparedFace], size: int, fps: int
) -> None:
    face = prepared_faces["liveportrait_s9_painting.jpg"]
    settings = FaceSettings(engine="portrait", prepared_face=face.to_bytes(), size=size, fps=fps)
    utterance = syllable_utterance(seconds=0.93, seed=4)
    engine = PortraitFaceEngine()
    n = engine.frame_count(utterance, settings)
    assert n == int(np.ceil(0.93 * fps))
    batches = list(engine.render(utterance, settings))
    assert all(b.dtype == np.uint8 and b.ndim == 4 and b.shape[1:] == (size, size, 3) for b in batches)
    frames = np.concatenate(batches)
    assert len(frames) == n
    assert frames.std() > 10  # a picture, not a blank


def test_same_message_renders_the_same_clip(prepared_faces: dict[str, PreparedFace]) -> None:
    face = prepared_faces["sadtalker_happy1.png"]
    settings = FaceSettings(engine="portrait", prepared_face=face.to_bytes(), size=128)
    utterance = syllable_utterance(seconds=1.0, seed=5)
    first = np.concatenate(list(PortraitFaceEngine().render(utterance, settings)))
    second = np.concatenate(list(PortraitFaceEngine().render(utterance, settings)))
    np.testing.assert_array_equal(first, second)


def test_empty_audio_renders_no_frames(prepared_faces: dict[str, PreparedFace]) -> None:
    settings = FaceSettings(
        engine="portrait", prepared_face=prepared_faces["sadtalker_sad.png"].to_bytes(), size=64
    )
    utterance = silent_utterance(seconds=0.0)
    assert PortraitFaceEngine().frame_count(utterance, settings) == 0
    assert list(PortraitFaceEngine().render(utterance, settings)) == []


def test_missing_or_damaged_face_fails_before_any_frame() -> None:
    engine = PortraitFaceEngine()
    utterance = silent_utterance(seconds=0.5)
    with pytest.raises(InvalidInput, match="needs your photo"):
        engine.render(utterance, FaceSettings(engine="portrait", size=128))
    with pytest.raises(InvalidInput, match="damaged"):
        engine.render(utterance, FaceSettings(engine="portrait", prepared_face=b"ALPF\x01junk", size=128))
