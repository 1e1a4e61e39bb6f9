"""Spanish."""

from __future__ import annotations

import re

from .base import LanguageRules
from .european import Vocabulary, european_rules


def _gender(ordinal: str, match: re.Match[str]) -> str:
    """ "1ª" → "primera": the feminine marker changes each word's final -o."""
    if match.group("fem"):
        return " ".join(re.sub(r"o$", "a", word) for word in ordinal.split())
    return ordinal


VOCABULARY = Vocabulary(
    point="coma",
    minus="menos",
    percent="por ciento",
    to="a",
    number_sign="número",
    symbols={
        "&": " y ",
        "+": " más ",
        "=": " igual a ",
        "@": " arroba ",
        "°": " grados ",
        "~": " aproximadamente ",
    },
    address={
        ".": "punto",
        "/": "barra",
        "-": "guion",
        "_": "guion bajo",
        "@": "arroba",
        ":": "dos puntos",
        "+": "más",
    },
    abbreviations={
        r"Sr\.": "señor",
        r"Sra\.": "señora",
        r"Srta\.": "señorita",
        r"Dr\.": "doctor",
        r"Dra\.": "doctora",
        r"Ud\.": "usted",
        r"Uds\.": "ustedes",
        r"etc\.": "etcétera",
        r"p\.\s?ej\.": "por ejemplo",
        r"núm\.": "número",
        r"aprox\.": "aproximadamente",
        r"Av\.": "avenida",
        r"Avda\.": "avenida",
        r"EE\.\s?UU\.": "Estados Unidos",
        r"Prof\.": "profesor",
        r"Sto\.": "santo",
        r"Sta\.": "santa",
    },
    ordinal=r"(?<![\w.,])(?P<n>\d{1,3})\.?(?:º|°|(?P<fem>ª))",
    ordinal_inflect=_gender,
)


def rules() -> LanguageRules:
    return european_rules("es", "es", VOCABULARY)
