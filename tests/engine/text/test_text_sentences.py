"""Sentence splitting for clips and streaming."""

from __future__ import annotations

import pytest

from engine.text import split_sentences


def test_splits_at_sentence_ends_but_not_inside_abbreviations_decimals_or_addresses() -> None:
    text = (
        "Dr. Smith paid $3.50 for it. Then he left!!! Was it e.g. good? J. R. R. Tolkien wrote it... "
        "and more. Visit example.com. It is 3.14 wide."
    )
    assert split_sentences(text) == [
        "Dr. Smith paid $3.50 for it.",
        "Then he left!!!",
        "Was it e.g. good?",
        "J. R. R. Tolkien wrote it... and more.",
        "Visit example.com.",
        "It is 3.14 wide.",
    ]


def test_line_breaks_end_sentences() -> None:
    assert split_sentences("hello there\nhow are you\n\nbye") == ["hello there", "how are you", "bye"]


def test_closing_quotes_stay_with_their_sentence() -> None:
    assert split_sentences('He said "Stop." Then left.') == ['He said "Stop."', "Then left."]


def test_ellipsis_before_a_capital_ends_a_sentence() -> None:
    assert split_sentences("Wait... What?") == ["Wait...", "What?"]
    assert split_sentences("Wait… what? Ok… Fine.") == ["Wait… what?", "Ok…", "Fine."]


@pytest.mark.parametrize("text", ["", "   ", "\n\n"])
def test_empty_input_gives_no_sentences(text: str) -> None:
    assert split_sentences(text) == []


def test_long_sentences_are_cut_at_commas_then_spaces() -> None:
    text = "first part of it, " * 10 + "the end."
    pieces = split_sentences(text, max_chars=60)
    assert all(len(p) <= 60 for p in pieces)
    assert all(p.endswith(",") for p in pieces[:-1])
    assert " ".join(pieces) == " ".join(text.split())


def test_long_unbroken_word_is_cut_hard() -> None:
    pieces = split_sentences("x" * 120, max_chars=50)
    assert pieces == ["x" * 50, "x" * 50, "x" * 20]


def test_no_text_is_lost() -> None:
    text = "One. Two! Three? Four... five. Mr. Six, seven; eight: nine."
    pieces = split_sentences(text, max_chars=12)
    assert all(len(p) <= 12 for p in pieces)
    assert "".join(" ".join(pieces).split()) == "".join(text.split())


def test_language_specific_abbreviations() -> None:
    assert split_sentences("Das ist z.B. gut. Nr. 5 ist da.", "de") == ["Das ist z.B. gut.", "Nr. 5 ist da."]
    assert split_sentences("El Sr. García llegó. Bien.", "es") == ["El Sr. García llegó.", "Bien."]


def test_number_abbreviations_only_hold_before_a_number() -> None:
    assert split_sentences("See No. 5 on p. 12. I said no. Then left.") == [
        "See No. 5 on p. 12.",
        "I said no.",
        "Then left.",
    ]


def test_invalid_limit() -> None:
    with pytest.raises(ValueError):
        split_sentences("hi", max_chars=0)
