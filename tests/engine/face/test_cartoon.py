"""The cartoon face engine: registry, frame batches, styles, mouth animation and idle stillness."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from engine.errors import UnknownEngine, UnknownStyle
from engine.face import cartoon_draw as draw
from engine.face import engine_for, face_engines
from engine.face.base import FaceEngine
from engine.face.cartoon import BATCH_FRAMES, CartoonFaceEngine, _Cache
from engine.face.motion import STILL, Pose
from engine.face.visemes import mouth_for_viseme
from engine.types import REST_MOUTH, FaceSettings, MouthShape, Viseme
from tests.engine.face.utterances import sequence, utterance

SPEECH = sequence(["h", "ə", "l", "oʊ", "m", "aɪ", "n", "eɪ", "m", "ɪ", "z", "s", "æ", "m"], 0.8, 0.08)


@pytest.fixture(scope="module")
def engine() -> CartoonFaceEngine:
    return CartoonFaceEngine()


def _frames(engine: CartoonFaceEngine, u, settings: FaceSettings) -> np.ndarray:
    return np.concatenate(list(engine.render(u, settings)))


def _region(frames: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    size = frames.shape[1]
    x0, y0, x1, y1 = draw._px(box, size)
    return frames[:, y0:y1, x0:x1].astype(np.float64)


def test_registry_builds_the_cartoon_engine() -> None:
    engine = engine_for(FaceSettings())
    assert isinstance(engine, CartoonFaceEngine) and isinstance(engine, FaceEngine)
    assert engine.name == "cartoon" and "cartoon" in face_engines.names()
    assert engine_for(FaceSettings(engine="cartoon")) is engine  # built once, then shared
    with pytest.raises(UnknownEngine, match="cartoon"):
        engine_for(FaceSettings(engine="puppet"))


@pytest.mark.parametrize(("duration", "fps", "size"), [(1.0, 25, 64), (2.23, 30, 96), (0.01, 25, 64)])
def test_renders_the_right_number_of_frames(engine, duration: float, fps: int, size: int) -> None:
    u = utterance([("a", 0.0, duration / 2)], duration)
    settings = FaceSettings(size=size, fps=fps)
    batches = list(engine.render(u, settings))
    assert all(b.dtype == np.uint8 and b.ndim == 4 and b.shape[1:] == (size, size, 3) for b in batches)
    assert all(1 <= len(b) <= BATCH_FRAMES for b in batches)
    assert sum(len(b) for b in batches) == engine.frame_count(u, settings) == int(np.ceil(duration * fps))


def test_no_audio_renders_no_frames(engine) -> None:
    u = utterance([], 0.0)
    assert engine.frame_count(u, FaceSettings()) == 0
    assert list(engine.render(u, FaceSettings(size=64))) == []


def test_every_style_renders_a_distinct_avatar(engine) -> None:
    names = engine.styles()
    assert {"default", "sunny", "ocean", "forest", "berry", "night", "ocean-deep", "default-light"} <= set(
        names
    )
    means = {}
    for name in names:
        frame = engine.avatar(name, 64).frame(STILL, REST_MOUTH)
        assert frame.shape == (64, 64, 3) and frame.dtype == np.uint8
        assert frame.std() > 20  # a drawn picture, not a flat fill
        means[name] = frame.reshape(-1, 3).mean(axis=0)
    themes = [n for n in names if "-" not in n]
    for i, a in enumerate(themes):
        for b in themes[i + 1 :]:
            assert np.abs(means[a] - means[b]).max() > 3, f"{a} and {b} look the same"
    # A skin tone variant changes the face, not the theme.
    light, deep = engine.avatar("ocean-light", 64), engine.avatar("ocean-deep", 64)
    face = (slice(25, 35), slice(28, 36))
    assert light.frame(STILL, REST_MOUTH)[face].mean() > deep.frame(STILL, REST_MOUTH)[face].mean() + 40


def test_style_names_are_case_insensitive(engine) -> None:
    assert engine.avatar("Sunny", 64) is engine.avatar("sunny", 64)


@pytest.mark.parametrize("style", ["purple", "", "ocean-green", "-deep", "default-"])
def test_unknown_style_is_a_kind_error(engine, style: str) -> None:
    if style == "":
        engine.avatar(style, 64)  # empty means the default style
        return
    u = utterance([("a", 0.1, 0.3)], 0.5)
    with pytest.raises(UnknownStyle) as info:
        engine.render(u, FaceSettings(style=style, size=64))  # fails at the call, not mid-stream
    assert "default" in info.value.message and "night" in info.value.message


def test_mouth_moves_with_speech_and_rests_in_silence(engine) -> None:
    u = utterance(SPEECH, 2.8)
    frames = _frames(engine, u, FaceSettings(size=128, fps=25))
    mouth = _region(frames, draw.MOUTH_BOX)
    step = np.abs(np.diff(mouth, axis=0)).mean(axis=(1, 2, 3))  # change between consecutive frames
    speaking = step[21:45].mean()  # 0.84–1.8 s
    silent = np.concatenate([step[:14], step[60:]]).mean()  # before 0.56 s and after 2.4 s
    assert speaking > 4 * silent
    assert speaking > 2.0


def test_frames_in_silence_differ_only_slightly(engine) -> None:
    u = utterance([], 4.0)
    frames = _frames(engine, u, FaceSettings(size=128, fps=25)).astype(np.float64)
    step = np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2, 3))
    assert step.max() < 1.0  # idle motion and blinks are small, smooth changes
    assert np.abs(frames - frames[0]).mean(axis=(1, 2, 3)).max() > 0.05  # …but the avatar is alive
    eyes = np.abs(np.diff(_region(frames, draw.EYE_BOX), axis=0)).mean(axis=(1, 2, 3))
    mouth = np.abs(np.diff(_region(frames, draw.MOUTH_BOX), axis=0)).mean(axis=(1, 2, 3))
    assert eyes.max() > 3 * mouth.max()  # the eyes blink while the resting mouth stays put


def test_blinks_close_the_eyes_without_touching_the_mouth(engine) -> None:
    avatar = engine.avatar("forest", 128)
    open_eyes = avatar.frame(STILL, REST_MOUTH)[None]
    shut = avatar.frame(Pose(blink=1.0), REST_MOUTH)[None]
    assert np.abs(_region(open_eyes, draw.EYE_BOX) - _region(shut, draw.EYE_BOX)).mean() > 5
    assert np.array_equal(_region(open_eyes, draw.MOUTH_BOX), _region(shut, draw.MOUTH_BOX))


def test_each_viseme_draws_its_own_mouth(engine) -> None:
    avatar = engine.avatar("default", 128)
    mouths = {v: _region(avatar.frame(STILL, mouth_for_viseme(v))[None], draw.MOUTH_BOX) for v in Viseme}
    rest = mouths[Viseme.SILENCE]
    dark = {v: (m.sum(axis=-1) < 200).sum() for v, m in mouths.items()}  # inner-mouth pixels
    assert dark[Viseme.AA] > dark[Viseme.E] > dark[Viseme.PP]
    assert dark[Viseme.O] > dark[Viseme.U]
    for v in (Viseme.AA, Viseme.O, Viseme.U, Viseme.I, Viseme.FF):
        assert np.abs(mouths[v] - rest).mean() > 1.0, f"{v.name} looks like the resting mouth"


def test_render_is_deterministic(engine) -> None:
    u = utterance(SPEECH[:6], 1.5)
    settings = FaceSettings(size=64, style="berry")
    assert np.array_equal(_frames(engine, u, settings), _frames(CartoonFaceEngine(), u, settings))


def test_out_of_range_mouths_and_poses_draw_the_nearest_valid_shape(engine) -> None:
    avatar = engine.avatar("night", 64)
    wide = avatar.frame(STILL, MouthShape(open=1.0, width=1.0, teeth=1.0, tongue=1.0))
    beyond = avatar.frame(STILL, MouthShape(open=7.0, width=3.0, teeth=2.0, tongue=9.0))
    assert np.array_equal(wide, beyond)
    closed = avatar.frame(STILL, REST_MOUTH)
    assert np.array_equal(closed, avatar.frame(STILL, MouthShape(open=-1.0, teeth=float("nan"))))
    assert avatar.frame(Pose(blink=3.0, breath=-5.0), REST_MOUTH).shape == (64, 64, 3)


def test_large_frames_render(engine) -> None:
    u = utterance([("a", 0.0, 0.04)], 0.04)
    (batch,) = engine.render(u, FaceSettings(size=1024, style="ocean-tan"))
    assert batch.shape == (1, 1024, 1024, 3)


def test_patch_cache_stays_within_its_byte_budget() -> None:
    cache = _Cache(budget_bytes=1000)
    made = []

    def maker(i: int):
        def make():
            made.append(i)
            return np.zeros(400, np.uint8), (0, 0)

        return make

    for i in range(5):
        cache.get(i, maker(i))
    cache.get(4, maker(4))  # a hit: not drawn again
    assert made == [0, 1, 2, 3, 4]
    cache.get(0, maker(0))  # evicted long ago: drawn again
    assert made[-1] == 0 and len(made) == 6


def test_concurrent_renders_match(engine) -> None:
    u = utterance(SPEECH[:8], 1.6)
    settings = FaceSettings(size=64, style="forest-brown")
    expected = _frames(CartoonFaceEngine(), u, settings)
    shared = CartoonFaceEngine()
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda _: _frames(shared, u, settings), range(3)))
    assert all(np.array_equal(r, expected) for r in results)
