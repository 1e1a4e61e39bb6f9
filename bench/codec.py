"""SMALL-E codec benchmark: EnCodec 24 kHz encoding and Vocos decoding at the official sizes.

Random weights at the official shapes unless --model-dir points at imported weights (the speed is the same).
Reports, as a multiple of real time (seconds of audio per second of compute): EnCodec encoding at 3 kb/s,
Vocos one-shot decoding for batch sizes 1…N, EnCodec's own decoder, and streaming decoding with its time to
the first audio (SMALL-E's first frames → first samples) and per-chunk cost.

    python bench/codec.py                                  # CPU, 1 thread, short clips
    python bench/codec.py --device cuda --json out.json [--dtype bf16] [--seconds 20] [--max-batch 64]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.models.smalle.codec import EncodecVocosCodec, load_codec
from engine.models.smalle.encodec import Encodec, EncodecConfig
from engine.models.smalle.vocos import Vocos, VocosConfig

FRAME_RATE = 75
DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _best(fn: Callable[[], object], device: torch.device, repeats: int) -> float:
    fn()  # warm-up: allocations, kernel selection
    _sync(device)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        _sync(device)
        best = min(best, time.perf_counter() - start)
    return best


def _codec(args: argparse.Namespace, device: torch.device) -> EncodecVocosCodec:
    if args.model_dir:
        return load_codec(args.model_dir, device, DTYPES[args.dtype])
    torch.manual_seed(0)
    vocos = Vocos(VocosConfig()).to(device, DTYPES[args.dtype])
    return EncodecVocosCodec(Encodec(EncodecConfig()).to(device), vocos)


def _stream_first_audio(codec: EncodecVocosCodec, codes: torch.Tensor, chunk: int) -> tuple[float, float]:
    """Seconds from the first pushed frame to the first audio, and mean seconds per later push."""
    stream = codec.stream()
    start = time.perf_counter()
    first, pushes, busy = None, 0, 0.0
    for i in range(0, codes.shape[1], chunk):
        t0 = time.perf_counter()
        audio = stream.push(codes[:, i : i + chunk])
        _sync(codec.device)
        if first is None and audio.size:
            first = time.perf_counter() - start
        elif first is not None:
            pushes, busy = pushes + 1, busy + time.perf_counter() - t0
    stream.flush()
    return first or float("nan"), busy / max(1, pushes)


def run(args: argparse.Namespace, device: torch.device) -> dict:
    codec = _codec(args, device)
    frames = int(args.seconds * FRAME_RATE)
    gen = torch.Generator().manual_seed(1)
    wave = (0.1 * torch.randn(frames * 320, generator=gen)).numpy().astype(np.float32)
    codes = torch.randint(0, 1024, (4, frames), generator=gen)
    seconds = frames / FRAME_RATE

    encode = _best(lambda: codec.encode(wave, 24000), device, args.repeats)
    resample = _best(lambda: codec.encode(wave[: len(wave) * 2 // 3], 16000), device, args.repeats)
    encodec_decode = _best(lambda: codec.decode_encodec(codes), device, args.repeats)
    batched = []
    batch = 1
    while batch <= args.max_batch:
        stacked = codes.expand(batch, -1, -1).to(device)
        elapsed = _best(lambda s=stacked: codec.vocos.decode(s), device, args.repeats)
        batched.append({"batch": batch, "x_realtime": batch * seconds / elapsed})
        batch *= 2
    first, per_push = _stream_first_audio(codec, codes, args.chunk)
    params = {
        "encodec": sum(p.numel() for p in codec.encodec.parameters()),
        "vocos": sum(p.numel() for p in codec.vocos.parameters()),
    }
    return {
        "seconds": seconds,
        "parameters": params,
        "encode_x_realtime": seconds / encode,
        "encode_16k_x_realtime": seconds / resample,
        "encodec_decode_x_realtime": seconds / encodec_decode,
        "vocos_decode": batched,
        "stream_chunk_frames": args.chunk,
        "stream_lookahead_frames": codec.stream().latency_frames,
        "stream_first_audio_ms": 1000 * first,
        "stream_ms_per_chunk": 1000 * per_push,
        "stream_chunk_x_realtime": (args.chunk / FRAME_RATE) / per_push if per_push else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--model-dir", type=Path, help="a SMALL-E model directory with codec/ weights")
    parser.add_argument(
        "--dtype", choices=sorted(DTYPES), default="fp32", help="Vocos weights (EnCodec: fp32)"
    )
    parser.add_argument("--seconds", type=float, default=None, help="clip length (default 4 CPU, 20 CUDA)")
    parser.add_argument("--max-batch", type=int, default=None, help="largest Vocos batch (default 2 / 64)")
    parser.add_argument("--chunk", type=int, default=15, help="frames per streamed push (15 = 0.2 s)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (1 avoids contention)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    device = torch.device(args.device)
    cuda = device.type == "cuda"
    if cuda and not torch.cuda.is_available():
        parser.error("CUDA was requested but is not available")
    torch.set_num_threads(args.threads)
    args.seconds = args.seconds or (20.0 if cuda else 4.0)
    args.max_batch = args.max_batch or (64 if cuda else 2)
    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = True

    r = run(args, device)
    name = torch.cuda.get_device_name(device) if cuda else f"cpu ({args.threads} thread(s))"
    print(f"SMALL-E codec on {name}, Vocos {args.dtype}, {r['seconds']:.1f} s clips; x RT = audio s per s")
    print(f"{'stage':34} {'x RT':>9}")
    print(f"{'EnCodec encode, 24 kHz in':34} {r['encode_x_realtime']:9.1f}")
    print(f"{'EnCodec encode, 16 kHz in':34} {r['encode_16k_x_realtime']:9.1f}")
    print(f"{'EnCodec decoder':34} {r['encodec_decode_x_realtime']:9.1f}")
    for row in r["vocos_decode"]:
        print(f"{'Vocos decode, batch ' + str(row['batch']):34} {row['x_realtime']:9.1f}")
    print(f"{'Vocos stream, per ' + str(args.chunk) + '-frame chunk':34} {r['stream_chunk_x_realtime']:9.1f}")
    print(
        f"stream: first audio after {r['stream_first_audio_ms']:.1f} ms of compute, "
        f"{r['stream_lookahead_frames']} frames ({1000 * r['stream_lookahead_frames'] / FRAME_RATE:.0f} ms "
        f"of audio) look-ahead; {r['stream_ms_per_chunk']:.1f} ms per chunk"
    )
    sizes = r["parameters"]
    print(f"parameters: EnCodec {sizes['encodec'] / 1e6:.1f}M, Vocos {sizes['vocos'] / 1e6:.1f}M")
    if args.json:
        meta = {"device": name, "vocos_dtype": args.dtype, "torch": torch.__version__}
        args.json.write_text(json.dumps({"meta": meta, "results": r}, indent=2) + "\n")


if __name__ == "__main__":
    main()
