"""MediaPipe Face Mesh (468/478 points) → the 68-point iBUG layout DiffTalk was trained with.

Each iBUG point is the mesh vertex at the same anatomical place (for a frontal face, subject's right = image
left, as in iBUG). Points along the jaw follow the mesh silhouette; lips use the outer and inner lip rings.
"""

from __future__ import annotations

import numpy as np

MEDIAPIPE_TO_IBUG68 = np.array(
    [
        # 0-16 jaw, from the subject's right ear over the chin (8) to the left ear
        234, 93, 132, 58, 172, 136, 150, 176, 152, 400, 379, 365, 397, 288, 361, 323, 454,
        # 17-21 right brow (outer → inner), 22-26 left brow (inner → outer)
        70, 63, 105, 66, 107, 336, 296, 334, 293, 300,
        # 27-30 nose bridge down to the tip, 31-35 nostrils and the nose bottom (33)
        168, 197, 5, 4, 98, 97, 2, 326, 327,
        # 36-41 right eye (outer corner, upper lid, inner corner, lower lid), 42-47 left eye
        33, 160, 158, 133, 153, 144, 362, 385, 387, 263, 373, 380,
        # 48-59 outer lips (right corner, upper lip, left corner, lower lip)
        61, 40, 37, 0, 267, 270, 291, 321, 314, 17, 84, 91,
        # 60-67 inner lips
        78, 82, 13, 312, 308, 317, 14, 87,
    ],
    dtype=np.int64,
)  # fmt: skip


def ibug68_from_mediapipe(points: np.ndarray) -> np.ndarray:
    """(..., 468 or 478, 2+) mesh points → (..., 68, 2) in the same units."""
    if points.shape[-2] < 468:
        raise ValueError(f"expected MediaPipe Face Mesh points (468 or 478), got {points.shape[-2]}")
    return np.asarray(points)[..., MEDIAPIPE_TO_IBUG68, :2].astype(np.float32)
