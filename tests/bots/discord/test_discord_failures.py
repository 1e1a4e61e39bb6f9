"""What a person is told for each kind of failure: our errors' own messages, Discord's checks in words."""

from __future__ import annotations

import logging

import pytest
from discord import app_commands

from bots.discord.failures import OUR_FAULT, explain
from engine.errors import NoFaceFound, TextTooLong


def test_our_errors_speak_for_themselves_even_when_wrapped() -> None:
    assert explain(NoFaceFound()) == NoFaceFound().message
    command = app_commands.Command(name="say", description="x", callback=_callback)
    wrapped = app_commands.CommandInvokeError(command, TextTooLong(1200, 1000))
    assert explain(wrapped) == TextTooLong(1200, 1000).message


def test_discord_checks_become_plain_sentences() -> None:
    assert "only in a server" in explain(app_commands.NoPrivateMessage())
    assert "manage this server" in explain(app_commands.MissingPermissions(["manage_guild"]))


def test_bugs_are_logged_and_the_person_gets_an_apology(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        assert explain(KeyError("oops")) == OUR_FAULT
    assert "unexpected failure" in caplog.text


async def _callback(interaction: object) -> None:
    return None
