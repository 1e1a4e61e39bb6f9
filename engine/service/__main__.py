"""`python -m engine.service serve|worker`: the same as `avatarlab serve|worker`."""

from __future__ import annotations

import sys

from engine.cli import main

if __name__ == "__main__":
    if sys.argv[1:2] not in (["serve"], ["worker"]):
        sys.exit("usage: python -m engine.service serve|worker [OPTIONS] (see avatarlab serve --help)")
    sys.exit(main(sys.argv[1:]))
