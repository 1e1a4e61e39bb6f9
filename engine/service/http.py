"""HTTP plumbing shared by the routes: JSON error answers, storage error mapping, bounded body reading."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiohttp import web

from engine.errors import (
    AvatarLabError,
    Busy,
    Conflict,
    InvalidInput,
    MediaTooLarge,
    NotFound,
    RateLimited,
)
from storage.errors import (
    ConflictError,
    DatabaseUnavailableError,
    InvalidValueError,
    MigrationError,
    NotFoundError,
    StorageError,
)

log = logging.getLogger(__name__)

JSON_LIMIT = 64 * 1024
UPLOAD_LIMIT = 20 * 1024 * 1024
INTERNAL = "Something went wrong on my side. Please try again; if it keeps happening, tell the admin."

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def from_storage(exc: StorageError) -> AvatarLabError:
    """The user-facing error for a storage failure (storage messages are already short and kind)."""
    if isinstance(exc, NotFoundError):
        return NotFound(exc.message)
    if isinstance(exc, ConflictError):
        return Conflict(exc.message)
    if isinstance(exc, InvalidValueError):
        return InvalidInput(exc.message)
    if isinstance(exc, DatabaseUnavailableError | MigrationError):
        return Busy(exc.message, retry_after_s=5.0)
    return Busy(exc.message)


def error_json(exc: AvatarLabError) -> web.Response:
    headers = {}
    if isinstance(exc, Busy | RateLimited):
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after_s)))
    body = {"error": {"code": exc.code, "message": exc.message}}
    response = web.json_response(body, status=exc.status, headers=headers)
    if exc.status == 413:
        response.force_close()  # the rest of the oversized body is never read; don't reuse the connection
    return response


_HTTP_ERRORS: dict[int, AvatarLabError] = {
    404: NotFound("There is no such address in this API."),
    405: InvalidInput("That method isn't allowed here."),
    413: MediaTooLarge(),
}


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except AvatarLabError as exc:
        return error_json(exc)
    except StorageError as exc:
        return error_json(from_storage(exc))
    except web.HTTPException as exc:
        if exc.status in _HTTP_ERRORS:
            return error_json(_HTTP_ERRORS[exc.status])
        raise
    except Exception:
        log.exception("unhandled error in %s %s", request.method, request.path)
        return web.json_response({"error": {"code": "internal", "message": INTERNAL}}, status=500)


async def read_body(request: web.Request, limit: int, what: str = "request") -> bytes:
    """The request body, refusing (413) anything over `limit` bytes before reading it all."""
    if request.content_length is not None and request.content_length > limit:
        raise MediaTooLarge(_too_large(what, limit))
    data = await request.content.read(limit + 1)
    if len(data) > limit:
        raise MediaTooLarge(_too_large(what, limit))
    return data


def _too_large(what: str, limit: int) -> str:
    size = f"{limit / 1e6:.0f} MB" if limit >= 1e6 else f"{limit / 1e3:.0f} kB"
    return f"That {what} is too large: the most I accept is {size}."


async def read_json(
    request: web.Request,
    *,
    allowed: Iterable[str],
    required: Iterable[str] = (),
    optional_body: bool = False,
) -> dict[str, Any]:
    """A JSON object body with only `allowed` fields and all `required` ones (400 otherwise)."""
    raw = await read_body(request, JSON_LIMIT, "request")
    if not raw.strip():
        if optional_body:
            return {}
        raise InvalidInput("This request needs a JSON body.")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("The request body is not valid JSON.") from exc
    if not isinstance(data, dict):
        raise InvalidInput("The request body must be a JSON object.")
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise InvalidInput(f"Unknown field(s): {', '.join(unknown)}.")
    missing = sorted(set(required) - set(data))
    if missing:
        raise InvalidInput(f"Missing field(s): {', '.join(missing)}.")
    return data


def field(data: dict[str, Any], name: str, kind: type | tuple[type, ...], *, default: Any = None) -> Any:
    """`data[name]` checked to be of `kind` (None and absent give `default`)."""
    value = data.get(name)
    if value is None:
        return default
    # bool is an int in Python, but never a valid number or id in this API
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise InvalidInput(f"The field {name!r} has the wrong type.")
    if not isinstance(value, kind):
        raise InvalidInput(f"The field {name!r} has the wrong type.")
    return value


def choice(data: dict[str, Any], name: str, choices: Iterable[str]) -> str | None:
    value = field(data, name, str)
    options = list(choices)
    if value is not None and value not in options:
        raise InvalidInput(f"{name} must be one of: {', '.join(options)}.")
    return value
