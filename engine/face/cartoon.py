"""The cartoon face engine: a friendly procedural avatar for people without a photo.

Speed comes from doing little per frame. The background, the shoulders and the head with its hair are
drawn once per style and size; eyes (per blink level) and mouths (per quantised MouthShape) are small
patches drawn on first use and cached. A frame pastes the eyes and the mouth onto the head, turns and
shifts the head with one affine warp about the neck, slides the shoulders by the breathing offset, and
composites the three layers (premultiplied alpha, OpenCV arithmetic).
"""

from __future__ import annotations

import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator

import cv2
import numpy as np
from PIL import Image

from engine.face import cartoon_draw as draw
from engine.face.cartoon_style import Style, style_for, styles
from engine.face.motion import IdleMotion, Pose
from engine.face.visemes import frame_count, viseme_track
from engine.types import FaceSettings, MouthShape, Utterance

BATCH_FRAMES = 25
BREATH_BODY = 0.0035  # shoulders rise and fall by this fraction of the frame
BREATH_HEAD = 0.0025
YAW_SHIFT = 0.0016  # frame fraction per degree: a turned head shifts sideways a little
PITCH_SHIFT = 0.0012
_BLINK_LEVELS = 24
_CACHE_BYTES = 48 << 20  # per avatar, for each of the mouth and eye caches
_AVATAR_CACHE = 6


# Mouth shapes are cached at this resolution per axis: steps of about a pixel at 512 px.
_MOUTH_STEPS = (40, 16, 10, 10)


def _quantise_mouth(m: MouthShape) -> tuple[int, int, int, int]:
    values = np.nan_to_num(np.array([m.open, m.width, m.teeth, m.tongue], dtype=np.float64))
    values = np.clip(values, (0.0, -1.0, 0.0, 0.0), 1.0)  # out-of-range shapes draw as the nearest valid one
    return tuple(round(float(v) * k) for v, k in zip(values, _MOUTH_STEPS, strict=True))  # type: ignore[return-value]


class _Cache:
    """A thread-safe LRU of numpy-backed entries, bounded by their total size in bytes."""

    def __init__(self, budget_bytes: int) -> None:
        self._items: OrderedDict[object, tuple[np.ndarray, tuple[int, int]]] = OrderedDict()
        self._budget, self._used = budget_bytes, 0
        self._lock = threading.Lock()

    def get(self, key: object, make: Callable[[], tuple[np.ndarray, tuple[int, int]]]):
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
        value = make()  # drawn outside the lock; a concurrent duplicate is harmless
        with self._lock:
            if key not in self._items:
                self._items[key] = value
                self._used += value[0].nbytes
            while self._used > self._budget and len(self._items) > 1:
                _, old = self._items.popitem(last=False)
                self._used -= old[0].nbytes
        return value


Patch = tuple[np.ndarray, tuple[int, int]]  # premultiplied RGBA pixels and their (x, y) in the frame


def _premultiplied(image: Image.Image) -> np.ndarray:
    return np.array(image.convert("RGBA").convert("RGBa"), dtype=np.uint8)


def _over(dst: np.ndarray, src: np.ndarray) -> None:
    """Porter-Duff "over" in place: premultiplied `src` (h, w, 4) onto `dst` (h, w, 3 or 4).

    OpenCV's saturating, rounding uint8 arithmetic does dst·(255-a)/255 + src in a few SIMD passes.
    """
    inv = cv2.bitwise_not(np.ascontiguousarray(src[..., 3]))
    if dst.shape[-1] == 3:
        inv, colour = cv2.merge((inv, inv, inv)), cv2.cvtColor(src, cv2.COLOR_RGBA2RGB)
    else:
        inv, colour = cv2.merge((inv, inv, inv, inv)), src
    dst[...] = cv2.add(cv2.multiply(np.ascontiguousarray(dst), inv, scale=1 / 255), colour)


class CartoonAvatar:
    """One style at one size: the cached layers and the per-frame compositing."""

    def __init__(self, style: Style, size: int) -> None:
        self.style, self.size = style, size
        self._background = np.array(draw.draw_background(style, size))
        body = draw.draw_body(style, size)
        top = (body.getbbox() or (0, 0, size, size))[1]
        pixels = _premultiplied(body.crop((0, top, size, size)))
        # Rows to slide over when breathing: transparent above, the bottom row repeated below.
        self._lift_pad = 2 + int(np.ceil(BREATH_BODY * size))
        pad = self._lift_pad
        above = np.zeros((pad, size, 4), np.uint8)
        below = np.repeat(pixels[-1:], pad + 1, axis=0)
        self._body = np.concatenate([above, pixels, below])
        self._body_rows = pixels.shape[0]
        self._body_y = top
        head, (hx, hy) = draw.draw_head(style, size)
        # Room around the head so a small turn never clips it.
        pad = max(2, round(0.04 * size))
        x0, y0 = max(0, hx - pad), max(0, hy - pad)
        x1, y1 = min(size, hx + head.width + pad), min(size, hy + head.height + pad)
        canvas = Image.new("RGBA", (x1 - x0, y1 - y0), (0, 0, 0, 0))
        canvas.paste(head, (hx - x0, hy - y0))
        self._head = _premultiplied(canvas)
        self._head_xy = (x0, y0)
        self._pivot = (draw.PIVOT[0] * size - x0, draw.PIVOT[1] * size - y0)
        self._eyes = _Cache(_CACHE_BYTES)
        self._mouths = _Cache(_CACHE_BYTES)

    def _eye_patch(self, blink: float) -> Patch:
        key = round(float(np.clip(np.nan_to_num(blink), 0.0, 1.0)) * _BLINK_LEVELS)

        def make() -> Patch:
            image, xy = draw.draw_eyes(self.style, self.size, key / _BLINK_LEVELS)
            return _premultiplied(image), xy

        return self._eyes.get(key, make)

    def _mouth_patch(self, mouth: MouthShape) -> Patch:
        key = _quantise_mouth(mouth)

        def make() -> Patch:
            image, xy = draw.draw_mouth(
                self.style, self.size, MouthShape(*(v / k for v, k in zip(key, _MOUTH_STEPS, strict=True)))
            )
            return _premultiplied(image), xy

        return self._mouths.get(key, make)

    def frame(self, pose: Pose, mouth: MouthShape, out: np.ndarray | None = None) -> np.ndarray:
        """One RGB frame (size, size, 3) for an idle pose and a mouth shape, written into `out` if given."""
        head = self._head.copy()
        hx, hy = self._head_xy
        for pixels, (px, py) in (self._eye_patch(pose.blink), self._mouth_patch(mouth)):
            h, w = pixels.shape[:2]
            _over(head[py - hy : py - hy + h, px - hx : px - hx + w], pixels)
        size = self.size
        tx = (pose.dx + pose.yaw * YAW_SHIFT) * size
        ty = (pose.dy - pose.pitch * PITCH_SHIFT - pose.breath * BREATH_HEAD) * size
        # Rotate about the neck, then shift: a 2×3 forward matrix for OpenCV.
        matrix = cv2.getRotationMatrix2D(self._pivot, -pose.roll, 1.0)
        matrix[:, 2] += (tx, ty)
        moved = cv2.warpAffine(
            head, matrix, (head.shape[1], head.shape[0]), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0, 0)
        )
        if out is None:
            out = np.empty((size, size, 3), dtype=np.uint8)
        out[...] = self._background
        # Breathing in lifts the shoulders: a sub-pixel vertical slide, blending two whole-row offsets.
        lift = float(np.clip(pose.breath, -1.0, 1.0)) * BREATH_BODY * size
        whole = int(np.floor(lift))
        frac = lift - whole
        start = self._lift_pad + whole
        rows = self._body_rows
        upper, lower = self._body[start : start + rows], self._body[start + 1 : start + 1 + rows]
        body = cv2.addWeighted(upper, 1.0 - frac, lower, frac, 0.0)
        _over(out[self._body_y :], body)
        _over(out[hy : hy + moved.shape[0], hx : hx + moved.shape[1]], moved)
        return out


__all__ = ["BATCH_FRAMES", "CartoonAvatar", "CartoonFaceEngine", "styles"]


class CartoonFaceEngine:
    """FaceEngine "cartoon": the procedural avatar, styled by FaceSettings.style."""

    name = "cartoon"

    def __init__(self) -> None:
        self._avatars: OrderedDict[tuple[str, int], CartoonAvatar] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def styles() -> list[str]:
        return styles()

    def avatar(self, style: str, size: int) -> CartoonAvatar:
        """The cached avatar for a style and size (raises UnknownStyle for a name it doesn't know)."""
        resolved = style_for(style)
        key = (resolved.name, size)
        with self._lock:
            if key not in self._avatars:
                self._avatars[key] = CartoonAvatar(resolved, size)
                if len(self._avatars) > _AVATAR_CACHE:
                    self._avatars.popitem(last=False)
            self._avatars.move_to_end(key)
            return self._avatars[key]

    def frame_count(self, utterance: Utterance, settings: FaceSettings) -> int:
        return frame_count(utterance.duration_s, settings.fps)

    def render(self, utterance: Utterance, settings: FaceSettings) -> Iterator[np.ndarray]:
        # Resolve the style before returning the iterator, so a bad name fails at the call.
        avatar = self.avatar(settings.style, settings.size)
        return self._frames(avatar, utterance, settings)

    def _frames(
        self, avatar: CartoonAvatar, utterance: Utterance, settings: FaceSettings
    ) -> Iterator[np.ndarray]:
        track = viseme_track(utterance, settings.fps)
        n = len(track.frames)
        energy = np.array([f.mouth.open for f in track.frames], dtype=np.float64)
        # The same message always renders the same clip.
        seed = zlib.crc32(utterance.text.encode("utf-8", "surrogatepass"))
        motion = IdleMotion(n, settings.fps, seed=seed, energy=energy)
        size = settings.size
        for start in range(0, n, BATCH_FRAMES):
            stop = min(n, start + BATCH_FRAMES)
            batch = np.empty((stop - start, size, size, 3), dtype=np.uint8)
            for i in range(start, stop):
                avatar.frame(motion[i], track.frames[i].mouth, out=batch[i - start])
            yield batch
