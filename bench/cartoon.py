"""Cartoon avatar rendering speed: frames per second at several sizes on one CPU core.

Usage: python bench/cartoon.py [--seconds 8] [--sizes 256 384 512] [--style default] [--json PATH]

"cold" includes drawing the cached layers and the first mouth shapes (the first message in a new
style and size); "warm" is the steady state once they are cached.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cv2
import numpy as np

from engine.face.cartoon import CartoonFaceEngine
from engine.types import FaceSettings, Timing, Utterance

_LABELS = [
    "h",
    "ə",
    "l",
    "oʊ",
    "w",
    "ɜ",
    "l",
    "d",
    "m",
    "aɪ",
    "n",
    "eɪ",
    "m",
    "ɪ",
    "z",
    "s",
    "æ",
    "m",
    "aɪ",
    "l",
    "ʌ",
    "v",
    "j",
    "uː",
    "θ",
    "æ",
    "ŋ",
    "k",
    "s",
    "f",
    "ɔ",
    "ɹ",
    "ð",
    "ə",
    "tʃ",
    "iː",
    "p",
]


def speech(seconds: float, sample_rate: int = 16000) -> Utterance:
    """Busy, varied synthetic speech: 80 ms phonemes in 1.2 s phrases, with a voiced envelope."""
    phonemes, t, i = [], 0.3, 0
    while t < seconds - 0.4:
        for _ in range(15):
            phonemes.append(Timing(t, t + 0.08, _LABELS[i % len(_LABELS)]))
            t, i = t + 0.08, i + 1
        t += 0.35
    n = int(seconds * sample_rate)
    time_s = np.arange(n) / sample_rate
    envelope = np.zeros(n)
    for p in phonemes:
        envelope[(time_s >= p.start_s) & (time_s < p.end_s)] = 0.3
    audio = (envelope * np.sin(2 * np.pi * 140 * time_s)).astype(np.float32)
    return Utterance(audio, sample_rate, (), tuple(p for p in phonemes if p.end_s <= seconds), "en", "bench")


def measure(engine: CartoonFaceEngine, u: Utterance, settings: FaceSettings) -> float:
    """Frames per CPU second of this process: one core's rate, steady even on a shared, busy machine."""
    start = time.process_time()
    frames = sum(len(batch) for batch in engine.render(u, settings))
    return frames / max(time.process_time() - start, 1e-9)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 384, 512])
    parser.add_argument("--style", default="default")
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    cv2.setNumThreads(1)  # one core, as on a busy worker (and so CPU time is one core's time)
    u = speech(args.seconds)
    rows = []
    for size in args.sizes:
        settings = FaceSettings(style=args.style, size=size, fps=args.fps)
        engine = CartoonFaceEngine()
        cold = measure(engine, u, settings)
        warm = max(measure(engine, u, settings) for _ in range(2))
        frames = engine.frame_count(u, settings)
        rows.append(
            {
                "size": size,
                "frames": frames,
                "cold_fps": cold,
                "warm_fps": warm,
                "realtime_x": warm / args.fps,
            }
        )
    print(f"cartoon avatar, style {args.style!r}, {args.seconds:g} s of speech at {args.fps} fps")
    print("frames per second of one CPU core (process time)")
    print(f"{'size':>6} {'frames':>7} {'cold fps':>9} {'warm fps':>9} {'× real time':>12}")
    for r in rows:
        rate = f"{r['cold_fps']:>9.0f} {r['warm_fps']:>9.0f} {r['realtime_x']:>12.1f}"
        print(f"{r['size']:>6} {r['frames']:>7} {rate}")
    if args.json:
        args.json.write_text(json.dumps({"bench": "cartoon", "style": args.style, "results": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
