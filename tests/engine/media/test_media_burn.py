from __future__ import annotations

import numpy as np
import pytest

from engine.media.burn import CaptionBurner, burn_captions
from engine.media.captions import Cue
from tests.engine.media.synthetic import gradient_batches

H = W = 256


def wcag_contrast(light: float, dark: float) -> float:
    def luminance(v: float) -> float:  # sRGB grey level to relative luminance
        c = v / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return (luminance(light) + 0.05) / (luminance(dark) + 0.05)


@pytest.fixture
def frames() -> np.ndarray:
    return next(gradient_batches(4, W, H, batch=4))


def test_captions_change_only_the_bottom_of_active_frames(frames: np.ndarray) -> None:
    cues = [Cue(0.05, 0.1, "Hello, this is a caption")]
    frames = np.repeat(frames[:1], 4, axis=0)  # a still picture, so any change is the caption's
    out = burn_captions(frames, [0.0, 0.06, 0.09, 0.2], cues)
    changed = np.any(out != frames, axis=(2, 3))  # (frame, row)
    assert not changed[0].any() and not changed[3].any()  # before and after the cue
    rows = np.flatnonzero(changed[1])
    assert rows.size and rows.min() > H * 0.75  # at the bottom
    assert np.array_equal(out[1], out[2])  # same cue, same pixels: no flicker


def test_burned_text_is_legible(frames: np.ndarray) -> None:
    bright = np.full_like(frames, 235)  # worst case for white text: a bright background
    out = CaptionBurner(W, H, [Cue(0.0, 1.0, "Readable words")]).burn(bright, [0.5] * len(bright))
    rows = np.flatnonzero(np.any(out[0] != bright[0], axis=(1, 2)))
    band = out[0, rows.min() : rows.max() + 1].astype(float).mean(axis=2)
    text_px, box_px = np.percentile(band, 99), np.percentile(band[band < 200], 50)
    assert text_px > 230 and box_px < 120  # white strokes on a dark box
    assert wcag_contrast(text_px, box_px) > 7.0  # WCAG AAA for text
    assert rows.max() - rows.min() >= 0.05 * H  # about 5-6 % of the height per line


def test_long_cue_wraps_within_the_frame(frames: np.ndarray) -> None:
    text = "This caption is far too long to fit on a single line of a small frame"
    out = burn_captions(frames[:1], [0.0], [Cue(0.0, 1.0, text)])
    diff = np.any(out[0] != frames[0], axis=2)
    rows, cols = np.flatnonzero(diff.any(axis=1)), np.flatnonzero(diff.any(axis=0))
    line_h = round(H * 0.055 * 1.25)
    assert rows.max() - rows.min() > 1.5 * line_h  # two lines
    assert cols.min() > 0 and cols.max() < W - 1  # nothing cut off at the sides


def test_shape_mismatch_is_rejected(frames: np.ndarray) -> None:
    with pytest.raises(ValueError):
        CaptionBurner(W + 2, H, []).burn(frames, [0.0] * len(frames))


def test_round_video_captions_stay_inside_the_circle() -> None:
    size = 320
    still = np.full((1, size, size, 3), 128, np.uint8)
    cue = Cue(0.0, 1.0, "Thank you for coming, it means a lot to me")
    out = CaptionBurner(size, size, [cue], round_frame=True).burn(still, [0.5])
    ys, xs = np.nonzero(np.any(out[0] != still[0], axis=2))
    assert ys.size
    centre = (size - 1) / 2
    assert np.all((ys - centre) ** 2 + (xs - centre) ** 2 <= (size / 2) ** 2)
    # the same cue in a square frame uses the width and would be cut off by the circle
    square = CaptionBurner(size, size, [cue]).burn(still, [0.5])
    ys, xs = np.nonzero(np.any(square[0] != still[0], axis=2))
    assert np.any((ys - centre) ** 2 + (xs - centre) ** 2 > (size / 2) ** 2)
