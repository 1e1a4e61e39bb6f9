"""Language codes: the pipeline accepts "en", "en-US", "en_us", "EN"; the text rules key on the base code."""

from __future__ import annotations

import re

from engine.errors import UnsupportedLanguage

_CODE = re.compile(r"^([A-Za-z]{2,3})(?:[-_]([A-Za-z0-9]{2,8}))*$")


def base_language(code: str) -> str:
    """ "en-US" / "en_us" / "EN" → "en". Raises UnsupportedLanguage for something that is not a code."""
    cleaned = (code or "").strip()
    match = _CODE.match(cleaned)
    if not match:
        raise UnsupportedLanguage(code, "Use a language code such as 'en', 'de' or 'es'.")
    return match.group(1).lower()


def region(code: str) -> str | None:
    """The region part of a code, upper-case ("en-us" → "US"), or None. Scripts ("Latn") are skipped."""
    parts = re.split(r"[-_]", (code or "").strip())[1:]
    for part in parts:
        if (len(part) == 2 and part.isalpha()) or (len(part) == 3 and part.isdigit()):
            return part.upper()
    return None
