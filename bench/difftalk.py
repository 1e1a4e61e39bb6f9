"""DiffTalk throughput: frames per second by configuration, step count, batch size, dtype and torch.compile.

Full 200-step runs of the official model take minutes, so each UNet measurement times a few steps and the
frame rate at 200 / 50 / 25 / 10 steps is extrapolated from the per-step cost plus the measured first-stage
(VQ) cost per frame: fps = batch / (steps · t_step + batch · t_vq). One end-to-end pipeline run at a small
step count checks the extrapolation. Weights are random: speed does not depend on their values.

    python bench/difftalk.py                      # CPU: the small configuration, fp32 (a couple of minutes)
    python bench/difftalk.py --device cuda --json out.json   # GPU grid, official + small, bf16 and compile
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.models.difftalk.config import DiffTalkConfig
from engine.models.difftalk.model import DiffTalkModel
from engine.models.difftalk.pipeline import DiffTalkPipeline, FaceInputs, SampleOptions

STEP_COUNTS = (200, 50, 25, 10)
CONFIGS = {"official": DiffTalkConfig.official, "small": DiffTalkConfig.small, "tiny": DiffTalkConfig.tiny}
DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}


@dataclass(frozen=True)
class Case:
    config: str
    dtype: str
    batch: int
    compile: bool = False


# (case, timed UNet steps). GPU: the anchors of the issue (official fp32 b1; bf16 b32 compiled) and the grid
# between them. CPU: the small configuration, which is what runs here at all.
CUDA_CASES = [
    (Case("official", "fp32", 1), 5),
    (Case("official", "bf16", 1), 5),
    (Case("official", "bf16", 8), 5),
    (Case("official", "bf16", 32), 5),
    (Case("official", "bf16", 32, compile=True), 10),
    (Case("small", "fp32", 1), 5),
    (Case("small", "bf16", 32), 5),
    (Case("small", "bf16", 32, compile=True), 10),
]
DEFAULT_CASE = Case("official", "bf16", 32, compile=True)
CPU_CASES = [(Case("small", "fp32", 1), 1), (Case("tiny", "fp32", 4), 3)]


@dataclass
class Row:
    config: str
    device: str
    dtype: str
    compile: bool
    batch: int
    unet_ms_per_step: float  # one UNet evaluation of the whole batch
    ms_per_frame_step: float
    vq_ms_per_frame: float  # 2 encodes (template, masked) + 1 decode per frame, reference encode amortised
    fps: dict[int, float] = field(default_factory=dict)
    vq_share: dict[int, float] = field(default_factory=dict)  # fraction of frame time spent in the VQ
    error: str = ""


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _timed(fn, device: torch.device, repeats: int, warm_up: bool = True) -> float:  # type: ignore[no-untyped-def]
    if warm_up:  # first calls pay for allocation, cuDNN autotuning and compilation
        fn()
        _sync(device)
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    _sync(device)
    return (time.perf_counter() - start) / repeats


class Models:
    """One randomly initialised model per configuration, built once."""

    def __init__(self) -> None:
        self._models: dict[str, DiffTalkModel] = {}

    def get(self, name: str) -> DiffTalkModel:
        if name not in self._models:
            self._models[name] = DiffTalkModel.from_config(CONFIGS[name](), seed=0)
        return self._models[name]


def measure_unet(pipe: DiffTalkPipeline, batch: int, steps: int) -> float:
    cfg, dev = pipe.cfg, pipe.device
    x = torch.randn(batch, 3 * cfg.latent_channels, cfg.latent_size, cfg.latent_size, device=dev)
    ctx = torch.randn(batch, 1, cfg.context_dim, device=dev, dtype=pipe.dtype)
    t = torch.tensor(500, device=dev)
    with torch.no_grad():
        return _timed(lambda: pipe._unet_eps(x, t, ctx, batch), dev, steps)


def measure_vq(pipe: DiffTalkPipeline, batch: int) -> float:
    cfg, dev = pipe.cfg, pipe.device
    images = torch.rand(batch, 3, cfg.image_size, cfg.image_size, device=dev) * 2 - 1

    warm = dev.type == "cuda"  # on the CPU one pass is steady enough, and a 256² VQ pass costs seconds there
    encode_s = _timed(lambda: pipe.encode(images), dev, 1, warm)
    z = pipe.encode(images[:1]).expand(batch, -1, -1, -1)
    decode_s = _timed(lambda: pipe.decode(z), dev, 1, warm)
    # Per frame: the template and the masked frame are encoded, the result decoded; one reference per batch.
    return (2 * encode_s + decode_s) / batch + encode_s / batch**2


def end_to_end(pipe: DiffTalkPipeline, batch: int, steps: int, frames: int) -> float:
    """Measured frames per second of the real pipeline (masks, features, sampling, decode)."""
    cfg, size = pipe.cfg, pipe.cfg.image_size
    rng = np.random.default_rng(0)
    crops = rng.integers(0, 255, (frames, size, size, 3), dtype=np.uint8)
    jaw = np.stack([np.linspace(0.15, 0.85, 17), 0.5 + 0.35 * np.sin(np.linspace(0, np.pi, 17))], 1)
    lms = np.zeros((68, 2), np.float32)
    lms[:17], lms[17:] = jaw, (0.5, 0.45)
    lms = np.repeat(lms[None] * size, frames, 0)
    audio = rng.standard_normal((frames, cfg.audio_windows, cfg.audio_window, cfg.audio_dim)).astype(
        np.float32
    )
    inputs = FaceInputs(crops, lms, audio)
    opts = SampleOptions(steps=steps, batch_size=batch)
    for _ in pipe(FaceInputs(crops[:batch], lms[:batch], audio[:batch]), opts):  # warm-up
        pass
    _sync(pipe.device)
    start = time.perf_counter()
    for _ in pipe(inputs, opts):
        pass
    _sync(pipe.device)
    return frames / (time.perf_counter() - start)


def run_case(models: Models, case: Case, steps: int, device: torch.device) -> tuple[Row, DiffTalkPipeline]:
    model = models.get(case.config)
    pipe = DiffTalkPipeline(model, device, DTYPES[case.dtype], compile=case.compile)
    step_s = measure_unet(pipe, case.batch, steps)
    vq_s = measure_vq(pipe, min(case.batch, 8))
    row = Row(
        case.config,
        device.type,
        case.dtype,
        pipe.compiled,
        case.batch,
        step_s * 1e3,
        step_s * 1e3 / case.batch,
        vq_s * 1e3,
    )
    for n in STEP_COUNTS:
        frame_s = n * step_s / case.batch + vq_s
        row.fps[n] = 1.0 / frame_s
        row.vq_share[n] = vq_s / frame_s
    return row, pipe


def print_table(rows: list[Row]) -> None:
    head = (
        f"{'config':9} {'dtype':5} {'comp':4} {'batch':>5} {'ms/step':>9} {'ms/fr-step':>10} {'VQ ms/fr':>8}"
    )
    head += "".join(f" {'fps@' + str(n):>8}" for n in STEP_COUNTS) + f" {'VQ%@25':>7}"
    print(head)
    for r in rows:
        if r.error:
            print(f"{r.config:9} {r.dtype:5} {r.compile!s:4} {r.batch:>5}  skipped: {r.error}")
            continue
        comp = "yes" if r.compile else "no"
        line = f"{r.config:9} {r.dtype:5} {comp:4} {r.batch:>5} {r.unet_ms_per_step:9.2f}"
        line += f" {r.ms_per_frame_step:10.3f} {r.vq_ms_per_frame:8.2f}"
        line += "".join(f" {r.fps[n]:8.3g}" for n in STEP_COUNTS) + f" {100 * r.vq_share[25]:6.1f}%"
        print(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu or cuda[:N]")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--budget-s", type=float, default=200.0, help="skip cases that start after this long")
    parser.add_argument("--threads", type=int, help="CPU threads for torch (default: torch's choice)")
    parser.add_argument("--no-compile", action="store_true", help="leave out the torch.compile cases")
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            parser.error("--device cuda, but this machine has no CUDA GPU")
        torch.backends.cudnn.benchmark = True
        name = torch.cuda.get_device_name(device)
    else:
        name = platform.processor() or platform.machine()
        if args.threads:
            torch.set_num_threads(args.threads)
    cases = CUDA_CASES if device.type == "cuda" else CPU_CASES
    if args.no_compile:
        cases = [(c, s) for c, s in cases if not c.compile]
    print(f"DiffTalk benchmark on {name} ({device}), torch {torch.__version__}; random weights")
    print("fps at 200/50/25/10 steps extrapolated from timed UNet steps + measured VQ cost per frame\n")
    models, rows, started = Models(), [], time.perf_counter()
    pipes: dict[Case, DiffTalkPipeline] = {}
    for case, steps in cases:
        if time.perf_counter() - started > args.budget_s:
            rows.append(
                Row(case.config, device.type, case.dtype, case.compile, case.batch, 0, 0, 0, error="time")
            )
            continue
        try:
            row, pipes[case] = run_case(models, case, steps, device)
            rows.append(row)
        except Exception as exc:  # unattended: report (no Triton, out of memory) and go on
            first = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else type(exc).__name__
            rows.append(
                Row(case.config, device.type, case.dtype, case.compile, case.batch, 0, 0, 0, error=first)
            )
            if device.type == "cuda":
                torch.cuda.empty_cache()
        r = rows[-1]
        print(f"  {case}: {r.error or f'{r.unet_ms_per_step:.2f} ms per step'}", flush=True)
    print()
    print_table(rows)

    e2e: dict[str, float | str] = {}
    done = [r for r in rows if not r.error]
    if done and time.perf_counter() - started < args.budget_s + 30:
        # The default configuration (official, bf16, batch 32, compiled) when it ran, else the fastest case;
        # the pipeline is reused so a compiled UNet is not compiled again.
        by_case = {Case(r.config, r.dtype, r.batch, r.compile): r for r in done}
        case = DEFAULT_CASE if DEFAULT_CASE in by_case else max(by_case, key=lambda c: by_case[c].fps[25])
        best, pipe = by_case[case], pipes[case]
        steps, frames = (25, 4 * case.batch) if device.type == "cuda" else (2, 2 * case.batch)
        measured = end_to_end(pipe, case.batch, steps, frames)
        predicted = 1.0 / (steps * best.ms_per_frame_step / 1e3 + best.vq_ms_per_frame / 1e3)
        e2e = asdict(case) | {"steps": steps, "frames": frames, "fps": measured, "predicted_fps": predicted}
        print(
            f"\nend to end ({case.config}, {case.dtype}, batch {case.batch}, compile {case.compile}, "
            f"{steps} steps, {frames} frames): {measured:.2f} fps measured, {predicted:.2f} predicted"
        )
    if args.json:
        result = {
            "device": name,
            "torch": torch.__version__,
            "note": "fps extrapolated from timed UNet steps plus measured VQ time per frame",
            "rows": [asdict(r) for r in rows],
            "end_to_end": e2e,
            "seconds": time.perf_counter() - started,
        }
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
