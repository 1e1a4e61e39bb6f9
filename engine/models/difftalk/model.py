"""DiffTalk's components as diffusers modules, and their model directory (safetensors + config JSON)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from diffusers import DDIMScheduler, UNet2DConditionModel, VQModel
from safetensors.torch import load_file, save_file

from engine.models.difftalk.conditioning import DiffTalkConditioner
from engine.models.difftalk.config import DiffTalkConfig

CONFIG_FILE = "config.json"
COMPONENT_FILES = {
    "unet": "unet.safetensors",
    "vq": "vq.safetensors",
    "conditioner": "conditioner.safetensors",
}


def build_unet(cfg: DiffTalkConfig) -> UNet2DConditionModel:
    """The LDM UNet of DiffTalk: 9 input channels (z_t ⊕ z_masked ⊕ z_reference), one context token."""
    levels = len(cfg.channel_mult)
    return UNet2DConditionModel(
        sample_size=cfg.latent_size,
        in_channels=3 * cfg.latent_channels,
        out_channels=cfg.latent_channels,
        down_block_types=("DownBlock2D",) + ("CrossAttnDownBlock2D",) * (levels - 1),
        up_block_types=("CrossAttnUpBlock2D",) * (levels - 1) + ("UpBlock2D",),
        block_out_channels=cfg.block_out_channels,
        layers_per_block=cfg.num_res_blocks,
        cross_attention_dim=cfg.context_dim,
        # diffusers reads this as the number of heads per level; set explicitly so every head has
        # `head_channels` channels as in the official model (the single-file default of 8 is wrong).
        attention_head_dim=cfg.attention_heads,
        use_linear_projection=False,
        flip_sin_to_cos=True,
        freq_shift=0,
    )


def build_vq(cfg: DiffTalkConfig) -> VQModel:
    levels = len(cfg.vq_channel_mult)
    return VQModel(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * levels,
        up_block_types=("UpDecoderBlock2D",) * levels,
        block_out_channels=tuple(cfg.vq_channels * m for m in cfg.vq_channel_mult),
        layers_per_block=cfg.vq_res_blocks,
        latent_channels=cfg.latent_channels,
        num_vq_embeddings=cfg.vq_embeddings,
        vq_embed_dim=cfg.latent_channels,
        sample_size=cfg.image_size,
        scaling_factor=1.0,  # DiffTalk keeps scale_factor at 1.0
    )


def build_conditioner(cfg: DiffTalkConfig) -> DiffTalkConditioner:
    return DiffTalkConditioner(
        audio_dim=cfg.audio_dim,
        audio_window=cfg.audio_window,
        audio_windows=cfg.audio_windows,
        audio_feature_dim=cfg.audio_feature_dim,
        landmark_points=cfg.landmark_points,
        landmark_feature_dim=cfg.landmark_feature_dim,
    )


def build_scheduler(cfg: DiffTalkConfig) -> DDIMScheduler:
    """DDIM reproducing LDM's sampler timesteps (1, 6, …, 996 for 200 steps) exactly."""
    return DDIMScheduler(
        num_train_timesteps=cfg.train_timesteps,
        beta_start=cfg.beta_start,
        beta_end=cfg.beta_end,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
        timestep_spacing="leading",
        prediction_type="epsilon",
    )


@dataclass
class DiffTalkModel:
    """Everything DiffTalk needs at inference, on one device."""

    config: DiffTalkConfig
    unet: UNet2DConditionModel
    vq: VQModel
    conditioner: DiffTalkConditioner

    @classmethod
    def from_config(cls, cfg: DiffTalkConfig, seed: int | None = None) -> DiffTalkModel:
        """Randomly initialised (for training, tests, benchmarks); `seed` makes the weights reproducible."""
        if seed is not None:
            torch.manual_seed(seed)
        model = cls(cfg, build_unet(cfg), build_vq(cfg), build_conditioner(cfg))
        return model.eval()

    def eval(self) -> DiffTalkModel:
        for module in self.modules().values():
            module.eval().requires_grad_(False)
        return self

    def modules(self) -> dict[str, torch.nn.Module]:
        return {"unet": self.unet, "vq": self.vq, "conditioner": self.conditioner}

    def to(self, device: torch.device | str) -> DiffTalkModel:
        for module in self.modules().values():
            module.to(device)
        return self

    def save(self, directory: Path) -> None:
        """Write config.json and one safetensors file per component; files appear only when complete."""
        directory.mkdir(parents=True, exist_ok=True)
        for name, module in self.modules().items():
            tensors = {k: v.detach().to("cpu").contiguous() for k, v in module.state_dict().items()}
            _atomic(directory / COMPONENT_FILES[name], lambda p, t=tensors: save_file(t, str(p)))
        _atomic(directory / CONFIG_FILE, self.config.save)

    @classmethod
    def load(cls, directory: Path, device: torch.device | str = "cpu") -> DiffTalkModel:
        """Load a model directory; FileNotFoundError or ValueError (with the reason) when it is unusable."""
        config_path = directory / CONFIG_FILE
        if not config_path.is_file():
            raise FileNotFoundError(f"{config_path} is missing")
        cfg = DiffTalkConfig.load(config_path)
        with torch.device("meta"):
            model = cls(cfg, build_unet(cfg), build_vq(cfg), build_conditioner(cfg))
        for name, module in model.modules().items():
            path = directory / COMPONENT_FILES[name]
            if not path.is_file():
                raise FileNotFoundError(f"{path} is missing")
            state = load_file(str(path), device=str(device))
            missing, unexpected = _key_diff(module, state)
            if missing or unexpected:
                raise ValueError(
                    f"{path.name} does not match config.json: {len(missing)} missing and "
                    f"{len(unexpected)} unexpected tensors (first: {(missing or unexpected)[0]})"
                )
            module.load_state_dict(state, assign=True)
        return model.eval()


def _key_diff(module: torch.nn.Module, state: dict[str, torch.Tensor]) -> tuple[list[str], list[str]]:
    own = module.state_dict()
    missing = sorted(k for k in own if k not in state)
    unexpected = sorted(k for k in state if k not in own)
    wrong = sorted(k for k in own if k in state and tuple(own[k].shape) != tuple(state[k].shape))
    return missing + wrong, unexpected


def _atomic(path: Path, write: object) -> None:
    tmp = path.with_name(path.name + ".partial")
    try:
        write(tmp)  # type: ignore[operator]
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
