"""Import the official SMALL-E checkpoints (lina-speech/all-models, gla/*.pt) into a model directory.

A model directory holds model.safetensors (our parameter names = the official ones without the constant
`rotary.freqs`), config.json (SmallEConfig) and tokenizer.json. Every dimension is read from tensor
shapes, including the head counts that change the computation but no weight shape:
  * GLA heads      = 2·d / len(g_norm_swish_gate.weight)   (the norm weight is one head's value width)
  * text heads     = d_context / (4 · len(rotary.freqs))    (rotary spans half of each head)
  * pos_net heads  = 2·d_blind / len(pos_net ... g_norm_swish_gate.weight)
  * cross-attention heads: 1, hard-coded in the official code (it has no per-head tensor).
If a checkpoint lacks the text encoder's `rotary.freqs`, the text heads come from the Lightning
`hyper_parameters` when stored, else from the documented official value 8.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from tqdm import tqdm

from engine.models.smalle.config import SmallEConfig
from engine.models.smalle.errors import CheckpointMismatch, SmallEWeightsMissing
from engine.models.smalle.model import SmallE
from engine.models.smalle.rotary import rotary_freqs
from engine.models.smalle.tokenizer import BpeTokenizer, TextTokenizer, load_tokenizer

WEIGHTS_FILE, CONFIG_FILE, TOKENIZER_FILE = "model.safetensors", "config.json", "tokenizer.json"
MODEL_FILES = (WEIGHTS_FILE, CONFIG_FILE, TOKENIZER_FILE)
OFFICIAL_TEXT_HEADS = 8
_REQUIRED = ("txt_embed.weight", "rvq_embed.weight", "logits_head.weight", "attentive_rnn.cross_att.q.weight")
_FOREIGN_HINTS = {
    "DiffTalk": ("unet", "down_blocks", "up_blocks", "landmark", "first_stage_model", "diffusion"),
    "EnCodec/Vocos": ("quantizer", "backbone.embed", "encoder.model", "feature_extractor"),
}


def _load_pickle(path: Path) -> Any:
    if not path.is_file():
        raise CheckpointMismatch(f"checkpoint {path} does not exist")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for foreign/corrupt files; all mean the same here
        raise CheckpointMismatch(
            f"{path.name} is not a PyTorch checkpoint that can be loaded safely ({type(exc).__name__})"
        ) from exc


def _state_dict(obj: Any, name: str) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The official {"model": sd}, a Lightning {"state_dict": {"model.…": …}}, or a bare state dict."""
    if not isinstance(obj, dict):
        raise CheckpointMismatch(f"{name} holds a {type(obj).__name__}, not a SMALL-E state dict")
    hparams = obj.get("hyper_parameters") if isinstance(obj.get("hyper_parameters"), dict) else {}
    sd = obj.get("model", obj.get("state_dict", obj))
    if not isinstance(sd, dict) or not sd or not all(isinstance(v, torch.Tensor) for v in sd.values()):
        raise CheckpointMismatch(f"{name} does not contain a state dict of tensors")
    if all(k.startswith("model.") for k in sd):
        sd = {k.removeprefix("model."): v for k, v in sd.items()}
    # Normalise an indexed pos_net container (pos_net.0.tmix…) to a single block.
    sd = {re.sub(r"cross_att\.pos_net\.(?:layers\.)?0\.", "cross_att.pos_net.", k): v for k, v in sd.items()}
    missing = [k for k in _REQUIRED if k not in sd]
    if missing:
        keys = " ".join(sd)
        for family, hints in _FOREIGN_HINTS.items():
            if any(h in keys for h in hints):
                raise CheckpointMismatch(f"{name} looks like a {family} checkpoint, not a SMALL-E one")
        sample = ", ".join(list(sd)[:3])
        raise CheckpointMismatch(
            f"{name} is not a SMALL-E checkpoint: missing {', '.join(missing)} (it has {len(sd)} tensors, "
            f"e.g. {sample})"
        )
    return sd, hparams


def _count(sd: dict[str, torch.Tensor], pattern: str) -> int:
    rx = re.compile(pattern)
    return len({m.group(1) for k in sd if (m := rx.match(k))})


def _hparam(hparams: dict[str, Any], *path: str) -> Any:
    node: Any = hparams
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def infer_config(sd: dict[str, torch.Tensor], hparams: dict[str, Any] | None = None) -> SmallEConfig:
    """Read every hyper-parameter from the tensor shapes (see the module docstring for the head counts)."""
    hparams = hparams or {}
    try:
        n_txt_vocab, d_context = sd["txt_embed.weight"].shape
        n_quant, vocab, d_model = sd["rvq_embed.weight"].shape
        enc_layers = _count(sd, r"txt_encoder\.sa\.(\d+)\.tmix\.qkv\.weight")
        gla_layers = _count(sd, r"attentive_rnn\.encoder\.(\d+)\.tmix\.q_proj\.weight")
        if _count(sd, r"attentive_rnn\.decoder\.(\d+)\.tmix\.q_proj\.weight") != gla_layers:
            raise CheckpointMismatch("the two GLA stacks have different numbers of blocks")
        norm = sd["attentive_rnn.encoder.0.tmix.g_norm_swish_gate.weight"].shape[0]
        pos = "attentive_rnn.cross_att.pos_net.tmix."
        d_blind = sd[pos + "q_proj.weight"].shape[0]
        pos_norm = sd[pos + "g_norm_swish_gate.weight"].shape[0]
        low_rank = sd["attentive_rnn.encoder.0.tmix.gk_proj.0.weight"].shape[0]
    except KeyError as exc:
        raise CheckpointMismatch(f"SMALL-E checkpoint is incomplete: no tensor {exc.args[0]}") from exc
    freqs = sd.get("txt_encoder.sa.0.tmix.rotary.freqs")
    if freqs is not None:
        enc_heads = d_context // (4 * freqs.shape[0])
    else:
        enc_heads = _hparam(hparams, "txt_encoder", "init_args", "heads") or OFFICIAL_TEXT_HEADS
    if 2 * d_model % norm or 2 * d_blind % pos_norm:
        raise CheckpointMismatch("the GLA norm widths do not divide the value widths")
    declared = _hparam(hparams, "attentive_rnn", "init_args", "heads")
    gla_heads = 2 * d_model // norm
    if declared is not None and int(declared) != gla_heads:
        raise CheckpointMismatch(f"hyper_parameters say {declared} GLA heads but the tensors say {gla_heads}")
    return SmallEConfig(
        d_model=d_model,
        d_context=d_context,
        n_txt_vocab=n_txt_vocab,
        n_quant=n_quant,
        n_codebook=vocab - 3,
        enc_layers=enc_layers,
        enc_heads=int(enc_heads),
        gla_layers=gla_layers,
        gla_heads=gla_heads,
        d_blind=d_blind,
        pos_heads=2 * d_blind // pos_norm,
        gate_low_rank=low_rank,
    )


def _check_freqs(sd: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Drop the constant rotary tables after checking they are the ones our code recomputes."""
    kept = {}
    for key, value in sd.items():
        if key.endswith("rotary.freqs"):
            expected = rotary_freqs(2 * value.shape[0]).to(value.dtype)
            if not torch.allclose(value, expected, rtol=1e-4):
                raise CheckpointMismatch(f"{key} is not the standard rotary table (θ = 10000)")
            continue
        kept[key] = value
    return kept


def convert_checkpoint(checkpoint: Path, tokenizer: Path, out_dir: Path, progress: bool = True) -> Path:
    """Convert an official Lightning .pt and its bpe256.json into `out_dir`; returns `out_dir`.

    Nothing is written unless everything checks out; an existing model in `out_dir` is replaced atomically.
    """
    checkpoint, tokenizer, out_dir = Path(checkpoint), Path(tokenizer), Path(out_dir)
    sd, hparams = _state_dict(_load_pickle(checkpoint), checkpoint.name)
    cfg = infer_config(sd, hparams)
    weights = _check_freqs(sd)
    with torch.device("meta"):
        expected = SmallE(cfg).state_dict()
    _compare(weights, expected, checkpoint.name)
    if not tokenizer.is_file():
        raise CheckpointMismatch(f"tokenizer {tokenizer} does not exist")
    tok = BpeTokenizer.from_file(tokenizer)
    if tok.vocab_size != cfg.n_txt_vocab:
        raise CheckpointMismatch(
            f"tokenizer has {tok.vocab_size} entries; the checkpoint's text embedding has {cfg.n_txt_vocab}"
        )
    out = {}
    for key in tqdm(sorted(weights), desc="SMALL-E weights", unit="tensor", disable=not progress):
        out[key] = weights[key].float().contiguous()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".smalle-", dir=out_dir.parent))
    try:
        save_file(out, str(staging / WEIGHTS_FILE))
        cfg.save(staging / CONFIG_FILE)
        tok.save(staging / TOKENIZER_FILE)
        _replace_dir(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir


def _replace_dir(staging: Path, out_dir: Path) -> None:
    if out_dir.exists():
        old = out_dir.with_name(out_dir.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        out_dir.rename(old)
        staging.rename(out_dir)
        shutil.rmtree(old, ignore_errors=True)
    else:
        staging.rename(out_dir)


def _compare(weights: dict[str, torch.Tensor], expected: dict[str, torch.Tensor], name: str) -> None:
    missing = sorted(set(expected) - set(weights))
    extra = sorted(set(weights) - set(expected))
    wrong = [
        f"{k} {list(weights[k].shape)} (expected {list(v.shape)})"
        for k, v in expected.items()
        if k in weights and weights[k].shape != v.shape
    ]
    problems = []
    if missing:
        problems.append(f"missing {len(missing)} tensors, e.g. {', '.join(missing[:3])}")
    if extra:
        problems.append(f"{len(extra)} unexpected tensors, e.g. {', '.join(extra[:3])}")
    if wrong:
        problems.append(f"wrong shapes: {'; '.join(wrong[:3])}")
    if problems:
        raise CheckpointMismatch(f"{name} does not fit the SMALL-E architecture: {'; '.join(problems)}")


def missing_files(model_dir: Path) -> list[str]:
    return [f for f in MODEL_FILES if not (Path(model_dir) / f).is_file()]


def load_model(
    model_dir: Path, device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32
) -> SmallE:
    """Build the model from a model directory (weights in `dtype` on `device`, eval mode)."""
    model_dir = Path(model_dir)
    missing = missing_files(model_dir)
    if missing:
        raise SmallEWeightsMissing(model_dir, missing)
    cfg = SmallEConfig.load(model_dir / CONFIG_FILE)
    try:
        weights = load_file(str(model_dir / WEIGHTS_FILE))
    except Exception as exc:  # safetensors raises SafetensorError / OSError for damaged files
        raise CheckpointMismatch(f"{model_dir / WEIGHTS_FILE} is damaged: {exc}") from exc
    with torch.device("meta"):
        model = SmallE(cfg)
    _compare(weights, model.state_dict(), WEIGHTS_FILE)
    model.load_state_dict(weights, assign=True)
    # Non-persistent buffers (rotary tables) were created on meta: rebuild them for real.
    for module in model.modules():
        if hasattr(module, "freqs"):
            module.freqs = rotary_freqs(2 * module.freqs.shape[0]).float()
    return model.to(device=device, dtype=dtype).eval()


def load_text_tokenizer(model_dir: Path) -> TextTokenizer:
    model_dir = Path(model_dir)
    cfg = SmallEConfig.load(model_dir / CONFIG_FILE)
    return load_tokenizer(model_dir / TOKENIZER_FILE, cfg.tokenizer)


def import_smalle(
    checkpoint: Path,
    tokenizer: Path,
    models_dir: Path,
    encodec: Path | None = None,
    vocos: Path | None = None,
    progress: bool = True,
) -> Path:
    """What `avatarlab models import smalle` runs: convert into <models_dir>/smalle and copy the codec
    weights (used as they are by the codec) into <models_dir>/smalle/codec/."""
    for label, path in (("EnCodec", encodec), ("Vocos", vocos)):
        if path is not None and not Path(path).is_file():
            raise CheckpointMismatch(f"{label} weights {path} do not exist")
    out = convert_checkpoint(Path(checkpoint), Path(tokenizer), Path(models_dir) / "smalle", progress)
    codec_dir = out / "codec"
    for path in (encodec, vocos):
        if path is not None:
            codec_dir.mkdir(exist_ok=True)
            shutil.copyfile(path, codec_dir / Path(path).name)
    return out
