"""Portrait avatar benchmark: prepare time per photo, and rendering speed at 256, 384 and 512 px.

Rendering runs the real engine path (viseme track, idle motion, warp, mouth) on a speech-like
utterance. Frames per second are wall-clock; "cpu fps" divides by process CPU time instead, which on
a shared machine shows what the code would do with its cores to itself.

    python bench/portrait.py [--photo FILE] [--seconds 4] [--sizes 256 384 512] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.face.portrait import PortraitFaceEngine, prepare
from engine.types import FaceSettings, Timing, Utterance

DEFAULT_PHOTO = Path(__file__).resolve().parents[2] / "shared" / "data" / "images" / "liveportrait_s2.jpg"


def speech_like(seconds: float, rate: int = 16000) -> Utterance:
    """Alternating consonant-vowel syllables with matching loudness, so the mouth works all the time."""
    t = np.arange(int(seconds * rate)) / rate
    phonemes, start, k = [], 0.1, 0
    envelope = np.zeros_like(t)
    while start + 0.25 < seconds:
        phonemes += [
            Timing(start, start + 0.05, "mbtsk"[k % 5]),
            Timing(start + 0.05, start + 0.22, "aoieu"[k % 5]),
        ]
        inside = (t >= start) & (t < start + 0.22)
        envelope[inside] = np.sin(np.pi * (t[inside] - start) / 0.22)
        start, k = start + 0.27, k + 1
    audio = (0.3 * envelope * np.sin(2 * np.pi * 150 * t)).astype(np.float32)
    return Utterance(
        audio=audio, sample_rate=rate, words=(), phonemes=tuple(phonemes), language="en", text=""
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photo", type=Path, default=DEFAULT_PHOTO)
    parser.add_argument("--seconds", type=float, default=4.0, help="length of the rendered message")
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 384, 512])
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)

    data = args.photo.read_bytes()
    prepare(data)  # warm-up: loads the face-mesh graph once, as a running service would have
    wall, cpu = time.perf_counter(), time.process_time()
    prepared = prepare(data).to_bytes()
    prep_wall, prep_cpu = time.perf_counter() - wall, time.process_time() - cpu

    utterance = speech_like(args.seconds)
    engine = PortraitFaceEngine()
    rows = []
    for size in args.sizes:
        settings = FaceSettings(engine="portrait", prepared_face=prepared, size=size, fps=args.fps)
        wall, cpu = time.perf_counter(), time.process_time()
        engine.animator(settings)
        setup_s = time.perf_counter() - wall
        wall, cpu = time.perf_counter(), time.process_time()
        frames = sum(len(batch) for batch in engine.render(utterance, settings))
        wall_s, cpu_s = time.perf_counter() - wall, time.process_time() - cpu
        rows.append(
            {
                "size": size,
                "frames": frames,
                "setup_s": round(setup_s, 4),
                "fps": round(frames / wall_s, 1),
                "cpu_fps": round(frames / max(cpu_s, 1e-9), 1),
                "realtime_factor": round(frames / wall_s / args.fps, 2),
            }
        )

    print(f"photo: {args.photo.name}   prepare: {prep_wall * 1000:.0f} ms wall, {prep_cpu * 1000:.0f} ms cpu")
    print(f"message: {args.seconds:.1f} s at {args.fps} fps")
    print(f"{'size':>6} {'frames':>7} {'setup ms':>9} {'fps':>8} {'cpu fps':>8} {'× realtime':>11}")
    for r in rows:
        print(
            f"{r['size']:>6} {r['frames']:>7} {r['setup_s'] * 1000:>9.0f} {r['fps']:>8.1f} "
            f"{r['cpu_fps']:>8.1f} {r['realtime_factor']:>11.2f}"
        )
    if args.json:
        result = {
            "photo": args.photo.name,
            "prepare_s": round(prep_wall, 4),
            "prepare_cpu_s": round(prep_cpu, 4),
            "seconds": args.seconds,
            "fps_target": args.fps,
            "renders": rows,
        }
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
