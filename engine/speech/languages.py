"""Language-code helpers shared by the speech engines: normalising codes and suggesting close ones."""

from __future__ import annotations

import difflib


def normalise_code(code: str) -> str:
    """Lower-case with hyphens: de_AT and DE-at both become de-at."""
    return code.strip().replace("_", "-").lower()


def close_codes(code: str, known: list[str], limit: int = 5) -> str:
    """A short hint naming known codes close to `code`, or "" when none is close."""
    wanted = normalise_code(code)
    primary = wanted.split("-", 1)[0]
    same_family = [k for k in known if k.split("-", 1)[0] == primary]
    similar = difflib.get_close_matches(wanted, known, n=limit, cutoff=0.5)
    picks = list(dict.fromkeys(same_family + similar))[:limit]
    return f"Did you mean: {', '.join(picks)}?" if picks else ""
