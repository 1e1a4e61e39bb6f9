"""The languages offered when a person sets up the bot. The engine speaks many more (every espeak-ng
language); these are common ones that it says well. English, German, Spanish and French also get full
text support (numbers, dates, abbreviations)."""

from __future__ import annotations

LANGUAGES: dict[str, str] = {
    "en": "English",
    "de": "Deutsch",
    "es": "Español",
    "fr": "Français",
    "it": "Italiano",
    "pt": "Português",
    "nl": "Nederlands",
    "pl": "Polski",
    "tr": "Türkçe",
    "uk": "Українська",
    "ru": "Русский",
    "ar": "العربية",
    "hi": "हिन्दी",
    "zh": "中文",
}


def language_name(code: str) -> str:
    base = code.split("-")[0].lower()
    return LANGUAGES.get(base, code)
