"""French."""

from __future__ import annotations

import re

from engine.text.numbers import NumberWords

from .base import LanguageRules
from .european import Vocabulary, european_rules


def _gender(ordinal: str, match: re.Match[str]) -> str:
    """ "1re" → "première"; every other ordinal is the same in both genders."""
    return "première" if match.group("fem") and ordinal == "premier" else ordinal


MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip


def _date(words: NumberWords, day: int, month: str, year: int | None, _: re.Match[str]) -> str:
    """ "27/11/2026" → "vingt-sept novembre deux mille vingt-six"; the first of the month is "premier"."""
    said = f"{'premier' if day == 1 else words.cardinal(day)} {month}"
    return f"{said} {words.year(year)}" if year else said


VOCABULARY = Vocabulary(
    point="virgule",
    minus="moins",
    percent="pour cent",
    to="à",
    number_sign="numéro",
    symbols={"&": " et ", "+": " plus ", "=": " égale ", "@": " arobase ", "°": " degrés ", "~": " environ "},
    address={
        ".": "point",
        "/": "slash",
        "-": "tiret",
        "_": "tiret bas",
        "@": "arobase",
        ":": "deux points",
        "+": "plus",
    },
    abbreviations={
        r"M\.": "monsieur",
        r"MM\.": "messieurs",
        r"Mme": "madame",
        r"Mmes": "mesdames",
        r"Mlle": "mademoiselle",
        r"Dr": "docteur",
        r"Pr": "professeur",
        r"etc\.": "et cetera",
        r"p\.\s?ex\.": "par exemple",
        r"c\.-à-d\.": "c'est-à-dire",
        r"env\.": "environ",
        r"St": "saint",
        r"Ste": "sainte",
        r"av\.": "avenue",
        r"bd": "boulevard",
        r"n°": "numéro",
        r"tél\.": "téléphone",
    },
    hours="heures",
    space_groups=True,
    ordinal=r"(?<![\w.,])(?P<n>\d{1,3})(?:er|(?P<fem>re)|e|ème|eme|è)(?!\w)",
    ordinal_inflect=_gender,
    units={
        "km/h": ("un kilomètre heure", "kilomètres heure"),
        "km": ("un kilomètre", "kilomètres"),
        "cm": ("un centimètre", "centimètres"),
        "mm": ("un millimètre", "millimètres"),
        "m": ("un mètre", "mètres"),
        "kg": ("un kilo", "kilos"),
        "g": ("un gramme", "grammes"),
        "l": ("un litre", "litres"),
        "ml": ("un millilitre", "millilitres"),
        "°C": ("un degré Celsius", "degrés Celsius"),
        "°": ("un degré", "degrés"),
        "min": ("une minute", "minutes"),
        "Go": ("un gigaoctet", "gigaoctets"),
        "Mo": ("un mégaoctet", "mégaoctets"),
    },
    months=MONTHS,
    say_date=_date,
)


def rules() -> LanguageRules:
    return european_rules("fr", "fr", VOCABULARY)
