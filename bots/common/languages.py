"""The languages offered when a person sets up the bot (the engine can speak more; these are the ones with
full text support: numbers, dates and abbreviations)."""

from __future__ import annotations

LANGUAGES: dict[str, str] = {
    "en": "English",
    "de": "Deutsch",
    "es": "Español",
    "fr": "Français",
}


def language_name(code: str) -> str:
    base = code.split("-")[0].lower()
    return LANGUAGES.get(base, code)
