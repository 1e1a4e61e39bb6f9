"""Hyper-parameters of DiffTalk: the official configuration (configs/latent-diffusion/talking.yaml) and
smaller ones with the same topology."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

# The official model keeps 32 channels per attention head at every level (num_head_channels: 32).
HEAD_CHANNELS = 32


@dataclass(frozen=True)
class DiffTalkConfig:
    image_size: int = 256  # face crop side in pixels; the VQ is f4, so latents are image_size // 4
    # Denoiser (LDM UNetModel).
    model_channels: int = 256
    channel_mult: tuple[int, ...] = (1, 2, 3, 4)
    num_res_blocks: int = 2
    head_channels: int = HEAD_CHANNELS
    latent_channels: int = 3
    # Conditioning: audio windows of `audio_window` steps × `audio_dim` features, `audio_windows` per frame.
    audio_dim: int = 29
    audio_window: int = 16
    audio_windows: int = 8
    audio_feature_dim: int = 64  # D_A
    landmark_feature_dim: int = 64  # D_L
    landmark_points: int = 39
    # First stage (LDM VQ-f4).
    vq_channels: int = 128
    vq_channel_mult: tuple[int, ...] = (1, 2, 4)
    vq_res_blocks: int = 2
    vq_embeddings: int = 8192
    # Noise schedule (LDM "linear" = diffusers "scaled_linear").
    train_timesteps: int = 1000
    beta_start: float = 0.0015
    beta_end: float = 0.0195

    def __post_init__(self) -> None:
        object.__setattr__(self, "channel_mult", tuple(self.channel_mult))
        object.__setattr__(self, "vq_channel_mult", tuple(self.vq_channel_mult))
        for ch in self.block_out_channels:
            if ch % self.head_channels or ch % 32:
                raise ValueError(f"UNet width {ch} must be a multiple of 32 and of head_channels")
        downscale = 2 ** (len(self.vq_channel_mult) - 1)
        if self.image_size % (downscale * 2 ** (len(self.channel_mult) - 1)):
            raise ValueError(f"image_size {self.image_size} does not divide through the UNet and VQ levels")

    @classmethod
    def official(cls) -> DiffTalkConfig:
        return cls()

    @classmethod
    def small(cls) -> DiffTalkConfig:
        """128 base channels (133 M UNet parameters), the official VQ: a quarter of the compute."""
        return cls(model_channels=128)

    @classmethod
    def tiny(cls) -> DiffTalkConfig:
        """A few-MB model with the official topology, for tests and CPU smoke runs at 64² pixels."""
        return cls(
            image_size=64,
            model_channels=32,
            vq_channels=32,
            vq_channel_mult=(1, 2, 2),
            vq_res_blocks=1,
            vq_embeddings=64,
        )

    @property
    def latent_size(self) -> int:
        return self.image_size // 2 ** (len(self.vq_channel_mult) - 1)

    @property
    def block_out_channels(self) -> tuple[int, ...]:
        return tuple(self.model_channels * m for m in self.channel_mult)

    @property
    def attention_heads(self) -> tuple[int, ...]:
        """Heads per level (diffusers calls this `attention_head_dim`, a naming quirk); level 0 has none."""
        return tuple(ch // self.head_channels for ch in self.block_out_channels)

    @property
    def context_dim(self) -> int:
        return self.audio_feature_dim + self.landmark_feature_dim

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["channel_mult"] = list(self.channel_mult)
        data["vq_channel_mult"] = list(self.vq_channel_mult)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DiffTalkConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown DiffTalk config keys: {', '.join(unknown)}")
        return cls(**data)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n")

    @classmethod
    def load(cls, path: Path) -> DiffTalkConfig:
        return cls.from_dict(json.loads(path.read_text()))
