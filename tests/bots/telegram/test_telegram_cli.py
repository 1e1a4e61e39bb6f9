"""`avatarlab telegram`: documented options, and a plain message (exit 2) when a token is missing."""

from __future__ import annotations

import pytest

from engine.cli import main


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
