"""What a language provides to the normaliser."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Options:
    """Per-call choices the rules may look at."""

    region: str | None = None  # "US", "GB", … from the full language code
    speak_emoji: bool = True


# A step takes the text and the options and returns the text with one kind of thing made speakable.
Step = Callable[[str, Options], str]


@dataclass(frozen=True)
class LanguageRules:
    code: str
    steps: tuple[Step, ...]
    # Names for emoji come from Unicode's English names, so only English speaks them by default.
    emoji_names: bool = False

    def apply(self, text: str, options: Options) -> str:
        for step in self.steps:
            text = step(text, options)
        return text
