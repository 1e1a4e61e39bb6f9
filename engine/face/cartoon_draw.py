"""Procedural drawing of the cartoon avatar's parts with Pillow, supersampled for clean edges.

Static parts (background, shoulders, head with hair, ears, brows, nose) are drawn once per style and
size; the eyes (per blink level) and the mouth (per MouthShape) are small patches drawn on demand. All
geometry is in frame units (0…1 across the square frame) so every size looks the same.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter

from engine.face.cartoon_style import RGB, Style, mix, shade
from engine.types import MouthShape


def static_supersampling(size: int) -> int:
    """Supersampling of the static layers (drawn once): 3× up to 768 px, 2× above, to bound memory."""
    return 3 if size <= 768 else 2


PATCH_SS = 3  # supersampling of the eye and mouth patches

HEAD_C = (0.5, 0.43)
HEAD_R = (0.205, 0.25)
PIVOT = (0.5, 0.66)  # the head turns about the top of the neck
EYE_Y = 0.445
EYE_DX = 0.08
EYE_R = (0.037, 0.031)
MOUTH_C = (0.5, 0.592)
EYE_BOX = (0.5 - 0.135, 0.395, 0.5 + 0.135, 0.495)
MOUTH_BOX = (0.5 - 0.095, 0.535, 0.5 + 0.095, 0.665)
OUTLINE = 0.0055  # outline width in frame units
LIP = (0.78, 0.36, 0.38)


def _px(box: tuple[float, float, float, float], size: int) -> tuple[int, int, int, int]:
    """A frame-unit box as whole pixels (patches are pasted at integer offsets)."""
    x0, y0, x1, y1 = box
    return (math.floor(x0 * size), math.floor(y0 * size), math.ceil(x1 * size), math.ceil(y1 * size))


class _Pen:
    """ImageDraw in frame units, offset to a sub-box of the frame and supersampled."""

    def __init__(self, image: Image.Image, size: int, ss: int, origin: tuple[int, int] = (0, 0)) -> None:
        self.image, self.draw = image, ImageDraw.Draw(image)
        self.k, self.ox, self.oy = size * ss, origin[0] * ss, origin[1] * ss

    def p(self, x: float, y: float) -> tuple[float, float]:
        return (x * self.k - self.ox, y * self.k - self.oy)

    def w(self, width: float) -> int:
        return max(1, round(width * self.k))

    def ellipse(self, c: tuple[float, float], r: tuple[float, float], fill=None, outline=None, width=0.0):
        x0, y0 = self.p(c[0] - r[0], c[1] - r[1])
        x1, y1 = self.p(c[0] + r[0], c[1] + r[1])
        self.draw.ellipse((x0, y0, x1, y1), fill=fill, outline=outline, width=self.w(width) if outline else 0)

    def polygon(self, pts, fill=None, outline=None, width=0.0):
        xy = [self.p(x, y) for x, y in pts]
        self.draw.polygon(xy, fill=fill)
        if outline is not None:
            self.line(pts + pts[:1], outline, width)

    def line(self, pts, fill, width):
        xy = [self.p(x, y) for x, y in pts]
        wpx = self.w(width)
        self.draw.line(xy, fill=fill, width=wpx, joint="curve")
        r = wpx / 2  # round caps
        for x, y in (xy[0], xy[-1]):
            self.draw.ellipse((x - r, y - r, x + r, y + r), fill=fill)


def _smooth_path(pts: list[tuple[float, float]], steps: int = 8) -> list[tuple[float, float]]:
    """Catmull-Rom through the points of an open path (end points repeated so it starts and ends on them)."""
    ext = [pts[0], *pts, pts[-1]]
    out = []
    for i in range(1, len(ext) - 2):
        p0, p1, p2, p3 = ext[i - 1], ext[i], ext[i + 1], ext[i + 2]
        for s in range(steps):
            t = s / steps
            t2, t3 = t * t, t * t * t
            out.append(
                tuple(
                    0.5
                    * (
                        2 * b
                        + (-a + c) * t
                        + (2 * a - 5 * b + 4 * c - d) * t2
                        + (-a + 3 * b - 3 * c + d) * t3
                    )
                    for a, b, c, d in zip(p0, p1, p2, p3, strict=True)
                )
            )
    out.append(pts[-1])
    return out  # type: ignore[return-value]


def _head_outline(n: int = 96, grow: float = 0.0) -> list[tuple[float, float]]:
    """An egg-shaped face: full at the cheeks, narrowing to a soft chin."""
    cx, cy = HEAD_C
    rx, ry = HEAD_R[0] + grow, HEAD_R[1] + grow
    pts = []
    for i in range(n):
        t = 2 * math.pi * i / n
        c = math.cos(t)
        narrow = 1.0 - 0.2 * max(0.0, -c) ** 1.6
        pts.append((cx + rx * math.sin(t) * narrow, cy - ry * c))
    return pts


def _arc_points(c, r, a0: float, a1: float, n: int = 40) -> list[tuple[float, float]]:
    """Points on an ellipse from angle a0 to a1 (degrees, 0 = top, clockwise)."""
    out = []
    for i in range(n + 1):
        a = math.radians(a0 + (a1 - a0) * i / n)
        out.append((c[0] + r[0] * math.sin(a), c[1] - r[1] * math.cos(a)))
    return out


def draw_background(style: Style, size: int) -> Image.Image:
    """A soft vertical gradient with a gentle glow behind the head."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    top, bottom, glow = (np.array(c, np.float32) for c in (style.bg_top, style.bg_bottom, style.glow))
    img = top + (bottom - top) * y[..., None] ** 1.2
    d = np.sqrt((x - 0.5) ** 2 + ((y - 0.45) * 0.9) ** 2)
    w = np.clip(1.0 - d / 0.48, 0.0, 1.0) ** 2 * 0.55
    img = img + (glow - img) * w[..., None]
    return Image.fromarray(np.clip(img + 0.5, 0, 255).astype(np.uint8), "RGB")


def draw_body(style: Style, size: int) -> Image.Image:
    """Neck, shoulders and shirt, on transparency."""
    ss = static_supersampling(size)
    img = Image.new("RGBA", (size * ss, size * ss), (0, 0, 0, 0))
    pen = _Pen(img, size, ss)
    skin, skin_dark, line = style.skin, shade(style.skin, 0.82), shade(style.skin, 0.55)
    # Neck, with a soft shadow under the chin.
    neck = [(0.443, 0.58), (0.557, 0.58), (0.563, 0.8), (0.437, 0.8)]
    pen.polygon(neck, fill=skin)
    for a, b in ((neck[0], neck[3]), (neck[1], neck[2])):  # sides only: the bottom hides in the shirt
        pen.line([a, b], line, OUTLINE)
    pen.polygon([(0.443, 0.6), (0.557, 0.6), (0.557, 0.69), (0.5, 0.715), (0.443, 0.69)], fill=skin_dark)
    # Shoulders: a wide rounded shape, with the neckline cut in it.
    shirt, shirt_line = style.shirt, shade(style.shirt, 0.6)
    body = _arc_points((0.5, 1.1), (0.44, 0.365), -90, 90, 60)
    body = [(-0.02, 1.02), *body, (1.02, 1.02)]
    pen.polygon(body, fill=shirt, outline=shirt_line, width=OUTLINE)
    neckline = _arc_points((0.5, 0.738), (0.088, 0.075), 95, 265, 30)
    pen.polygon(neckline, fill=skin)
    pen.line(neckline, style.collar, 0.014)
    pen.line(neckline, shirt_line, 0.004)
    # A little fold at each shoulder.
    pen.line([(0.29, 0.86), (0.3, 0.95)], shade(shirt, 0.85), 0.006)
    pen.line([(0.71, 0.86), (0.7, 0.95)], shade(shirt, 0.85), 0.006)
    return img.resize((size, size), Image.Resampling.LANCZOS)


def _hair_back(pen: _Pen, style: Style) -> None:
    hair, line = style.hair, shade(style.hair, 0.6)
    cx, cy = HEAD_C
    if style.hair_style == "long":
        top = _arc_points((cx, cy - 0.01), (HEAD_R[0] + 0.04, HEAD_R[1] + 0.035), -90, 90, 40)
        # A bob: straight sides that flare a little and turn under in soft, rounded ends.
        ends = [(0.245, 0.6), (0.258, 0.7), (0.236, 0.752), (0.13, 0.758), (0.0, 0.748)]
        right = [(cx + dx, y) for dx, y in ends]
        left = [(cx - dx, y) for dx, y in ends[::-1]][1:]
        shape = [*top, *_smooth_path(right + left, 6)]
        pen.polygon(shape, fill=hair, outline=line, width=OUTLINE)
    elif style.hair_style == "bun":
        pen.ellipse((cx, 0.165), (0.075, 0.068), fill=hair, outline=line, width=OUTLINE)
        pen.line(_arc_points((cx, 0.165), (0.05, 0.045), -60, 20, 12), shade(hair, 1.25), 0.006)
    elif style.hair_style == "curly":
        for i in range(15):
            a = math.radians(-112 + 224 * i / 14)
            x = cx + (HEAD_R[0] + 0.025) * math.sin(a)
            y = cy - 0.005 - (HEAD_R[1] + 0.02) * math.cos(a)
            pen.ellipse((x, y), (0.05, 0.05), fill=hair, outline=line, width=OUTLINE)


_HAIRLINES: dict[str, tuple[float, float, list[tuple[float, float]]]] = {
    # (start angle, end angle) of the hair's outer edge, then the hairline from right to left.
    "short": (
        -97,
        97,
        [(0.703, 0.45), (0.686, 0.35), (0.625, 0.3), (0.52, 0.298), (0.42, 0.322), (0.35, 0.36), (0.3, 0.45)],
    ),
    "long": (
        -118,
        118,
        [(0.7, 0.55), (0.68, 0.36), (0.6, 0.26), (0.5, 0.235), (0.4, 0.26), (0.32, 0.36), (0.3, 0.55)],
    ),
    "curly": (
        -100,
        100,
        [
            (0.705, 0.44),
            (0.665, 0.31),
            (0.58, 0.275),
            (0.5, 0.285),
            (0.42, 0.275),
            (0.335, 0.31),
            (0.295, 0.44),
        ],
    ),
    "bun": (
        -98,
        98,
        [(0.705, 0.44), (0.675, 0.31), (0.6, 0.26), (0.5, 0.245), (0.4, 0.26), (0.325, 0.31), (0.295, 0.44)],
    ),
    "crop": (
        -96,
        96,
        [(0.707, 0.44), (0.68, 0.31), (0.6, 0.265), (0.5, 0.26), (0.4, 0.265), (0.32, 0.31), (0.293, 0.44)],
    ),
}


def _hair_front(pen: _Pen, style: Style) -> None:
    hair, line, shine = style.hair, shade(style.hair, 0.6), shade(style.hair, 1.3)
    a0, a1, hairline = _HAIRLINES[style.hair_style]
    grow = 0.022 if style.hair_style != "crop" else 0.012
    outer = _arc_points((HEAD_C[0], HEAD_C[1] - 0.006), (HEAD_R[0] + grow, HEAD_R[1] + grow), a0, a1, 48)
    inner = _smooth_path(hairline, 8)
    shape = outer + inner
    pen.polygon(shape, fill=hair, outline=line, width=OUTLINE)
    # A highlight stroke gives the hair some volume.
    pen.line(
        _arc_points((HEAD_C[0], HEAD_C[1] - 0.01), (HEAD_R[0] - 0.03, HEAD_R[1] - 0.02), -40, -8, 12),
        shine,
        0.008,
    )


def draw_head(style: Style, size: int) -> tuple[Image.Image, tuple[int, int]]:
    """Head with hair, ears, brows, nose and cheeks (no eyes or mouth), cropped; returns it and its offset."""
    ss = static_supersampling(size)
    img = Image.new("RGBA", (size * ss, size * ss), (0, 0, 0, 0))
    pen = _Pen(img, size, ss)
    skin, line = style.skin, shade(style.skin, 0.55)
    _hair_back(pen, style)
    # Ears behind the face.
    for side in (-1, 1):
        ex = HEAD_C[0] + side * (HEAD_R[0] - 0.004)
        pen.ellipse((ex, 0.462), (0.034, 0.05), fill=skin, outline=line, width=OUTLINE)
        pen.ellipse((ex + side * 0.006, 0.464), (0.015, 0.027), fill=shade(skin, 0.85))
    face = _head_outline()
    pen.polygon(face, fill=skin, outline=line, width=OUTLINE)
    # Rosy cheeks, blurred.
    blush = Image.new("L", img.size, 0)
    bpen = _Pen(blush, size, ss)
    for side in (-1, 1):
        bpen.ellipse((0.5 + side * 0.118, 0.54), (0.04, 0.024), fill=150)
    blush = blush.filter(ImageFilter.GaussianBlur(0.018 * size * ss))
    face_mask = Image.new("L", img.size, 0)
    _Pen(face_mask, size, ss).polygon(face, fill=255)
    blush = ImageChops.multiply(blush, face_mask)
    # Darker skin shows a blush as a deeper, warmer tone rather than pink.
    rosy = mix(skin, (232, 110, 110), 0.5) if sum(skin) > 420 else mix(skin, (170, 70, 60), 0.3)
    img.paste((*rosy, 255), (0, 0), blush)
    _hair_front(pen, style)
    # Eyebrows: soft, slightly arched.
    brow = shade(style.hair, 0.85) if sum(style.hair) < 450 else shade(style.hair, 0.62)
    for side in (-1, 1):
        bx = 0.5 + side * EYE_DX
        pts = [(bx - side * 0.038, 0.392), (bx - side * 0.005, 0.378), (bx + side * 0.036, 0.387)]
        pen.line(_smooth_open(pts), brow, 0.012)
    # Nose: a gentle curve and a hint of nostrils.
    nose = shade(skin, 0.72)
    pen.ellipse((0.5, 0.503), (0.012, 0.01), fill=shade(skin, 1.12))  # a soft highlight on the tip
    pen.line(_smooth_open([(0.484, 0.515), (0.5, 0.527), (0.516, 0.515)]), nose, 0.0065)
    small = img.resize((size, size), Image.Resampling.LANCZOS)
    box = small.getbbox() or (0, 0, size, size)
    return small.crop(box), (box[0], box[1])


def _smooth_open(pts: list[tuple[float, float]], steps: int = 10) -> list[tuple[float, float]]:
    """Quadratic Bézier-like smoothing of an open polyline of three or more points."""
    if len(pts) == 3:
        (x0, y0), (x1, y1), (x2, y2) = pts
        # Pass through the middle point: control point chosen so the curve hits it at t = 0.5.
        cx, cy = 2 * x1 - 0.5 * (x0 + x2), 2 * y1 - 0.5 * (y0 + y2)
        out = []
        for i in range(steps + 1):
            t = i / steps
            u = 1 - t
            out.append((u * u * x0 + 2 * u * t * cx + t * t * x2, u * u * y0 + 2 * u * t * cy + t * t * y2))
        return out
    return pts


def draw_eyes(style: Style, size: int, blink: float) -> tuple[Image.Image, tuple[int, int]]:
    """Both eyes with the upper lids lowered by `blink` (0 open … 1 shut); returns the patch and offset."""
    ss = PATCH_SS
    x0, y0, x1, y1 = _px(EYE_BOX, size)
    img = Image.new("RGBA", ((x1 - x0) * ss, (y1 - y0) * ss), (0, 0, 0, 0))
    pen = _Pen(img, size, ss, (x0, y0))
    line = (52, 36, 34)
    lid = shade(style.skin, 0.97)  # a lowered lid is barely darker than the face
    rx, ry = EYE_R
    for side in (-1, 1):
        c = (0.5 + side * EYE_DX, EYE_Y)
        pen.ellipse(c, (rx, ry), fill=(252, 252, 250))
        iris_c = (c[0] + side * 0.001, c[1] + 0.003)
        pen.ellipse(iris_c, (0.0215, 0.0215), fill=style.iris)
        pen.ellipse(iris_c, (0.0215, 0.0215), outline=shade(style.iris, 0.6), width=0.003)
        pen.ellipse(iris_c, (0.0105, 0.0105), fill=(20, 16, 18))
        pen.ellipse((iris_c[0] - 0.008, iris_c[1] - 0.009), (0.0055, 0.0055), fill=(255, 255, 255))
        pen.ellipse((iris_c[0] + 0.008, iris_c[1] + 0.007), (0.0025, 0.0025), fill=(255, 255, 255))
        pen.line(_arc_points(c, (rx, ry), 115, 245, 20), shade(style.skin, 0.6), 0.0025)  # lower lid
        # The upper lid comes down over the eye (and its outline) to the edge; the lashes follow the edge.
        edge = _lid_edge(c, rx, ry, blink)
        if blink > 0.01:
            grow = OUTLINE
            lid_mask = Image.new("L", img.size, 0)
            _Pen(lid_mask, size, ss, (x0, y0)).polygon(
                [(c[0] - rx - grow, c[1] - ry - grow), (c[0] + rx + grow, c[1] - ry - grow), *edge[::-1]],
                fill=255,
            )
            eye_mask = Image.new("L", img.size, 0)
            _Pen(eye_mask, size, ss, (x0, y0)).ellipse(c, (rx + grow, ry + grow), fill=255)
            img.paste((*lid, 255), (0, 0), ImageChops.multiply(lid_mask, eye_mask))
        pen.line(edge, line, 0.0065)
        pen.line(
            [(c[0] + side * rx * 0.98, c[1] - ry * 0.18), (c[0] + side * (rx + 0.009), c[1] - ry * 0.55)],
            line,
            0.005,
        )
    small = img.reduce(ss)
    return small, (x0, y0)


def _lid_edge(c, rx: float, ry: float, blink: float) -> list[tuple[float, float]]:
    """Lid edge from the left to the right corner: an upward arc when open, a downward one when shut."""
    pts = []
    for i in range(25):
        u = -1 + 2 * i / 24
        bulge = math.sqrt(max(0.0, 1 - u * u))
        open_y = c[1] - ry * bulge  # the top of the eye
        shut_y = c[1] + ry * bulge  # shut along the lower lid: a downward curve, like a smile
        pts.append((c[0] + rx * u, open_y + (shut_y - open_y) * blink))
    return pts


@dataclass(frozen=True, slots=True)
class _MouthGeometry:
    half_width: float
    upper: list[tuple[float, float]]  # inner edge of the upper lip, left → right
    lower: list[tuple[float, float]]  # inner edge of the lower lip, left → right
    upper_out: list[tuple[float, float]]
    lower_out: list[tuple[float, float]]


def _mouth_geometry(m: MouthShape, n: int = 33) -> _MouthGeometry:
    cx, cy = MOUTH_C
    width = max(-1.0, min(1.0, m.width))
    hw = 0.048 * (1 + 0.32 * width) if width >= 0 else 0.048 * (1 + 0.42 * width)
    hw *= 1 + 0.08 * max(0.0, min(1.0, m.open))
    opening = 0.008 + 0.06 * max(0.0, min(1.0, m.open)) * (1 - 0.15 * max(width, 0))
    if m.open <= 0.02:
        opening = 0.0
    power = 0.45 if width < 0 else 0.75 + 0.35 * width  # rounded lips are oval, spread lips flatter
    smile = 0.012 * (1 - 0.6 * m.open) * (1 - max(0.0, -width))
    upper, lower, upper_out, lower_out = [], [], [], []
    lip_u, lip_l = 0.011 + 0.004 * max(0.0, -width), 0.015 + 0.005 * max(0.0, -width)
    for i in range(n):
        u = -1 + 2 * i / (n - 1)
        x = cx + hw * u
        bulge = (1 - u * u) ** power
        lift = -smile * u * u + smile * 0.5  # corners up: a friendly, relaxed smile
        yu = cy + lift - opening * 0.32 * bulge
        yl = cy + lift + opening * 0.68 * bulge
        bow = 0.003 * math.exp(-((u / 0.16) ** 2))  # a small cupid's bow dip
        taper = 0.25 + 0.75 * (1 - u * u) ** 0.6
        upper.append((x, yu))
        lower.append((x, yl))
        upper_out.append((x, yu - lip_u * taper + bow))
        lower_out.append((x, yl + lip_l * taper))
    return _MouthGeometry(hw, upper, lower, upper_out, lower_out)


def draw_mouth(style: Style, size: int, m: MouthShape) -> tuple[Image.Image, tuple[int, int]]:
    """The mouth for one MouthShape: lips, dark inner mouth, upper teeth and tongue."""
    ss = PATCH_SS
    x0, y0, x1, y1 = _px(MOUTH_BOX, size)
    img = Image.new("RGBA", ((x1 - x0) * ss, (y1 - y0) * ss), (0, 0, 0, 0))
    pen = _Pen(img, size, ss, (x0, y0))
    g = _mouth_geometry(m)
    lip = mix(style.skin, LIP_RGB, 0.55 if sum(style.skin) > 420 else 0.35)
    lip = shade(lip, 0.9) if sum(style.skin) < 300 else lip
    lip_line = shade(lip, 0.6)
    outline = g.upper_out + g.lower_out[::-1]
    pen.polygon(outline, fill=lip, outline=lip_line, width=0.004)
    inner = g.upper + g.lower[::-1]
    if g.lower[len(g.lower) // 2][1] - g.upper[len(g.upper) // 2][1] > 0.002:
        mask = Image.new("L", img.size, 0)
        _Pen(mask, size, ss, (x0, y0)).polygon(inner, fill=255)
        inside = Image.new("RGBA", img.size, (70, 22, 30, 255))
        ipen = _Pen(inside, size, ss, (x0, y0))
        height = g.lower[len(g.lower) // 2][1] - g.upper[len(g.upper) // 2][1]
        if m.tongue > 0.02:
            ty = g.lower[len(g.lower) // 2][1] + 0.02 * (1 - m.tongue) - 0.004
            ipen.ellipse(
                (MOUTH_C[0], ty),
                (g.half_width * 0.62, 0.012 + 0.35 * height * m.tongue),
                fill=(222, 104, 112),
            )
            ipen.line([(MOUTH_C[0], ty - 0.01), (MOUTH_C[0], ty + 0.004)], (190, 80, 90), 0.002)
        if m.teeth > 0.02:
            depth = min(0.02, 0.45 * height + 0.006) * m.teeth
            teeth = [(x, y - 0.01) for x, y in g.upper] + [(x, y + depth) for x, y in g.upper[::-1]]
            ipen.polygon(teeth, fill=(250, 250, 246))
            ipen.line([(x, y + depth) for x, y in g.upper[4:-4]], (214, 214, 214), 0.0018)
        img.paste(inside, (0, 0), mask)
        pen.line(g.upper, lip_line, 0.003)
        pen.line(g.lower, lip_line, 0.003)
    else:
        seam = [(x, 0.5 * (yu + yl)) for (x, yu), (_, yl) in zip(g.upper, g.lower, strict=True)]
        pen.line(seam, shade(lip_line, 0.8), 0.0045)
    return img.reduce(ss), (x0, y0)


LIP_RGB: RGB = (int(LIP[0] * 255), int(LIP[1] * 255), int(LIP[2] * 255))
