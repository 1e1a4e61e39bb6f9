"""Spanish."""

from __future__ import annotations

import re

from engine.text.numbers import NumberWords

from .base import LanguageRules
from .european import Vocabulary, european_rules


def _gender(ordinal: str, match: re.Match[str]) -> str:
    """ "1ª" → "primera": the feminine marker changes each word's final -o."""
    if match.group("fem"):
        return " ".join(re.sub(r"o$", "a", word) for word in ordinal.split())
    return ordinal


MONTHS = (
    "enero", "febrero", "marzo", "abril", "mayo", "junio",
    "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
)  # fmt: skip


def _date(words: NumberWords, day: int, month: str, year: int | None, _: re.Match[str]) -> str:
    """ "27/11/2026" → "veintisiete de noviembre de dos mil veintiséis" (days are cardinal but the first)."""
    said = f"{'primero' if day == 1 else words.cardinal(day)} de {month}"
    return f"{said} de {words.year(year)}" if year else said


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
    units={
        "km/h": ("un kilómetro por hora", "kilómetros por hora"),
        "km": ("un kilómetro", "kilómetros"),
        "cm": ("un centímetro", "centímetros"),
        "mm": ("un milímetro", "milímetros"),
        "m": ("un metro", "metros"),
        "kg": ("un kilo", "kilos"),
        "g": ("un gramo", "gramos"),
        "l": ("un litro", "litros"),
        "ml": ("un mililitro", "mililitros"),
        "°C": ("un grado centígrado", "grados centígrados"),
        "°": ("un grado", "grados"),
        "h": ("un hora", "horas"),
        "min": ("un minuto", "minutos"),
        "GB": ("un gigabyte", "gigabytes"),
        "MB": ("un megabyte", "megabytes"),
    },
    months=MONTHS,
    say_date=_date,
)


def rules() -> LanguageRules:
    return european_rules("es", "es", VOCABULARY)
