"""The shared finishing chain on synthetic signals whose answers are known exactly."""

from __future__ import annotations

import math
import wave
from pathlib import Path

import numpy as np
import pytest
import torch
import torchaudio
from speech_measures import median_f0

from engine.errors import EmptyText
from engine.speech import effects
from engine.types import Timing

SR = 22050


def tone(freq: float, seconds: float, amplitude: float = 0.3, sr: int = SR) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    # a few harmonics, like a voice, so autocorrelation has a clear peak
    wave = sum(np.sin(2 * np.pi * freq * k * t) / k for k in (1, 2, 3))
    return (amplitude * wave / 1.8).astype(np.float32)


def test_loudness_target_and_true_peak_ceiling() -> None:
    loud = effects.normalise_loudness(tone(1000, 2.0, 0.9), SR)
    quiet = effects.normalise_loudness(tone(1000, 2.0, 0.01), SR)
    for out in (loud, quiet):
        assert effects.loudness_lufs(out, SR) == pytest.approx(effects.TARGET_LUFS, abs=1.0)
        assert 20 * math.log10(effects.true_peak(out, SR)) <= effects.TRUE_PEAK_DBFS + 0.1


def test_peaky_signal_is_limited_not_clipped() -> None:
    x = tone(1000, 2.0, 0.05)
    x[SR // 2 : SR // 2 + 200] = 0.95  # a click far above the speech level
    out = effects.normalise_loudness(x, SR)
    assert np.abs(out).max() < 10 ** (effects.TRUE_PEAK_DBFS / 20) + 0.01
    assert effects.loudness_lufs(out, SR) == pytest.approx(effects.TARGET_LUFS, abs=1.0)


@pytest.mark.parametrize("length", [0, 1, 50, 2000])
def test_silent_and_tiny_audio_never_produce_nan(length: int) -> None:
    silent = np.zeros(length, np.float32)
    assert np.array_equal(effects.normalise_loudness(silent, SR), silent)
    assert effects.loudness_lufs(silent, SR) == -math.inf
    short = tone(200, length / SR) if length else silent
    out = effects.apply_volume(effects.normalise_loudness(short, SR), SR, 1.7)
    assert out.shape == short.shape and np.all(np.isfinite(out))
    assert np.abs(out).max(initial=0.0) <= 1.0


def test_volume_is_a_capped_gain() -> None:
    x = effects.normalise_loudness(tone(150, 1.0), SR)
    half = effects.apply_volume(x, SR, 0.5)
    assert effects.loudness_lufs(half, SR) - effects.loudness_lufs(x, SR) == pytest.approx(-6.02, abs=0.05)
    double = effects.apply_volume(x, SR, 2.0)
    assert effects.true_peak(double, SR) <= 10 ** (effects.TRUE_PEAK_DBFS / 20) + 1e-3


def test_tempo_change_keeps_pitch() -> None:
    x = tone(140, 2.0)
    fast = effects.change_tempo(x, SR, 1.5)
    assert len(fast) == round(len(x) / 1.5)
    assert median_f0(fast, SR) == pytest.approx(140, rel=0.03)


@pytest.mark.parametrize("semitones", [4.0, -3.5])
def test_pitch_shift_moves_f0_and_keeps_length(semitones: float) -> None:
    x = tone(140, 2.0)
    out = effects.shift_pitch(x, SR, semitones)
    assert len(out) == len(x)
    assert median_f0(out, SR) == pytest.approx(140 * 2 ** (semitones / 12), rel=0.03)


def test_finish_trims_silence_and_shifts_timings() -> None:
    speech = tone(150, 1.0)
    audio = np.concatenate([np.zeros(SR, np.float32), speech, np.zeros(2 * SR, np.float32)])
    words = [Timing(1.0, 1.5, "hello"), Timing(1.5, 2.0, "world")]
    phonemes = [Timing(1.0, 1.2, "h"), Timing(1.2, 2.0, "ɛ")]
    utt = effects.finish(audio, SR, words, phonemes, language="en", text="hello world")
    assert utt.duration_s == pytest.approx(1.0 + 2 * effects.KEEP_SILENCE_S, abs=0.02)
    assert utt.words[0].start_s == pytest.approx(effects.KEEP_SILENCE_S, abs=0.011)
    assert utt.words[1].end_s == pytest.approx(1.0 + effects.KEEP_SILENCE_S, abs=0.011)
    assert utt.audio.dtype == np.float32


def test_finish_with_rate_scales_timings() -> None:
    audio = tone(150, 2.0)
    words = [Timing(0.0, 1.0, "one"), Timing(1.0, 2.0, "two")]
    utt = effects.finish(audio, SR, words, words, language="en", text="one two", rate=2.0)
    assert utt.duration_s == pytest.approx(1.0, abs=0.02)
    assert utt.words[1].start_s == pytest.approx(0.5, abs=0.02)
    assert utt.words[1].end_s <= utt.duration_s


def test_finish_without_any_sound_is_empty_text() -> None:
    with pytest.raises(EmptyText):
        effects.finish(np.zeros(SR, np.float32), SR, [], [], language="en", text="...")


def test_loudness_matches_torchaudio_reference_on_real_speech(shared_data: Path) -> None:
    with wave.open(str(shared_data / "audio" / "LJ001-0002.wav")) as wav:
        sr = wav.getframerate()
        speech = np.frombuffer(wav.readframes(wav.getnframes()), "<i2").astype(np.float32) / 32768
    for clip in (speech, speech[: int(0.3 * sr)] * 0.5):
        x = clip if len(clip) >= 0.4 * sr else np.tile(clip, math.ceil(0.4 * sr / len(clip)) + 1)
        reference = float(torchaudio.functional.loudness(torch.from_numpy(x)[None], sr))
        assert effects.loudness_lufs(clip, sr) == pytest.approx(reference, abs=0.05)
    assert effects.true_peak(speech, sr) >= np.abs(speech).max()
