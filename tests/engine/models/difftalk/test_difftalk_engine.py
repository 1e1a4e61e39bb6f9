from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
from difftalk_layout import face_landmarks68
from PIL import Image

from engine.config import Settings
from engine.errors import ModelMissing, NoFaceFound
from engine.face.base import FaceEngine
from engine.face.difftalk import VIEW_SCALE, DiffTalkFaceEngine, Template
from engine.face.portrait.prepare import prepare
from engine.models.difftalk.config import DiffTalkConfig
from engine.models.difftalk.crop import FaceBox
from engine.models.difftalk.model import DiffTalkModel
from engine.models.difftalk.pipeline import SampleOptions
from engine.types import FaceSettings, Utterance


def _utterance(path: Path) -> Utterance:
    with wave.open(str(path)) as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
        audio = (pcm.reshape(-1, w.getnchannels()).mean(axis=1) / 32768).astype(np.float32)
        return Utterance(audio, w.getframerate(), (), (), "en", "in being comparatively modern.")


@pytest.fixture(scope="module")
def face(shared_data: Path) -> tuple[np.ndarray, np.ndarray]:
    return face_landmarks68(shared_data / "images" / "sadtalker_sad.png")


@pytest.fixture
def engine(tmp_path: Path) -> DiffTalkFaceEngine:
    settings = Settings(data_dir=tmp_path, device="cpu")
    return DiffTalkFaceEngine(settings, options=SampleOptions(steps=2, batch_size=4))


def _install(engine: DiffTalkFaceEngine, name: str, template: Template | None) -> None:
    directory = engine.settings.resolved_models_dir / "difftalk" / name
    DiffTalkModel.from_config(DiffTalkConfig.tiny(), seed=0).save(directory)
    if template is not None:
        template.save(directory)


def test_missing_weights_raise_model_missing(engine: DiffTalkFaceEngine, shared_data: Path) -> None:
    assert isinstance(engine, FaceEngine)
    utt = _utterance(shared_data / "audio" / "LJ001-0002.wav")
    with pytest.raises(ModelMissing, match="no DiffTalk weights"):
        engine.render(utt, FaceSettings(engine="difftalk"))
    with pytest.raises(ModelMissing, match="not installed"):
        engine.render(utt, FaceSettings(engine="difftalk", weights="nobody"))
    _install(engine, "bare", None)
    with pytest.raises(ModelMissing, match="no face template"):
        engine.render(utt, FaceSettings(engine="difftalk", weights="bare"))


def test_renders_a_video_template(
    engine: DiffTalkFaceEngine, shared_data: Path, face: tuple[np.ndarray, np.ndarray]
) -> None:
    rgb, lms = face
    _install(engine, "alice", Template(np.stack([rgb, rgb]), np.stack([lms, lms])))
    utt = _utterance(shared_data / "audio" / "LJ001-0002.wav")  # 1.90 s
    settings = FaceSettings(engine="difftalk", weights="alice", size=128, fps=5)
    frames = np.concatenate(list(engine.render(utt, settings)))
    assert len(frames) == engine.frame_count(utt, settings) == 10
    assert frames.shape[1:] == (128, 128, 3) and frames.dtype == np.uint8
    Image.fromarray(np.concatenate([frames[0], frames[-1]], axis=1)).save("/tmp/difftalk_engine_test.png")
    box = FaceBox.around(lms[None], VIEW_SCALE).fit(*rgb.shape[:2])
    view, view_lms = box.cut(rgb[None], 128)[0], box.to_crop(lms, 128)
    changed_rows = np.nonzero((frames != view).any(axis=(0, 2, 3)))[0]
    # Only the lower face changes: from just above the nose bottom (the soft seam) down to the chin.
    assert view_lms[30, 1] - 6 <= changed_rows.min() <= view_lms[33, 1]
    assert changed_rows.max() <= view_lms[8, 1] + 8
    mouth = slice(int(view_lms[50, 1]), int(view_lms[57, 1]))
    assert np.abs(frames[:, mouth].astype(int) - view[mouth].astype(int)).mean() > 2  # regenerated


def test_renders_a_photo_template_with_idle_motion(
    engine: DiffTalkFaceEngine, shared_data: Path, face: tuple[np.ndarray, np.ndarray]
) -> None:
    rgb, lms = face
    _install(engine, "bob", Template(rgb[None], lms[None]))
    utt = _utterance(shared_data / "audio" / "LJ001-0002.wav")
    settings = FaceSettings(engine="difftalk", weights="bob", size=96, fps=4)
    frames = np.concatenate(list(engine.render(utt, settings)))
    assert frames.shape == (8, 96, 96, 3)
    assert not np.array_equal(frames[0, :20], frames[-1, :20])  # the head sways a little


def test_empty_utterance_renders_nothing(
    engine: DiffTalkFaceEngine, face: tuple[np.ndarray, np.ndarray]
) -> None:
    rgb, lms = face
    _install(engine, "carol", Template(rgb[None], lms[None]))
    utt = Utterance(np.zeros(0, np.float32), 16000, (), (), "en", "")
    assert list(engine.render(utt, FaceSettings(engine="difftalk", weights="carol"))) == []


def test_renders_a_prepared_portrait_with_blinks(
    engine: DiffTalkFaceEngine, shared_data: Path, face: tuple[np.ndarray, np.ndarray]
) -> None:
    rgb, _ = face
    _install(engine, "dave", None)  # weights without a template: the profile's photo is the template
    prepared = prepare(rgb).to_bytes()
    utt = _utterance(shared_data / "audio" / "LJ001-0002.wav")
    settings = FaceSettings(engine="difftalk", weights="dave", prepared_face=prepared, size=96, fps=4)
    frames = np.concatenate(list(engine.render(utt, settings)))
    assert frames.shape == (8, 96, 96, 3)
    Image.fromarray(np.concatenate(list(frames[::2]), axis=1)).save("/tmp/difftalk_portrait_test.png")


def test_template_from_video_frames(face: tuple[np.ndarray, np.ndarray]) -> None:
    rgb, lms = face
    frames = np.stack([rgb, np.roll(rgb, 4, axis=1), np.roll(rgb, 8, axis=1)])
    template = Template.from_video(frames)
    assert template.landmarks.shape == (3, 68, 2)
    shift = template.landmarks[2, :, 0].mean() - template.landmarks[0, :, 0].mean()
    assert 5 < shift < 11  # the face moved 8 px; smoothing keeps the ends close to it
    assert np.abs(template.landmarks[0] - lms).mean() < 2.5
    with pytest.raises(NoFaceFound):
        Template.from_video(np.zeros((1, 128, 128, 3), np.uint8))
