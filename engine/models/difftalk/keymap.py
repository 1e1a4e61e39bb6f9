"""Name maps between the official (LDM / taming) module layout and the diffusers modules.

A map is built from the diffusers model's own parameter names, so it is exact for any configuration; each
block maps as a prefix, and inside a block a few sub-module names differ (`renames`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.models.difftalk.config import DiffTalkConfig

_UNET_RES = {
    "norm1": "in_layers.0",
    "conv1": "in_layers.2",
    "time_emb_proj": "emb_layers.1",
    "norm2": "out_layers.0",
    "conv2": "out_layers.3",
    "conv_shortcut": "skip_connection",
}
_VQ_RES = {"conv_shortcut": "nin_shortcut"}
_VQ_ATTN = {"group_norm": "norm", "to_q": "q", "to_k": "k", "to_v": "v", "to_out.0": "proj_out"}


@dataclass(frozen=True)
class Block:
    ours: str
    official: str
    renames: dict[str, str] = field(default_factory=dict)
    conv_linear: bool = False  # official 1×1 convolutions stored as diffusers Linear weights


def unet_blocks(cfg: DiffTalkConfig) -> list[Block]:
    levels, nrb = len(cfg.channel_mult), cfg.num_res_blocks
    blocks = [
        Block("time_embedding.linear_1", "time_embed.0"),
        Block("time_embedding.linear_2", "time_embed.2"),
        Block("conv_in", "input_blocks.0.0"),
        Block("mid_block.resnets.0", "middle_block.0", _UNET_RES),
        Block("mid_block.attentions.0", "middle_block.1"),
        Block("mid_block.resnets.1", "middle_block.2", _UNET_RES),
        Block("conv_norm_out", "out.0"),
        Block("conv_out", "out.2"),
    ]
    idx = 1
    for level in range(levels):
        for j in range(nrb):
            blocks.append(Block(f"down_blocks.{level}.resnets.{j}", f"input_blocks.{idx}.0", _UNET_RES))
            if level > 0:  # attention at downsample factors 2, 4, 8
                blocks.append(Block(f"down_blocks.{level}.attentions.{j}", f"input_blocks.{idx}.1"))
            idx += 1
        if level < levels - 1:
            blocks.append(Block(f"down_blocks.{level}.downsamplers.0.conv", f"input_blocks.{idx}.0.op"))
            idx += 1
    idx = 0
    for k in range(levels):
        has_attn = levels - 1 - k > 0
        for j in range(nrb + 1):
            blocks.append(Block(f"up_blocks.{k}.resnets.{j}", f"output_blocks.{idx}.0", _UNET_RES))
            if has_attn:
                blocks.append(Block(f"up_blocks.{k}.attentions.{j}", f"output_blocks.{idx}.1"))
            if j == nrb and k < levels - 1:
                up = 2 if has_attn else 1
                blocks.append(Block(f"up_blocks.{k}.upsamplers.0.conv", f"output_blocks.{idx}.{up}.conv"))
            idx += 1
    return blocks


def vq_blocks(cfg: DiffTalkConfig) -> list[Block]:
    levels = len(cfg.vq_channel_mult)
    blocks = [
        Block("quant_conv", "quant_conv"),
        Block("post_quant_conv", "post_quant_conv"),
        Block("quantize.embedding", "quantize.embedding"),
    ]
    for part in ("encoder", "decoder"):
        blocks += [
            Block(f"{part}.conv_in", f"{part}.conv_in"),
            Block(f"{part}.mid_block.resnets.0", f"{part}.mid.block_1", _VQ_RES),
            Block(f"{part}.mid_block.attentions.0", f"{part}.mid.attn_1", _VQ_ATTN, conv_linear=True),
            Block(f"{part}.mid_block.resnets.1", f"{part}.mid.block_2", _VQ_RES),
            Block(f"{part}.conv_norm_out", f"{part}.norm_out"),
            Block(f"{part}.conv_out", f"{part}.conv_out"),
        ]
    for i in range(levels):
        for j in range(cfg.vq_res_blocks):
            blocks.append(
                Block(f"encoder.down_blocks.{i}.resnets.{j}", f"encoder.down.{i}.block.{j}", _VQ_RES)
            )
        if i < levels - 1:
            blocks.append(
                Block(f"encoder.down_blocks.{i}.downsamplers.0.conv", f"encoder.down.{i}.downsample.conv")
            )
    for k in range(levels):
        level = levels - 1 - k  # taming indexes decoder levels from the highest resolution
        for j in range(cfg.vq_res_blocks + 1):
            blocks.append(
                Block(f"decoder.up_blocks.{k}.resnets.{j}", f"decoder.up.{level}.block.{j}", _VQ_RES)
            )
        if level > 0:
            blocks.append(
                Block(f"decoder.up_blocks.{k}.upsamplers.0.conv", f"decoder.up.{level}.upsample.conv")
            )
    return blocks


@dataclass(frozen=True)
class KeyMap:
    """ours → official parameter names, plus which of them are 1×1 convolutions stored as Linear weights."""

    to_official: dict[str, str]
    conv_linear: frozenset[str]

    @property
    def to_ours(self) -> dict[str, str]:
        return {v: k for k, v in self.to_official.items()}


def build_keymap(our_keys: list[str], blocks: list[Block]) -> KeyMap:
    by_prefix = {b.ours: b for b in blocks}
    mapping: dict[str, str] = {}
    conv_linear: set[str] = set()
    for key in our_keys:
        block, parts = None, key.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            block = by_prefix.get(".".join(parts[:cut]))
            if block is not None:
                suffix = ".".join(parts[cut:])
                break
        if block is None:
            raise KeyError(f"no official name known for {key}")
        for ours, official in block.renames.items():
            if suffix.startswith(ours + "."):
                suffix = official + suffix[len(ours) :]
                if block.conv_linear and suffix.endswith(".weight") and ours != "group_norm":
                    conv_linear.add(key)
                break
        mapping[key] = f"{block.official}.{suffix}"
    if len(set(mapping.values())) != len(mapping):
        raise ValueError("official key map is not one to one")
    return KeyMap(mapping, frozenset(conv_linear))
