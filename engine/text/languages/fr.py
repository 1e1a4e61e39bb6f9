"""French."""

from __future__ import annotations

import re

from .base import LanguageRules
from .european import Vocabulary, european_rules


def _gender(ordinal: str, match: re.Match[str]) -> str:
    """ "1re" → "première"; every other ordinal is the same in both genders."""
    return "première" if match.group("fem") and ordinal == "premier" else ordinal


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
)


def rules() -> LanguageRules:
    return european_rules("fr", "fr", VOCABULARY)
