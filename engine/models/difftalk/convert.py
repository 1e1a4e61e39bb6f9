"""Conversion between official DiffTalk checkpoints (PyTorch Lightning, LDM layout) and our model directory.

Official layout (reference §4.1): `model.diffusion_model.*` (UNet), `model_ema.<name without dots>` (its EMA),
`first_stage_model.*` (VQ-f4), `cond_stage_model_for_audio*.*` and `cond_stage_model_for_ldm.*`, and the
schedule buffers. LDM's public `vq-f4` checkpoint holds the VQ alone, without the `first_stage_model.` prefix
and with `loss.*` (discriminator, LPIPS) that we drop.
"""

from __future__ import annotations

import functools
import re
import zipfile
from pathlib import Path

import torch
from safetensors.torch import load_file

from engine.models.difftalk.config import HEAD_CHANNELS, DiffTalkConfig
from engine.models.difftalk.keymap import KeyMap, build_keymap, unet_blocks, vq_blocks
from engine.models.difftalk.model import DiffTalkModel, build_conditioner, build_unet, build_vq

UNET = "model.diffusion_model."
EMA = "model_ema."
VQ = "first_stage_model."
CONDITIONERS = {
    "cond_stage_model_for_audio.": "audio.",
    "cond_stage_model_for_audio_smooth.": "audio_smooth.",
    "cond_stage_model_for_ldm.": "landmarks.",
}
EMA_EXTRA = ("model_ema.decay", "model_ema.num_updates")
SCHEDULE_BUFFERS = (
    "betas",
    "alphas_cumprod",
    "alphas_cumprod_prev",
    "sqrt_alphas_cumprod",
    "sqrt_one_minus_alphas_cumprod",
    "log_one_minus_alphas_cumprod",
    "sqrt_recip_alphas_cumprod",
    "sqrt_recipm1_alphas_cumprod",
    "posterior_variance",
    "posterior_log_variance_clipped",
    "posterior_mean_coef1",
    "posterior_mean_coef2",
    "lvlb_weights",
)
IGNORED = re.compile(r"^(loss\.|logvar$|scale_factor$)")


class CheckpointError(ValueError):
    """The file is not a checkpoint we can convert; the message says why in one line."""


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """Tensors of a Lightning .ckpt / torch file (its `state_dict` entry) or of a .safetensors file.

    Pickled files are read with `weights_only=True`: a checkpoint that holds arbitrary Python objects is
    refused rather than executed.
    """
    if not path.is_file():
        raise CheckpointError(f"{path} does not exist or is not a file")
    try:
        if path.suffix == ".safetensors":
            return load_file(str(path))
        data = torch.load(path, map_location="cpu", weights_only=True, mmap=_is_zip(path))
    except Exception as exc:
        if "unsupported global" in str(exc).lower():  # a pickled class, e.g. Lightning hyper-parameters
            raise CheckpointError(
                f"{path.name} stores Python objects besides tensors, which are not loaded for safety; "
                "re-save just its state_dict (see docs/difftalk.md)"
            ) from exc
        raise CheckpointError(
            f"{path.name} is not a readable PyTorch or safetensors checkpoint ({type(exc).__name__})"
        ) from exc
    if isinstance(data, dict) and isinstance(data.get("state_dict"), dict):
        data = data["state_dict"]
    if not isinstance(data, dict) or not all(isinstance(v, torch.Tensor) for v in data.values()):
        raise CheckpointError(f"{path.name} holds no state_dict of tensors")
    return data


def _is_zip(path: Path) -> bool:
    return zipfile.is_zipfile(path)


def ema_name(official_unet_key: str) -> str:
    """LitEma's buffer name for `model.diffusion_model.<key>`: the wrapper-relative name without dots."""
    return EMA + ("diffusion_model." + official_unet_key).replace(".", "")


def infer_config(
    unet: dict[str, torch.Tensor], vq: dict[str, torch.Tensor], image_size: int = 256
) -> DiffTalkConfig:
    """Read the hyper-parameters off official-layout tensors (UNet and VQ without their prefixes)."""
    try:
        conv_in = unet["input_blocks.0.0.weight"]
        model_channels, in_channels = int(conv_in.shape[0]), int(conv_in.shape[1])
        res_out, down_at = [], []
        i = 1
        while f"input_blocks.{i}.0.out_layers.3.weight" in unet or f"input_blocks.{i}.0.op.weight" in unet:
            if f"input_blocks.{i}.0.op.weight" in unet:
                down_at.append(len(res_out))
            else:
                res_out.append(int(unet[f"input_blocks.{i}.0.out_layers.3.weight"].shape[0]))
            i += 1
        num_res_blocks = down_at[0] if down_at else len(res_out)
        channel_mult = tuple(res_out[j] // model_channels for j in range(0, len(res_out), num_res_blocks))
        context_dim = int(unet["input_blocks.4.1.transformer_blocks.0.attn2.to_k.weight"].shape[1])
        vq_channels = int(vq["encoder.conv_in.weight"].shape[0])
        vq_levels = 1 + max(int(m.group(1)) for k in vq if (m := re.match(r"encoder\.down\.(\d+)\.", k)))
        vq_mult = tuple(
            int(vq[f"encoder.down.{i}.block.0.conv2.weight"].shape[0]) // vq_channels
            for i in range(vq_levels)
        )
        vq_res = 1 + max(
            int(m.group(1)) for k in vq if (m := re.match(r"encoder\.down\.0\.block\.(\d+)\.", k))
        )
        return DiffTalkConfig(
            image_size=image_size,
            model_channels=model_channels,
            channel_mult=channel_mult,
            num_res_blocks=num_res_blocks,
            head_channels=HEAD_CHANNELS,
            latent_channels=in_channels // 3,
            audio_feature_dim=context_dim // 2,
            landmark_feature_dim=context_dim - context_dim // 2,
            vq_channels=vq_channels,
            vq_channel_mult=vq_mult,
            vq_res_blocks=vq_res,
            vq_embeddings=int(vq["quantize.embedding.weight"].shape[0]),
        )
    except (KeyError, IndexError, ValueError, ZeroDivisionError) as exc:
        raise CheckpointError(f"the tensors do not have DiffTalk's layout ({exc})") from exc


def _with_audio_dims(cfg: DiffTalkConfig, cond: dict[str, torch.Tensor]) -> DiffTalkConfig:
    try:
        audio_in = cond["audio.encoder_conv.0.weight"]
        seq_len = int(cond["audio_smooth.attentionNet.0.weight"].shape[0])
        points = int(cond["landmarks.encoder_fc1.0.weight"].shape[1]) // 2
        d_a = int(cond["audio.encoder_fc1.2.weight"].shape[0])
        d_l = int(cond["landmarks.encoder_fc1.4.weight"].shape[0])
    except KeyError as exc:
        raise CheckpointError(f"the conditioning networks are missing ({exc.args[0]})") from exc
    data = cfg.to_dict() | {
        "audio_dim": int(audio_in.shape[1]),
        "audio_windows": seq_len,
        "landmark_points": points,
        "audio_feature_dim": d_a,
        "landmark_feature_dim": d_l,
    }
    return DiffTalkConfig.from_dict(data)


@functools.cache
def unet_keymap(cfg: DiffTalkConfig) -> KeyMap:
    with torch.device("meta"):
        keys = list(build_unet(cfg).state_dict())
    return build_keymap(keys, unet_blocks(cfg))


@functools.cache
def vq_keymap(cfg: DiffTalkConfig) -> KeyMap:
    with torch.device("meta"):
        keys = list(build_vq(cfg).state_dict())
    return build_keymap(keys, vq_blocks(cfg))


def official_to_model(
    state: dict[str, torch.Tensor],
    vq_state: dict[str, torch.Tensor] | None = None,
    *,
    prefer_ema: bool = True,
    image_size: int = 256,
) -> DiffTalkModel:
    """Convert an official DiffTalk state_dict (and optionally a separate LDM VQ-f4 one) to our model.

    Every tensor must find its place and every parameter must be filled, or CheckpointError says what differs.
    """
    unet = _strip(state, UNET)
    if not unet:
        raise CheckpointError("this is not a DiffTalk checkpoint: it has no model.diffusion_model.* weights")
    vq = _vq_tensors(state, vq_state)
    cond = {
        ours + k[len(off) :]: v
        for off, ours in CONDITIONERS.items()
        for k, v in state.items()
        if k.startswith(off)
    }
    cfg = _with_audio_dims(infer_config(unet, vq, image_size), cond)
    _check_schedule(state, cfg)

    umap, vmap = unet_keymap(cfg), vq_keymap(cfg)
    ema = {k: v for k, v in state.items() if k.startswith(EMA) and k not in EMA_EXTRA}
    use_ema = prefer_ema and bool(ema)
    if use_ema:
        wanted = {ema_name(off): ours for ours, off in umap.to_official.items()}
        _no_leftovers(ema, wanted, "EMA weights")
        _no_leftovers(
            {UNET + k: v for k, v in unet.items()}, {UNET + k for k in umap.to_ours}, "UNet weights"
        )
        unet_ours = {wanted[k]: v for k, v in ema.items()}
    else:
        unet_ours = _rename(unet, umap, "UNet weights")
    vq_ours = _rename(vq, vmap, "autoencoder weights")
    known = set(CONDITIONERS) | {UNET, EMA, VQ}
    stray = sorted(
        k
        for k in state
        if not any(k.startswith(p) for p in known) and k not in SCHEDULE_BUFFERS and not IGNORED.match(k)
    )
    if stray:
        raise CheckpointError(f"unexpected tensors in the checkpoint, e.g. {stray[0]} ({len(stray)} in all)")

    with torch.device("meta"):
        model = DiffTalkModel(cfg, build_unet(cfg), build_vq(cfg), build_conditioner(cfg))
    for name, module, tensors in (("UNet", model.unet, unet_ours), ("autoencoder", model.vq, vq_ours)):
        _load(module, tensors, name, umap if module is model.unet else vmap)
    _load(model.conditioner, cond, "conditioning", None)
    return model.eval()


def model_to_official(model: DiffTalkModel, *, include_vq: bool = True) -> dict[str, torch.Tensor]:
    """Our model in the official layout: the UNet as both raw and EMA weights, VQ, encoders and schedule."""
    cfg = model.config
    umap, vmap = unet_keymap(cfg), vq_keymap(cfg)
    out: dict[str, torch.Tensor] = {}
    for ours, tensor in model.unet.state_dict().items():
        off = umap.to_official[ours]
        out[UNET + off] = tensor.detach().clone()
        out[ema_name(off)] = tensor.detach().clone()
    out["model_ema.decay"] = torch.tensor(0.9999, dtype=torch.float32)
    out["model_ema.num_updates"] = torch.tensor(0, dtype=torch.int32)
    if include_vq:
        for ours, tensor in model.vq.state_dict().items():
            t = tensor.detach().clone()
            out[VQ + vmap.to_official[ours]] = t[:, :, None, None] if ours in vmap.conv_linear else t
    prefixes = {v: k for k, v in CONDITIONERS.items()}
    for ours, tensor in model.conditioner.state_dict().items():
        head = ours.split(".", 1)[0] + "."
        out[prefixes[head] + ours[len(head) :]] = tensor.detach().clone()
    out.update(schedule_buffers(cfg))
    return out


def schedule_buffers(cfg: DiffTalkConfig) -> dict[str, torch.Tensor]:
    """LDM's registered schedule buffers (DDPM.register_schedule, v_posterior 0, ε-parameterisation)."""
    betas = (
        torch.linspace(cfg.beta_start**0.5, cfg.beta_end**0.5, cfg.train_timesteps, dtype=torch.float64) ** 2
    )
    alphas = 1.0 - betas
    ac = torch.cumprod(alphas, 0)
    ac_prev = torch.cat([torch.ones(1, dtype=torch.float64), ac[:-1]])
    post_var = betas * (1.0 - ac_prev) / (1.0 - ac)
    lvlb = betas**2 / (2 * post_var * alphas * (1 - ac))
    lvlb[0] = lvlb[1]
    values = {
        "betas": betas,
        "alphas_cumprod": ac,
        "alphas_cumprod_prev": ac_prev,
        "sqrt_alphas_cumprod": ac.sqrt(),
        "sqrt_one_minus_alphas_cumprod": (1 - ac).sqrt(),
        "log_one_minus_alphas_cumprod": (1 - ac).log(),
        "sqrt_recip_alphas_cumprod": (1 / ac).sqrt(),
        "sqrt_recipm1_alphas_cumprod": (1 / ac - 1).sqrt(),
        "posterior_variance": post_var,
        "posterior_log_variance_clipped": post_var.clamp(min=1e-20).log(),
        "posterior_mean_coef1": betas * ac_prev.sqrt() / (1 - ac),
        "posterior_mean_coef2": (1 - ac_prev) * alphas.sqrt() / (1 - ac),
        "lvlb_weights": lvlb,
    }
    return {k: v.to(torch.float32) for k, v in values.items()}


def _check_schedule(state: dict[str, torch.Tensor], cfg: DiffTalkConfig) -> None:
    betas = state.get("betas")
    if betas is None:
        return
    expected = schedule_buffers(cfg)["betas"]
    if betas.shape != expected.shape or not torch.allclose(betas.float(), expected, rtol=1e-4, atol=1e-7):
        raise CheckpointError(
            f"the checkpoint was trained with a different noise schedule ({betas.numel()} steps, "
            f"β from {float(betas[0]):.5f} to {float(betas[-1]):.5f}; DiffTalk uses 1000, 0.0015 to 0.0195)"
        )


def _vq_tensors(
    state: dict[str, torch.Tensor], vq_state: dict[str, torch.Tensor] | None
) -> dict[str, torch.Tensor]:
    if vq_state is not None:
        if any(k.startswith(UNET) for k in vq_state):
            raise CheckpointError(
                "the autoencoder file is a DiffTalk checkpoint, not an LDM VQ-f4 checkpoint"
            )
        vq = _strip(vq_state, VQ) or {k: v for k, v in vq_state.items() if not IGNORED.match(k)}
        if "quantize.embedding.weight" not in vq or "encoder.conv_in.weight" not in vq:
            raise CheckpointError("the autoencoder file is not an LDM VQ checkpoint (no encoder or codebook)")
        return vq
    vq = _strip(state, VQ)
    if not vq:
        raise CheckpointError(
            "the checkpoint holds no autoencoder (first_stage_model.*); pass the LDM vq-f4 checkpoint as well"
        )
    return vq


def _strip(state: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    return {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}


def _no_leftovers(tensors: dict[str, torch.Tensor], wanted: object, what: str) -> None:
    extra = sorted(k for k in tensors if k not in wanted)  # type: ignore[operator]
    missing = sorted(k for k in wanted if k not in tensors)  # type: ignore[union-attr]
    if extra or missing:
        first = (missing or extra)[0]
        raise CheckpointError(
            f"the {what} do not match DiffTalk's layout: {len(missing)} missing, {len(extra)} unexpected "
            f"(first: {first})"
        )


def _rename(tensors: dict[str, torch.Tensor], keymap: KeyMap, what: str) -> dict[str, torch.Tensor]:
    to_ours = keymap.to_ours
    _no_leftovers(tensors, to_ours, what)
    return {to_ours[k]: v for k, v in tensors.items()}


def _load(
    module: torch.nn.Module, tensors: dict[str, torch.Tensor], what: str, keymap: KeyMap | None
) -> None:
    own = module.state_dict()
    _no_leftovers(tensors, own, f"{what} weights")
    fixed = {}
    for key, target in own.items():
        t = tensors[key]
        if keymap is not None and key in keymap.conv_linear and t.ndim == 4:
            t = t.flatten(1)
        if tuple(t.shape) != tuple(target.shape):
            raise CheckpointError(
                f"the {what} tensor {key} has shape {tuple(t.shape)}, expected {tuple(target.shape)}"
            )
        fixed[key] = t.to(torch.float32).contiguous()
    module.load_state_dict(fixed, assign=True)
