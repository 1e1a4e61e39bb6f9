"""Piecewise-affine image warping driven by a triangle mesh, fast enough for real time on a CPU.

The inverse map (for each output pixel, where to read in the source) is computed exactly per
triangle on a coarse grid, then upsampled: a piecewise-affine map is continuous, so bilinear
upsampling loses almost nothing, and one cv2.remap at full resolution does the rest.
"""

from __future__ import annotations

import cv2
import numpy as np

GRID_STEP = 4  # full-resolution pixels per coarse-grid cell
_SHIFT = 4  # fixed-point bits for sub-pixel triangle rasterisation


def delaunay(points: np.ndarray, width: int, height: int) -> np.ndarray:
    """Delaunay triangles (T, 3) of vertex indices; points must lie inside the frame and be distinct."""
    subdiv = cv2.Subdiv2D((-1, -1, width + 2, height + 2))
    index: dict[tuple[float, float], int] = {}
    for i, (x, y) in enumerate(points.astype(np.float32)):
        index[(float(x), float(y))] = i
        subdiv.insert((float(x), float(y)))
    triangles = []
    for tri in subdiv.getTriangleList().reshape(-1, 3, 2):
        ids = [index.get((float(np.float32(x)), float(np.float32(y)))) for x, y in tri]
        if None not in ids:  # triangles touching Subdiv2D's virtual outer vertices are dropped
            triangles.append(ids)
    return np.asarray(triangles, dtype=np.int32)


class MeshWarper:
    """Warps one fixed source image from its source mesh to per-frame destination meshes."""

    def __init__(self, image: np.ndarray, source: np.ndarray, triangles: np.ndarray) -> None:
        self.image = image
        self.source = source.astype(np.float64)
        self.triangles = triangles
        h, w = image.shape[:2]
        self.size = (w, h)
        self.grid = (int(np.ceil(w / GRID_STEP)), int(np.ceil(h / GRID_STEP)))
        gw, gh = self.grid
        # Full-resolution coordinates of the coarse cell centres (cv2.resize's half-pixel convention).
        self._sx, self._sy = w / gw, h / gh
        gx = (np.arange(gw) + 0.5) * self._sx - 0.5
        gy = (np.arange(gh) + 0.5) * self._sy - 0.5
        self._gx, self._gy = np.meshgrid(gx.astype(np.float32), gy.astype(np.float32))
        self._labels = np.empty((gh, gw), dtype=np.int32)

    def inverse_map(self, dest: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Coarse-grid (map_x, map_y): where each cell centre of the output reads in the source."""
        tri_d = dest[self.triangles].astype(np.float64)  # (T, 3, 2)
        tri_s = self.source[self.triangles]
        # Per-triangle affine dest → source: [x y 1] @ X = source, solved for all triangles at once.
        a = np.concatenate([tri_d, np.ones((*tri_d.shape[:2], 1))], axis=2)
        det = np.linalg.det(a)
        usable = np.abs(det) > 1e-9
        xform = np.zeros((len(a), 3, 2))
        xform[usable] = np.linalg.solve(a[usable], tri_s[usable])
        # Rasterise each destination triangle's id into the coarse grid (later ones win on shared edges).
        labels = self._labels
        labels.fill(-1)
        scale = np.array([1 / self._sx, 1 / self._sy])
        coarse = ((tri_d + 0.5) * scale - 0.5) * (1 << _SHIFT)
        coarse = np.round(coarse).astype(np.int32)
        for t in np.flatnonzero(usable):
            cv2.fillConvexPoly(labels, coarse[t], int(t), lineType=cv2.LINE_8, shift=_SHIFT)
        covered = labels >= 0
        ids = labels[covered]
        x, y = self._gx[covered], self._gy[covered]
        map_x, map_y = self._gx.copy(), self._gy.copy()
        m = xform[ids]
        map_x[covered] = x * m[:, 0, 0] + y * m[:, 1, 0] + m[:, 2, 0]
        map_y[covered] = x * m[:, 0, 1] + y * m[:, 1, 1] + m[:, 2, 1]
        return map_x, map_y

    def warp(self, dest: np.ndarray) -> np.ndarray:
        map_x, map_y = self.inverse_map(dest)
        full_x = cv2.resize(map_x, self.size, interpolation=cv2.INTER_LINEAR)
        full_y = cv2.resize(map_y, self.size, interpolation=cv2.INTER_LINEAR)
        return cv2.remap(self.image, full_x, full_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
