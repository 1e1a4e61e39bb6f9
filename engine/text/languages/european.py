"""Rules for languages whose numbers num2words speaks: German, Spanish, French, and the generic fallback.

These languages write decimals with a comma and group thousands with a dot or a (narrow) no-break space:
"1.234.567,89". A dot followed by anything but a group of three digits is read as a decimal point, since
people type "3.5" in chat whatever their language.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from engine.text.numbers import NumberWords
from engine.text.rules import url_rule

from .base import LanguageRules, Options, Step

NUM = r"(?:\d{1,3}(?:[.\u00a0\u202f]\d{3})+(?:,\d+)?|\d+,\d+|\d+\.(?!\d{3}(?!\d))\d+|\d+)"
_NOT_BEFORE = r"(?<![\w.,])"
_NOT_AFTER = r"(?![\w]|[.,]\d)"
_END = re.compile(r"\s*$")
_CAPITAL_NEXT = re.compile(r"\s+[A-ZÄÖÜÉÁ]")
CURRENCY_CODES = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR"}


@dataclass(frozen=True)
class Vocabulary:
    """The words and abbreviations one language needs."""

    point: str
    minus: str
    percent: str
    to: str  # in a range: "5-10"
    number_sign: str  # "#5"
    symbols: Mapping[str, str]  # & + = @ …
    address: Mapping[str, str]  # . / - _ @ in URLs and e-mail addresses
    abbreviations: Mapping[str, str] = field(default_factory=dict)  # regex → words
    hours: str | None = None  # "Uhr", "heures": 15:45 → "fünfzehn Uhr fünfundvierzig"
    ordinal: str | None = None  # regex for written ordinals, group "n" (and "fem" for a feminine marker)
    ordinal_inflect: Callable[[str, re.Match[str]], str] | None = None
    space_groups: bool = False  # French groups thousands with a plain space too: "1 000 000"
    # "km" → ("ein Kilometer", "Kilometer"): the first form is said instead of "1 km", with its article.
    units: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    months: tuple[str, ...] = ()  # January … December
    # How a day-first numeric date is said: (number words, day, month name, year or None, the match).
    say_date: Callable[[NumberWords, int, str, int | None, re.Match[str]], str] | None = None


def parse(text: str) -> tuple[str, str]:
    """ "1.234,5" → ("1234", "5"); "3.5" → ("3", "5")."""
    compact = re.sub(r"[\u00a0\u202f]", "", text)
    if "," in compact:
        integer, fraction = compact.split(",", 1)
        return integer.replace(".", ""), fraction
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", compact):
        return compact.replace(".", ""), ""
    integer, _, fraction = compact.partition(".")
    return integer, fraction


def european_rules(code: str, lang: str, vocab: Vocabulary) -> LanguageRules:
    words = NumberWords(lang, vocab.point, vocab.minus)

    def number(text: str, negative: bool = False) -> str:
        integer, fraction = parse(text)
        if fraction:
            return words.decimal(integer, fraction, negative)
        return words.cardinal(-int(integer) if negative else int(integer))

    def money(text: str, _: Options) -> str:
        def spoken(num: str, symbol: str, sign: str | None) -> str:
            integer, fraction = parse(num)
            amount = Decimal(f"{integer}.{fraction or 0}")
            said = words.currency(amount, CURRENCY_CODES[symbol])
            if said is None:
                return f"{number(num)} {symbol}"
            return f"{vocab.minus} {said}" if sign else said

        text = re.sub(
            rf"(?P<sign>[-−])?(?P<sym>[$€£¥₹])\s?(?P<num>{NUM})",
            lambda m: spoken(m.group("num"), m.group("sym"), m.group("sign")),
            text,
        )
        return re.sub(
            rf"{_NOT_BEFORE}(?P<sign>[-−])?(?P<num>{NUM})\s?(?P<sym>[$€£¥₹])",
            lambda m: spoken(m.group("num"), m.group("sym"), m.group("sign")),
            text,
        )

    def times(text: str, _: Options) -> str:
        if not vocab.hours:
            return text

        def clock(m: re.Match[str]) -> str:
            hour, minute = int(m.group("h")), int(m.group("m"))
            spoken = f"{words.cardinal(hour)} {vocab.hours}"
            return spoken + (f" {words.cardinal(minute)}" if minute else "")

        return re.sub(r"(?<![\d:.,])(?P<h>[01]?\d|2[0-3])[:h](?P<m>[0-5]\d)(?![\d:])", clock, text)

    def dates(text: str, _: Options) -> str:
        """27.11.2026, 27/11/2026 and 2026-11-27: these languages write the day first."""
        if vocab.say_date is None or len(vocab.months) != 12:
            return text
        say = vocab.say_date

        def spoken(m: re.Match[str]) -> str:
            day, month = int(m.group("d")), int(m.group("m"))
            if not (1 <= month <= 12 and 1 <= day <= 31):
                return m.group()
            year = m.group("y")
            full_year = None if not year else int(year) if len(year) == 4 else 2000 + int(year)
            return say(words, day, vocab.months[month - 1], full_year, m)

        text = re.sub(r"(?<![\d-])(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?![\d-])", spoken, text)
        return re.sub(
            r"(?<![\d/.,])(?P<d>\d{1,2})([/.])(?P<m>\d{1,2})\2(?P<y>\d{4}|\d{2})?(?![\d/]|[.,]\d)",
            spoken,
            text,
        )

    def phones(text: str, _: Options) -> str:
        def phone(m: re.Match[str]) -> str:
            groups = re.findall(r"\d+", m.group())
            if sum(len(g) for g in groups) < 7:
                return m.group()
            plus = f"{vocab.symbols['+'].strip()} " if m.group().startswith("+") else ""
            return plus + ", ".join(words.digits(g) for g in groups)

        pattern = r"(?<![\w+])(?:\+\d{1,3}[\s-]?)?(?:\(?0\d{1,5}\)?[\s/-]?)\d{2,8}(?:[\s-]\d{2,8}){0,3}\b"
        return re.sub(pattern, phone, re.sub(r"(?<![\w+])\+\d{7,15}\b", phone, text))

    unit_pattern = (
        re.compile(
            rf"{_NOT_BEFORE}(?P<sign>[-−])?(?P<num>{NUM})\s?(?P<unit>"
            + "|".join(re.escape(u) for u in sorted(vocab.units, key=len, reverse=True))
            + r")(?![\w/°])"
        )
        if vocab.units
        else None
    )

    def units(text: str, _: Options) -> str:
        if unit_pattern is None:
            return text

        def spoken(m: re.Match[str]) -> str:
            one, many = vocab.units[m.group("unit")]
            singular = parse(m.group("num")) == ("1", "") and not m.group("sign")
            if singular:
                return one
            return f"{number(m.group('num'), bool(m.group('sign')))} {many}"

        return unit_pattern.sub(spoken, text)

    def numbers(text: str, _: Options) -> str:
        def ranged(m: re.Match[str]) -> str:
            return f"{number(m.group('a'))} {vocab.to} {number(m.group('b'))}"

        text = re.sub(
            rf"{_NOT_BEFORE}(?P<sign>[-−+])?(?P<num>{NUM})\s?%",
            lambda m: f"{number(m.group('num'), m.group('sign') in ('-', '−'))} {vocab.percent}",
            text,
        )
        text = re.sub(rf"{_NOT_BEFORE}(?P<a>{NUM})\s?[-–]\s?(?P<b>{NUM}){_NOT_AFTER}", ranged, text)
        if vocab.ordinal:

            def ordinal(m: re.Match[str]) -> str:
                said = words.ordinal(int(m.group("n")))
                return vocab.ordinal_inflect(said, m) if vocab.ordinal_inflect else said

            text = re.sub(vocab.ordinal, ordinal, text)
        text = re.sub(
            r"(?<![\w.,])(?P<n>1[1-9]\d\d|20\d\d)" + _NOT_AFTER, lambda m: words.year(int(m.group("n"))), text
        )
        text = re.sub(
            rf"(?:(?<=^)|(?<=[\s(]))(?P<sign>[-−])(?=\d)|{_NOT_BEFORE}{NUM}",
            lambda m: f"{vocab.minus} " if m.group("sign") else number(m.group()),
            text,
        )
        return re.sub(r"\d+", lambda m: f" {words.cardinal(int(m.group()))} ", text)

    abbreviation = (
        re.compile(
            r"(?<![\w.])(?:"
            + "|".join(f"(?P<a{i}>{p})" for i, p in enumerate(vocab.abbreviations))
            + r")(?!\w)"
        )
        if vocab.abbreviations
        else None
    )
    expansions = list(vocab.abbreviations.values())

    def abbreviations(text: str, _: Options) -> str:
        if abbreviation is None:
            return text

        def expand(m: re.Match[str]) -> str:
            index = next(i for i, v in enumerate(m.groups()) if v is not None)
            # A stop that ends the sentence as well as the abbreviation stays; capitalised abbreviations
            # are titles ("Dr.", "Sr.", "M.") whose stop is followed by a name, not a new sentence.
            ends = _END.match(m.string, m.end()) or (
                m.group()[0].islower() and _CAPITAL_NEXT.match(m.string, m.end())
            )
            stop = "." if m.group().endswith(".") and ends else ""
            return expansions[index] + stop

        return abbreviation.sub(expand, text)

    def symbols(text: str, _: Options) -> str:
        text = re.sub(r"(?<![\w#])#(?=\d)", f"{vocab.number_sign} ", text)
        text = re.sub(r"(?<![\w#])#(?=[^\W\d_])", "hashtag ", text)
        text = re.sub(r"(?<![\w@])@(?=\w)", f"{vocab.symbols['@'].strip()} ", text)
        pattern = "[" + re.escape("".join(vocab.symbols)) + "]"
        text = re.sub(pattern, lambda m: vocab.symbols[m.group()], text)
        text = re.sub(r"(?<=\w)/(?=\w)", " ", text)
        return re.sub(r"[*_|^`\\{}\[\]<>]", " ", text)

    def space_groups(text: str, _: Options) -> str:
        if not vocab.space_groups:
            return text
        pattern = r"(?<![\d,.])\d{1,3}(?: \d{3})+(?!\d)"
        return re.sub(pattern, lambda m: m.group().replace(" ", "\u202f"), text)

    url = url_rule(vocab.address, words.digits)
    steps: tuple[Step, ...] = (
        lambda text, _: url(text),
        space_groups,
        money,
        times,
        dates,
        phones,
        units,
        abbreviations,
        numbers,
        symbols,
    )
    return LanguageRules(code, steps)
