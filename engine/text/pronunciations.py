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
    keys = tuple(sorted(cleaned, key=lambda k: (-len(k), k)))
    pattern = _pattern(keys)
    # The matching key is known from the group that matched, not by lower-casing the text again (case
    # folding is not one-to-one: "İ" lower-cases to two characters). Spaces left by an empty replacement
    # are tidied by normalisation, which always follows.
    return pattern.sub(lambda m: cleaned[keys[int(m.lastgroup[1:])]], text)


@lru_cache(maxsize=256)
def _pattern(keys: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = (
        f"(?P<k{i}>" + r"\s+".join(re.escape(part) for part in key.split(" ")) + ")"
        for i, key in enumerate(keys)
    )
    # Whole words: no word character may touch either end (keys such as "C++" still match).
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)
