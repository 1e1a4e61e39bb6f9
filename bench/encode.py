"""Encoding speed on this machine: seconds of clip encoded per second of wall time (x real time).

    python -m bench.encode [--seconds 10] [--sizes 256 512] [--json results.json]

Frames are a synthetic moving gradient made before timing starts, so only encoding is measured.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from engine.media.captions import Cue
from engine.media.encode import encode_mp4, encode_video_note, encode_voice
from engine.types import CaptionMode

FPS = 25
RATE = 22_050


def _frames(seconds: float, size: int) -> list[np.ndarray]:
    y, x = np.mgrid[0:size, 0:size]
    batches = []
    for start in range(0, round(seconds * FPS), 8):
        batch = [
            np.stack([(x + 3 * k) % 256, (y + 2 * k) % 256, np.full_like(x, 96)], axis=-1).astype(np.uint8)
            for k in range(start, min(start + 8, round(seconds * FPS)))
        ]
        batches.append(np.stack(batch))
    return batches


def _cues(seconds: float) -> list[Cue]:
    return [
        Cue(t, min(t + 2.5, seconds), "A caption of a typical length\nover two lines")
        for t in range(0, int(seconds), 3)
    ]


def _time(run: Callable[[], bytes], repeats: int) -> tuple[float, int]:
    best, size = float("inf"), 0
    for _ in range(repeats):
        start = time.perf_counter()
        size = len(run())
        best = min(best, time.perf_counter() - start)
    return best, size


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    t = np.arange(round(args.seconds * RATE)) / RATE
    audio = (0.3 * np.sin(2 * np.pi * 180 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))).astype(np.float32)
    cues = _cues(args.seconds)
    cases: list[tuple[str, int | None, Callable[[], bytes]]] = []
    for size in args.sizes:
        frames = _frames(args.seconds, size)
        cases += [
            ("mp4", size, lambda f=frames: encode_mp4(f, FPS, audio, RATE)),
            ("mp4 + soft captions", size, lambda f=frames: encode_mp4(f, FPS, audio, RATE, captions=cues)),
            (
                "mp4 + burned captions",
                size,
                lambda f=frames: encode_mp4(
                    f, FPS, audio, RATE, captions=cues, caption_mode=CaptionMode.BURN
                ),
            ),
            (
                "mp4 ≤ 300 kB",
                size,
                lambda f=frames: encode_mp4(f, FPS, audio, RATE, size_limit_bytes=300_000),
            ),
        ]
    note = _frames(args.seconds, 640)
    cases.append(("video note", 640, lambda: encode_video_note(note, FPS, audio, RATE)))
    cases.append(("voice (ogg/opus)", None, lambda: encode_voice(audio, RATE)))

    rows = []
    for name, size, run in cases:
        wall, nbytes = _time(run, args.repeats)
        rows.append(
            {
                "case": name,
                "size_px": size,
                "clip_s": args.seconds,
                "wall_s": round(wall, 3),
                "x_realtime": round(args.seconds / wall, 2),
                "s_per_clip_s": round(wall / args.seconds, 3),
                "bytes": nbytes,
            }
        )
    header = f"{'case':<24}{'px':>6}{'wall s':>9}{'x real':>9}{'s / clip s':>12}{'kB':>9}"
    print(header)
    print("-" * len(header))
    for r in rows:
        px = str(r["size_px"] or "-")
        print(
            f"{r['case']:<24}{px:>6}{r['wall_s']:>9.2f}{r['x_realtime']:>9.2f}"
            f"{r['s_per_clip_s']:>12.3f}{r['bytes'] / 1000:>9.1f}"
        )
    if args.json:
        args.json.write_text(json.dumps({"benchmark": "encode", "fps": FPS, "results": rows}, indent=2))


if __name__ == "__main__":
    main()
