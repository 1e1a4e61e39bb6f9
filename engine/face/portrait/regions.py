"""Named landmark groups of mediapipe's face mesh and small geometry helpers on them."""

from __future__ import annotations

import cv2
import numpy as np

# Lips, ordered around each contour (corner 61/78 first, lower arc, corner 291/308, upper arc back).
OUTER_LIPS = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185)
INNER_LIPS = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191)
# Inner-lip edges from corner to corner, left to right in the image.
INNER_UPPER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
INNER_LOWER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)
UPPER_LIP = (185, 40, 39, 37, 0, 267, 269, 270, 409, 191, 80, 81, 82, 13, 312, 311, 310, 415)
LOWER_LIP = (146, 91, 181, 84, 17, 314, 405, 321, 375, 95, 88, 178, 87, 14, 317, 402, 318, 324)
MOUTH_CORNERS = (61, 291, 78, 308)
# Eyelid margins, corner to corner (image left to right), for the person's right and left eye.
RIGHT_UPPER_LID = (33, 246, 161, 160, 159, 158, 157, 173, 133)
RIGHT_LOWER_LID = (33, 7, 163, 144, 145, 153, 154, 155, 133)
LEFT_UPPER_LID = (362, 398, 384, 385, 386, 387, 388, 466, 263)
LEFT_LOWER_LID = (362, 382, 381, 380, 374, 373, 390, 249, 263)
UPPER_FACE_TOP, NOSE_BRIDGE = 10, 168
MESH_POINTS = 468  # the iris points (468–477) stay out of the warp mesh


def polygon_mask(shape: tuple[int, int], polygon: np.ndarray) -> np.ndarray:
    mask = np.zeros(shape, dtype=np.uint8)
    cv2.fillPoly(mask, [np.round(polygon).astype(np.int32)], 1)
    return mask.astype(bool)


def curve_y(points: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """y of a polyline (sorted by x) at xs, held constant beyond its ends."""
    order = np.argsort(points[:, 0], kind="stable")
    return np.interp(xs, points[order, 0], points[order, 1])
