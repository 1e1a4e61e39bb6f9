"""Face crops: cut a square face region out of full frames and paste generated faces back with a soft seam.

DiffTalk works on 256² face crops (the official data were pre-cropped). One box serves a whole clip so the
background does not swim; the head moves inside it as it did in the template.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageFilter

from engine.models.difftalk.features import lower_face_mask

FACE_SCALE = 1.6  # crop side relative to the landmarks' extent: whole face with a margin, as in HDTF crops


@dataclass(frozen=True)
class FaceBox:
    """A square region of the frame (it may reach past the edges; those pixels are edge-padded)."""

    x0: int
    y0: int
    side: int

    @classmethod
    def around(cls, landmarks68: np.ndarray, scale: float = FACE_SCALE) -> FaceBox:
        """One box for a clip, from the per-frame landmarks (N, 68, 2) in frame pixels."""
        lo, hi = landmarks68.min(axis=1), landmarks68.max(axis=1)
        centre = np.median((lo + hi) / 2, axis=0)
        extent = float(np.median((hi - lo).max(axis=1)))
        side = max(round(extent * scale), 8)
        return cls(round(centre[0] - side / 2), round(centre[1] - side / 2), side)

    def fit(self, height: int, width: int) -> FaceBox:
        """The same box moved (and if need be shrunk) to lie inside a height × width frame."""
        side = min(self.side, height, width)
        x0 = min(max(self.x0 + (self.side - side) // 2, 0), width - side)
        y0 = min(max(self.y0 + (self.side - side) // 2, 0), height - side)
        return FaceBox(x0, y0, side)

    def to_crop(self, landmarks: np.ndarray, size: int) -> np.ndarray:
        return ((landmarks - np.array([self.x0, self.y0])) * (size / self.side)).astype(np.float32)

    def cut(self, frames: np.ndarray, size: int) -> np.ndarray:
        """(N, H, W, 3) uint8 → (N, size, size, 3) uint8."""
        _n, h, w, _ = frames.shape
        ys = np.clip(np.arange(self.y0, self.y0 + self.side), 0, h - 1)
        xs = np.clip(np.arange(self.x0, self.x0 + self.side), 0, w - 1)
        region = torch.from_numpy(frames[:, ys][:, :, xs]).permute(0, 3, 1, 2).float()
        out = F.interpolate(region, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
        return out.round().clamp(0, 255).byte().permute(0, 2, 3, 1).numpy()

    def paste(self, frames: np.ndarray, faces: np.ndarray, masks: np.ndarray) -> np.ndarray:
        """Blend generated crops (N, s, s, 3) into copies of frames (N, H, W, 3) by masks (N, s, s) in 0…1."""
        _n, h, w, _ = frames.shape
        face = torch.from_numpy(faces).permute(0, 3, 1, 2).float()
        alpha = torch.from_numpy(masks).unsqueeze(1).float()
        face = F.interpolate(face, size=(self.side, self.side), mode="bilinear", antialias=True)
        alpha = F.interpolate(alpha, size=(self.side, self.side), mode="bilinear", antialias=True)
        x0, y0 = max(self.x0, 0), max(self.y0, 0)
        x1, y1 = min(self.x0 + self.side, w), min(self.y0 + self.side, h)
        out = frames.copy()
        if x1 <= x0 or y1 <= y0:
            return out
        sx, sy = x0 - self.x0, y0 - self.y0
        face = face[:, :, sy : sy + y1 - y0, sx : sx + x1 - x0]
        alpha = alpha[:, :, sy : sy + y1 - y0, sx : sx + x1 - x0].clamp(0, 1)
        base = torch.from_numpy(frames[:, y0:y1, x0:x1]).permute(0, 3, 1, 2).float()
        mixed = alpha * face + (1 - alpha) * base
        out[:, y0:y1, x0:x1] = mixed.round().clamp(0, 255).byte().permute(0, 2, 3, 1).numpy()
        return out


def seam_mask(landmarks68_crop: np.ndarray, size: int) -> np.ndarray:
    """The generated region of one crop with a soft edge: the lower-face polygon grown a little and feathered,
    so the seam falls on skin the model reproduced rather than on the jaw line. (size, size) float32."""
    hard = Image.fromarray((lower_face_mask(landmarks68_crop, size) * 255).astype(np.uint8))
    grow = max(3, (size // 40) | 1)  # odd filter size
    soft = hard.filter(ImageFilter.MaxFilter(grow)).filter(ImageFilter.GaussianBlur(size / 64))
    return np.asarray(soft, dtype=np.float32) / 255.0
