"""/forget and /export end to end: a confirmation button, and the person's data as a ZIP."""

from __future__ import annotations

import io
import zipfile

import pytest

from tests.bots.discord.harness import MESSAGE, Rig, rig
from tests.bots.discord.standin import EPHEMERAL
from tests.engine.service.harness import start_service

__all__ = ["rig", "start_service"]

pytestmark = pytest.mark.timeout(120)


async def test_export_sends_a_private_zip(rig: Rig) -> None:
    added = await rig.send("phrase add", user="student", channel=None, text="Good morning")
    await rig.private_answer(added)
    interaction = await rig.send("export", user="student", channel="general")
    answer = await rig.private_answer(interaction)
    assert answer["flags"] & EPHEMERAL
    (upload,) = [r for r in interaction.requests if r.files][-1].files
    assert upload.filename == "avatarlab-export.zip"
    with zipfile.ZipFile(io.BytesIO(upload.data)) as archive:
        everything = b"".join(archive.read(name) for name in archive.namelist())
    assert b"Good morning" in everything


async def test_forget_asks_first_then_deletes_everything(rig: Rig) -> None:
    added = await rig.send("phrase add", user="student", channel=None, text="Good night")
    await rig.private_answer(added)

    kept = await rig.send("forget", user="student", channel="general")
    assert (await rig.callback(kept)).payload["type"] == MESSAGE
    no = await rig.click(kept.original, "Keep my data", user="student", channel="general")
    await rig.callback(no)
    assert "Nothing was deleted" in no.original["content"]
    assert [p.text for p in await rig.engine.phrases(rig.who("student"))] == ["Good night"]

    interaction = await rig.send("forget", user="student", channel="general")
    await rig.callback(interaction)
    assert interaction.original["flags"] & EPHEMERAL
    yes = await rig.click(interaction.original, "Delete everything", user="student", channel="general")
    answer = await rig.private_answer(yes)
    assert "everything I held about you is deleted" in answer["content"]
    assert await rig.engine.phrases(rig.who("student")) == []
