"""`avatarlab discord`: documented options, and kind one-line failures instead of tracebacks."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from engine.cli import main
from tests.bots.discord.standin import StandInDiscord


def test_help_documents_token_application_and_engine_settings(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["discord", "--help"])
    assert exited.value.code == 0
    help_text = capsys.readouterr().out
    for documented in (
        "--token",
        "AVATARLAB_DISCORD_TOKEN",
        "--application-id",
        "--engine-url",
        "--engine-token",
        "--sync-commands",
        "--guild",
    ):
        assert documented in help_text


def test_missing_token_is_one_kind_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AVATARLAB_DISCORD_TOKEN", raising=False)
    monkeypatch.delenv("AVATARLAB_ENGINE_TOKEN", raising=False)
    assert main(["discord"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "avatarlab: A Discord bot token is needed: pass --token or set AVATARLAB_DISCORD_TOKEN."
    assert main(["discord", "--token", "abc"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("avatarlab: The bot needs its engine token: pass --engine-token")


async def test_a_wrong_token_is_reported_without_a_traceback() -> None:
    standin = StandInDiscord()
    await standin.start()
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "engine.cli",
            "discord",
            "--token",
            "not-the-token",
            "--api-url",
            standin.api_base,
            "--engine-url",
            "http://127.0.0.1:9",
            "--engine-token",
            "engine-token",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=dict(os.environ),
        )
        _, err = await asyncio.wait_for(process.communicate(), 60)
    finally:
        await standin.close()
    assert process.returncode == 2
    assert "Discord refused the bot token" in err.decode()
    assert "Traceback" not in err.decode()
