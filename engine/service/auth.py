"""Bearer-token authentication: each front end (telegram, discord, …) has its own token.

The front end's name is recorded on the jobs and media it creates, so one bot never sees another's media.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web

from engine.errors import InvalidInput, Unauthorized

PUBLIC_PATHS = frozenset({"/healthz"})
FRONTEND = web.RequestKey("frontend", str)  # the caller's front-end name, set on every request

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def parse_tokens(spec: str) -> dict[str, str]:
    """ "telegram=abc,discord=def" → {"telegram": "abc", "discord": "def"}."""
    tokens: dict[str, str] = {}
    for part in spec.split(","):
        if not part.strip():
            continue
        name, sep, token = part.partition("=")
        name, token = name.strip(), token.strip()
        if not sep or not name or not token:
            raise InvalidInput("AVATARLAB_API_TOKENS must look like 'telegram=TOKEN,discord=TOKEN'.")
        if name in tokens:
            raise InvalidInput(f"AVATARLAB_API_TOKENS names the front end {name!r} twice.")
        tokens[name] = token
    return tokens


class TokenAuth:
    def __init__(self, tokens: Mapping[str, str]) -> None:
        # bytes once, so every request compares in constant time without re-encoding
        self._tokens = [(name, token.encode()) for name, token in tokens.items()]

    def frontend_for(self, header: str | None) -> str:
        """The front end a `Authorization: Bearer …` header belongs to; Unauthorized otherwise."""
        scheme, _, presented = (header or "").partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            raise Unauthorized()
        candidate = presented.strip().encode()
        match = None
        # Compare against every token (no early exit) so timing says nothing about which one was close.
        for name, token in self._tokens:
            if hmac.compare_digest(candidate, token) and match is None:
                match = name
        if match is None:
            raise Unauthorized()
        return match

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path not in PUBLIC_PATHS:
            request[FRONTEND] = self.frontend_for(request.headers.get("Authorization"))
        return await handler(request)


def frontend(request: web.Request) -> str:
    return request[FRONTEND]
