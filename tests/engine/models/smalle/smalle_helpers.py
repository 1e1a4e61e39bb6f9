"""Builders shared by the SMALL-E tests: tiny configs, official-layout checkpoints, a BPE tokenizer."""

from __future__ import annotations

import random
import string
from pathlib import Path

import torch

from engine.models.smalle.config import SmallEConfig
from engine.models.smalle.model import SmallE
from engine.models.smalle.rotary import rotary_freqs

TINY = SmallEConfig(
    d_model=32,
    d_context=32,
    n_txt_vocab=40,
    n_codebook=29,
    enc_layers=2,
    enc_heads=2,
    gla_layers=2,
    gla_heads=2,
    d_blind=16,
    pos_heads=2,
    tokenizer="char",
)


def tiny_model(cfg: SmallEConfig = TINY, seed: int = 0, dtype: torch.dtype = torch.float64) -> SmallE:
    torch.manual_seed(seed)
    return SmallE(cfg).to(dtype).eval()


def official_state_dict(cfg: SmallEConfig, seed: int = 0) -> dict[str, torch.Tensor]:
    """Random tensors under the official key names and shapes, `rotary.freqs` included."""
    with torch.device("meta"):
        shapes = {k: v.shape for k, v in SmallE(cfg).state_dict().items()}
    gen = torch.Generator().manual_seed(seed)
    # Random values where they are cheap; big matrices get a distinct constant each to keep tests fast.
    sd = {
        k: torch.randn(s, generator=gen) * 0.02
        if s.numel() < 300_000
        else torch.full(s, 0.001 * (i % 17 + 1))
        for i, (k, s) in enumerate(shapes.items())
    }
    head_dim = cfg.d_context // cfg.enc_heads
    for i in range(cfg.enc_layers):
        sd[f"txt_encoder.sa.{i}.tmix.rotary.freqs"] = rotary_freqs(head_dim // 2).float()
    sd["attentive_rnn.cross_att.rotary.freqs"] = rotary_freqs(cfg.d_model // 2).float()
    return sd


def write_bpe_tokenizer(path: Path, vocab_size: int = 256) -> Path:
    """A BPE tokenizer with the official layout: [PAD]=0 [BOS]=1 [EOS]=2, lower-cased, no digits."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE(unk_token="[UNK]"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Punctuation("isolated"), pre_tokenizers.Split(" ", "isolated")]
    )
    alphabet = list(" " + string.ascii_lowercase + ".,!?;:'\"-()")
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=["[PAD]", "[BOS]", "[EOS]"], initial_alphabet=alphabet
    )
    rng = random.Random(0)
    letters = string.ascii_lowercase
    corpus = [
        " ".join("".join(rng.choices(letters, k=rng.randint(2, 6))) for _ in range(12)) for _ in range(400)
    ]
    tok.train_from_iterator(corpus, trainer)
    tok.save(str(path))
    return path
