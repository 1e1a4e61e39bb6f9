"""The stand-in Discord enforces Discord's interaction rules, so the end-to-end tests can fail for real.

Driven here by a bare websocket and HTTP client (no discord.py): a late or second answer is refused, an
expired token is refused, and the first follow-up after a defer becomes the deferred message.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.bots.discord.standin import EPHEMERAL, LOADING, TOKEN_LIFE_S, StandInDiscord


class Clock:
    """Stand-in time that a test moves forward."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


Connected = tuple[StandInDiscord, Clock, aiohttp.ClientSession]


@pytest.fixture
async def connected() -> AsyncIterator[Connected]:
    clock = Clock()
    standin = StandInDiscord(clock=clock)
    await standin.start()
    headers = {"Authorization": f"Bot {standin.token}"}
    async with aiohttp.ClientSession(headers=headers) as http:
        async with http.get(standin.api_base + "/gateway/bot") as resp:
            gateway = (await resp.json())["url"]
        ws = await http.ws_connect(gateway)
        hello = json.loads((await ws.receive()).data)
        assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] > 0
        await ws.send_str(json.dumps({"op": 1, "d": None}))
        assert json.loads((await ws.receive()).data)["op"] == 11
        await ws.send_str(json.dumps({"op": 2, "d": {"token": standin.token, "intents": 1}}))
        ready = json.loads((await ws.receive()).data)
        guild = json.loads((await ws.receive()).data)
        assert (ready["t"], guild["t"]) == ("READY", "GUILD_CREATE")
        assert guild["d"]["roles"] and guild["d"]["channels"] and guild["d"]["members"]
        yield standin, clock, http
        await ws.close()
    await standin.close()


async def test_answers_must_come_once_and_within_three_seconds(connected: Connected) -> None:
    standin, clock, http = connected
    late = await standin.send_interaction(standin.interaction_base(2, "student", "general"))
    clock.now += 3.5
    url = f"{standin.api_base}/interactions/{late.id}/{late.token}/callback"
    async with http.post(url, json={"type": 5}) as resp:
        assert resp.status == 404 and (await resp.json())["code"] == 10062

    twice = await standin.send_interaction(standin.interaction_base(2, "student", "general"))
    url = f"{standin.api_base}/interactions/{twice.id}/{twice.token}/callback"
    async with http.post(url, json={"type": 5}) as resp:
        assert resp.status == 200
    async with http.post(url, json={"type": 4, "data": {"content": "again"}}) as resp:
        assert resp.status == 400 and (await resp.json())["code"] == 40060


async def test_first_follow_up_after_a_defer_becomes_the_deferred_message(connected: Connected) -> None:
    standin, clock, http = connected
    interaction = await standin.send_interaction(standin.interaction_base(2, "student", "general"))
    callback = f"{standin.api_base}/interactions/{interaction.id}/{interaction.token}/callback"
    async with http.post(callback, json={"type": 5}) as resp:
        assert (await resp.json())["interaction"]["response_message_loading"] is True
    assert interaction.original["flags"] & LOADING

    followup = f"{standin.api_base}/webhooks/{standin.application_id}/{interaction.token}"
    async with http.post(followup, json={"content": "secret?", "flags": EPHEMERAL}) as resp:
        first = await resp.json()
    # It replaced "thinking…" and kept the defer's (public) visibility: ephemeral was ignored.
    assert first["id"] == interaction.original["id"] and not first["flags"] & (EPHEMERAL | LOADING)
    async with http.post(followup, json={"content": "private", "flags": EPHEMERAL}) as resp:
        second = await resp.json()
    assert second["id"] != first["id"] and second["flags"] & EPHEMERAL

    clock.now += TOKEN_LIFE_S + 1
    async with http.post(followup, json={"content": "too late"}) as resp:
        assert resp.status == 401 and (await resp.json())["code"] == 50027


async def test_uploads_over_the_interaction_limit_are_refused(connected: Connected) -> None:
    standin, _, http = connected
    standin.attachment_size_limit = 1000
    interaction = await standin.send_interaction(standin.interaction_base(2, "student", None))
    callback = f"{standin.api_base}/interactions/{interaction.id}/{interaction.token}/callback"
    async with http.post(callback, json={"type": 5}) as resp:
        assert resp.status == 200
    form = aiohttp.FormData()
    form.add_field("payload_json", json.dumps({"content": "clip", "attachments": [{"id": 0}]}))
    form.add_field("files[0]", b"x" * 1001, filename="clip.mp4", content_type="video/mp4")
    url = f"{standin.api_base}/webhooks/{standin.application_id}/{interaction.token}/messages/@original"
    async with http.patch(url, data=form) as resp:
        assert resp.status == 413 and (await resp.json())["code"] == 40005
    assert interaction.original["attachments"] == []
