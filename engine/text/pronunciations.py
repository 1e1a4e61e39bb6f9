"""Per-user pronunciation overrides: "word → how to say it", applied before normalisation."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache


def apply_pronunciations(text: str, pronunciations: Mapping[str, str]) -> str:
    """Replace whole words or phrases, case-insensitively, the longest key first.

    "Dr Who" → "Doctor Who" wins over "Dr" → "Doctor" where both match; spaces in a key match any run of
    whitespace in the text. Empty keys are ignored; an empty value removes the word.
    """
    cleaned = {
        " ".join(k.split()).lower(): " ".join(v.split()) for k, v in pronunciations.items() if k.strip()
    }
    if not cleaned:
        return text
    pattern = _pattern(tuple(sorted(cleaned, key=lambda k: (-len(k), k))))
    result = pattern.sub(lambda m: cleaned[" ".join(m.group().split()).lower()], text)
    return " ".join(result.split(" ")) if result != text else text


@lru_cache(maxsize=256)
def _pattern(keys: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = (r"\s+".join(re.escape(part) for part in key.split(" ")) for key in keys)
    # Whole words: no word character may touch either end (keys such as "C++" still match).
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)
