"""Burned-in captions: white text with a dark outline on a dark box at the bottom of the frame.

Each cue is rendered once (Pillow's bundled scalable font, so no font files are needed) and then
alpha-blended into every frame it covers; only the rows under the caption are touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from engine.media.captions import Cue

FONT_FRACTION = 0.055  # text height relative to the frame height
MIN_FONT_PX = 11
MAX_LINES = 2
ROUND_MARGIN = 0.1  # bottom margin in a round frame, as a fraction of the height
BOX_ALPHA = 190  # the box darkens the picture enough for white text without hiding it


@lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _wrap_px(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, max_px: float) -> list[str]:
    """Wrap by rendered width; over-long words are cut by characters."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        while font.getlength(word) > max_px and len(word) > 1:
            cut = len(word) - 1
            while cut > 1 and font.getlength(word[:cut]) > max_px:
                cut -= 1
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:cut])
            word = word[cut:]
        candidate = f"{line} {word}" if line else word
        if line and font.getlength(candidate) > max_px:
            lines.append(line)
            line = word
        else:
            line = candidate
    if line:
        lines.append(line)
    return lines


class CaptionBurner:
    """Draws cues into frames of one size; rendered cue overlays are cached."""

    def __init__(self, width: int, height: int, cues: Sequence[Cue], *, round_frame: bool = False) -> None:
        """round_frame: the picture is shown in a circle (Telegram video notes), so the caption must stay
        inside the inscribed circle: it sits higher, narrower, and may take a third line."""
        if width < 16 or height < 16:
            raise ValueError("frame too small for captions")
        self.width, self.height, self.round_frame = width, height, round_frame
        self.cues = sorted(cues, key=lambda c: c.start_s)
        self._starts = np.array([c.start_s for c in self.cues])
        self._cache: dict[int, tuple[int, int, np.ndarray, np.ndarray]] = {}

    def cue_index(self, t: float) -> int | None:
        """The cue on screen at time t (cues never overlap: the last one started wins)."""
        i = int(np.searchsorted(self._starts, t, side="right")) - 1
        if i >= 0 and t < self.cues[i].end_s:
            return i
        return None

    def _render(self, index: int) -> tuple[int, int, np.ndarray, np.ndarray]:
        """(top row, left column, premultiplied RGB, alpha) of a cue's overlay, cropped to its box."""
        if index in self._cache:
            return self._cache[index]
        text = " ".join(self.cues[index].text.split())
        size = max(round(self.height * FONT_FRACTION), MIN_FONT_PX)
        smallest = max(MIN_FONT_PX, round(self.height * 0.04)) if self.round_frame else MIN_FONT_PX
        max_lines = MAX_LINES + 1 if self.round_frame else MAX_LINES
        margin = max(2, round(self.height * (ROUND_MARGIN if self.round_frame else 0.04)))
        if self.round_frame:
            # the chord of the inscribed circle at the caption's bottom edge bounds the box
            r = min(self.width, self.height) / 2
            dy = self.height - margin - self.height / 2
            max_px = 2 * np.sqrt(max(r * r - dy * dy, 0.0)) * 0.92
        else:
            max_px = self.width * 0.9
        font = _font(size)
        lines = _wrap_px(text, font, max_px)
        while len(lines) > max_lines and size > smallest:  # a long cue on a small frame: shrink a little
            size -= 1
            font = _font(size)
            lines = _wrap_px(text, font, max_px)
        stroke = max(1, size // 12)
        line_h = round(size * 1.25)
        pad = max(2, size // 3)
        block_h = line_h * len(lines) + 2 * pad
        top = max(0, self.height - margin - block_h)
        overlay = Image.new("RGBA", (self.width, min(block_h, self.height)), (0, 0, 0, 0))
        draw = ImageDraw.Draw(overlay)
        widths = [font.getlength(line) for line in lines]
        box_w = min(max(widths) + 2 * pad, self.width)
        x0 = (self.width - box_w) / 2
        draw.rounded_rectangle((x0, 0, x0 + box_w, block_h - 1), radius=pad, fill=(0, 0, 0, BOX_ALPHA))
        for n, (line, w) in enumerate(zip(lines, widths, strict=True)):
            draw.text(
                ((self.width - w) / 2, pad + n * line_h + line_h / 2),
                line,
                font=font,
                fill=(255, 255, 255, 255),
                anchor="lm",
                stroke_width=stroke,
                stroke_fill=(0, 0, 0, 255),
            )
        rgba = np.asarray(overlay, dtype=np.float32) / 255.0
        cols = np.flatnonzero(rgba[..., 3].any(axis=0))  # blend only under the box
        left = int(cols[0]) if cols.size else 0
        rgba = rgba[:, left : int(cols[-1]) + 1] if cols.size else rgba[:, :0]
        alpha = rgba[..., 3:4]
        entry = (top, left, rgba[..., :3] * alpha * 255.0, alpha)
        self._cache[index] = entry
        return entry

    def burn(self, frames: np.ndarray, times_s: Sequence[float] | np.ndarray) -> np.ndarray:
        """Captioned copies of a (n, h, w, 3) uint8 batch; times_s gives each frame's time."""
        if frames.ndim != 4 or frames.shape[1:] != (self.height, self.width, 3):
            raise ValueError(
                f"expected frames of shape (n, {self.height}, {self.width}, 3), got {frames.shape}"
            )
        if len(times_s) != len(frames):
            raise ValueError("one time per frame is needed")
        out = frames.copy()
        for k, t in enumerate(times_s):
            index = self.cue_index(float(t))
            if index is None:
                continue
            top, left, premult, alpha = self._render(index)
            region = out[k, top : top + alpha.shape[0], left : left + alpha.shape[1]]
            n = region.shape[0]
            blended = premult[:n] + region.astype(np.float32) * (1.0 - alpha[:n])
            region[...] = np.clip(blended + 0.5, 0, 255).astype(np.uint8)
        return out


def burn_captions(
    frames: np.ndarray, frame_times_s: Sequence[float] | np.ndarray, cues: Sequence[Cue]
) -> np.ndarray:
    """One-off burn-in for a batch; use CaptionBurner directly to reuse rendered cues across batches."""
    _, h, w, _ = frames.shape
    return CaptionBurner(w, h, cues).burn(frames, frame_times_s)
