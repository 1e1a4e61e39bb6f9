"""SMALL-E generation benchmark with random weights at the official shapes (gla_60, gla_130).

Lengths are forced (the stop token is refused until the cap), so every run decodes exactly the frames asked.
Reports, per model: single-stream frames/s and real-time factor (75 frames = 1 s of audio), aggregate
throughput for batch sizes 1…N, time to the first streamed chunk of codes (codec decoding excluded: the
codec is a separate module), and peak memory.

    python bench/smalle.py                          # CPU, small sizes (a minute or two)
    python bench/smalle.py --device cuda --json out.json [--dtype bf16] [--max-batch 256] [--no-graphs]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.models.smalle.config import PRESETS
from engine.models.smalle.generate import Generator, Request
from engine.models.smalle.model import SmallE
from engine.models.smalle.sampling import SamplingConfig

FRAME_RATE = 75.0
TEXT_TOKENS = 64  # about a 60-character sentence
DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _requests(batch: int, seed: int = 0) -> list[Request]:
    gen = torch.Generator().manual_seed(seed)
    ids = torch.randint(3, 256, (TEXT_TOKENS,), generator=gen).tolist()
    return [Request([1, *ids[1:-1], 2], seed=seed + i) for i in range(batch)]


def _timed_generate(gen: Generator, batch: int) -> float:
    requests = _requests(batch)
    gen.generate(requests)  # warm-up: allocations, CUDA graph capture for this shape
    _sync(gen.device)
    start = time.perf_counter()
    results = gen.generate(requests)
    _sync(gen.device)
    elapsed = time.perf_counter() - start
    assert all(r.codes.shape[1] == gen.cfg.max_frames for r in results)
    return elapsed


def _first_chunk(gen: Generator, repeats: int = 3) -> float:
    best = float("inf")
    for i in range(repeats + 1):
        _sync(gen.device)
        start = time.perf_counter()
        stream = gen.stream(_requests(1, seed=i)[0])
        next(stream)
        elapsed = time.perf_counter() - start
        stream.close()
        if i:  # the first run captures the graph for this shape
            best = min(best, elapsed)
    return best


def _peak_memory_mb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_model(name: str, args: argparse.Namespace, device: torch.device) -> dict:
    torch.manual_seed(0)
    model = SmallE(PRESETS[name]).to(device=device, dtype=DTYPES[args.dtype]).eval()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    single_cfg = SamplingConfig(max_frames=args.frames, min_frames=args.frames)
    gen = Generator(model, single_cfg, cuda_graphs=not args.no_graphs)
    elapsed = _timed_generate(gen, 1)
    single_fps = args.frames / elapsed
    first = _first_chunk(gen)
    batch_cfg = SamplingConfig(max_frames=args.batch_frames, min_frames=args.batch_frames)
    batched = Generator(model, batch_cfg, cuda_graphs=not args.no_graphs)
    rows = []
    batch = 1
    while batch <= args.max_batch:
        t = _timed_generate(batched, batch)
        fps = batch * args.batch_frames / t
        rows.append({"batch": batch, "seconds": t, "frames_per_s": fps, "x_realtime": fps / FRAME_RATE})
        print(
            f"  {name} batch {batch:4d}: {fps:10.1f} frames/s  {fps / FRAME_RATE:8.1f}x real time", flush=True
        )
        batch *= 2
    return {
        "model": name,
        "parameters": sum(p.numel() for p in model.parameters()),
        "single_stream": {
            "frames": args.frames,
            "seconds": elapsed,
            "frames_per_s": single_fps,
            "x_realtime": single_fps / FRAME_RATE,
        },
        "first_chunk_ms": first * 1000,
        "batched": rows,
        "peak_memory_mb": _peak_memory_mb(device),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", choices=sorted(DTYPES), default="fp32")
    parser.add_argument("--models", nargs="+", choices=sorted(PRESETS), default=["gla_60", "gla_130"])
    parser.add_argument("--frames", type=int, help="single-stream length (default: cpu 32, cuda 600)")
    parser.add_argument(
        "--batch-frames", type=int, help="frames per item in the batch sweep (cpu 16, cuda 150)"
    )
    parser.add_argument(
        "--max-batch", type=int, help="largest batch (powers of two; default: cpu 4, cuda 256)"
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="CPU threads (1 avoids contention on shared hosts)"
    )
    parser.add_argument("--no-graphs", action="store_true", help="decode eagerly on CUDA")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    device = torch.device(args.device)
    cuda = device.type == "cuda"
    if cuda and not torch.cuda.is_available():
        parser.error("CUDA was requested but is not available")
    torch.set_num_threads(args.threads)
    args.frames = args.frames or (600 if cuda else 32)
    args.batch_frames = args.batch_frames or (150 if cuda else 16)
    args.max_batch = args.max_batch or (256 if cuda else 4)
    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = True

    results = []
    for name in args.models:
        print(
            f"{name} on {device} ({args.dtype}, CUDA graphs {'off' if args.no_graphs or not cuda else 'on'})"
        )
        results.append(bench_model(name, args, device))

    print()
    print(
        f"{'model':8} {'params':>8} {'1-stream f/s':>12} {'x RT':>7} {'first chunk':>12} "
        f"{'best batch':>10} {'agg f/s':>10} {'agg x RT':>9} {'peak MB':>8}"
    )
    for r in results:
        best = max(r["batched"], key=lambda row: row["frames_per_s"])
        s = r["single_stream"]
        print(
            f"{r['model']:8} {r['parameters'] / 1e6:7.1f}M {s['frames_per_s']:12.1f} {s['x_realtime']:7.1f} "
            f"{r['first_chunk_ms']:10.1f}ms {best['batch']:10d} {best['frames_per_s']:10.1f} "
            f"{best['x_realtime']:9.1f} {r['peak_memory_mb']:8.0f}"
        )
    if args.json:
        meta = {
            "device": torch.cuda.get_device_name(device) if cuda else "cpu",
            "dtype": args.dtype,
            "cuda_graphs": cuda and not args.no_graphs,
            "torch": torch.__version__,
        }
        args.json.write_text(json.dumps({"meta": meta, "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
