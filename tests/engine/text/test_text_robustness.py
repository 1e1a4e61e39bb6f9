"""Every message has a defined outcome: speakable text or an AvatarLabError, never a crash."""

from __future__ import annotations

import random

import pytest

from engine.errors import AvatarLabError, EmptyText
from engine.text import prepare_text, split_sentences

# Pieces that trigger the rules, mixed at random so the rules meet each other's leftovers.
PIECES = [
    *"abcXYZ 0123456789.,:;!?-–—/\\$€£%&+=@#°'\"()[]*_\n\t~<>",
    "❤️", "👍🏽", "🇬🇧", "1️⃣", "\u200d", "km", "Dr.", "St.", "pm", "e.g.", "www.", ".com", "http://",
    "\u00a0", "\ufe0f", "Nov", "1st", "&amp;", "ª", "º", "z.B.", "€", "1.234,5",
]  # fmt: skip


@pytest.mark.parametrize("language", ["en", "en-US", "de", "es", "fr", "it", "zu"])
def test_random_messages_never_crash(language: str) -> None:
    rng = random.Random(f"avatarlab-{language}")
    for _ in range(150):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 60)))
        try:
            spoken = prepare_text(text, language=language)
        except AvatarLabError:
            continue
        assert spoken == spoken.strip() and spoken
        assert "  " not in spoken
        assert all(len(piece) <= 40 for piece in split_sentences(spoken, language, max_chars=40))


@pytest.mark.parametrize(
    "text", ["1" * 1000, "1," * 500, "1." * 500, "a." * 500, "1-" * 500, "🔥" * 500, "a@" * 500]
)
def test_pathological_input_is_handled(text: str) -> None:
    spoken = prepare_text(text)
    assert spoken and "\x00" not in spoken


def test_symbols_alone_are_nothing_to_say() -> None:
    with pytest.raises(EmptyText):
        prepare_text("$" * 1000)
