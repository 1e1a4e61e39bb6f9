"""Languages num2words speaks but that have no rules of their own: numbers become words, nothing else
changes (symbols, abbreviations and addresses stay for espeak-ng, which knows the language)."""

from __future__ import annotations

import re

from num2words import num2words

from engine.text.numbers import NumberWords

from .base import LanguageRules, Options
from .european import NUM, parse

# Languages that write decimals with a point; the rest use a comma.
POINT_DECIMAL = {"en", "ja", "ko", "th", "he", "am", "bn", "kn", "te", "fa", "ar", "ce", "tet"}


def generic_rules(code: str, lang: str) -> LanguageRules:
    words = NumberWords(lang, point_word="", minus_word="-")

    def say(text: str) -> str:
        if code in POINT_DECIMAL and "." in text and "," not in text:
            integer, _, fraction = text.partition(".")
        else:
            integer, fraction = parse(text)
        if fraction:
            # num2words knows each language's decimal word when given the value.
            return " ".join(num2words(float(f"{integer}.{fraction}"), lang=lang).replace(",", " ").split())
        return words.cardinal(int(integer))

    def numbers(text: str, _: Options) -> str:
        return re.sub(rf"(?<![\w.,]){NUM}", lambda m: say(m.group()), text)

    return LanguageRules(code, (numbers,))
