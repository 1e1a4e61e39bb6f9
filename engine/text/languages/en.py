"""English: the full rule set.

Order matters: addresses first (their dots and digits are not numbers), then the patterns that give
digits a meaning (money, times, dates, phone numbers, ranges, units, ordinals, years), and plain numbers
last. Abbreviations run after dates, which need "Nov." and "a.m." intact.
"""

from __future__ import annotations

import re

from engine.text.numbers import NumberWords
from engine.text.rules import split_camel, url_rule

from .base import LanguageRules, Options

N = NumberWords("en", point_word="point", minus_word="minus")

WORDS = {
    ".": "dot",
    "/": "slash",
    "-": "dash",
    "_": "underscore",
    "@": "at",
    ":": "colon",
    "+": "plus",
    "~": "tilde",
    "=": "equals",
    "&": "and",
    "%": "percent",
}

# A number as written in English: 1,234,567.89 / 3.14 / .5 / 42
NUM = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
_NOT_BEFORE = r"(?<![\w.,])"  # not the tail of a longer number or word
_NOT_AFTER = r"(?![\w]|[.,]\d)"


def number(text: str) -> str:
    """Words for one written number ("1,234.5" → "one thousand two hundred and thirty-four point five")."""
    plain = text.replace(",", "")
    integer, _, fraction = plain.partition(".")
    if fraction:
        return N.decimal(integer, fraction)
    return N.cardinal(int(integer))


def _is_one(text: str) -> bool:
    return text.replace(",", "") == "1"


_NEW_SENTENCE = re.compile(r"\s*$|\s+[A-Z\"'(]")


def _keep_stop(text: str, end: int) -> str:
    """A full stop that ended an abbreviation also ends the sentence when a new one starts after it."""
    return "." if _NEW_SENTENCE.match(text, end) else ""


# ---------------------------------------------------------------- money
CURRENCIES = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "€": ("euro", "euros", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "¥": ("yen", "yen", "", ""),
    "₹": ("rupee", "rupees", "paisa", "paise"),
}
CODES = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}
MAGNITUDES = {
    "k": "thousand",
    "thousand": "thousand",
    "m": "million",
    "mn": "million",
    "million": "million",
    "b": "billion",
    "bn": "billion",
    "billion": "billion",
    "trillion": "trillion",
    "tn": "trillion",
}
_SYM = "[$€£¥₹]"
_MAG = r"(?:\s?(?P<mag>k|m|mn|bn|b|tn)\b|\s(?P<magword>thousand|million|billion|trillion)\b)"
MONEY_BEFORE = re.compile(
    rf"(?P<sign>[-−])?(?:(?P<sym>{_SYM})|(?P<code>USD|EUR|GBP|JPY|INR)\s?)\s?(?P<num>{NUM}){_MAG}?",
    re.IGNORECASE,
)
MONEY_AFTER = re.compile(rf"{_NOT_BEFORE}(?P<num>{NUM})\s?(?:(?P<sym>{_SYM})|(?P<code>USD|EUR|GBP)\b)")


def money(amount: str, symbol: str, magnitude: str | None = None, negative: bool = False) -> str:
    one, many, minor_one, minor_many = CURRENCIES[symbol]
    plain = amount.replace(",", "")
    integer, _, fraction = plain.partition(".")
    if magnitude:
        spoken = f"{number(amount)} {magnitude} {many}"
    elif fraction and (len(fraction) > 2 or not minor_many):
        spoken = f"{number(amount)} {many}"
    else:
        whole = int(integer or "0")
        minor = int(fraction.ljust(2, "0")) if fraction else 0
        major_words = f"{N.cardinal(whole)} {one if whole == 1 else many}"
        minor_words = f"{N.cardinal(minor)} {minor_one if minor == 1 else minor_many}"
        if minor == 0:
            spoken = major_words
        elif whole == 0:
            spoken = minor_words
        else:
            spoken = f"{major_words} and {minor_words}"
    return f"minus {spoken}" if negative else spoken


def money_rule(text: str, _: Options) -> str:
    def before(m: re.Match[str]) -> str:
        symbol = m.group("sym") or CODES[m.group("code").upper()]
        mag = m.group("mag") or m.group("magword")
        return money(m.group("num"), symbol, MAGNITUDES[mag.lower()] if mag else None, bool(m.group("sign")))

    def after(m: re.Match[str]) -> str:
        return money(m.group("num"), m.group("sym") or CODES[m.group("code")])

    return MONEY_AFTER.sub(after, MONEY_BEFORE.sub(before, text))


# ---------------------------------------------------------------- times
_AMPM = r"(?P<ampm>[ap])\.?\s?m\b\.?"
CLOCK = re.compile(
    rf"(?<![\d:])(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)(?::(?P<s>[0-5]\d))?(?:\s?{_AMPM})?(?![\d:])",
    re.IGNORECASE,
)
HOUR_AMPM = re.compile(rf"(?<![\w:.,])(?P<h>1[0-2]|0?[1-9])\s?{_AMPM}", re.IGNORECASE)


def clock(hour: int, minute: int, ampm: str | None, second: int | None = None) -> str:
    if minute == 0:
        if ampm:
            spoken = N.cardinal(hour)
        elif 1 <= hour <= 12:
            spoken = f"{N.cardinal(hour)} o'clock"
        else:
            spoken = f"{N.cardinal(hour)} hundred"
    elif minute < 10:
        spoken = f"{N.cardinal(hour)} oh {N.cardinal(minute)}"
    else:
        spoken = f"{N.cardinal(hour)} {N.cardinal(minute)}"
    if ampm:
        spoken += f" {ampm.lower()} m"
    if second:
        spoken += f" and {N.cardinal(second)} second{'s' if second != 1 else ''}"
    return spoken


def time_rule(text: str, _: Options) -> str:
    def spoken(m: re.Match[str], minute: int, second: int | None) -> str:
        words = clock(int(m.group("h")), minute, m.group("ampm"), second)
        return words + (_keep_stop(m.string, m.end()) if m.group().endswith(".") else "")

    text = CLOCK.sub(lambda m: spoken(m, int(m.group("m")), int(m.group("s") or 0)), text)
    return HOUR_AMPM.sub(lambda m: spoken(m, 0, None), text)


# ---------------------------------------------------------------- dates
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_MONTH = (
    r"(?P<mon>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_ORD = r"(?:st|nd|rd|th)?"
ISO_DATE = re.compile(r"(?<![\d-])(?P<y>\d{4})-(?P<a>\d{1,2})-(?P<b>\d{1,2})(?![\d-])")
NUMERIC_DATE = re.compile(r"(?<![\d/.])(?P<a>\d{1,2})([/.])(?P<b>\d{1,2})\2(?P<y>\d{4}|\d{2})(?![\d/]|\.\d)")
MONTH_DAY = re.compile(rf"\b{_MONTH}\.?\s(?P<d>\d{{1,2}}){_ORD}\b(?:,?\s(?P<y>\d{{4}})\b)?")
DAY_MONTH = re.compile(
    rf"(?:\b[Tt]he\s)?\b(?P<d>\d{{1,2}}){_ORD}\s(?:of\s)?{_MONTH}\b\.?(?:,?\s(?P<y>\d{{4}})\b)?"
)


def _month(name: str) -> int:
    return next(i for i, full in enumerate(MONTHS, 1) if full.lower().startswith(name.lower()[:3]))


def date(year: int | None, month: int, day: int, options: Options, month_first: bool | None = None) -> str:
    """ "November twenty-seventh, twenty twenty-six" or "the twenty-seventh of November twenty twenty-six".

    A date written with the month's name is read in the order it was written; numeric dates in the
    region's order (month first in the US).
    """
    if month_first is None:
        month_first = options.region == "US"
    if month_first:
        spoken = f"{MONTHS[month - 1]} {N.ordinal(day)}"
        return spoken + (f", {N.year(year)}" if year else "")
    spoken = f"the {N.ordinal(day)} of {MONTHS[month - 1]}"
    return spoken + (f" {N.year(year)}" if year else "")


def _valid(month: int, day: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= 31


def date_rule(text: str, options: Options) -> str:
    def iso(m: re.Match[str]) -> str:
        month, day = int(m.group("a")), int(m.group("b"))
        return date(int(m.group("y")), month, day, options) if _valid(month, day) else m.group()

    def numeric(m: re.Match[str]) -> str:
        a, b, y = int(m.group("a")), int(m.group("b")), m.group("y")
        # Day first unless the region writes month first (US) or the numbers only fit month first.
        month_first = (options.region == "US" and a <= 12) or (a <= 12 < b)
        month, day = (a, b) if month_first else (b, a)
        if not _valid(month, day):
            return m.group()
        year = int(y) if len(y) == 4 else 2000 + int(y)
        return date(year, month, day, options)

    def named(m: re.Match[str], month_first: bool) -> str:
        day = int(m.group("d"))
        if not 1 <= day <= 31:
            return m.group()
        year = int(m.group("y")) if m.group("y") else None
        return date(year, _month(m.group("mon")), day, options, month_first)

    text = ISO_DATE.sub(iso, text)
    text = NUMERIC_DATE.sub(numeric, text)
    text = MONTH_DAY.sub(lambda m: named(m, True), text)
    return DAY_MONTH.sub(lambda m: named(m, False), text)


# ---------------------------------------------------------------- phone numbers and digit strings
PHONE = re.compile(
    r"(?<![\w+])(?P<plus>\+\s?)?(?:\(\d{2,5}\)[\s.-]?)?\d{2,6}(?:[\s.-]\d{2,6}){1,4}(?![\w]|[.-]\d)"
    r"|(?<![\w+])\+\d{7,15}\b"
    r"|(?<![\w+])\(\d{2,5}\)\s?\d{3,4}[\s.-]?\d{3,4}\b"
)
DIGIT_STRING = re.compile(r"(?<![\w.,])(?:0\d{2,}|\d{8,})(?![\w]|[.,]\d)")
DOTTED_NUMBERS = re.compile(r"(?<![\w.])\d+(?:\.\d+){2,}(?![\w]|\.\d)")


def _dotted(m: re.Match[str]) -> str:
    """An IP address ("192.168.1.1": "dot") or a version number ("3.0.1": "point")."""
    parts = m.group().split(".")
    is_ip = len(parts) == 4 and all(len(p) <= 3 for p in parts)
    return f" {'dot' if is_ip else 'point'} ".join(N.cardinal(int(p)) for p in parts)


def _looks_like_phone(raw: str) -> bool:
    groups = re.findall(r"\d+", raw)
    total = sum(len(g) for g in groups)
    if total < 7 or total > 15:
        return False
    if raw.lstrip().startswith(("+", "(")):
        return True
    separators = set(re.findall(r"[\s.-]", raw))
    if separators == {" "} and not raw.startswith("0"):
        return False  # "1999 2000 2001" is a list of numbers, not a phone number
    if len(groups) == 2:
        return [len(g) for g in groups] == [3, 4] or raw.startswith("0")
    return True


def phone_rule(text: str, _: Options) -> str:
    def phone(m: re.Match[str]) -> str:
        raw = m.group()
        if not _looks_like_phone(raw):
            return raw
        plus = "plus " if raw.lstrip().startswith("+") else ""
        return plus + ", ".join(N.digits(group) for group in re.findall(r"\d+", raw))

    text = DOTTED_NUMBERS.sub(_dotted, text)
    text = PHONE.sub(phone, text)
    return DIGIT_STRING.sub(
        lambda m: m.group() if re.fullmatch(r"[1-9]0+", m.group()) else N.digits(m.group()), text
    )


# ---------------------------------------------------------------- units
_UNIT_TABLE = {
    "km/h": ("kilometre per hour", "kilometres per hour"),
    "kph": ("kilometre per hour", "kilometres per hour"),
    "mph": ("mile per hour", "miles per hour"),
    "m/s": ("metre per second", "metres per second"),
    "km": ("kilometre", "kilometres"),
    "cm": ("centimetre", "centimetres"),
    "mm": ("millimetre", "millimetres"),
    "m": ("metre", "metres"),
    "mi": ("mile", "miles"),
    "ft": ("foot", "feet"),
    "yd": ("yard", "yards"),
    "kg": ("kilogram", "kilograms"),
    "mg": ("milligram", "milligrams"),
    "g": ("gram", "grams"),
    "lbs": ("pound", "pounds"),
    "lb": ("pound", "pounds"),
    "oz": ("ounce", "ounces"),
    "ml": ("millilitre", "millilitres"),
    "mL": ("millilitre", "millilitres"),
    "cl": ("centilitre", "centilitres"),
    "l": ("litre", "litres"),
    "L": ("litre", "litres"),
    "°C": ("degree Celsius", "degrees Celsius"),
    "℃": ("degree Celsius", "degrees Celsius"),
    "°F": ("degree Fahrenheit", "degrees Fahrenheit"),
    "℉": ("degree Fahrenheit", "degrees Fahrenheit"),
    "°": ("degree", "degrees"),
    "kWh": ("kilowatt hour", "kilowatt hours"),
    "kW": ("kilowatt", "kilowatts"),
    "W": ("watt", "watts"),
    "V": ("volt", "volts"),
    "mAh": ("milliamp hour", "milliamp hours"),
    "Hz": ("hertz", "hertz"),
    "kHz": ("kilohertz", "kilohertz"),
    "MHz": ("megahertz", "megahertz"),
    "GHz": ("gigahertz", "gigahertz"),
    "KB": ("kilobyte", "kilobytes"),
    "kB": ("kilobyte", "kilobytes"),
    "MB": ("megabyte", "megabytes"),
    "GB": ("gigabyte", "gigabytes"),
    "TB": ("terabyte", "terabytes"),
    "Mbps": ("megabit per second", "megabits per second"),
    "ms": ("millisecond", "milliseconds"),
    "sec": ("second", "seconds"),
    "secs": ("seconds", "seconds"),
    "min": ("minute", "minutes"),
    "mins": ("minute", "minutes"),
    "hr": ("hour", "hours"),
    "hrs": ("hour", "hours"),
    "h": ("hour", "hours"),
}
_UNITS = "|".join(re.escape(u) for u in sorted(_UNIT_TABLE, key=len, reverse=True))
# Degrees may be written "10 °C" or "10° C"; other units need a number right before them.
UNIT = re.compile(rf"{_NOT_BEFORE}(?P<sign>[-−])?(?P<num>{NUM})\s?(?P<unit>°\s?[CF]\b|{_UNITS})(?![\w/°])")
RANGE_UNIT = re.compile(
    rf"{_NOT_BEFORE}(?P<a>{NUM})\s?[-–]\s?(?P<b>{NUM})\s?(?P<unit>°\s?[CF]\b|{_UNITS}|%)(?![\w/°])"
)


def _unit_words(unit: str, singular: bool, region: str | None) -> str:
    one, many = _UNIT_TABLE[unit.replace(" ", "")] if unit != "%" else ("percent", "percent")
    words = one if singular else many
    if region == "US":
        words = re.sub(r"(met|lit)re", r"\1er", words)
    return words


def unit_rule(text: str, options: Options) -> str:
    def single(m: re.Match[str]) -> str:
        minus = "minus " if m.group("sign") else ""
        unit = _unit_words(m.group("unit"), _is_one(m.group("num")) and not minus, options.region)
        return f"{minus}{number(m.group('num'))} {unit}"

    def ranged(m: re.Match[str]) -> str:
        unit = _unit_words(m.group("unit"), False, options.region)
        return f"{number(m.group('a'))} to {number(m.group('b'))} {unit}"

    return UNIT.sub(single, RANGE_UNIT.sub(ranged, text))


# ---------------------------------------------------------------- other numbers
PERCENT = re.compile(rf"{_NOT_BEFORE}(?P<sign>[-−+])?(?P<num>{NUM})\s?%")
RANGE = re.compile(rf"{_NOT_BEFORE}(?P<a>{NUM})\s?[-–]\s?(?P<b>{NUM}){_NOT_AFTER}(?!\s*=)")
ORDINAL = re.compile(r"(?<![\w.,])(?P<n>\d+)(?:st|nd|rd|th)\b", re.IGNORECASE)
DECADE = re.compile(r"(?<![\w.,])'?(?P<n>(?:1[1-9]|20)?\d0)'?s\b")
YEAR = re.compile(
    r"(?<![\w.,$€£])(?:(?P<n>1[1-9]\d\d|20\d\d)|(?P<old>\d{1,4})(?=\s?(?:AD|BC|BCE|CE)\b))"
    r"(?P<era>\s?(?:AD|BC|BCE|CE)\b)?" + _NOT_AFTER
)
# "4x4" is "four by four", "3 x 4" is "three times four", "1.5x faster" is "one point five times faster".
TIMES = re.compile(rf"{_NOT_BEFORE}(?P<a>{NUM})(?P<space>\s?)[x×](?P=space)(?P<b>{NUM})?(?![\w]|[.,]\d)")
SUBTRACTION = re.compile(rf"{_NOT_BEFORE}(?P<a>{NUM})\s?[-−]\s?(?P<b>{NUM})(?=\s*=)")
FRACTION = re.compile(r"(?<![\w/.,])(?P<a>\d{1,3})/(?P<b>\d{1,3})(?![\w/]|[.,]\d)")
NUMBER = re.compile(rf"(?:(?<=^)|(?<=[\s(\[]))(?P<sign>[-−])(?=\d|\.\d)|{_NOT_BEFORE}{NUM}")
_FRACTION_NAMES = {
    (1, 2): "one half",
    (1, 4): "one quarter",
    (3, 4): "three quarters",
    (24, 7): "twenty-four seven",
    (50, 50): "fifty fifty",
}


_YEAR_CONTEXT = re.compile(
    r"\b(?:in|since|from|until|till|by|before|after|of|year|circa|around|during|to|and|summer|winter|spring"
    r"|autumn|fall|class|born|died|[Jj]anuary|[Ff]ebruary|[Mm]arch|[Aa]pril|[Mm]ay|[Jj]une|[Jj]uly|[Aa]ugust"
    r"|[Ss]eptember|[Oo]ctober|[Nn]ovember|[Dd]ecember)\s+$",
    re.IGNORECASE,
)
_FOLLOWING_PLURAL = re.compile(r"\s+([a-z]+s)\b")
_NOT_PLURAL = {"is", "was", "has", "does", "brings", "begins", "starts", "ends", "marks", "sees", "seems"}


def _counts_things(m: re.Match[str]) -> bool:
    """ "2026 apples" counts apples; "in 2026 prices rose" and "2026 was" are years."""
    # Only the word before matters; a short window keeps long messages linear.
    if _YEAR_CONTEXT.search(m.string[max(0, m.start() - 20) : m.start()]):
        return False
    following = _FOLLOWING_PLURAL.match(m.string, m.end())
    return following is not None and following.group(1) not in _NOT_PLURAL and len(following.group(1)) > 2


def _times(m: re.Match[str]) -> str:
    if m.group("b") is None:
        return f"{number(m.group('a'))} times"
    word = "times" if m.group("space") else "by"
    return f"{number(m.group('a'))} {word} {number(m.group('b'))}"


def _decade(m: re.Match[str]) -> str:
    n = int(m.group("n"))
    words = N.year(n) if n >= 1000 else N.cardinal(n)
    return re.sub(r"y$", "ies", words) if words.endswith("y") else words + "s"


def _fraction(m: re.Match[str]) -> str:
    a, b = int(m.group("a")), int(m.group("b"))
    if (a, b) in _FRACTION_NAMES:
        return _FRACTION_NAMES[(a, b)]
    if b == 0:
        return f"{N.cardinal(a)} slash {N.cardinal(b)}"
    if 0 < a < b <= 10:
        name = "half" if b == 2 else N.ordinal(b)
        plural = "halves" if b == 2 else name + "s"
        return f"{N.cardinal(a)} {name if a == 1 else plural}"
    return f"{N.cardinal(a)} out of {N.cardinal(b)}"


def number_rule(text: str, _: Options) -> str:
    def percent(m: re.Match[str]) -> str:
        sign = {"-": "minus ", "−": "minus ", "+": "plus "}.get(m.group("sign") or "", "")
        return f"{sign}{number(m.group('num'))} percent"

    def year(m: re.Match[str]) -> str:
        if not m.group("era") and _counts_things(m):
            return number(m.group("n"))
        era = (m.group("era") or "").strip().upper()
        era_words = {"AD": " A D", "BC": " B C", "BCE": " B C E", "CE": " C E"}.get(era, "")
        return N.year(int(m.group("n") or m.group("old"))) + era_words

    def ranged(m: re.Match[str]) -> str:
        a, b = m.group("a"), m.group("b")
        is_year = all(re.fullmatch(r"1[1-9]\d\d|20\d\d", x) for x in (a, b))
        speak = (lambda x: N.year(int(x))) if is_year else number
        return f"{speak(a)} to {speak(b)}"

    text = PERCENT.sub(percent, text)
    text = TIMES.sub(_times, text)
    text = SUBTRACTION.sub(lambda m: f"{number(m.group('a'))} minus {number(m.group('b'))}", text)
    text = RANGE.sub(ranged, text)
    text = ORDINAL.sub(lambda m: N.ordinal(int(m.group("n"))), text)
    text = DECADE.sub(_decade, text)
    # Codes such as "BA2490" are read digit by digit; shorter digits glued to letters ("MP3", "4K") are
    # their own word.
    text = re.sub(r"(?<=[A-Z])\d{3,}\b", lambda m: " " + N.digits(m.group()), text)
    text = re.sub(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])", " ", text)
    text = YEAR.sub(year, text)
    text = FRACTION.sub(_fraction, text)
    text = NUMBER.sub(lambda m: "minus " if m.group("sign") else f"{number(m.group())}", text)
    return re.sub(r"\d+", lambda m: f" {N.cardinal(int(m.group()))} ", text)


# ---------------------------------------------------------------- abbreviations
TITLES = {"Dr": "Doctor", "Mr": "Mister", "Mrs": "Missus", "Ms": "Miz", "Prof": "Professor", "St": "Saint"}
# Only with their full stop: without it these are words or names ("Gen Z", "Rev up").
DOTTED_TITLES = {
    "Mt": "Mount",
    "Capt": "Captain",
    "Sgt": "Sergeant",
    "Lt": "Lieutenant",
    "Gen": "General",
    "Rev": "Reverend",
    "Fr": "Father",
    "Sen": "Senator",
    "Rep": "Representative",
    "Gov": "Governor",
}
STREETS = {"St": "Street", "Dr": "Drive", "Rd": "Road", "Ave": "Avenue", "Blvd": "Boulevard", "Ln": "Lane"}
ABBREVIATIONS = {
    r"etc\.?": "et cetera",
    r"e\.\s?g\.?": "for example",
    r"i\.\s?e\.?": "that is",
    r"vs\.?": "versus",
    r"approx\.": "approximately",
    r"Jr\.": "Junior",
    r"Sr\.": "Senior",
    r"Inc\.": "Incorporated",
    r"Ltd\.": "Limited",
    r"Dept\.": "Department",
    r"w/o": "without",
    r"w/": "with",
    r"aka": "also known as",
    r"a\.k\.a\.": "also known as",
    r"P\.S\.": "P S",
    r"R\.S\.V\.P\.": "R S V P",
    r"a\.m\.": "a m",
    r"p\.m\.": "p m",
    r"Jan\.": "January",
    r"Feb\.": "February",
    r"Mar\.": "March",
    r"Apr\.": "April",
    r"Aug\.": "August",
    r"Sept?\.": "September",
    r"Oct\.": "October",
    r"Nov\.": "November",
    r"Dec\.": "December",
}
_ABBREVIATION = re.compile(
    r"(?<![\w.])(?:" + "|".join(f"(?P<a{i}>{p})" for i, p in enumerate(ABBREVIATIONS)) + r")(?![\w])",
    re.IGNORECASE,
)
_ABBREVIATION_WORDS = list(ABBREVIATIONS.values())
# "No. 5" and "No5" are "number five"; "no 5" without the stop is usually just "no" ("no 5 people").
NUMBER_SIGN = re.compile(r"\b(?:No|no|Nos|nos|Nr|nr)\.\s?(?=\d)|\bNo(?=\d)")
_TITLE = re.compile(
    r"\b(?:(?P<abbr>" + "|".join(TITLES) + r")\.?|(?P<dotted>" + "|".join(DOTTED_TITLES) + r")\.)(?=\s+[A-Z])"
)
_STREET = re.compile(
    r"(?P<prev>\b[A-Z][a-z]+)(?P<space>\s+)(?P<abbr>" + "|".join(STREETS) + r")(?P<dot>\.)?(?!\w)"
)
# Titles and "St." anywhere else, with their full stop: the most common reading.
FALLBACK = {
    "Mr": "Mister",
    "Mrs": "Missus",
    "Ms": "Miz",
    "Dr": "Doctor",
    "Prof": "Professor",
    "St": "Street",
    "Rd": "Road",
    "Ave": "Avenue",
    "Blvd": "Boulevard",
}
_FALLBACK = re.compile(r"\b(?P<abbr>" + "|".join(FALLBACK) + r")\.")


def abbreviation_rule(text: str, _: Options) -> str:
    def street(m: re.Match[str]) -> str:
        stop = _keep_stop(m.string, m.end()) if m.group("dot") else ""
        return f"{m.group('prev')}{m.group('space')}{STREETS[m.group('abbr')]}{stop}"

    def other(m: re.Match[str]) -> str:
        index = next(i for i, v in enumerate(m.groups()) if v is not None)
        stop = _keep_stop(m.string, m.end()) if m.group().endswith(".") else ""
        return _ABBREVIATION_WORDS[index] + stop

    # A title before a name wins ("Dr. Smith"); otherwise "St."/"Dr." after a name is a street.
    text = _TITLE.sub(lambda m: TITLES.get(m.group("abbr"), "") or DOTTED_TITLES[m.group("dotted")], text)
    text = _STREET.sub(street, text)
    text = _FALLBACK.sub(lambda m: FALLBACK[m.group("abbr")] + _keep_stop(m.string, m.end()), text)
    return _ABBREVIATION.sub(other, text)


# ---------------------------------------------------------------- symbols
SYMBOLS = {
    "&": " and ",
    "+": " plus ",
    "=": " equals ",
    "±": " plus or minus ",
    "×": " times ",
    "÷": " divided by ",
    "©": " copyright ",
    "®": " registered ",
    "™": " trademark ",
    "§": " section ",
    "°": " degrees ",
    "@": " at ",
    "~": " about ",
    "<": " less than ",
    ">": " greater than ",
    "%": " percent ",
}
_DROP = re.compile(r"[*_|^`\\{}\[\]<>]")  # markdown and brackets: formatting, not speech


def tag_rule(text: str, _: Options) -> str:
    """#5 → "number five" (later), #AvatarLab → "hashtag Avatar Lab", @alice → "at alice"."""
    text = NUMBER_SIGN.sub("number ", text)
    text = re.sub(r"(?<![\w#&])#(?=\d)", "number ", text)
    text = re.sub(
        r"(?<![\w#&])#(?P<tag>[^\W\d_]\w*)", lambda m: f"hashtag {split_camel(m.group('tag'))}", text
    )
    return re.sub(r"(?<![\w@])@(?P<who>\w+)", lambda m: f"at {m.group('who')}", text)


def symbol_rule(text: str, _: Options) -> str:
    text = re.sub(r"\band/or\b", "and or", text)
    text = re.sub(r"\b(?P<a>[a-z]{2,})/(?P<b>[a-z]{2,})\b", r"\g<a> or \g<b>", text)  # "yes/no"
    text = re.sub(r"(?<=\w)/(?=\w)", " ", text)
    text = re.sub(r"(?<=\s)[<>](?=\s)", lambda m: SYMBOLS[m.group()], text)
    text = re.sub(r"[&+=±×÷©®™§°@~%]", lambda m: SYMBOLS[m.group()], text)
    return _DROP.sub(" ", text)


_US_AND = re.compile(
    r"\b(hundred|thousand|million|billion|trillion) and (?=(?:one|two|three|four|five|six|seven|eight|nine"
    r"|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty"
    r"|sixty|seventy|eighty|ninety)\b)"
)


def american_numbers(text: str, options: Options) -> str:
    """American English says "one hundred one", British "one hundred and one" (num2words' form)."""
    return _US_AND.sub(r"\1 ", text) if options.region == "US" else text


# ---------------------------------------------------------------- putting it together
_URL = url_rule(WORDS, N.digits)


def _urls(text: str, _: Options) -> str:
    return _URL(text)


def rules() -> LanguageRules:
    return LanguageRules(
        "en",
        (
            _urls,
            tag_rule,
            money_rule,
            time_rule,
            date_rule,
            phone_rule,
            unit_rule,
            number_rule,
            abbreviation_rule,
            symbol_rule,
            american_numbers,
        ),
        emoji_names=True,
    )
