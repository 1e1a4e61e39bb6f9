"""Load benchmark of the engine service: N simulated people messaging at once through EngineClient.

Starts a real server (`python -m engine.service serve`, API + one worker, SQLite in a temporary data
folder) on 127.0.0.1 unless --url points at a running one, then every simulated person sends --messages
short messages, each after a think pause (people type; --think 0 sends everything at once, a burst), and
follows each job's event stream. Reported: throughput, p50/p95 time to first audio (the speech_ready
event) and to the finished job, and every error by code (503/429 are deliberate back-pressure).

    python bench/service_load.py --users 50 --output voice            # first-audio figure
    python bench/service_load.py --users 50 --output video --messages 1
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from engine.errors import AvatarLabError  # noqa: E402
from engine.service.client import EngineClient  # noqa: E402
from engine.service.schema import Identity  # noqa: E402

TOKEN = "bench-token-" + "x" * 20
WORDS = [
    "hello",
    "please",
    "thank",
    "you",
    "tea",
    "water",
    "music",
    "later",
    "tomorrow",
    "friend",
    "school",
    "break",
    "lunch",
    "home",
]


@dataclass
class Result:
    first_audio_s: list[float] = field(default_factory=list)
    finished_s: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)


def message(rng: random.Random, user: int, n: int) -> str:
    words = " ".join(rng.choice(WORDS) for _ in range(3))
    return f"{words.capitalize()}, number {user * 100 + n}."


async def person(client: EngineClient, user: int, args: argparse.Namespace, result: Result) -> None:
    rng = random.Random(user)
    who = Identity("telegram", f"bench{user}")
    try:
        await client.update_profile(who, engine=args.engine, output=args.output)
    except AvatarLabError as exc:
        result.errors[exc.code] += 1
        return
    await asyncio.sleep(rng.uniform(0, args.think))  # people don't all start typing at the same instant
    for n in range(args.messages):
        start = time.perf_counter()
        try:
            job = await client.render(who, message(rng, user, n), idempotency_key=f"{user}-{n}")
            async for event in client.events(job.id):
                if event.name == "speech_ready":
                    result.first_audio_s.append(time.perf_counter() - start)
                elif event.name == "failed":
                    result.errors[event.error.code if event.error else "failed"] += 1
                elif event.name == "done":
                    result.finished_s.append(time.perf_counter() - start)
        except AvatarLabError as exc:
            result.errors[exc.code] += 1
        await asyncio.sleep(rng.uniform(0.5, 1.5) * args.think)


async def rejections(client: EngineClient) -> dict[str, int]:
    """The server's count of deliberate 429/503 answers (the clients retried them after Retry-After)."""
    _, body = await client._request("GET", "/metrics")
    out = {}
    for line in bytes(body).decode().splitlines():
        if line.startswith("avatarlab_rejected_total{"):
            reason = line.split('reason="', 1)[1].split('"', 1)[0]
            out[reason] = int(float(line.rsplit(" ", 1)[1]))
    return out


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data_dir: Path, port: int, args: argparse.Namespace) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "AVATARLAB_DATA_DIR": str(data_dir),
        "AVATARLAB_API_TOKENS": f"bench={TOKEN}",
        "AVATARLAB_RATE_LIMIT_PER_MINUTE": str(args.rate_limit),
        "AVATARLAB_QUEUE_LIMIT": str(args.queue_limit),
        "AVATARLAB_SERVICE_VIDEO_SIZE": str(args.size),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "engine.service", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


async def wait_healthy(url: str, proc: subprocess.Popen[str] | None, timeout: float = 120.0) -> str:
    """Wait for the server's start-up line (engines warm) and a healthy /healthz."""
    summary = ""
    if proc is not None:
        assert proc.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), timeout)
        if "listening" not in line:
            raise SystemExit(f"the server did not start: {line}{proc.stdout.read()}")
        summary = line.strip()
        # keep draining the log so the server never blocks on a full pipe
        asyncio.get_running_loop().run_in_executor(None, lambda: [None for _ in proc.stdout])  # type: ignore[union-attr]
    async with EngineClient(url, TOKEN) as c:
        if not await c.health():
            raise SystemExit(f"{url} is not healthy")
    return summary


async def run(args: argparse.Namespace) -> dict[str, object]:
    proc = None
    tmp = None
    url = args.url
    if url is None:
        tmp = tempfile.TemporaryDirectory(prefix="avatarlab-bench-")
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        proc = start_server(Path(tmp.name), port, args)
    try:
        summary = await wait_healthy(url, proc)
        result = Result()
        clients = [EngineClient(url, TOKEN, timeout=60, max_retries=8) for _ in range(args.users)]
        start = time.perf_counter()
        await asyncio.gather(*(person(c, i, args, result) for i, c in enumerate(clients)))
        wall = time.perf_counter() - start
        rejected = await rejections(clients[0])
        for c in clients:
            await c.close()
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
        if tmp is not None:
            tmp.cleanup()
    done = len(result.finished_s)
    return {
        "server": summary,
        "users": args.users,
        "messages_per_user": args.messages,
        "output": args.output,
        "engine": args.engine,
        "video_size": args.size,
        "think_s": args.think,
        "wall_s": round(wall, 2),
        "finished": done,
        "throughput_per_s": round(done / wall, 2) if wall else 0.0,
        "first_audio_p50_s": round(pct(result.first_audio_s, 0.5), 3),
        "first_audio_p95_s": round(pct(result.first_audio_s, 0.95), 3),
        "first_audio_mean_s": round(statistics.fmean(result.first_audio_s), 3)
        if result.first_audio_s
        else None,
        "finished_p50_s": round(pct(result.finished_s, 0.5), 3),
        "finished_p95_s": round(pct(result.finished_s, 0.95), 3),
        "errors": dict(result.errors),
        "rejected_429_503": rejected,
        **({"raw": asdict(result)} if args.raw else {}),
    }


def print_table(report: dict[str, object]) -> None:
    if report["server"]:
        print(report["server"])
    rows = [
        ("simulated users", report["users"]),
        ("messages each", report["messages_per_user"]),
        ("output / engine / size", f"{report['output']} / {report['engine']} / {report['video_size']} px"),
        ("think time (s)", report["think_s"]),
        ("finished jobs", report["finished"]),
        ("wall time (s)", report["wall_s"]),
        ("throughput (jobs/s)", report["throughput_per_s"]),
        ("first audio p50 / p95 (s)", f"{report['first_audio_p50_s']} / {report['first_audio_p95_s']}"),
        ("finished p50 / p95 (s)", f"{report['finished_p50_s']} / {report['finished_p95_s']}"),
        ("errors", report["errors"] or "none"),
        ("answered 429 / 503 (retried)", report["rejected_429_503"] or "none"),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--messages", type=int, default=3, help="messages per user")
    parser.add_argument("--output", choices=["voice", "video", "video_note"], default="voice")
    parser.add_argument("--engine", default="espeak", help="speech engine of the simulated people")
    parser.add_argument("--size", type=int, default=256, help="video size in pixels")
    parser.add_argument("--think", type=float, default=2.0, help="mean seconds between a person's messages")
    parser.add_argument("--rate-limit", type=int, default=30, help="per-person messages per minute")
    parser.add_argument("--queue-limit", type=int, default=200)
    parser.add_argument("--url", default=None, help="benchmark this running server instead (token: TOKEN)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--raw", action="store_true", help="include every sample in the JSON")
    args = parser.parse_args()
    report = asyncio.run(run(args))
    print_table(report)
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
