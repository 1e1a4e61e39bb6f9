"""A synthetic DiffTalk checkpoint in the official key layout, written from the LDM/taming architecture
(independently of our key maps), with tiny widths so conversion tests run in a second."""

from __future__ import annotations

import functools
import math

import torch

Shapes = dict[str, tuple[int, ...]]


def ldm_unet_shapes(mc: int = 32, mult=(1, 2, 3, 4), nrb: int = 2, ctx: int = 128) -> Shapes:
    s: Shapes = {}
    ted = mc * 4

    def lin(name: str, out: int, inp: int, bias: bool = True) -> None:
        s[f"{name}.weight"] = (out, inp)
        if bias:
            s[f"{name}.bias"] = (out,)

    def conv(name: str, out: int, inp: int, k: int) -> None:
        s[f"{name}.weight"] = (out, inp, k, k)
        s[f"{name}.bias"] = (out,)

    def norm(name: str, ch: int) -> None:
        s[f"{name}.weight"] = s[f"{name}.bias"] = (ch,)

    def res(p: str, cin: int, cout: int) -> None:
        norm(f"{p}.in_layers.0", cin)
        conv(f"{p}.in_layers.2", cout, cin, 3)
        lin(f"{p}.emb_layers.1", cout, ted)
        norm(f"{p}.out_layers.0", cout)
        conv(f"{p}.out_layers.3", cout, cout, 3)
        if cin != cout:
            conv(f"{p}.skip_connection", cout, cin, 1)

    def spatial(p: str, ch: int) -> None:
        norm(f"{p}.norm", ch)
        conv(f"{p}.proj_in", ch, ch, 1)
        t = f"{p}.transformer_blocks.0"
        for a, kv in (("attn1", ch), ("attn2", ctx)):
            lin(f"{t}.{a}.to_q", ch, ch, bias=False)
            lin(f"{t}.{a}.to_k", ch, kv, bias=False)
            lin(f"{t}.{a}.to_v", ch, kv, bias=False)
            lin(f"{t}.{a}.to_out.0", ch, ch)
        for n in ("norm1", "norm2", "norm3"):
            norm(f"{t}.{n}", ch)
        lin(f"{t}.ff.net.0.proj", ch * 8, ch)  # GEGLU: 2 × (4 × ch)
        lin(f"{t}.ff.net.2", ch, ch * 4)
        conv(f"{p}.proj_out", ch, ch, 1)

    lin("time_embed.0", ted, mc)
    lin("time_embed.2", ted, ted)
    conv("input_blocks.0.0", mc, 9, 3)
    chans, ch, idx = [mc], mc, 1
    for level, m in enumerate(mult):
        for _ in range(nrb):
            res(f"input_blocks.{idx}.0", ch, m * mc)
            ch = m * mc
            if level > 0:
                spatial(f"input_blocks.{idx}.1", ch)
            chans.append(ch)
            idx += 1
        if level != len(mult) - 1:
            conv(f"input_blocks.{idx}.0.op", ch, ch, 3)
            chans.append(ch)
            idx += 1
    res("middle_block.0", ch, ch)
    spatial("middle_block.1", ch)
    res("middle_block.2", ch, ch)
    idx = 0
    for level, m in reversed(list(enumerate(mult))):
        for i in range(nrb + 1):
            res(f"output_blocks.{idx}.0", ch + chans.pop(), m * mc)
            ch, layer = m * mc, 1
            if level > 0:
                spatial(f"output_blocks.{idx}.1", ch)
                layer = 2
            if level and i == nrb:
                conv(f"output_blocks.{idx}.{layer}.conv", ch, ch, 3)
            idx += 1
    norm("out.0", ch)
    conv("out.2", 3, mc, 3)
    return s


def taming_vq_shapes(ch: int = 32, mult=(1, 2, 2), nrb: int = 1, z: int = 3, n_embed: int = 64) -> Shapes:
    s: Shapes = {}

    def conv(name: str, out: int, inp: int, k: int) -> None:
        s[f"{name}.weight"] = (out, inp, k, k)
        s[f"{name}.bias"] = (out,)

    def norm(name: str, c: int) -> None:
        s[f"{name}.weight"] = s[f"{name}.bias"] = (c,)

    def res(p: str, cin: int, cout: int) -> None:
        norm(f"{p}.norm1", cin)
        conv(f"{p}.conv1", cout, cin, 3)
        norm(f"{p}.norm2", cout)
        conv(f"{p}.conv2", cout, cout, 3)
        if cin != cout:
            conv(f"{p}.nin_shortcut", cout, cin, 1)

    def mid(p: str, c: int) -> None:
        res(f"{p}.mid.block_1", c, c)
        norm(f"{p}.mid.attn_1.norm", c)
        for n in ("q", "k", "v", "proj_out"):
            conv(f"{p}.mid.attn_1.{n}", c, c, 1)
        res(f"{p}.mid.block_2", c, c)

    conv("encoder.conv_in", ch, 3, 3)
    block_in = ch
    for i, m in enumerate(mult):
        for j in range(nrb):
            res(f"encoder.down.{i}.block.{j}", block_in, ch * m)
            block_in = ch * m
        if i != len(mult) - 1:
            conv(f"encoder.down.{i}.downsample.conv", block_in, block_in, 3)
    mid("encoder", block_in)
    norm("encoder.norm_out", block_in)
    conv("encoder.conv_out", z, block_in, 3)
    conv("quant_conv", z, z, 1)
    conv("post_quant_conv", z, z, 1)
    s["quantize.embedding.weight"] = (n_embed, z)
    block_in = ch * mult[-1]
    conv("decoder.conv_in", block_in, z, 3)
    mid("decoder", block_in)
    for i in reversed(range(len(mult))):
        for j in range(nrb + 1):
            res(f"decoder.up.{i}.block.{j}", block_in, ch * mult[i])
            block_in = ch * mult[i]
        if i != 0:
            conv(f"decoder.up.{i}.upsample.conv", block_in, block_in, 3)
    norm("decoder.norm_out", block_in)
    conv("decoder.conv_out", 3, block_in, 3)
    return s


CONDITIONER_SHAPES: Shapes = {
    "cond_stage_model_for_audio.encoder_conv.0.weight": (32, 29, 3),
    "cond_stage_model_for_audio.encoder_conv.0.bias": (32,),
    "cond_stage_model_for_audio.encoder_conv.2.weight": (32, 32, 3),
    "cond_stage_model_for_audio.encoder_conv.2.bias": (32,),
    "cond_stage_model_for_audio.encoder_conv.4.weight": (64, 32, 3),
    "cond_stage_model_for_audio.encoder_conv.4.bias": (64,),
    "cond_stage_model_for_audio.encoder_conv.6.weight": (64, 64, 3),
    "cond_stage_model_for_audio.encoder_conv.6.bias": (64,),
    "cond_stage_model_for_audio.encoder_fc1.0.weight": (64, 64),
    "cond_stage_model_for_audio.encoder_fc1.0.bias": (64,),
    "cond_stage_model_for_audio.encoder_fc1.2.weight": (64, 64),
    "cond_stage_model_for_audio.encoder_fc1.2.bias": (64,),
    **{
        f"cond_stage_model_for_audio_smooth.attentionConvNet.{2 * i}.{p}": shape
        for i, (o, c) in enumerate(((16, 32), (8, 16), (4, 8), (2, 4), (1, 2)))
        for p, shape in (("weight", (o, c, 3)), ("bias", (o,)))
    },
    "cond_stage_model_for_audio_smooth.attentionNet.0.weight": (8, 8),
    "cond_stage_model_for_audio_smooth.attentionNet.0.bias": (8,),
    "cond_stage_model_for_ldm.encoder_fc1.0.weight": (128, 78),
    "cond_stage_model_for_ldm.encoder_fc1.0.bias": (128,),
    "cond_stage_model_for_ldm.encoder_fc1.2.weight": (64, 128),
    "cond_stage_model_for_ldm.encoder_fc1.2.bias": (64,),
    "cond_stage_model_for_ldm.encoder_fc1.4.weight": (64, 64),
    "cond_stage_model_for_ldm.encoder_fc1.4.bias": (64,),
}


def ldm_betas() -> torch.Tensor:
    return torch.linspace(math.sqrt(0.0015), math.sqrt(0.0195), 1000, dtype=torch.float64).float() ** 2


def _random(shapes: Shapes, gen: torch.Generator) -> dict[str, torch.Tensor]:
    sizes = [math.prod(v) for v in shapes.values()]
    flat = torch.randn(sum(sizes), generator=gen) * 0.05  # one draw: thousands of small ones are slow
    return {k: t.view(v).clone() for (k, v), t in zip(shapes.items(), flat.split(sizes), strict=True)}


def make_official_checkpoint(seed: int = 0, with_vq: bool = True) -> dict[str, torch.Tensor]:
    """Every key family of the official layout: UNet, flattened EMA, first stage, three encoders, schedule.
    A fresh dict each call (tests may edit it), sharing cached tensors (tests must not modify them)."""
    return dict(_official_checkpoint(seed, with_vq))


@functools.cache
def _official_checkpoint(seed: int, with_vq: bool) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    unet = _random(ldm_unet_shapes(), gen)
    state = {f"model.diffusion_model.{k}": v for k, v in unet.items()}
    drift = _random({k: v.shape for k, v in unet.items()}, gen)
    for k, v in unet.items():
        state["model_ema." + f"diffusion_model.{k}".replace(".", "")] = v + 0.2 * drift[k]
    state["model_ema.decay"] = torch.tensor(0.9999)
    state["model_ema.num_updates"] = torch.tensor(1234, dtype=torch.int32)
    if with_vq:
        state |= {f"first_stage_model.{k}": v for k, v in _random(taming_vq_shapes(), gen).items()}
    state |= _random(CONDITIONER_SHAPES, gen)
    betas = ldm_betas()
    state["betas"] = betas
    state["alphas_cumprod"] = torch.cumprod(1 - betas, 0)
    return state


def make_ldm_vq_checkpoint(seed: int = 1) -> dict[str, torch.Tensor]:
    """LDM's vq-f4 layout: no prefix, plus the loss modules the importer must drop."""
    gen = torch.Generator().manual_seed(seed)
    state = _random(taming_vq_shapes(), gen)
    state["loss.discriminator.main.0.weight"] = torch.randn(8, 3, 4, 4, generator=gen)
    state["loss.perceptual_loss.lin0.model.1.weight"] = torch.randn(1, 8, 1, 1, generator=gen)
    return state


def face_landmarks68(image_path: object) -> object:
    """68-point landmarks of the one face in a photo, via MediaPipe Face Mesh and our index table."""
    import mediapipe as mp
    import numpy as np
    from PIL import Image

    from engine.models.difftalk.landmarks import ibug68_from_mediapipe

    rgb = np.asarray(Image.open(image_path).convert("RGB"))
    with mp.solutions.face_mesh.FaceMesh(static_image_mode=True, refine_landmarks=True) as mesh:
        found = mesh.process(rgb).multi_face_landmarks
    h, w = rgb.shape[:2]
    points = np.array([[p.x * w, p.y * h] for p in found[0].landmark])
    return rgb, ibug68_from_mediapipe(points)
