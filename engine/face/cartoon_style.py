"""Cartoon avatar styles: a colour theme (background, shirt, hair) combined with a skin tone.

A style name is either a theme ("ocean") with its own skin tone, or a theme and a skin tone joined by a
dash ("ocean-deep").
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from engine.errors import UnknownStyle

RGB = tuple[int, int, int]


def hex_rgb(code: str) -> RGB:
    code = code.lstrip("#")
    return int(code[0:2], 16), int(code[2:4], 16), int(code[4:6], 16)


def shade(c: RGB, factor: float) -> RGB:
    """Darker (factor < 1) or lighter (factor > 1, towards white) version of a colour."""
    if factor <= 1:
        return tuple(round(v * factor) for v in c)  # type: ignore[return-value]
    t = factor - 1
    return tuple(round(v + (255 - v) * t) for v in c)  # type: ignore[return-value]


def mix(a: RGB, b: RGB, t: float) -> RGB:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


SKINS: dict[str, RGB] = {
    "light": hex_rgb("#F6D5BE"),
    "medium": hex_rgb("#EBB892"),
    "tan": hex_rgb("#D39A6C"),
    "brown": hex_rgb("#A96E47"),
    "deep": hex_rgb("#6E4329"),
}

HAIR_STYLES = ("short", "long", "curly", "bun", "crop")


@dataclass(frozen=True, slots=True)
class Style:
    name: str
    skin: RGB
    hair: RGB
    hair_style: str
    iris: RGB
    shirt: RGB
    collar: RGB
    bg_top: RGB
    bg_bottom: RGB
    glow: RGB


_THEMES: dict[str, Style] = {
    "default": Style(
        "default",
        SKINS["medium"],
        hex_rgb("#5B3A29"),
        "short",
        hex_rgb("#6B4226"),
        hex_rgb("#2A9D8F"),
        hex_rgb("#F1FAEE"),
        hex_rgb("#DCE8F2"),
        hex_rgb("#B7CCE0"),
        hex_rgb("#F4F8FB"),
    ),
    "sunny": Style(
        "sunny",
        SKINS["light"],
        hex_rgb("#E2B144"),
        "long",
        hex_rgb("#3D7CC9"),
        hex_rgb("#F07167"),
        hex_rgb("#FFF3E6"),
        hex_rgb("#FFE8B8"),
        hex_rgb("#FBC98E"),
        hex_rgb("#FFF8E6"),
    ),
    "ocean": Style(
        "ocean",
        SKINS["brown"],
        hex_rgb("#1F1A1C"),
        "curly",
        hex_rgb("#4A2C1C"),
        hex_rgb("#1D3F72"),
        hex_rgb("#E8F1FA"),
        hex_rgb("#CBEFF3"),
        hex_rgb("#8FD0DE"),
        hex_rgb("#EFFBFC"),
    ),
    "forest": Style(
        "forest",
        SKINS["tan"],
        hex_rgb("#8C3B1F"),
        "bun",
        hex_rgb("#4E7A3A"),
        hex_rgb("#386641"),
        hex_rgb("#F2E8CF"),
        hex_rgb("#E3F0D5"),
        hex_rgb("#B5D39A"),
        hex_rgb("#F6FBEF"),
    ),
    "berry": Style(
        "berry",
        SKINS["deep"],
        hex_rgb("#2B1B17"),
        "long",
        hex_rgb("#3B2314"),
        hex_rgb("#7B2D8B"),
        hex_rgb("#F7E6F7"),
        hex_rgb("#F5DDEB"),
        hex_rgb("#D9A9CF"),
        hex_rgb("#FCF2F8"),
    ),
    "night": Style(
        "night",
        SKINS["medium"],
        hex_rgb("#B9BCC4"),
        "crop",
        hex_rgb("#3F6FB5"),
        hex_rgb("#3A3F58"),
        hex_rgb("#C9D3F0"),
        hex_rgb("#2B3559"),
        hex_rgb("#151A30"),
        hex_rgb("#46548A"),
    ),
}


def styles() -> list[str]:
    names = list(_THEMES)
    names += [f"{theme}-{skin}" for theme in _THEMES for skin in SKINS]
    return names


def style_for(name: str) -> Style:
    key = (name or "default").strip().lower()
    if key in _THEMES:
        return _THEMES[key]
    theme, _, skin = key.partition("-")
    if theme in _THEMES and skin in SKINS:
        return replace(_THEMES[theme], name=key, skin=SKINS[skin])
    skins = ", ".join(SKINS)
    raise UnknownStyle(name, [*_THEMES, f"or a style with a skin tone such as ocean-deep ({skins})"])
