"""Text tokenizers: the official BPE (bpe256.json) and a character tokenizer for models trained here.

Both add [BOS] and [EOS] themselves (the official tokenizer has no post-processor) and refuse text with
characters outside their vocabulary instead of silently dropping them: numbers must be spelled out first.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from engine.models.smalle.errors import CheckpointMismatch, UnsupportedText

PAD, BOS, EOS = 0, 1, 2


@dataclass(frozen=True)
class Encoded:
    """Token ids with [BOS]/[EOS], and for each id the character span it covers ((0, 0) for specials)."""

    ids: list[int]
    spans: list[tuple[int, int]]


class TextTokenizer(Protocol):
    vocab_size: int

    def encode(self, text: str) -> Encoded: ...

    def save(self, path: Path) -> None: ...


class BpeTokenizer:
    """The official Hugging Face `tokenizers` BPE with 256 entries (lower-cased, no digits)."""

    def __init__(self, json_text: str) -> None:
        from tokenizers import Tokenizer

        try:
            self._tok = Tokenizer.from_str(json_text)
        except Exception as exc:  # tokenizers raises a bare Exception for malformed files
            raise CheckpointMismatch(f"not a tokenizers JSON file: {exc}") from exc
        self._json = json_text
        self.vocab_size = self._tok.get_vocab_size(with_added_tokens=True)
        vocab = self._tok.get_vocab(with_added_tokens=True)
        if vocab.get("[BOS]") != BOS or vocab.get("[EOS]") != EOS:
            raise CheckpointMismatch("tokenizer does not have [BOS]=1 and [EOS]=2 like bpe256.json")
        # Characters the BPE alphabet knows; anything else would become the missing [UNK].
        self._alphabet = {t for t in vocab if len(t) == 1}

    @classmethod
    def from_file(cls, path: Path) -> BpeTokenizer:
        try:
            return cls(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise CheckpointMismatch(f"cannot read tokenizer {path}: {exc}") from exc

    def encode(self, text: str) -> Encoded:
        unknown = sorted({c for c in text.lower() if not c.isspace() and c not in self._alphabet})
        if unknown:
            raise UnsupportedText("".join(unknown))
        enc = self._tok.encode(text, add_special_tokens=False)
        if any(i is None for i in enc.ids) or any(t == "[UNK]" for t in enc.tokens):
            raise UnsupportedText(text)
        return Encoded([BOS, *enc.ids, EOS], [(0, 0), *[tuple(o) for o in enc.offsets], (len(text),) * 2])

    def save(self, path: Path) -> None:
        path.write_text(self._json, encoding="utf-8")


CHAR_ALPHABET = " " + string.ascii_lowercase + ".,!?;:'\"-()"


class CharTokenizer:
    """One id per character (lower-cased): ids 0-2 are the specials, then the alphabet in order."""

    def __init__(self, alphabet: str = CHAR_ALPHABET) -> None:
        if len(set(alphabet)) != len(alphabet):
            raise CheckpointMismatch("character tokenizer alphabet has duplicates")
        self.alphabet = alphabet
        self._ids = {c: i + 3 for i, c in enumerate(alphabet)}
        self.vocab_size = len(alphabet) + 3

    def encode(self, text: str) -> Encoded:
        lowered = text.lower()
        unknown = sorted({c for c in lowered if c not in self._ids and not c.isspace()})
        if unknown:
            raise UnsupportedText("".join(unknown))
        ids, spans = [BOS], [(0, 0)]
        for i, c in enumerate(lowered):
            ids.append(self._ids[" " if c.isspace() else c])
            spans.append((i, i + 1))
        return Encoded([*ids, EOS], [*spans, (len(text), len(text))])

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"type": "char", "alphabet": self.alphabet}), encoding="utf-8")


def load_tokenizer(path: Path, kind: str) -> TextTokenizer:
    if kind == "char":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return CharTokenizer(data["alphabet"])
        except (OSError, json.JSONDecodeError, KeyError, TypeError) as exc:
            raise CheckpointMismatch(f"cannot read character tokenizer {path}: {exc}") from exc
    return BpeTokenizer.from_file(path)
