"""Errors raised by the SMALL-E model code (the speech adapter maps them to the app's errors)."""

from __future__ import annotations

from pathlib import Path

WEIGHTS_URL = "https://huggingface.co/lina-speech/all-models"


class SmallEError(Exception):
    """Base class for everything the SMALL-E code raises on purpose."""


class SmallEWeightsMissing(SmallEError):
    """The model directory is missing or incomplete."""

    def __init__(self, model_dir: Path, missing: list[str]) -> None:
        self.model_dir, self.missing = model_dir, missing
        super().__init__(
            f"SMALL-E weights are not installed in {model_dir} (missing: {', '.join(missing)}). "
            f"Download gla/gla_60_librilight.pt and bpe256.json from {WEIGHTS_URL}, then run "
            "`avatarlab models import smalle --checkpoint gla_60_librilight.pt --tokenizer bpe256.json`."
        )


class CheckpointMismatch(SmallEError):
    """A file is not a SMALL-E checkpoint, or its tensors do not fit together."""


class UnsupportedText(SmallEError):
    """The tokenizer cannot encode some characters of the text."""

    def __init__(self, characters: str) -> None:
        self.characters = characters
        super().__init__(f"SMALL-E cannot read these characters: {characters!r}")
