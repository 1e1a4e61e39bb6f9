"""Animation quality on the real photos: identity holds, the mouth follows the speech, silence is still."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from portrait_helpers import FACE_PHOTOS, envelope_track, luma, silent_utterance, ssim, syllable_utterance

from engine.face.motion import STILL, Pose
from engine.face.portrait.animate import PortraitAnimator
from engine.face.portrait.engine import PortraitFaceEngine, loudness_envelope
from engine.face.portrait.prepare import PreparedFace
from engine.face.portrait.regions import MESH_POINTS
from engine.types import REST_MOUTH, FaceSettings, MouthShape, Utterance

SIZE = 256
FPS = 25


def settings_for(face: PreparedFace, size: int = SIZE) -> FaceSettings:
    return FaceSettings(engine="portrait", prepared_face=face.to_bytes(), size=size, fps=FPS)


def render_clip(face: PreparedFace, utterance: Utterance, size: int = SIZE) -> np.ndarray:
    engine = PortraitFaceEngine(track=envelope_track)
    return np.concatenate(list(engine.render(utterance, settings_for(face, size))))


def upper_face_box(animator: PortraitAnimator) -> tuple[slice, slice]:
    """Forehead to the bottom of the nose, between the outer eye corners."""
    p = animator.points
    top, bottom = int(p[10, 1]), int(p[2, 1])
    left, right = int(p[234, 0]), int(p[454, 0])
    return slice(top, bottom), slice(left, right)


def mouth_box(animator: PortraitAnimator) -> tuple[slice, slice]:
    wm = animator.mouth_width
    cx, cy = animator.mouth_centre
    return slice(int(cy - 0.4 * wm), int(cy + 0.8 * wm)), slice(int(cx - 0.7 * wm), int(cx + 0.7 * wm))


@pytest.mark.parametrize("name", FACE_PHOTOS)
def test_identity_holds_on_every_frame(prepared_faces: dict[str, PreparedFace], name: str) -> None:
    """The upper face keeps the photo's appearance, up to the small rigid head motion of each frame."""
    face = prepared_faces[name]
    animator = PortraitAnimator(face, SIZE)
    engine = PortraitFaceEngine(track=envelope_track)
    plan = engine.plan(syllable_utterance(seconds=2.4, seed=1), settings_for(face))
    rows, cols = upper_face_box(animator)
    upper = np.flatnonzero(animator.rest[:MESH_POINTS, 1] < animator.points[2, 1])
    source = animator.warper.image
    scores = []
    for mouth, pose in plan:
        frame = animator.frame(mouth, pose)
        # Undo the head motion (a similarity fitted to the upper-face landmarks) before comparing.
        dest = animator.mesh(mouth, pose)[upper].astype(np.float32)
        m, _ = cv2.estimateAffinePartial2D(animator.rest[upper].astype(np.float32), dest)
        expected = cv2.warpAffine(
            source, m, (SIZE, SIZE), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        scores.append(ssim(luma(frame)[rows, cols], luma(expected)[rows, cols]))
    assert min(scores) >= 0.9, f"{name}: lowest upper-face SSIM {min(scores):.3f}"
    # Speech alone (no idle motion) leaves the upper face exactly as in the photo.
    for mouth, _ in plan[::6]:
        frame = animator.frame(mouth, STILL)
        assert ssim(luma(frame)[rows, cols], luma(source)[rows, cols]) >= 0.99


@pytest.mark.parametrize(
    ("name", "track"),
    [
        ("sadtalker_sad.png", "visemes"),
        ("liveportrait_s2.jpg", "visemes"),
        ("liveportrait_s9_painting.jpg", "visemes"),
        ("sadtalker_sad.png", "envelope"),
    ],
)
def test_mouth_opening_follows_loudness(
    prepared_faces: dict[str, PreparedFace], name: str, track: str
) -> None:
    face = prepared_faces[name]
    utterance = syllable_utterance(seconds=2.6, seed=2)
    engine = PortraitFaceEngine(track=envelope_track if track == "envelope" else None)
    settings = settings_for(face, size=192)
    frames = np.concatenate(list(engine.render(utterance, settings)))
    # Opening, measured from the rendered frames: how far the mouth region departs from the same
    # frame (same head pose) with the mouth closed.
    animator = engine.animator(settings)
    rows, cols = mouth_box(animator)
    opening = np.array(
        [
            np.abs(luma(frame)[rows, cols] - luma(animator.frame(REST_MOUTH, pose))[rows, cols]).mean()
            for frame, (_, pose) in zip(frames, engine.plan(utterance, settings), strict=True)
        ]
    )
    loudness = loudness_envelope(utterance.audio, utterance.sample_rate, FPS, len(frames))
    r = float(np.corrcoef(opening, loudness)[0, 1])
    assert r >= 0.5, f"{name}: mouth opening vs loudness r={r:.2f}"


def test_silence_moves_only_by_idle_motion(prepared_faces: dict[str, PreparedFace]) -> None:
    face = prepared_faces["sadtalker_happy.png"]
    utterance = silent_utterance(seconds=2.0)
    frames = render_clip(face, utterance)
    engine = PortraitFaceEngine(track=envelope_track)
    animator = engine.animator(settings_for(face))  # built from the stored bytes, as in rendering
    plan = engine.plan(utterance, settings_for(face))
    assert len(plan) == len(frames)
    for i in range(0, len(plan), 5):
        mouth, pose = plan[i]
        assert mouth == REST_MOUTH
        np.testing.assert_array_equal(frames[i], animator.frame(REST_MOUTH, pose))
    # Without idle motion, silence is the photo itself: no jitter, no seams.
    still = [animator.frame(REST_MOUTH, STILL) for _ in range(3)]
    for f in still:
        np.testing.assert_array_equal(f, animator.warper.image)


def test_blink_changes_only_the_eyes(prepared_faces: dict[str, PreparedFace]) -> None:
    face = prepared_faces["sadtalker_sad.png"]
    animator = PortraitAnimator(face, SIZE)
    rest = animator.frame(REST_MOUTH, STILL).astype(int)
    closed = animator.frame(REST_MOUTH, Pose(blink=1.0)).astype(int)
    changed = np.abs(closed - rest).max(axis=2) > 8
    p = animator.points
    ys = np.nonzero(changed)[0]
    assert len(ys) > 50  # the lids really moved
    brow_y, nose_y = p[[105, 334], 1].min() - 2, p[4, 1]
    assert ys.min() >= brow_y and ys.max() <= nose_y
    # Closed lids cover the irises: the eye region gets lighter (skin over a dark iris).
    for iris in (468, 473):
        x, y = p[iris].astype(int)
        assert (
            luma(closed[y - 2 : y + 3, x - 2 : x + 3]).mean()
            > luma(rest[y - 2 : y + 3, x - 2 : x + 3]).mean()
        )


def test_open_mouth_leaves_the_upper_face_and_background_untouched(
    prepared_faces: dict[str, PreparedFace],
) -> None:
    face = prepared_faces["liveportrait_s9_painting.jpg"]
    animator = PortraitAnimator(face, SIZE)
    rest = animator.frame(REST_MOUTH, STILL)
    wide = animator.frame(MouthShape(open=1.0, width=0.3, teeth=1.0), STILL)
    diff = np.abs(wide.astype(int) - rest.astype(int)).max(axis=2)
    nose_y = int(animator.points[2, 1])
    assert diff[: nose_y - 2].max() == 0
    assert diff[:, : int(animator.points[234, 0]) - 5].max() <= 2  # background beside the face
    rows, cols = mouth_box(animator)
    assert (diff[rows, cols] > 40).sum() > 100  # and the mouth did open
    # The interior is darker than the lips around it, with lighter teeth at the top.
    m = animator.mouth_centre.astype(int)
    gap_top = int(animator.mesh(MouthShape(open=1.0, width=0.3, teeth=1.0), STILL)[13, 1])
    assert (
        luma(wide[m[1] + 8 : m[1] + 14, m[0] - 2 : m[0] + 3]).mean()
        < luma(rest[m[1] - 20 : m[1] - 16, m[0]]).mean()
    )
    assert luma(wide[gap_top + 1 : gap_top + 3, m[0] - 2 : m[0] + 3]).mean() > 120


def test_motion_is_temporally_smooth(prepared_faces: dict[str, PreparedFace]) -> None:
    # Consecutive frames differ far less than frames a second apart: no jitter or popping.
    face = prepared_faces["sadtalker_happy1.png"]
    frames = render_clip(face, syllable_utterance(seconds=2.0, seed=3), size=192).astype(np.float64)
    step = np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2, 3))
    assert step.max() < 6.0
