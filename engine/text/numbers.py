"""Numbers as words, through num2words, with the few fixes a listener needs.

num2words writes "one million, two hundred…": the commas would make a TTS engine pause inside one
number, so they are removed. Decimals are read digit by digit after the point ("three point one four"),
which is how people read them and keeps trailing zeros ("2.50" → "two point five zero").
"""

from __future__ import annotations

import inspect
from decimal import Decimal
from functools import lru_cache

from num2words import CONVERTER_CLASSES, num2words

# num2words has no words beyond about 10**27 in most languages; past that, digits are read one by one.
MAX_WORDS_VALUE = 10**24


def num2words_language(language: str) -> str | None:
    """The num2words code for a base language, or None where num2words cannot speak it."""
    return language if language in CONVERTER_CLASSES else None


class NumberWords:
    """Spoken forms of numbers in one language (a num2words code)."""

    def __init__(self, lang: str, point_word: str, minus_word: str) -> None:
        self.lang = lang
        self.point_word = point_word
        self.minus_word = minus_word

    def _words(self, value: int | Decimal, to: str = "cardinal") -> str:
        text = num2words(value, lang=self.lang, to=to)
        return " ".join(text.replace(",", " ").split())

    def cardinal(self, value: int) -> str:
        if abs(value) >= MAX_WORDS_VALUE:
            return (self.minus_word + " " if value < 0 else "") + self.digits(str(abs(value)))
        if value < 0:
            return f"{self.minus_word} {self._words(-value)}"
        return self._words(value)

    def decimal(self, integer: str, fraction: str, negative: bool = False) -> str:
        """integer and fraction are digit strings ("3", "14"); either may be empty (".5")."""
        whole = self.cardinal(int(integer or "0"))
        spoken = f"{whole} {self.point_word} {self.digits(fraction)}" if fraction else whole
        return f"{self.minus_word} {spoken}" if negative else spoken

    def ordinal(self, value: int) -> str:
        if value >= MAX_WORDS_VALUE:
            return self.digits(str(value))
        return self._words(value, "ordinal")

    def year(self, value: int) -> str:
        return self._words(value, "year")

    def digits(self, digits: str) -> str:
        return " ".join(_digit_word(self.lang, d) for d in digits if d.isdigit())

    def currency(self, amount: Decimal, code: str) -> str | None:
        """num2words' currency reading, or None when it has no forms for this currency in this language.

        num2words always adds the minor unit ("twenty euros, zero cents"); we split its output at a
        sentinel separator and keep only the parts that are not zero.
        """
        converter = CONVERTER_CLASSES[self.lang]
        if code not in getattr(converter, "CURRENCY_FORMS", {}):
            return None
        sentinel = " \x00 "
        try:
            text = converter.to_currency(amount, currency=code, separator=sentinel)
        except (NotImplementedError, KeyError, ValueError, TypeError):
            return None
        if sentinel not in text:
            return " ".join(text.replace(",", " ").split())
        whole_part, minor_part = (
            " ".join(part.replace(",", " ").split()) for part in text.split(sentinel, 1)
        )
        whole, minor = int(amount), int((amount - int(amount)) * 100)
        if minor == 0:
            return whole_part
        if whole == 0:
            return minor_part
        return f"{whole_part} {_separator_word(self.lang)} {minor_part}"


@lru_cache(maxsize=64)
def _digit_word(lang: str, digit: str) -> str:
    return num2words(int(digit), lang=lang)


@lru_cache(maxsize=64)
def _separator_word(lang: str) -> str:
    """The word num2words puts between major and minor currency units ("und", "con", "et")."""
    default = inspect.signature(CONVERTER_CLASSES[lang].to_currency).parameters["separator"].default
    word = str(default).strip(" ,")
    return word or "and"
