"""prepare_text: limits, pronunciation overrides and emoji choices, as the pipeline uses them."""

from __future__ import annotations

import pytest

from engine.errors import AvatarLabError, EmptyText, TextTooLong
from engine.text import apply_pronunciations, prepare_text


@pytest.mark.parametrize("text", ["", " ", "\n\t  \n"])
def test_empty_text_is_refused(text: str) -> None:
    with pytest.raises(EmptyText) as caught:
        prepare_text(text)
    assert caught.value.message.startswith("There is nothing to say")


def test_emoji_only_message_without_emoji_speech_is_empty() -> None:
    with pytest.raises(EmptyText):
        prepare_text("🎉🎉", speak_emoji=False)
    assert prepare_text("🎉🎉") == "party popper"


def test_punctuation_only_message_is_empty() -> None:
    with pytest.raises(EmptyText):
        prepare_text("?!...")


def test_limit_counts_the_raw_text() -> None:
    # "$1" is 2 characters typed but much longer spoken: the limit is about what the person typed.
    assert prepare_text("$1 " * 10, max_chars=30) == "one dollar " * 9 + "one dollar"
    with pytest.raises(TextTooLong) as caught:
        prepare_text("a" * 31, max_chars=30)
    assert (caught.value.length, caught.value.limit) == (31, 30)
    assert "31 characters" in caught.value.message and "30" in caught.value.message


def test_surrounding_whitespace_does_not_count() -> None:
    assert prepare_text("\n  hello  \n" + " " * 50, max_chars=5) == "hello"


def test_default_limit_is_1000() -> None:
    prepare_text("word " * 200)
    with pytest.raises(TextTooLong):
        prepare_text("x" * 1001)


@pytest.mark.parametrize(
    ("text", "overrides", "expected"),
    [
        ("I love Siobhan", {"Siobhan": "shiv awn"}, "I love shiv awn"),
        ("SIOBHAN and siobhan", {"Siobhan": "shiv awn"}, "shiv awn and shiv awn"),
        ("Siobhans", {"Siobhan": "shiv awn"}, "Siobhans"),  # whole words only
        ("I watch Dr Who", {"Dr Who": "Doctor Who", "Dr": "Drive"}, "I watch Doctor Who"),
        ("Dr  Who and Dr Foster", {"dr who": "Doctor Who", "Dr": "Drive"}, "Doctor Who and Drive Foster"),
        ("I use C++ daily", {"C++": "see plus plus"}, "I use see plus plus daily"),
        ("a $5 fee", {"$5": "a fiver"}, "a a fiver fee"),
        ("keep it", {"": "nothing", "  ": "x"}, "keep it"),
        ("say um now", {"um": ""}, "say  now"),
    ],
)
def test_apply_pronunciations(text: str, overrides: dict[str, str], expected: str) -> None:
    assert apply_pronunciations(text, overrides) == expected


def test_case_folding_that_changes_length_is_safe() -> None:
    spoken = apply_pronunciations("İstanbul and istanbul", {"istanbul": "Constantinople"})
    assert spoken == "Constantinople and Constantinople"


def test_many_overrides() -> None:
    overrides = {f"word{i}": f"say {i}" for i in range(300)}
    assert apply_pronunciations("word7 and word250", overrides) == "say 7 and say 250"


def test_replacement_text_is_literal() -> None:
    assert apply_pronunciations("x", {"x": r"\1 \g<0>"}) == r"\1 \g<0>"


def test_overrides_apply_before_normalisation() -> None:
    # The person's own reading of "St" wins over the street rule; the number is still normalised.
    assert prepare_text("Meet at 5 St Albans", pronunciations={"St Albans": "Saint Albans"}) == (
        "Meet at five Saint Albans"
    )
    assert prepare_text("GIF", pronunciations={"gif": "jiff"}) == "jiff"


def test_speak_emoji_switch() -> None:
    assert prepare_text("Thanks 👍") == "Thanks, thumbs up"
    assert prepare_text("Thanks 👍", speak_emoji=False) == "Thanks"


def test_language_is_used() -> None:
    assert prepare_text("Ich habe 3 Katzen", language="de") == "Ich habe drei Katzen"


def test_errors_are_avatarlab_errors_with_kind_messages() -> None:
    for bad in ("", "x" * 2000):
        with pytest.raises(AvatarLabError) as caught:
            prepare_text(bad)
        assert caught.value.message and "Traceback" not in caught.value.message
