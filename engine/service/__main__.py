"""`python -m engine.service serve|worker`: the same as `avatarlab serve|worker`, without the CLI package."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from engine.config import Settings
from engine.errors import AvatarLabError
from engine.service.runner import run_worker, serve, startup_summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine.service")
    sub = parser.add_subparsers(dest="command", required=True)
    srv = sub.add_parser("serve", help="the HTTP API with a worker")
    srv.add_argument("--host", default=None)
    srv.add_argument("--port", type=int, default=None)
    srv.add_argument("--no-worker", action="store_true", help="API only; run workers separately")
    wrk = sub.add_parser("worker", help="a worker on the shared database")
    wrk.add_argument("--id", default=None, help="worker id (default: host-pid-random)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    def announce(info: object) -> None:
        print(startup_summary(info), flush=True)  # type: ignore[arg-type]

    try:
        settings = Settings.load()
        if args.command == "serve":
            asyncio.run(
                serve(
                    settings,
                    host=args.host or settings.host,
                    port=settings.port if args.port is None else args.port,
                    with_worker=not args.no_worker,
                    ready=announce,
                )
            )
        else:
            asyncio.run(run_worker(settings, worker_id=args.id, ready=announce))
    except AvatarLabError as exc:
        print(f"avatarlab: {exc.message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
