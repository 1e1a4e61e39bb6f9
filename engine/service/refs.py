"""Public identifiers of jobs and media, and how a job's user-facing error is kept in its row.

A job's public id is "<row id>.<secret>" and its media ids "<row id>.<secret>.<voice|video>": the row id
makes lookups an indexed primary-key read, the secret (secrets.token_urlsafe, never containing '.') makes
the ids unguessable. Secrets are compared with hmac.compare_digest.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass

from engine.errors import NotFound

MEDIA_KINDS = ("voice", "video")
_JOB_ID = re.compile(r"^(\d{1,18})\.([A-Za-z0-9_-]{16,64})$")
_MEDIA_ID = re.compile(r"^(\d{1,18})\.([A-Za-z0-9_-]{16,64})\.(voice|video)$")
_ERROR = re.compile(r"^\[([a-z_]{1,40})\] (.*)$", re.DOTALL)

NO_SUCH_JOB = "I couldn't find that job."
NO_SUCH_MEDIA = "I couldn't find that clip; it may have been deleted."


def new_secret() -> str:
    return secrets.token_urlsafe(18)


def job_public_id(row_id: int, secret: str) -> str:
    return f"{row_id}.{secret}"


def media_id(row_id: int, secret: str, kind: str) -> str:
    return f"{row_id}.{secret}.{kind}"


@dataclass(frozen=True)
class ParsedId:
    row_id: int
    secret: str
    kind: str | None = None

    def matches(self, secret: str | None) -> bool:
        return secret is not None and hmac.compare_digest(self.secret.encode(), secret.encode())


def parse_job_id(value: str) -> ParsedId:
    m = _JOB_ID.match(value)
    if not m:
        raise NotFound(NO_SUCH_JOB)
    return ParsedId(int(m.group(1)), m.group(2))


def parse_media_id(value: str) -> ParsedId:
    m = _MEDIA_ID.match(value)
    if not m:
        raise NotFound(NO_SUCH_MEDIA)
    return ParsedId(int(m.group(1)), m.group(2), m.group(3))


def encode_error(code: str, message: str) -> str:
    return f"[{code}] {message}"


def decode_error(stored: str) -> tuple[str, str]:
    """(code, message) of a stored job error; plain texts (e.g. storage's lost-worker note) are "error"."""
    m = _ERROR.match(stored)
    return (m.group(1), m.group(2)) if m else ("error", stored)
