"""Reading, checking and writing the weight files of the SMALL-E model and its codec."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from engine.models.smalle.errors import CheckpointMismatch

M = TypeVar("M", bound=nn.Module)


def load_state_dict_file(path: Path, what: str) -> dict[str, torch.Tensor]:
    """Tensors of a .safetensors file or a PyTorch pickle (loaded with weights_only=True)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointMismatch(f"{what} file {path} does not exist")
    if path.suffix == ".safetensors":
        try:
            return load_file(str(path))
        except Exception as exc:  # safetensors raises its own error type or OSError for foreign files
            raise CheckpointMismatch(f"{path.name} is not a readable safetensors file ({exc})") from exc
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for foreign/corrupt files; all mean the same here
        raise CheckpointMismatch(
            f"{path.name} is not a PyTorch checkpoint that can be loaded safely ({type(exc).__name__})"
        ) from exc
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict) or not obj or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise CheckpointMismatch(f"{path.name} does not hold a state dict of tensors, so it is not {what}")
    return dict(obj)


def check_state_dict(
    weights: Mapping[str, torch.Tensor], expected: Mapping[str, torch.Tensor], name: str, what: str
) -> None:
    """Exactly the expected names with the expected shapes, or a CheckpointMismatch that says what is off."""
    missing = [k for k in expected if k not in weights]
    extra = [k for k in weights if k not in expected]
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
        raise CheckpointMismatch(f"{name} does not fit the {what} architecture: {'; '.join(problems)}")


def write_atomically(folder: Path, files: Mapping[str, Any]) -> None:
    """Write several files into `folder` so that each appears complete or not at all."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=folder)
        os.close(fd)
        try:
            if isinstance(content, dict):
                save_file(content, tmp)
            else:
                Path(tmp).write_text(content, encoding="utf-8")
            os.replace(tmp, folder / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def load_component(
    folder: Path,
    config_file: str,
    weights_file: str,
    what: str,
    config_from_dict: Callable[[dict[str, Any]], Any],
    build: Callable[[Any], M],
    device: str | torch.device = "cpu",
) -> M:
    """The model saved in `folder` as <config_file> (JSON) + <weights_file> (safetensors), in eval mode."""
    try:
        data = json.loads((folder / config_file).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CheckpointMismatch(f"cannot read the {what} config {folder / config_file}: {exc}") from exc
    if not isinstance(data, dict):
        raise CheckpointMismatch(f"the {what} config {folder / config_file} is not a JSON object")
    cfg = config_from_dict(data)
    weights = load_state_dict_file(folder / weights_file, what)
    with torch.device("meta"):  # no memory for weights that are replaced right away
        model = build(cfg)
    check_state_dict(weights, model.state_dict(), weights_file, what)
    model.load_state_dict(weights, assign=True)
    return model.to(device).eval()
