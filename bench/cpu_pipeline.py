"""CPU pipeline benchmark: time to first audio and to the finished MP4, per stage, for three lengths.

    python bench/cpu_pipeline.py [--engine piper|espeak] [--avatar STYLE] [--size 512] [--repeats 3]
                                 [--json out.json]

"First audio" is the moment the voice clip (OGG/Opus) is ready to send; "video" is the finished MP4.
Speed is reported as a multiple of real time (seconds of clip per second of work).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.pipeline import Pipeline, SpeechReady, StageTimes, VideoReady
from engine.types import FaceSettings, RenderRequest, VoiceSettings

SENTENCES = {
    "short": "Yes, please.",
    "medium": "Hello, my name is Sam and I am ready for class.",
    "long": (
        "Good morning everyone. Today I would like to tell you about my weekend: on Saturday we went to the "
        "lake with my brother and his two dogs, and on Sunday I finally finished the book I was reading."
    ),
}


def measure(pipeline: Pipeline, request: RenderRequest) -> dict[str, float]:
    times = StageTimes()
    start = time.perf_counter()
    first_audio = video = duration = 0.0
    for event in pipeline.render(request, times=times):
        if isinstance(event, SpeechReady):
            first_audio = time.perf_counter() - start
            duration = event.utterance.duration_s
        elif isinstance(event, VideoReady):
            video = time.perf_counter() - start
    return {"duration_s": duration, "first_audio_s": first_audio, "video_s": video, **times.stages}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engine", default=None, help="speech engine (default: piper for English)")
    parser.add_argument("--avatar", default="default", help="cartoon style")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()

    pipeline = Pipeline()
    voice = VoiceSettings(engine=args.engine)
    face = FaceSettings(style=args.avatar, size=args.size)
    measure(pipeline, RenderRequest("Warm up.", voice, face))  # load voices and caches once, like a server

    rows = []
    for name, text in SENTENCES.items():
        runs = [measure(pipeline, RenderRequest(text, voice, face)) for _ in range(args.repeats)]
        med = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        med["words"] = len(text.split())
        med["name"] = name
        rows.append(med)

    header = (
        f"{'text':7} {'words':>5} {'audio s':>7} {'1st audio s':>11} {'video s':>7} {'× real time':>11} "
        f"{'speech':>7} {'voice enc':>9} {'face':>6} {'mp4 enc':>7}"
    )
    print(f"CPU pipeline, {args.size}px cartoon, engine={args.engine or 'default'}, median of {args.repeats}")
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['name']:7} {r['words']:>5} {r['duration_s']:>7.2f} {r['first_audio_s']:>11.3f} "
            f"{r['video_s']:>7.2f} {r['duration_s'] / r['video_s']:>10.1f}× "
            f"{r.get('speech', 0):>7.3f} {r.get('voice_encode', 0):>9.3f} {r.get('face', 0):>6.2f} "
            f"{r.get('encode', 0):>7.2f}"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
