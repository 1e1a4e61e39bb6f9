"""Emoji and emoticons: named like CLDR, said once per run, or dropped."""

from __future__ import annotations

import pytest

from engine.text import normalize

SPOKEN = [
    ("I love you ❤️", "I love you, red heart"),
    ("😂😂😂 so funny", "face with tears of joy, so funny"),
    ("ok 👍🏽!", "ok, thumbs up!"),
    ("🎉 party", "party popper, party"),
    ("fire 🔥 and 🔥", "fire, fire, and, fire"),
    ("🏳️‍🌈 pride", "rainbow flag, pride"),
    ("👨‍👩‍👧", "man woman girl"),
    ("🇬🇧", "flag G B"),
    ("press 1️⃣", "press, keycap one"),
    ("☕ time", "hot beverage, time"),
    ("nice :)", "nice, smiling face"),
    ("<3 you", "red heart, you"),
    ("😀😢", "grinning face, crying face"),
    ("✂ ☎ ★", "scissors, telephone, star"),
]


@pytest.mark.parametrize(("raw", "spoken"), SPOKEN)
def test_emoji_spoken(raw: str, spoken: str) -> None:
    assert normalize(raw) == spoken


@pytest.mark.parametrize(
    ("raw", "spoken"),
    [("I love you ❤️", "I love you"), ("ok 👍🏽!", "ok!"), ("🎉 party 🎉", "party"), ("nice :)", "nice")],
)
def test_emoji_dropped(raw: str, spoken: str) -> None:
    assert normalize(raw, speak_emoji=False) == spoken


def test_emoticon_lookalikes_are_left_alone() -> None:
    assert normalize("ratio (a:b) at 10:30") == "ratio (a:b) at ten thirty"
