"""Model hyper-parameters: the official gla_60 / gla_130 shapes, small configs, and JSON on disk."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.models.smalle.errors import CheckpointMismatch


@dataclass(frozen=True)
class SmallEConfig:
    d_model: int = 512
    d_context: int = 512  # text encoder width
    n_txt_vocab: int = 256
    n_quant: int = 4  # EnCodec codebooks used (3 kbps)
    n_codebook: int = 1024
    n_special: int = 3  # PAD=0, HEAD=1, TAIL=2; codes are shifted by +3
    enc_layers: int = 9
    enc_heads: int = 8
    gla_layers: int = 6  # per stack; the model has two stacks around the cross-attention
    gla_heads: int = 4
    d_blind: int = 128
    pos_heads: int = 4
    gate_low_rank: int = 16
    gate_normalizer: float = 16.0
    norm_eps: float = 1e-5
    tokenizer: str = "bpe"  # "bpe" (official bpe256.json) or "char" (models trained here)
    frame_rate: float = 75.0
    sample_rate: int = 24000

    def __post_init__(self) -> None:
        checks = {
            "d_context divisible by enc_heads": self.d_context % self.enc_heads == 0,
            "text head width divisible by 4 (partial rotary)": (self.d_context // self.enc_heads) % 4 == 0,
            "d_model divisible by gla_heads": self.d_model % self.gla_heads == 0,
            "d_blind divisible by pos_heads": self.d_blind % self.pos_heads == 0,
            "d_model divisible by 4 (cross-attention rotary)": self.d_model % 4 == 0,
            "d_blind even": self.d_blind % 2 == 0,
            "tokenizer is bpe or char": self.tokenizer in {"bpe", "char"},
        }
        failed = [name for name, ok in checks.items() if not ok]
        if failed:
            raise CheckpointMismatch(f"invalid SMALL-E config: {', '.join(failed)}")

    @property
    def vocab(self) -> int:
        return self.n_codebook + self.n_special

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True)

    def save(self, path: Path) -> None:
        path.write_text(self.to_json() + "\n", encoding="utf-8")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SmallEConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise CheckpointMismatch(f"unknown SMALL-E config keys: {', '.join(unknown)}")
        try:
            return cls(**data)
        except (TypeError, ValueError, ZeroDivisionError) as exc:
            raise CheckpointMismatch(f"invalid SMALL-E config values: {exc}") from exc

    @classmethod
    def load(cls, path: Path) -> SmallEConfig:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise CheckpointMismatch(f"cannot read SMALL-E config {path}: {exc}") from exc
        if not isinstance(data, dict):
            raise CheckpointMismatch(f"SMALL-E config {path} is not a JSON object")
        return cls.from_dict(data)


# The released gla_60 (59,874,952 parameters).
GLA_60 = SmallEConfig()
# gla_130: gla_60 with the width 512 replaced by 768 (131,031,596 parameters; see docs/smalle.md).
GLA_130 = SmallEConfig(d_model=768, d_context=768)
# A small model that trains in well under an hour on one GPU (about 9M parameters).
TINY = SmallEConfig(
    d_model=256, d_context=256, enc_layers=4, enc_heads=4, gla_layers=3, gla_heads=4, d_blind=64, pos_heads=4
)

PRESETS: dict[str, SmallEConfig] = {"gla_60": GLA_60, "gla_130": GLA_130, "tiny": TINY}
