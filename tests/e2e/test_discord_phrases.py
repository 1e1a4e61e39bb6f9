"""/phrase add|list|remove|say end to end, with autocomplete of the person's own saved phrases."""

from __future__ import annotations

import pytest

from tests.bots.discord.harness import AUTOCOMPLETE, DEFERRED, Rig, decode, rig
from tests.bots.discord.standin import EPHEMERAL
from tests.engine.service.harness import start_service

__all__ = ["rig", "start_service"]

pytestmark = pytest.mark.timeout(120)


async def choices(live: Rig, path: str, **options: object) -> list[dict]:
    interaction = await live.send(path, **options)
    callback = await live.callback(interaction)
    assert callback.payload["type"] == AUTOCOMPLETE
    return callback.payload["data"]["choices"]


async def test_phrase_book_round_trip(rig: Rig) -> None:
    await rig.use_espeak("student")
    for text in ("Yes please", "No thank you", "Can I have a break?"):
        added = await rig.send("phrase add", user="student", channel="general", text=text)
        assert text in (await rig.private_answer(added))["content"]

    listed = await rig.send("phrase list", user="student", channel="general")
    content = (await rig.private_answer(listed))["content"]
    assert content.index("Yes please") < content.index("No thank you") < content.index("Can I have a break?")

    # Autocomplete offers the person's own phrases, filtered by what they typed; nobody else's.
    offered = await choices(
        rig, "phrase say", user="student", channel="general", focused="phrase", phrase="th"
    )
    assert [c["name"] for c in offered] == ["No thank you"]
    assert (
        await choices(rig, "phrase say", user="classmate", channel="general", focused="phrase", phrase="")
        == []
    )

    said = await rig.send("phrase say", user="student", channel="general", phrase=offered[0]["value"])
    assert (await rig.callback(said)).payload["type"] == DEFERRED
    edit = await rig.published(said)
    assert edit.payload["content"] == "No thank you"
    assert decode(edit.files[0].data)["video_frames"] > 0
    assert not rig.public_messages(said)[0]["flags"] & EPHEMERAL

    removed = await rig.send("phrase remove", user="student", channel="general", phrase=offered[0]["value"])
    assert "Deleted" in (await rig.private_answer(removed))["content"]
    remaining = await rig.engine.phrases(rig.who("student"))
    assert [p.text for p in remaining] == ["Yes please", "Can I have a break?"]


async def test_an_unknown_phrase_is_a_private_error(rig: Rig) -> None:
    said = await rig.send("phrase say", user="student", channel="general", phrase="something never saved")
    answer = await rig.private_answer(said)
    assert "no saved phrases" in answer["content"]
    assert said.original_deleted and not rig.public_messages(said)
