"""German."""

from __future__ import annotations

import re

from engine.text.numbers import NumberWords

from .base import LanguageRules
from .european import Vocabulary, european_rules

_DATIVE = re.compile(r"\b(?:am|im|vom|zum|beim|dem|den)\s+$", re.IGNORECASE)
_MONTHS = "Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember"


def _inflect(ordinal: str, match: re.Match[str]) -> str:
    """ "am 3. Oktober" → "am dritten Oktober": after these words the ordinal takes -n."""
    before = match.string[max(0, match.start() - 10) : match.start()]
    return ordinal + "n" if _DATIVE.search(before) and ordinal.endswith("e") else ordinal


def _date(words: NumberWords, day: int, month: str, year: int | None, match: re.Match[str]) -> str:
    """ "am 27.11.2026" → "am siebenundzwanzigsten November zweitausendsechsundzwanzig"."""
    said = f"{_inflect(words.ordinal(day), match)} {month}"
    return f"{said} {words.year(year)}" if year else said


VOCABULARY = Vocabulary(
    point="Komma",
    minus="minus",
    percent="Prozent",
    to="bis",
    number_sign="Nummer",
    symbols={"&": " und ", "+": " plus ", "=": " gleich ", "@": " at ", "°": " Grad ", "~": " circa "},
    address={
        ".": "Punkt",
        "/": "Schrägstrich",
        "-": "Bindestrich",
        "_": "Unterstrich",
        "@": "at",
        ":": "Doppelpunkt",
        "+": "plus",
    },
    abbreviations={
        r"z\.\s?B\.": "zum Beispiel",
        r"d\.\s?h\.": "das heißt",
        r"u\.\s?a\.": "unter anderem",
        r"usw\.": "und so weiter",
        r"bzw\.": "beziehungsweise",
        r"ca\.": "circa",
        r"evtl\.": "eventuell",
        r"ggf\.": "gegebenenfalls",
        r"Nr\.": "Nummer",
        r"Dr\.": "Doktor",
        r"Prof\.": "Professor",
        r"Hr\.": "Herr",
        r"Fr\.": "Frau",
        r"Str\.": "Straße",
        r"str\.": "straße",
        r"inkl\.": "inklusive",
        r"vgl\.": "vergleiche",
        r"bspw\.": "beispielsweise",
        r"etc\.": "et cetera",
        r"Tel\.": "Telefon",
    },
    hours="Uhr",
    # German writes ordinals with a full stop: "3. Oktober", "der 2. Platz".
    ordinal=rf"(?<![\w.,])(?P<n>\d{{1,3}})\.(?=\s+(?:{_MONTHS}|[a-zäöüß]|[A-ZÄÖÜ][a-zäöüß]+\b(?!\s*[.!?]$)))",
    ordinal_inflect=_inflect,
    units={
        "km/h": ("ein Kilometer pro Stunde", "Kilometer pro Stunde"),
        "km": ("ein Kilometer", "Kilometer"),
        "cm": ("ein Zentimeter", "Zentimeter"),
        "mm": ("ein Millimeter", "Millimeter"),
        "m": ("ein Meter", "Meter"),
        "kg": ("ein Kilogramm", "Kilogramm"),
        "g": ("ein Gramm", "Gramm"),
        "l": ("ein Liter", "Liter"),
        "ml": ("ein Milliliter", "Milliliter"),
        "°C": ("ein Grad Celsius", "Grad Celsius"),
        "°": ("ein Grad", "Grad"),
        "h": ("eine Stunde", "Stunden"),
        "Std.": ("eine Stunde", "Stunden"),
        "min": ("eine Minute", "Minuten"),
        "Min.": ("eine Minute", "Minuten"),
        "GB": ("ein Gigabyte", "Gigabyte"),
        "MB": ("ein Megabyte", "Megabyte"),
    },
    months=tuple(_MONTHS.split("|")),
    say_date=_date,
)


def rules() -> LanguageRules:
    return european_rules("de", "de", VOCABULARY)
