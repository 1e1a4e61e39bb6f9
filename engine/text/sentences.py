"""Sentence splitting for long messages: each piece becomes its own clip, and the first can be spoken
while the rest are still being made.

A full stop ends a sentence only when whitespace follows it, so decimals ("3.14"), addresses
("example.com") and dotted abbreviations ("e.g.") stay whole; known titles ("Dr.") and single initials
("J. Smith") never end one. A line break always does: chat messages put one thought per line.
"""

from __future__ import annotations

import re

from engine.text.language import base_language


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Abbreviations that are followed by more of the same sentence (titles, "e.g."), per base language.
_NO_BREAK = {
    "en": _words(
        "mr mrs ms dr prof st mt capt sgt lt gen rev fr jr sr vs e.g i.e approx a.k.a inc ltd co dept "
        "jan feb mar apr jun jul aug sep sept oct nov dec"
    ),
    "de": _words("dr prof hr fr nr z.b d.h u.a bzw ca evtl ggf inkl vgl bspw str tel"),
    "es": _words("sr sra srta dr dra ud uds p.ej núm aprox av avda prof sto sta ee.uu"),
    "fr": _words("m mm mme mlle dr pr p.ex c.-à-d env av tél"),
}
# These only continue the sentence before a number ("No. 5", "p. 12"); "I said no." ends one.
_NO_BREAK_BEFORE_DIGIT = _words("no nos nr p pp fig vol ch núm")
_DIGIT_NEXT = re.compile(r"\s*\d")
_LOWER_NEXT = re.compile(r"\s*[^\W\d_]")
_BOUNDARY = re.compile(r"(?:\.\.\.|[.!?…]+)[\"'”’)\]]*(?=\s)|\n+")
_WORD_BEFORE = re.compile(r"(\S+)$")


def split_sentences(text: str, language: str = "en", max_chars: int = 300) -> list[str]:
    """Sentences of `text`, each at most `max_chars` long (longer ones are cut at commas, then spaces)."""
    if max_chars < 1:
        raise ValueError("max_chars must be positive")
    no_break = _NO_BREAK.get(base_language(language), frozenset())
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        if "\n" not in match.group() and not _ends_sentence(text, match, no_break):
            continue
        sentences.extend(_chunks(text[start:end], max_chars))
        start = end
    sentences.extend(_chunks(text[start:], max_chars))
    return sentences


def _ends_sentence(text: str, match: re.Match[str], no_break: frozenset[str]) -> bool:
    mark = match.group()
    if mark.startswith(("...", "…")):
        # An ellipsis followed by lower case is a pause inside the sentence.
        following = _LOWER_NEXT.match(text, match.end())
        return following is None or not following.group().strip().islower()
    if not mark.startswith("."):
        return True
    # Abbreviations are short: looking at a few characters back keeps long messages linear.
    word = _WORD_BEFORE.search(text[max(0, match.start() - 24) : match.start()])
    if word is None:
        return True
    token = word.group(1).lstrip("\"'“‘([").lower()
    if token in no_break:
        return False
    if token in _NO_BREAK_BEFORE_DIGIT and _DIGIT_NEXT.match(text, match.end()):
        return False
    # A single capital letter ("J. Smith") is an initial.
    return not (len(token) == 1 and token.isalpha() and word.group(1)[-1].isupper())


def _chunks(sentence: str, max_chars: int) -> list[str]:
    sentence = " ".join(sentence.split())
    if not sentence:
        return []
    pieces: list[str] = []
    while len(sentence) > max_chars:
        window = sentence[: max_chars + 1]
        cut = max(window.rfind(", "), window.rfind("; "), window.rfind(": "))
        cut = cut + 1 if cut > max_chars // 3 else window.rfind(" ")
        if cut <= 0:
            cut = max_chars  # one unbroken word longer than the limit
        pieces.append(sentence[:cut].strip())
        sentence = sentence[cut:].strip()
    if sentence:
        pieces.append(sentence)
    return pieces
