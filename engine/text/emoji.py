"""Emoji: spoken as a short CLDR-style name ("red heart") or dropped.

unicodedata names are the Unicode character names ("HEAVY BLACK HEART"); CLDR short names are what people
say. The table below covers the common emoji whose two names differ; the rest use the Unicode name, lower-
cased and without the "SIGN"/"FACE" noise that CLDR also leaves out. Skin-tone modifiers, variation
selectors and joiners are not spoken; a run of the same emoji is said once (😂😂😂 → "face with tears of
joy"), because repeating it would only slow the message down.
"""

from __future__ import annotations

import re
import unicodedata

_CLDR_NAMES = {
    "\u2764": "red heart",
    "\u2665": "heart suit",
    "\U0001f44d": "thumbs up",
    "\U0001f44e": "thumbs down",
    "\U0001f44c": "OK hand",
    "\U0001f44f": "clapping hands",
    "\U0001f64f": "folded hands",
    "\U0001f64c": "raising hands",
    "\U0001f44b": "waving hand",
    "\U0001f4aa": "flexed biceps",
    "\u270c": "victory hand",
    "\u2728": "sparkles",
    "\u2b50": "star",
    "\u2600": "sun",
    "\u2601": "cloud",
    "\u2705": "check mark button",
    "\u2714": "check mark",
    "\u274c": "cross mark",
    "\u2757": "exclamation mark",
    "\u2753": "question mark",
    "\u260e": "telephone",
    "\U0001f600": "grinning face",
    "\U0001f642": "slightly smiling face",
    "\U0001f60a": "smiling face with smiling eyes",
    "\U0001f62d": "loudly crying face",
    "\U0001f622": "crying face",
    "\U0001f525": "fire",
    "\U0001f389": "party popper",
    "\U0001f382": "birthday cake",
    "\U0001f4a9": "pile of poo",
    "\U0001f680": "rocket",
    "\U0001f914": "thinking face",
    "\U0001f923": "rolling on the floor laughing",
    "\U0001f937": "person shrugging",
    "\U0001f926": "person facepalming",
    "\U0001f440": "eyes",
    "\U0001f4af": "hundred points",
    "\U0001f197": "OK button",
    "\U0001f195": "NEW button",
    "\U0001f198": "SOS button",
    "\U0001f3b5": "musical note",
    "\U0001f3b6": "musical notes",
    "\U0001f618": "face blowing a kiss",
    "\U0001f605": "grinning face with sweat",
    "\U0001f606": "grinning squinting face",
    "\U0001f603": "grinning face with big eyes",
    "\U0001f604": "grinning face with smiling eyes",
    "\U0001f601": "beaming face with smiling eyes",
    "\U0001f621": "enraged face",
    "\U0001f60d": "smiling face with heart-eyes",
    "\U0001f917": "smiling face with open hands",
    "\u263a": "smiling face",
    "\u2708": "airplane",
    "\u2702": "scissors",
    "\u27a1": "right arrow",
    "\u2b05": "left arrow",
    "\u2b06": "up arrow",
    "\u2b07": "down arrow",
    "\u2716": "multiply",
}
# Joined sequences whose name is not the sum of their parts.
_SEQUENCE_NAMES = {
    "\U0001f3f3\u200d\U0001f308": "rainbow flag",
    "\U0001f3f3\u200d\u26a7": "transgender flag",
    "\u2764\u200d\U0001f525": "heart on fire",
    "\u2764\u200d\U0001fa79": "mending heart",
    "\U0001f3f4\u200d\u2620": "pirate flag",
}
_KEYCAP = "\u20e3"
_VARIATION = "\ufe0f\ufe0e"
_ZWJ = "\u200d"
_SKIN_TONES = {chr(c) for c in range(0x1F3FB, 0x1F400)}
_TAGS = {chr(c) for c in range(0xE0020, 0xE0080)}  # subdivision flags (England, Scotland) are tag sequences
_REGIONAL = range(0x1F1E6, 0x1F200)


def is_emoji(char: str) -> bool:
    code = ord(char)
    if unicodedata.category(char) != "So":
        return False
    return (
        0x1F000 <= code <= 0x1FAFF
        or 0x2600 <= code <= 0x27BF
        or 0x2300 <= code <= 0x23FF
        or 0x2B00 <= code <= 0x2BFF
        or code in (0x3030, 0x303D, 0x3297, 0x3299, 0x25B6, 0x25C0, 0x25FB, 0x25FC, 0x25FD, 0x25FE)
    )


def emoji_name(sequence: str) -> str:
    """The spoken name of one emoji sequence (a single emoji, a ZWJ sequence, a flag or a keycap)."""
    if _KEYCAP in sequence:
        base = sequence[0]
        return f"keycap {base}" if base not in "#*" else f"keycap {'hash' if base == '#' else 'star'}"
    regional = [c for c in sequence if ord(c) in _REGIONAL]
    if len(regional) == 2:
        # Country names are not in unicodedata; the two letters are the ISO code people can follow.
        return "flag " + " ".join(chr(ord(c) - 0x1F1E6 + ord("A")) for c in regional)
    bare = "".join(c for c in sequence if c not in _VARIATION and c not in _SKIN_TONES)
    if bare in _SEQUENCE_NAMES:
        return _SEQUENCE_NAMES[bare]
    names = []
    for char in sequence:
        if char in _VARIATION or char in _SKIN_TONES or char in _TAGS or char == _ZWJ:
            continue
        names.append(_name_of(char))
    return " ".join(n for n in names if n)


def _name_of(char: str) -> str:
    if char in _CLDR_NAMES:
        return _CLDR_NAMES[char]
    name = unicodedata.name(char, "")
    if not name:
        return ""
    name = re.sub(r"\b(SIGN|SYMBOL|EMOJI COMPONENT)\b", "", name)
    if ord(char) < 0x1F000:
        # In the older symbol blocks "HEAVY"/"BLACK" describe the glyph's weight, not what it shows.
        name = re.sub(r"^(?:HEAVY |BLACK )+", "", name)
    return " ".join(name.lower().split())


def _sequences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of emoji sequences: base emoji plus modifiers, joined parts, flag pairs, keycaps."""
    spans: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        keycap = char in "0123456789#*" and text[i + 1 : i + 3] in (_VARIATION[0] + _KEYCAP, _KEYCAP)
        if keycap:
            end = i + (3 if text[i + 1] != _KEYCAP else 2)
            spans.append((i, end))
            i = end
            continue
        if ord(char) in _REGIONAL and i + 1 < n and ord(text[i + 1]) in _REGIONAL:
            spans.append((i, i + 2))
            i += 2
            continue
        if not is_emoji(char):
            i += 1
            continue
        end = i + 1
        while end < n:
            nxt = text[end]
            if nxt in _VARIATION or nxt in _SKIN_TONES or nxt in _TAGS:
                end += 1
            elif nxt == _ZWJ and end + 1 < n and is_emoji(text[end + 1]):
                end += 2
            else:
                break
        spans.append((i, end))
        i = end
    return spans


def replace_emoji(text: str, speak: bool) -> str:
    """Replace each emoji by its name set off with commas (a short pause), or drop it."""
    spans = _sequences(text)
    if not spans:
        return text.replace("\ufe0f", "")
    out: list[str] = []
    last_end = 0
    last_name: str | None = None
    for start, end in spans:
        between = text[last_end:start]
        name = emoji_name(text[start:end]) if speak else ""
        if between.strip() or last_name is None:
            out.append(between)
            last_name = None
        elif name == last_name:
            last_end = end
            continue
        else:
            out.append(between)
        if name:
            out.append(f", {name}, ")
        last_name = name
        last_end = end
    out.append(text[last_end:])
    return "".join(out).replace("\ufe0f", "")


# Text emoticons are said like the emoji they stand for. They must stand alone, so "(a:b)" or a URL's
# "://" are not taken for faces.
_EMOTICONS = {
    ":)": "smiling face",
    ":-)": "smiling face",
    "(:": "smiling face",
    ":(": "sad face",
    ":-(": "sad face",
    ":D": "grinning face",
    ":-D": "grinning face",
    ";)": "winking face",
    ";-)": "winking face",
    ":P": "face with tongue",
    ":-P": "face with tongue",
    ":p": "face with tongue",
    ":'(": "crying face",
    ":O": "surprised face",
    ":o": "surprised face",
    "<3": "red heart",
    "</3": "broken heart",
    "xD": "laughing face",
    "XD": "laughing face",
}
_EMOTICON = re.compile(
    r"(?<!\S)(?:"
    + "|".join(re.escape(e) for e in sorted(_EMOTICONS, key=len, reverse=True))
    + r")(?=\s|$|[.,!?])"
)


def replace_emoticons(text: str, speak: bool) -> str:
    return _EMOTICON.sub(lambda m: f", {_EMOTICONS[m.group()]}, " if speak else " ", text)
