"""`avatarlab telegram`: documented options, and a plain message (exit 2) when a token is missing."""

from __future__ import annotations

import pytest

from engine.cli import main
from tests.bots.telegram.botapi import StandInBotAPI


def test_help_documents_the_token_and_engine_settings(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["telegram", "--help"])
    assert exit_info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for needle in (
        "--token",
        "AVATARLAB_TELEGRAM_TOKEN",
        "--engine-url",
        "--engine-token",
        "AVATARLAB_ENGINE_TOKEN",
        "--webhook-url",
        "--webhook-secret",
        "--base-url",
    ):
        assert needle in text


def test_missing_tokens_are_explained(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AVATARLAB_TELEGRAM_TOKEN", raising=False)
    monkeypatch.delenv("AVATARLAB_ENGINE_TOKEN", raising=False)
    assert main(["telegram"]) == 2
    assert "AVATARLAB_TELEGRAM_TOKEN" in capsys.readouterr().err
    assert main(["telegram", "--token", "123:abc"]) == 2
    assert "--engine-token" in capsys.readouterr().err
    assert main(["telegram", "--token", "123:abc", "--engine-token", "t", "--webhook-url", "http://x/y"]) == 2
    assert "https://" in capsys.readouterr().err


async def test_the_command_runs_the_bot_until_interrupted(botapi: StandInBotAPI) -> None:
    """`avatarlab telegram` as a real process, polling the stand-in Bot API; Ctrl-C stops it cleanly."""
    import asyncio
    import os
    import signal
    import sys

    from tests.bots.telegram import updates

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "engine.cli",
        "telegram",
        "--token",
        botapi.token,
        "--engine-url",
        "http://127.0.0.1:9",
        "--engine-token",
        "t",
        "--base-url",
        botapi.base_url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    try:
        botapi.push(updates.command("help"))
        answers = await botapi.wait_sent("sendMessage", timeout=60)
    finally:
        process.send_signal(signal.SIGINT)
        _, err = await asyncio.wait_for(process.communicate(), 30)
    assert answers[0].params["text"].startswith("Type a message")
    assert process.returncode == 0, err.decode()[-2000:]
    assert botapi.token.split(":")[1] not in err.decode()  # the token never reaches the logs
