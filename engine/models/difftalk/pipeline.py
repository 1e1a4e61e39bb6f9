"""DiffTalk sampling: masked frames + references + audio/landmark features → batched DDIM with known-region
blending → decoded face crops.

Per frame (reference §2.5): z_T ~ N(0, I); at every step the region outside the lower-face polygon is replaced
by the template latent noised to that step (RePaint-style), then one DDIM step (η = 0) is taken; the blend
is not repeated after the last step. The UNet sees z_t ⊕ z_masked ⊕ z_reference and one context token.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from engine.models.difftalk.features import lower_face_mask, masked_frame_rows, upper_face_points
from engine.models.difftalk.model import DiffTalkModel, build_scheduler


@dataclass(frozen=True)
class SampleOptions:
    steps: int = 20  # the official sampler uses 200; 20 keeps the default configuration real time on a GPU
    batch_size: int = 16
    seed: int = 0
    progressive_reference: bool = True  # each batch's reference is the previous batch's last generated frame

    def __post_init__(self) -> None:
        if not 1 <= self.steps <= 1000:
            raise ValueError("steps must be between 1 and 1000")
        if self.batch_size < 1:
            raise ValueError("batch_size must be at least 1")


@dataclass(frozen=True)
class FaceInputs:
    """Everything per frame, already in crop space (image_size pixels).

    crops: (N, S, S, 3) uint8 template faces; landmarks: (N, 68, 2) crop pixels; audio: (N, W, T, F) float32;
    reference: (S, S, 3) uint8, the identity frame (defaults to the first crop).
    """

    crops: np.ndarray
    landmarks: np.ndarray
    audio: np.ndarray
    reference: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.crops)
        if self.crops.ndim != 4 or self.crops.shape[1] != self.crops.shape[2] or self.crops.shape[3] != 3:
            raise ValueError("crops must have shape (N, S, S, 3)")
        if self.landmarks.shape != (n, 68, 2):
            raise ValueError(f"landmarks must have shape ({n}, 68, 2), got {self.landmarks.shape}")
        if self.audio.ndim != 4 or len(self.audio) != n:
            raise ValueError(f"audio must have shape ({n}, windows, steps, features), got {self.audio.shape}")


class DiffTalkPipeline:
    """Runs a DiffTalkModel on one device. `dtype` applies to the UNet and encoders (bf16 on CUDA halves the
    cost); the VQ runs its convolutions under autocast but quantises in fp32 so codebook choices stay exact.
    `compile` wraps the UNet in torch.compile on CUDA only (CPU compile costs more than it saves here)."""

    def __init__(
        self,
        model: DiffTalkModel,
        device: torch.device | str = "cpu",
        dtype: torch.dtype = torch.float32,
        compile: bool = False,
    ) -> None:
        self.model, self.device, self.dtype = model, torch.device(device), dtype
        self.cfg = model.config
        model.to(self.device)
        # nn.Module.to, not diffusers' override: the UNet has no modules that must stay fp32.
        torch.nn.Module.to(model.unet, dtype)
        model.conditioner.to(dtype)
        self.compiled = compile and self.device.type == "cuda"
        self._unet = torch.compile(model.unet, dynamic=False) if self.compiled else model.unet

    # ---- first stage -------------------------------------------------------------------------------------
    def _autocast(self) -> torch.autocast:
        enabled = self.dtype != torch.float32
        return torch.autocast(self.device.type, dtype=self.dtype, enabled=enabled)

    @torch.no_grad()
    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """(B, 3, S, S) in [-1, 1] → unquantised latents (B, 3, S/4, S/4), fp32."""
        with self._autocast():
            return self.model.vq.encode(images.to(self.device)).latents.float()

    @torch.no_grad()
    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        """Quantise (fp32) then decode → (B, 3, S, S) in [-1, 1], fp32."""
        quant, _, _ = self.model.vq.quantize(latents.float())
        with self._autocast():
            return self.model.vq.decode(quant, force_not_quantize=True).sample.float().clamp(-1, 1)

    # ---- sampling ----------------------------------------------------------------------------------------
    def frame_noise(self, seed: int, frame: int, steps: int) -> torch.Tensor:
        """z_T and the per-step q_sample noise of one frame: (steps + 1, C, L, L), a function of (seed, frame)
        only, so results do not depend on the batch size."""
        digest = hashlib.blake2b(f"{seed}:{frame}".encode(), digest_size=8).digest()
        gen = torch.Generator().manual_seed(int.from_bytes(digest, "little") & ((1 << 63) - 1))
        c, size = self.cfg.latent_channels, self.cfg.latent_size
        return torch.randn((steps + 1, c, size, size), generator=gen)

    def _unet_eps(self, x: torch.Tensor, t: torch.Tensor, ctx: torch.Tensor, pad_to: int) -> torch.Tensor:
        n = len(x)
        if self.compiled and n < pad_to:  # static shapes: pad the last batch instead of recompiling
            x = torch.cat([x, x[-1:].expand(pad_to - n, *x.shape[1:])])
            ctx = torch.cat([ctx, ctx[-1:].expand(pad_to - n, *ctx.shape[1:])])
        ts = t.expand(len(x)).to(self.device)
        return self._unet(x.to(self.dtype), ts, encoder_hidden_states=ctx).sample[:n].float()

    @torch.no_grad()
    def sample_latents(
        self,
        z_known: torch.Tensor,
        z_masked: torch.Tensor,
        z_ref: torch.Tensor,
        keep: torch.Tensor,
        context: torch.Tensor,
        noise: torch.Tensor,
        steps: int,
        pad_to: int,
    ) -> torch.Tensor:
        """Latent inpainting by DDIM. keep: (B, 1, L, L), 1 where the template latent is kept.
        noise: (B, steps + 1, C, L, L)."""
        scheduler = build_scheduler(self.cfg)  # per call: set_timesteps mutates it, and threads may share us
        scheduler.set_timesteps(steps, device=self.device)
        x = noise[:, 0].to(self.device)
        cond = torch.cat([z_masked, z_ref], dim=1)
        for i, t in enumerate(scheduler.timesteps):
            known = scheduler.add_noise(z_known, noise[:, i + 1].to(self.device), t.reshape(1))
            x = keep * known + (1 - keep) * x
            eps = self._unet_eps(torch.cat([x, cond], dim=1), t, context, pad_to)
            x = scheduler.step(eps, t, x, eta=0.0).prev_sample
        return x

    def __call__(
        self, inputs: FaceInputs, options: SampleOptions | None = None, first_frame: int = 0
    ) -> Iterator[np.ndarray]:
        """Yield generated crops (n, S, S, 3) uint8, batch by batch, in order. `first_frame` numbers the
        frames of a longer clip fed in pieces, so each frame keeps its own noise."""
        opts = options or SampleOptions()
        size = self.cfg.image_size
        if inputs.crops.shape[1] != size:
            raise ValueError(f"crops must be {size}×{size} for this model")
        reference = inputs.crops[0] if inputs.reference is None else inputs.reference
        z_ref_one = self.encode(_to_tensor(reference[None]))
        n = len(inputs.crops)
        for start in range(0, n, opts.batch_size):
            stop = min(start + opts.batch_size, n)
            faces = self._batch(inputs, start, stop, z_ref_one, opts, first_frame)
            if opts.progressive_reference:
                z_ref_one = self.encode(faces[-1:])
            yield _to_uint8(faces)

    @torch.no_grad()
    def _batch(
        self,
        inputs: FaceInputs,
        start: int,
        stop: int,
        z_ref_one: torch.Tensor,
        opts: SampleOptions,
        first_frame: int,
    ) -> torch.Tensor:
        cfg, size = self.cfg, self.cfg.image_size
        lms = inputs.landmarks[start:stop]
        crops = _to_tensor(inputs.crops[start:stop])
        masked = crops.clone()
        for j, lm in enumerate(lms):
            masked[j, :, masked_frame_rows(lm, size) :] = -1.0  # hide everything from the nose bottom down
        z_known, z_masked = self.encode(crops), self.encode(masked)
        scale = cfg.latent_size / size
        keep = torch.from_numpy(np.stack([1.0 - lower_face_mask(lm, cfg.latent_size, scale) for lm in lms]))
        points = torch.from_numpy(upper_face_points(lms, crop_size=size, model_size=256))
        audio = torch.from_numpy(np.ascontiguousarray(inputs.audio[start:stop]))
        context = self.model.conditioner(
            audio.to(self.device, self.dtype), points.to(self.device, self.dtype)
        )
        noise = torch.stack(
            [self.frame_noise(opts.seed, first_frame + i, opts.steps) for i in range(start, stop)]
        )
        z = self.sample_latents(
            z_known,
            z_masked,
            z_ref_one.expand(len(z_known), -1, -1, -1),
            keep.unsqueeze(1).to(self.device),
            context,
            noise,
            opts.steps,
            opts.batch_size,
        )
        return self.decode(z)


def _to_tensor(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() / 127.5 - 1.0


def _to_uint8(images: torch.Tensor) -> np.ndarray:
    return ((images.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).cpu().numpy()
