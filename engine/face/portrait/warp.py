"""Piecewise-affine image warping driven by a triangle mesh, fast enough for real time on a CPU.

The inverse map (for each output pixel, where to read in the source) is computed exactly per
triangle on a coarse grid, then upsampled: a piecewise-affine map is continuous, so bilinear
upsampling loses almost nothing, and one cv2.remap at full resolution does the rest.
"""

from __future__ import annotations

import cv2
import numpy as np

GRID_CELLS = 128  # coarse-grid cells across the frame: fine enough for the lip corners at any size
_SHIFT = 4  # fixed-point bits for sub-pixel triangle rasterisation
OUTSIDE_TOLERANCE = 0.15  # barycentric weight below zero up to which a triangle's map may extrapolate


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
        step = max(1, round(max(w, h) / GRID_CELLS))
        self.grid = (int(np.ceil(w / step)), int(np.ceil(h / step)))
        gw, gh = self.grid
        # Full-resolution coordinates of the coarse cell centres (cv2.resize's half-pixel convention).
        self._sx, self._sy = w / gw, h / gh
        gx = (np.arange(gw) + 0.5) * self._sx - 0.5
        gy = (np.arange(gh) + 0.5) * self._sy - 0.5
        self._gx, self._gy = np.meshgrid(gx.astype(np.float32), gy.astype(np.float32))
        self._corner_neighbours = _corner_neighbours(triangles, len(source))
        self._edge_neighbours = _edge_neighbours(triangles)
        self._source_corners = self.source[triangles]
        self._full_x, self._full_y = np.meshgrid(
            np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32)
        )

    def inverse_map(self, dest: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Coarse-grid (map_x, map_y): where each cell centre of the output reads in the source."""
        tri_d = dest[self.triangles].astype(np.float64)  # (T, 3, 2)
        det, bary = _barycentric_transforms(tri_d)
        usable = np.abs(det) > 1e-6
        # Rasterise each destination triangle's id into the coarse grid. Edge cells are claimed by
        # several triangles; drawing thin triangles first lets well-shaped neighbours win them, whose
        # map extrapolates gently to a cell just outside (a thin one's would fly off).
        edges = np.linalg.norm(tri_d - np.roll(tri_d, 1, axis=1), axis=2).max(axis=1)
        altitude = np.abs(det) / np.maximum(edges, 1e-9)
        labels = np.full(self._gx.shape, -1, dtype=np.int32)  # per call: one animator may serve threads
        scale = np.array([1 / self._sx, 1 / self._sy])
        coarse = ((tri_d + 0.5) * scale - 0.5) * (1 << _SHIFT)
        coarse = np.round(coarse).astype(np.int32)
        for t in np.argsort(altitude):
            if usable[t]:
                cv2.fillConvexPoly(labels, coarse[t], int(t), lineType=cv2.LINE_8, shift=_SHIFT)
        covered = labels >= 0
        ids = labels[covered]
        x, y = self._gx[covered], self._gy[covered]
        map_x, map_y = self._gx.copy(), self._gy.copy()
        b = bary[ids]
        w = x[:, None] * b[:, 0] + y[:, None] * b[:, 1] + b[:, 2]
        outside = np.flatnonzero(w.min(axis=1) < -OUTSIDE_TOLERANCE)
        # Rasterisation claims edge cells generously, so some lie outside their triangle. A little
        # outside a well-shaped one is harmless (the map is continuous); far outside a thin one is
        # not: move those to the neighbouring triangle they are deepest inside, looking first across
        # the edges (cheap, nearly always enough), then around the corners.
        for neighbours in (self._edge_neighbours, self._corner_neighbours):
            if not len(outside):
                break
            cand = neighbours[ids[outside]]  # (n, K)
            bc = bary[cand]  # (n, K, 3, 3)
            all_w = x[outside, None, None] * bc[:, :, 0] + y[outside, None, None] * bc[:, :, 1] + bc[:, :, 2]
            score = np.where(usable[cand], all_w.min(axis=2), -np.inf)
            best = score.argmax(axis=1)
            rows = np.arange(len(outside))
            ids[outside] = cand[rows, best]
            w[outside] = all_w[rows, best]
            outside = outside[score[rows, best] < -OUTSIDE_TOLERANCE]
        # Cells beyond the mesh's outer edge (none in practice) must not extrapolate far.
        w = np.clip(w, -0.5, None)
        corners = self._source_corners[ids]  # (n, 3, 2)
        src = (w[:, :, None] * corners).sum(axis=1)
        map_x[covered] = src[:, 0]
        map_y[covered] = src[:, 1]
        return map_x, map_y

    def warp(self, dest: np.ndarray) -> np.ndarray:
        map_x, map_y = self.inverse_map(dest)
        # Upsample the displacement, not the map: beyond the outer cell centres it then extends as a
        # constant, so the still frame edges stay exactly in place.
        full_x = cv2.resize(map_x - self._gx, self.size, interpolation=cv2.INTER_LINEAR) + self._full_x
        full_y = cv2.resize(map_y - self._gy, self.size, interpolation=cv2.INTER_LINEAR) + self._full_y
        return cv2.remap(self.image, full_x, full_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _corner_neighbours(triangles: np.ndarray, n_vertices: int) -> np.ndarray:
    """(T, K) ids of the triangles sharing a corner with each triangle (itself included), padded."""
    by_vertex: list[list[int]] = [[] for _ in range(n_vertices)]
    for t, tri in enumerate(triangles):
        for v in tri:
            by_vertex[v].append(t)
    lists = [sorted({n for v in tri for n in by_vertex[v]}) for tri in triangles]
    width = max(len(x) for x in lists)
    out = np.empty((len(triangles), width), dtype=np.int64)
    for t, ns in enumerate(lists):
        out[t] = ns + [t] * (width - len(ns))
    return out


def _barycentric_transforms(tri: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For triangles (T, 3, 2): twice their signed areas and B (T, 3, 3) with [x y 1] @ B = weights.

    Closed form (the adjugate): numpy's batched inverse is needlessly slow for 3×3 matrices.
    """
    x0, y0 = tri[:, 0, 0], tri[:, 0, 1]
    x1, y1 = tri[:, 1, 0], tri[:, 1, 1]
    x2, y2 = tri[:, 2, 0], tri[:, 2, 1]
    det = x0 * (y1 - y2) + x1 * (y2 - y0) + x2 * (y0 - y1)
    safe = np.where(np.abs(det) > 1e-6, det, 1.0)
    adj = np.stack(
        [
            np.stack([y1 - y2, y2 - y0, y0 - y1], axis=1),
            np.stack([x2 - x1, x0 - x2, x1 - x0], axis=1),
            np.stack([x1 * y2 - x2 * y1, x2 * y0 - x0 * y2, x0 * y1 - x1 * y0], axis=1),
        ],
        axis=1,
    )
    return det, adj / safe[:, None, None]


def _edge_neighbours(triangles: np.ndarray) -> np.ndarray:
    """(T, 4): each triangle and the (up to) three sharing an edge with it, padded with itself."""
    by_edge: dict[tuple[int, int], list[int]] = {}
    for t, (a, b, c) in enumerate(triangles.tolist()):
        for edge in ((a, b), (b, c), (c, a)):
            by_edge.setdefault((min(edge), max(edge)), []).append(t)
    out = np.repeat(np.arange(len(triangles))[:, None], 4, axis=1)
    for t, (a, b, c) in enumerate(triangles.tolist()):
        others = [n for e in ((a, b), (b, c), (c, a)) for n in by_edge[(min(e), max(e))] if n != t]
        out[t, 1 : 1 + len(others)] = others
    return out
