"""normalize() and prepare_text(): raw message → text a speech engine can say."""

from __future__ import annotations

from collections.abc import Mapping

from engine.errors import EmptyText, TextTooLong
from engine.text import emoji, rules
from engine.text.language import base_language, region
from engine.text.languages import Options, rules_for
from engine.text.pronunciations import apply_pronunciations


def normalize(text: str, language: str = "en", *, speak_emoji: bool = True) -> str:
    """Spell out numbers, dates, money, abbreviations, addresses, emoji and symbols for `language`.

    Unknown languages pass through with only whitespace and punctuation tidied; the engine reads digits.
    """
    base = base_language(language)
    language_rules = rules_for(base)
    options = Options(region=region(language), speak_emoji=speak_emoji)
    text = rules.tidy(text)
    text = emoticons_and_emoji(text, speak_emoji and language_rules.emoji_names)
    text = rules.collapse_punctuation(text)
    text = language_rules.apply(text, options)
    return rules.final_cleanup(text)


def emoticons_and_emoji(text: str, speak: bool) -> str:
    return emoji.replace_emoji(emoji.replace_emoticons(text, speak), speak)


def prepare_text(
    text: str,
    *,
    language: str = "en",
    pronunciations: Mapping[str, str] | None = None,
    max_chars: int = 1000,
    speak_emoji: bool = True,
) -> str:
    """Check a message, apply the person's pronunciations, and normalise it.

    The limits apply to what the person typed (so the error speaks of their message, not of our
    expansion); a message of only emoji, with speak_emoji off, is also empty.
    """
    if text is None or not text.strip():
        raise EmptyText()
    # Leading and trailing whitespace (a pasted message often has some) is not held against the person.
    length = len(text.strip())
    if length > max_chars:
        raise TextTooLong(length, max_chars)
    if pronunciations:
        text = apply_pronunciations(text, pronunciations)
    spoken = normalize(text, language, speak_emoji=speak_emoji)
    if not any(ch.isalnum() for ch in spoken):
        raise EmptyText("There is nothing I can say in that message: please type some words.")
    return spoken
