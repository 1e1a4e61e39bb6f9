"""The `avatarlab` command line, run in-process as a user would type it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from engine.cli import main
from engine.media.probe import probe

SENTENCE = "Hello, my name is Sam and I am ready for class."


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def audio_of(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        chunks = [frame.to_ndarray().mean(axis=0) for frame in container.decode(audio=0)]
    return np.concatenate(chunks)


def test_say_writes_a_talking_video_with_soft_captions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "hi.mp4"
    code, stdout, _ = run(["say", SENTENCE, "--out", str(out)], capsys)
    assert code == 0
    assert "Wrote" in stdout
    info = probe(out)
    assert info.video.codec == "h264" and info.video.pix_fmt == "yuv420p"
    assert info.audio.codec == "aac"
    assert info.faststart
    assert abs(info.video.duration_s - info.audio.duration_s) <= 1 / info.video.fps + 1e-3
    assert 1.5 < info.audio.duration_s < 6.0  # a 12-word sentence
    assert info.subtitles and info.subtitles[0].codec == "mov_text" and info.subtitles[0].language == "eng"
    assert not list(tmp_path.glob("*.part"))
    assert oct(out.stat().st_mode & 0o777) != oct(0o600)  # not the temp file's private mode


def test_say_as_video_note_is_square_and_small(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "note.mp4"
    code, _, _ = run(["say", "See you tomorrow.", "--format", "note", "--out", str(out)], capsys)
    assert code == 0
    info = probe(out)
    assert info.video.width == info.video.height <= 640
    assert info.audio.duration_s <= 60


def test_say_as_voice_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "hi.ogg"
    code, _, _ = run(
        ["say", SENTENCE, "--format", "voice", "--out", str(out), "--srt", str(tmp_path / "hi.srt")], capsys
    )
    assert code == 0
    info = probe(out)
    assert info.video is None
    assert info.audio.codec == "opus" and info.audio.sample_rate == 48000 and info.audio.channels == 1
    srt = (tmp_path / "hi.srt").read_text()
    assert srt.startswith("1\n00:00:00,") and "Sam" in srt


@pytest.mark.parametrize("language", ["de", "es"])
def test_other_languages_are_spoken(
    language: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = {"de": "Guten Morgen, ich heiße Sam.", "es": "Buenos días, me llamo Sam."}[language]
    out = tmp_path / f"{language}.ogg"
    code, _, _ = run(["say", text, "--lang", language, "--format", "voice", "--out", str(out)], capsys)
    assert code == 0
    samples = audio_of(out)
    assert len(samples) / 48000 > 1.0
    assert np.sqrt(np.mean(samples**2)) > 0.02  # audible speech, not silence


def test_burned_captions_change_the_bottom_of_the_picture(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain, burned = tmp_path / "plain.mp4", tmp_path / "burned.mp4"
    for path, mode in ((plain, "none"), (burned, "burn")):
        assert (
            run(["say", "Thank you!", "--size", "256", "--captions", mode, "--out", str(path)], capsys)[0]
            == 0
        )
    assert not probe(plain).subtitles and not probe(burned).subtitles

    def middle_frame(path: Path) -> np.ndarray:
        with av.open(str(path)) as container:
            frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
        return frames[len(frames) // 2].astype(int)

    a, b = middle_frame(plain), middle_frame(burned)
    bottom, top = np.abs(a - b)[-60:].mean(), np.abs(a - b)[:100].mean()
    assert bottom > 10 * max(top, 0.1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["say", ""], "nothing to say"),
        (["say", "   \n\t "], "nothing to say"),
        (["say", "a" * 1001], "1001 characters"),
        (["say", "Hello", "--lang", "xx-nowhere"], "language"),
        (["say", "Hello", "--voice", "no-such-voice"], "no-such-voice"),
        (["say", "Hello", "--avatar", "purple-alien"], "purple-alien"),
        (["say", "Hello", "--rate", "9"], "rate"),
        (["say", SENTENCE, "--size-limit", "0.001"], "can't fit"),
        (["say", "Hello", "--say-as", "oops"], "WORD=SPOKEN"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_no_file(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.mp4"
    code, _, err = run([*args, "--out", str(out)], capsys)
    assert code == 2
    assert err.startswith("avatarlab: ") and err.count("\n") == 1
    assert message.lower() in err.lower()
    assert list(tmp_path.iterdir()) == []


def test_unwritable_output_fails_before_rendering(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["say", "Hello", "--out", str(tmp_path / "missing" / "x.mp4")], capsys)
    assert code == 2 and "does not exist" in err
    code, _, err = run(["say", "Hello", "--out", str(tmp_path)], capsys)
    assert code == 2 and "avatarlab: " in err
    code, _, err = run(["say", "Hello", "--format", "voice", "--out", str(tmp_path / "x.mp4")], capsys)
    assert code == 2 and ".ogg" in err


def test_photo_avatar_and_prepared_face(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    face = tmp_path / "me.face"
    code, _, _ = run(
        ["avatar", "prepare", str(shared_data / "images" / "sadtalker_sad.png"), "--out", str(face)], capsys
    )
    assert code == 0 and face.stat().st_size > 1000
    out = tmp_path / "me.mp4"
    code, _, _ = run(["say", "Hi there.", "--photo", str(face), "--size", "256", "--out", str(out)], capsys)
    assert code == 0
    assert probe(out).video.width == 256


def test_photo_without_a_face_is_refused_kindly(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "dog.mp4"
    photo = shared_data / "images" / "liveportrait_s25_dog_noface.jpg"
    code, _, err = run(["say", "Woof.", "--photo", str(photo), "--out", str(out)], capsys)
    assert code == 2 and "face" in err.lower()
    assert not out.exists()


def test_voices_lists_languages(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["voices", "--lang", "de"], capsys)
    assert code == 0 and "espeak" in out and " de" in out
    assert "+f3" in out  # variants are listed once, as suffixes
    code, _, err = run(["voices", "--lang", "zz"], capsys)
    assert code == 2 and "zz" in err
    code, out, _ = run(["voices"], capsys)
    lines = out.splitlines()
    assert any(line.startswith("piper") and "joe" in line for line in lines)
    assert 100 < len(lines) < 300  # one line per voice, not one per voice × variant


def test_console_script_is_installed_and_documents_say() -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    result = subprocess.run(
        [sys.executable, "-m", "engine.cli", "say", "--help"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0
    for flag in (
        "--out",
        "--lang",
        "--voice",
        "--rate",
        "--pitch",
        "--volume",
        "--avatar",
        "--format",
        "--captions",
    ):
        assert flag in result.stdout


@pytest.mark.parametrize("model", ["smalle", "difftalk"])
def test_models_import_refuses_a_file_that_is_not_a_checkpoint(
    model: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "weights.pt"
    junk.write_bytes(b"this is not a checkpoint")
    (tmp_path / "bpe.json").write_text("{}")
    extra = ["--tokenizer", str(tmp_path / "bpe.json")] if model == "smalle" else []
    code, _, err = run(["models", "import", model, "--checkpoint", str(junk), *extra], capsys)
    assert code == 2 and "weights.pt" in err and err.count("\n") == 1


def test_db_upgrade_current_downgrade(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["db", "upgrade"], capsys)[:2] == (0, "Database at revision 0001.\n")
    code, out, _ = run(["db", "current"], capsys)
    assert code == 0 and out.startswith("0001 (up to date)")
    code, out, _ = run(["db", "downgrade", "base"], capsys)
    assert code == 0 and "base" in out
