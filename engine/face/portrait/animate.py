"""Animate a prepared portrait: jaw and lips from mouth shapes, blinks and head motion from idle poses.

Every frame is the one source photo warped by a triangle mesh (the face mesh plus rings around the
head and fixed frame borders), so identity, hair and background come straight from the photo. Only
where the lips part is something drawn: a mouth interior (cavity, tongue, teeth) in the face's own
colours, anti-aliased against the warped lips.
"""

from __future__ import annotations

import cv2
import numpy as np

from engine.face.motion import Pose
from engine.face.portrait.landmarks import CHIN, FACE_OVAL, FOREHEAD_TOP
from engine.face.portrait.prepare import PreparedFace
from engine.face.portrait.regions import (
    INNER_LOWER,
    INNER_UPPER,
    LEFT_LOWER_LID,
    LEFT_UPPER_LID,
    LOWER_LIP,
    MESH_POINTS,
    RIGHT_LOWER_LID,
    RIGHT_UPPER_LID,
    UPPER_LIP,
    curve_y,
)
from engine.face.portrait.warp import MeshWarper, delaunay
from engine.types import MouthShape

# Movement amplitudes as fractions of the mouth width (jaw, lips) or face height (head).
LOWER_LIP_DROP = 0.36
UPPER_LIP_RAISE = 0.05
SPREAD = 0.12
ROUND = 0.24
TEETH_MIN, TEETH_RANGE = 0.05, 0.09
HEAD_SHIFT_PER_DEG = 0.012  # head turn/nod in degrees → shift as a fraction of face height
BREATH_SHIFT = 0.004
BLINK_CLOSURE = 0.85
LOWER_LID_RISE = 0.12
LID_SKIN_REACH = 0.65  # how far above the lid (in eye widths) the skin follows a blink
LID_SKIN_FOLLOW = 0.6


class PortraitAnimator:
    """Renders frames of one prepared face at one output size."""

    def __init__(self, face: PreparedFace, size: int) -> None:
        scale = size / face.size
        interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
        image = (
            face.image if size == face.size else cv2.resize(face.image, (size, size), interpolation=interp)
        )
        self.size = size
        self.colours = face.colours
        pts = face.points.astype(np.float64) * scale + 0.5 * (scale - 1)  # pixel-centre convention
        self.points = pts
        self._measure(pts)
        vertices, head_weight = self._vertices(pts)
        self.rest = vertices
        self.head_weight = head_weight
        self.warper = MeshWarper(image, vertices, delaunay(vertices, size, size))
        n = len(vertices)
        self.open_basis = np.zeros((n, 2))
        self.spread_basis = np.zeros((n, 2))
        self.round_basis = np.zeros((n, 2))
        self.blink_basis = np.zeros((n, 2))
        self._build_mouth_bases(pts[:MESH_POINTS])
        for upper, lower in ((RIGHT_UPPER_LID, RIGHT_LOWER_LID), (LEFT_UPPER_LID, LEFT_LOWER_LID)):
            self._build_blink_basis(pts[:MESH_POINTS], upper, lower)

    # --- set-up -------------------------------------------------------------------------------

    def _measure(self, p: np.ndarray) -> None:
        self.mouth_centre = (p[13] + p[14]) / 2
        self.mouth_width = float(np.linalg.norm(p[291] - p[61]))
        self.face_height = float(np.linalg.norm(p[CHIN] - p[FOREHEAD_TOP]))
        self.jaw_half = float(np.linalg.norm(p[288] - p[58])) / 2
        self.chin_y = float(p[CHIN, 1])
        self.nose_base_y = float(p[2, 1])
        self.pivot = p[CHIN] + np.array([0.0, 0.3 * self.face_height])  # the neck: heads turn about it

    def _vertices(self, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mesh points, two rings around the head (hair, ears, neck) and fixed frame-edge points."""
        size = self.size
        oval = p[list(FACE_OVAL)]
        centre = oval.mean(axis=0)
        parts, weights = [p[:MESH_POINTS]], [np.ones(MESH_POINTS)]
        for factor, weight in ((1.3, 1.0), (1.75, 0.5)):
            ring = centre + (oval - centre) * factor
            inside = (ring[:, 0] > 2) & (ring[:, 0] < size - 3) & (ring[:, 1] > 2) & (ring[:, 1] < size - 3)
            parts.append(ring[inside])
            weights.append(np.full(int(inside.sum()), weight))
        edge = np.linspace(0, size - 1, 9)
        border = np.unique(
            np.concatenate(
                [
                    np.stack([edge, np.zeros(9)], 1),
                    np.stack([edge, np.full(9, size - 1.0)], 1),
                    np.stack([np.zeros(9), edge], 1),
                    np.stack([np.full(9, size - 1.0), edge], 1),
                ]
            ),
            axis=0,
        )
        parts.append(border)
        weights.append(np.zeros(len(border)))
        vertices = np.concatenate(parts)
        weight = np.concatenate(weights)
        # Subdiv2D needs distinct points (to float32 precision): nudge coincident mesh points apart,
        # drop ring or border points that coincide with anything before them.
        _, first = np.unique(vertices.astype(np.float32), axis=0, return_index=True)
        duplicate = np.ones(len(vertices), dtype=bool)
        duplicate[first] = False
        vertices[:MESH_POINTS][duplicate[:MESH_POINTS]] += 0.01
        keep = ~duplicate
        keep[:MESH_POINTS] = True
        return vertices[keep], weight[keep]

    def _build_mouth_bases(self, p: np.ndarray) -> None:
        m, wm = self.mouth_centre, self.mouth_width
        x_rel = p[:, 0] - m[0]
        upper = np.zeros(len(p), dtype=bool)
        upper[list(UPPER_LIP)] = True
        lower = np.zeros(len(p), dtype=bool)
        lower[list(LOWER_LIP)] = True
        # Lower face: everything below the mouth line, lower lip included; the jaw drops most at the
        # middle and not at all towards the ears (it rotates about them).
        t = np.clip((p[:, 1] - m[1]) / max(self.chin_y - m[1], 1.0), 0.0, 1.0)
        half = wm / 2 * 1.1 + (self.jaw_half * 1.1 - wm / 2 * 1.1) * t**0.7
        profile = np.clip(1.0 - (x_rel / half) ** 2, 0.0, 1.0) ** 0.6
        below = ((p[:, 1] > m[1]) | lower) & ~upper
        # Below the chin the skin (neck) is not carried along as much.
        beyond_chin = np.clip((p[:, 1] - self.chin_y) / (0.1 * self.face_height), 0.0, 1.0)
        drop = np.where(below, LOWER_LIP_DROP * wm * profile * (1.0 - 0.4 * beyond_chin), 0.0)
        lip_profile = np.clip(1.0 - (x_rel / (wm / 2)) ** 2, 0.0, 1.0) ** 0.6
        raise_ = np.where(upper, UPPER_LIP_RAISE * wm * lip_profile, 0.0)
        near_mouth = np.clip(1.0 - (np.linalg.norm(p - m, axis=1) / (0.9 * wm)) ** 2, 0.0, 1.0)
        # Cheeks and lips move with the mouth; the nose above its base stays as in the photo.
        near_mouth *= np.clip((p[:, 1] - self.nose_base_y) / (0.15 * wm), 0.0, 1.0)
        self.open_basis[:MESH_POINTS, 1] = drop - raise_
        # An open jaw pulls the mouth corners in a little.
        self.open_basis[:MESH_POINTS, 0] = -0.06 * x_rel * near_mouth
        self.spread_basis[:MESH_POINTS, 0] = SPREAD * x_rel * near_mouth
        self.spread_basis[:MESH_POINTS, 1] = -0.03 * wm * near_mouth * np.clip(np.abs(x_rel) / (wm / 2), 0, 1)
        self.round_basis[:MESH_POINTS, 0] = -ROUND * x_rel * near_mouth

    def _build_blink_basis(
        self, p: np.ndarray, upper_ids: tuple[int, ...], lower_ids: tuple[int, ...]
    ) -> None:
        upper, lower = p[list(upper_ids)], p[list(lower_ids)]
        x0, x1 = float(min(upper[0, 0], upper[-1, 0])), float(max(upper[0, 0], upper[-1, 0]))
        eye_w = x1 - x0
        # The lid closes most of the way; the last sliver (the lashes, in the photo) keeps the
        # triangles across the eye from collapsing. Corners stay where they are.
        for i in upper_ids[1:-1]:
            target = float(curve_y(lower, np.array([p[i, 0]]))[0])
            self.blink_basis[i, 1] = BLINK_CLOSURE * max(target - p[i, 1], 0.0)
        # The lower lid rises a little to meet it.
        for i in lower_ids[1:-1]:
            gap = p[i, 1] - float(curve_y(upper, np.array([p[i, 0]]))[0])
            self.blink_basis[i, 1] = -LOWER_LID_RISE * max(gap, 0.0)
        # Skin between lid and brow stretches along, fading with distance above the lid.
        above = curve_y(upper, p[:, 0]) - p[:, 1]
        inside = (p[:, 0] > x0 + 0.1 * eye_w) & (p[:, 0] < x1 - 0.1 * eye_w) & (above > 0.5)
        inside[list(upper_ids)] = False
        fade = np.clip(1.0 - above / (LID_SKIN_REACH * eye_w), 0.0, 1.0)
        lid_drop = curve_y(np.stack([upper[:, 0], self.blink_basis[list(upper_ids), 1]], axis=1), p[:, 0])
        ids = np.flatnonzero(inside)
        self.blink_basis[ids, 1] = LID_SKIN_FOLLOW * lid_drop[ids] * fade[ids]

    # --- per frame ----------------------------------------------------------------------------

    def mesh(self, mouth: MouthShape, pose: Pose) -> np.ndarray:
        """Destination vertex positions for one frame."""
        open_ = float(np.clip(mouth.open, 0.0, 1.0))
        width = float(np.clip(mouth.width, -1.0, 1.0))
        v = (
            self.rest
            + open_ * self.open_basis
            + max(width, 0.0) * self.spread_basis
            + max(-width, 0.0) * self.round_basis
            + float(np.clip(pose.blink, 0.0, 1.0)) * self.blink_basis
        )
        return self._head_motion(v, pose)

    def _head_motion(self, v: np.ndarray, pose: Pose) -> np.ndarray:
        if not (pose.roll or pose.yaw or pose.pitch or pose.dx or pose.dy or pose.breath):
            return v
        h = self.face_height
        angle = np.radians(pose.roll)
        c, s = np.cos(angle), np.sin(angle)
        shift = np.array(
            [
                pose.dx * self.size + pose.yaw * HEAD_SHIFT_PER_DEG * h,
                pose.dy * self.size
                + pose.pitch * HEAD_SHIFT_PER_DEG * h
                - pose.breath * BREATH_SHIFT * self.size,
            ]
        )
        rel = v - self.pivot
        moved = self.pivot + rel @ np.array([[c, s], [-s, c]]) + shift
        return v + self.head_weight[:, None] * (moved - v)

    def frame(self, mouth: MouthShape, pose: Pose) -> np.ndarray:
        dest = self.mesh(mouth, pose)
        out = self.warper.warp(dest)
        self._draw_mouth(out, dest, mouth)
        return out

    def _draw_mouth(self, out: np.ndarray, dest: np.ndarray, mouth: MouthShape) -> None:
        """Paint the mouth interior between the warped inner lip edges (in place)."""
        strength = float(np.clip(mouth.open / 0.12, 0.0, 1.0))
        if strength <= 0.0:
            return
        upper, lower = dest[list(INNER_UPPER)], dest[list(INNER_LOWER)]
        x0 = int(np.floor(min(upper[:, 0].min(), lower[:, 0].min())))
        x1 = int(np.ceil(max(upper[:, 0].max(), lower[:, 0].max()))) + 1
        y0 = int(np.floor(min(upper[:, 1].min(), lower[:, 1].min())))
        y1 = int(np.ceil(max(upper[:, 1].max(), lower[:, 1].max()))) + 1
        x0, y0 = max(x0, 0), max(y0, 0)
        x1, y1 = min(x1, self.size), min(y1, self.size)
        if x1 - x0 < 2 or y1 - y0 < 1:
            return
        xs = np.arange(x0, x1, dtype=np.float64)
        ys = np.arange(y0, y1, dtype=np.float64)[:, None]
        yu, yl = curve_y(upper, xs)[None, :], curve_y(lower, xs)[None, :]
        gap = np.maximum(yl - yu, 0.0)
        # Anti-aliased coverage between the two lip edges, with a soft half-pixel feather.
        cover = np.clip(ys - yu + 0.25, 0.0, 1.0) * np.clip(yl - ys + 0.25, 0.0, 1.0)
        cx = (upper[0, 0] + upper[-1, 0]) / 2
        half = max(abs(upper[-1, 0] - upper[0, 0]) / 2, 1.0)
        s = np.clip((xs[None, :] - cx) / half, -1.0, 1.0)
        depth = np.clip((ys - yu) / np.maximum(gap, 1.0), 0.0, 1.0)  # 0 at the upper lip … 1 at the lower
        wm = self.mouth_width
        col = self.colours
        cavity = np.array(col.cavity, dtype=np.float64)
        tongue = np.array(col.tongue, dtype=np.float64)
        teeth = np.array(col.teeth, dtype=np.float64)
        # Cavity: darker towards the corners and in the upper throat; tongue rises from below.
        shade = (1.0 - 0.55 * np.abs(s) ** 2.5)[..., None]
        tongue_w = (np.clip((depth - 0.55) / 0.35, 0.0, 1.0) * np.clip(gap / (0.12 * wm), 0.0, 1.0))[
            ..., None
        ]
        tongue_w *= 0.35 + 0.65 * float(np.clip(mouth.tongue, 0.0, 1.0))
        colour = (cavity * (1 - tongue_w) + tongue * tongue_w) * shade
        # Upper teeth hang from the upper lip: a fixed height, narrowing towards the corners.
        teeth_amount = float(np.clip(mouth.teeth, 0.0, 1.0))
        t_h = wm * (TEETH_MIN + TEETH_RANGE * teeth_amount) * np.sqrt(np.clip(1 - s**2, 0.0, 1.0))
        below_lip = ys - yu
        # Teeth recede into the dark towards the corners and need a real gap to be seen.
        upper_t = np.clip(t_h - below_lip + 0.5, 0.0, 1.0) * np.clip((0.8 - np.abs(s)) / 0.25, 0.0, 1.0)
        upper_t = upper_t * np.clip(gap / (0.05 * wm), 0.0, 1.0)
        # Shadow under the lip, darker towards the corners, and faint gaps between the front teeth.
        t_shade = (0.78 + 0.22 * np.clip(below_lip / np.maximum(t_h, 1.0), 0.0, 1.0)) * (
            1 - 0.45 * np.abs(s) ** 2
        )
        tooth_edges = np.abs(np.sin(np.pi * (np.arcsin(s) / np.arcsin(0.82)) * 3.0))
        t_shade = t_shade * (0.86 + 0.14 * np.clip(tooth_edges * 3.0, 0.0, 1.0))
        colour = colour * (1 - upper_t[..., None]) + (teeth * t_shade[..., None]) * upper_t[..., None]
        # Lower teeth show only in a wide-open mouth, in shadow.
        l_h = wm * 0.05 * teeth_amount * np.clip((gap - 0.15 * wm) / (0.1 * wm), 0.0, 1.0)
        lower_t = np.clip(l_h - (yl - ys) + 0.5, 0.0, 1.0) * (np.abs(s) < 0.6)
        colour = colour * (1 - lower_t[..., None]) + (teeth * 0.6) * lower_t[..., None]
        alpha = (cover * strength)[..., None]
        region = out[y0:y1, x0:x1].astype(np.float64)
        out[y0:y1, x0:x1] = np.clip(region * (1 - alpha) + colour * alpha + 0.5, 0, 255).astype(np.uint8)
