from __future__ import annotations

import itertools

import pytest

from engine.media.captions import Cue, cues_from_words, to_srt, to_vtt, wrap_lines
from engine.types import Timing


def spoken(labels: str, step: float = 0.4, length: float = 0.3, start: float = 0.0) -> list[Timing]:
    return [Timing(start + i * step, start + i * step + length, w) for i, w in enumerate(labels.split())]


def test_typed_words_replace_normalised_spoken_words() -> None:
    words = spoken("doctor smith paid twelve dollars for the well known book")
    cues = cues_from_words(words, "Dr. Smith paid $12 for the well-known book.")
    text = " ".join(c.text.replace("\n", " ") for c in cues)
    assert text == "Dr. Smith paid $12 for the well-known book."


def test_cue_times_follow_word_timings() -> None:
    first = spoken("hello there my friend")
    second = spoken("how are you today", start=3.0)  # after a 1.5 s pause
    cues = cues_from_words([*first, *second], "Hello there, my friend. How are you today?")
    assert [c.text for c in cues] == ["Hello there, my friend.", "How are you today?"]
    assert cues[0].start_s == pytest.approx(0.0)
    assert cues[0].end_s >= first[-1].end_s - 1e-3
    assert cues[1].start_s == pytest.approx(3.0)
    assert cues[1].end_s == pytest.approx(second[-1].end_s)


def test_cues_respect_layout_and_never_overlap() -> None:
    text = " ".join(["Several", "words", "make", "a", "sentence,", "and"] * 12) + " done."
    words = spoken(" ".join(text.replace(",", "").replace(".", "").split()), step=0.25, length=0.2)
    cues = cues_from_words(words, text, max_chars_per_line=37, max_lines=2, max_s=5.0)
    assert len(cues) > 3
    for cue in cues:
        lines = cue.text.split("\n")
        assert len(lines) <= 2 and all(len(line) <= 37 for line in lines)
        assert cue.end_s - cue.start_s <= 5.0 + 1e-6
    for a, b in itertools.pairwise(cues):
        assert a.end_s <= b.start_s
    # breaks prefer the commas: most cues end at a phrase boundary
    assert sum(c.text.endswith((",", ".")) for c in cues) >= len(cues) - 2
    assert " ".join(c.text.replace("\n", " ") for c in cues) == text


def test_short_cue_stays_up_about_a_second_when_there_is_room() -> None:
    cues = cues_from_words([Timing(0.2, 0.4, "hi")], "Hi!")
    assert cues == [Cue(0.2, 1.2, "Hi!")]


def test_small_gaps_are_bridged_so_captions_do_not_blink() -> None:
    words = [*spoken("one two three four", step=0.5), *spoken("five six", start=2.3)]
    cues = cues_from_words(words, "One two three four. Five six.")
    assert len(cues) == 2 and cues[0].end_s == cues[1].start_s


def test_text_without_words_falls_back_to_spoken_words_and_empty_timings_give_no_cues() -> None:
    assert cues_from_words(spoken("red heart"), "❤️")[0].text == "red heart"
    assert cues_from_words(spoken("i red heart you"), "I ❤️ you")[0].text == "I ❤️ you"
    assert cues_from_words(spoken("smiling face"), "")[0].text == "smiling face"
    assert cues_from_words([], "Hello") == []


def test_long_unspaced_words_are_cut_to_the_line_length() -> None:
    assert wrap_lines("x" * 80, 37) == ["x" * 37, "x" * 37, "x" * 6]


def test_srt_and_vtt_formatting() -> None:
    cues = [Cue(0.0, 1.5, "Fish & chips\n<please>"), Cue(61.25, 3723.004, "a --> b")]
    assert to_srt(cues) == (
        "1\n00:00:00,000 --> 00:00:01,500\nFish & chips\n<please>\n\n"
        "2\n00:01:01,250 --> 01:02:03,004\na → b\n"
    )
    assert to_vtt(cues) == (
        "WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nFish &amp; chips\n&lt;please&gt;\n\n"
        "00:01:01.250 --> 01:02:03.004\na → b\n"
    )


def test_abbreviations_do_not_end_a_cue() -> None:
    words = spoken("we met doctor jones and missus smith at noon today then went home", step=0.5)
    cues = cues_from_words(words, "We met Dr. Jones and Mrs. Smith at noon today. Then went home.")
    assert [c.text.replace("\n", " ") for c in cues] == [
        "We met Dr. Jones and Mrs. Smith at noon today.",
        "Then went home.",
    ]


def test_no_lone_word_is_left_at_the_end_of_a_sentence() -> None:
    text = (
        "Printing in the only sense with which we are at present concerned differs from most arts and crafts"
    )
    cues = cues_from_words(spoken(text.lower(), step=0.3, length=0.25), text)
    assert len(cues) >= 2
    assert all(len(c.text.split()) >= 3 for c in cues)
