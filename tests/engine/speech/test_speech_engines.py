"""Behaviour both built-in engines share, checked on real synthesis (no mocks)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from speech_measures import frame_db, median_f0, span_db, write_wav

from engine.errors import EmptyText, UnknownVoice
from engine.speech import speech_engines
from engine.speech.effects import TARGET_LUFS, loudness_lufs, true_peak
from engine.types import Utterance, VoiceSettings

SENTENCE = "The little boat sailed slowly across the quiet lake. Then everybody went home happy."
WORDS = [w.strip(".") for w in SENTENCE.split()]  # 14 words, two sentences
ENGINES = ["piper", "espeak"]
_cache: dict[tuple[str, float, float, float], Utterance] = {}


def speak(engine: str, settings: VoiceSettings | None = None, text: str = SENTENCE) -> Utterance:
    """Synthesise (the shared sentence is made once per engine and settings: synthesis is the slow part)."""
    settings = settings or VoiceSettings()
    plain = text == SENTENCE and settings.voice is None
    key = (engine, settings.rate, settings.pitch, settings.volume) if plain else None
    if key in _cache:
        return _cache[key]
    utt = speech_engines.get(engine).synthesize(text, settings)
    if key is not None:
        _cache[key] = utt
    return utt


@pytest.mark.parametrize("engine", ENGINES)
def test_audio_is_plausible_speech(engine: str) -> None:
    utt = speak(engine)
    write_wav(Path(f"/tmp/speech-test-{engine}.wav"), utt)
    assert utt.audio.dtype == np.float32 and utt.audio.ndim == 1
    assert np.all(np.isfinite(utt.audio)) and np.abs(utt.audio).max() <= 1.0
    assert 2.5 <= utt.duration_s <= 8.0  # 14 words at a natural pace
    assert utt.text == SENTENCE and utt.language.startswith("en")
    rms = float(np.sqrt(np.mean(utt.audio**2)))
    assert 0.03 < rms < 0.4


@pytest.mark.parametrize("engine", ENGINES)
def test_word_timings_one_per_word_monotonic_and_inside(engine: str) -> None:
    utt = speak(engine)
    assert [w.label for w in utt.words] == WORDS
    for a, b in zip(utt.words, utt.words[1:], strict=False):
        assert a.start_s < a.end_s <= b.start_s + 1e-6
    assert utt.words[-1].end_s <= utt.duration_s
    for p in utt.phonemes:
        assert 0 <= p.start_s < p.end_s <= utt.duration_s + 1e-6


@pytest.mark.parametrize("engine", ENGINES)
def test_word_timings_line_up_with_energy(engine: str) -> None:
    utt = speak(engine)
    loud_words = [span_db(utt, w) for w in utt.words]
    assert min(loud_words) > -40, "every word span should contain speech"
    # the pause between the two sentences is silent, and lies between "lake" and "Then"
    lake, then = utt.words[8], utt.words[9]
    assert then.start_s - lake.end_s > 0.1
    gap = frame_db(
        utt.audio[int(lake.end_s * utt.sample_rate) : int(then.start_s * utt.sample_rate)], utt.sample_rate
    )
    assert gap.min() < -50
    # almost all of the loud audio is inside some word
    db = frame_db(utt.audio, utt.sample_rate)
    loud = np.nonzero(db > -30)[0] * 0.01 + 0.005
    inside = [any(w.start_s - 0.02 <= t <= w.end_s + 0.02 for w in utt.words) for t in loud]
    assert np.mean(inside) > 0.9


@pytest.mark.parametrize("engine", ENGINES)
def test_phoneme_timings_have_ipa_labels(engine: str) -> None:
    utt = speak(engine)
    labels = [p.label for p in utt.phonemes]
    assert len(labels) > 40 and all(labels)
    assert not any(mark in lab for lab in labels for mark in "_ ()")
    # stress marks, as espeak writes them, only ever start a label, and stressed sounds are present
    assert not any(mark in lab[1:] for lab in labels for mark in "ˈˌ")
    assert any(lab.startswith("ˈ") and len(lab) > 1 for lab in labels)
    assert {"ð", "ə"} <= set(labels)  # "the"
    assert any(ch in "".join(labels) for ch in "ɪæɛʌɑɔʊ")  # real IPA vowels, not ASCII stand-ins
    # each word holds the phonemes inside its span
    for w in utt.words:
        assert any(w.start_s - 1e-6 <= p.start_s < w.end_s for p in utt.phonemes)


@pytest.mark.parametrize("engine", ENGINES)
def test_silence_is_trimmed(engine: str) -> None:
    utt = speak(engine)
    db = frame_db(utt.audio, utt.sample_rate)
    voiced = np.nonzero(db > -45)[0]
    assert voiced[0] * 0.01 <= 0.12 and (len(db) - voiced[-1]) * 0.01 <= 0.15


@pytest.mark.parametrize("engine", ENGINES)
def test_rate_scales_audio_and_timings(engine: str) -> None:
    normal, fast = speak(engine), speak(engine, VoiceSettings(rate=1.5))
    assert fast.duration_s / normal.duration_s == pytest.approx(1 / 1.5, rel=0.12)
    ratio = fast.words[-1].end_s / normal.words[-1].end_s
    assert ratio == pytest.approx(1 / 1.5, rel=0.12)
    assert [w.label for w in fast.words] == WORDS


@pytest.mark.parametrize("engine", ENGINES)
def test_pitch_up_four_semitones_raises_f0(engine: str) -> None:
    # Piper samples its prosody at random: average three renditions so intonation noise evens out
    tts = speech_engines.get(engine)
    base = [speak(engine)] + [tts.synthesize(SENTENCE, VoiceSettings()) for _ in range(2)]
    high = [speak(engine, VoiceSettings(pitch=4))] + [
        tts.synthesize(SENTENCE, VoiceSettings(pitch=4)) for _ in range(2)
    ]
    f0_base = np.mean([median_f0(u.audio, u.sample_rate) for u in base])
    f0_high = np.mean([median_f0(u.audio, u.sample_rate) for u in high])
    assert f0_high / f0_base == pytest.approx(2 ** (4 / 12), rel=0.06)  # about +26 %
    assert high[0].duration_s == pytest.approx(base[0].duration_s, rel=0.1)


@pytest.mark.parametrize("engine", ENGINES)
def test_loudness_normalised_and_volume_is_gain(engine: str) -> None:
    utt = speak(engine)
    level = loudness_lufs(utt.audio, utt.sample_rate)
    assert abs(level - TARGET_LUFS) <= 1.0
    assert 20 * math.log10(true_peak(utt.audio, utt.sample_rate)) <= -0.9
    quiet = speak(engine, VoiceSettings(volume=0.5))
    assert loudness_lufs(quiet.audio, quiet.sample_rate) - level == pytest.approx(-6.0, abs=0.7)


@pytest.mark.parametrize("engine", ENGINES)
def test_empty_text_raises(engine: str) -> None:
    for text in ["", "   \n\t"]:
        with pytest.raises(EmptyText):
            speak(engine, text=text)


@pytest.mark.parametrize("engine", ENGINES)
def test_any_unicode_has_a_defined_outcome(engine: str) -> None:
    for text in ["Hi 😀 there ☃!", "naïve café [[ hello ]] \x00\x07 end", "a", "Ok\ud800 fine"]:
        utt = speak(engine, text=text)
        assert utt.duration_s > 0.05 and np.all(np.isfinite(utt.audio))
        assert all(0 <= w.start_s <= w.end_s <= utt.duration_s for w in utt.words)
    for text in ["...", "!?"]:
        try:
            utt = speak(engine, text=text)
        except EmptyText:
            continue
        assert np.all(np.isfinite(utt.audio))


def test_unknown_voice_raises_with_hint() -> None:
    with pytest.raises(UnknownVoice, match="joe"):
        speak("piper", VoiceSettings(voice="nobody"))
    with pytest.raises(UnknownVoice, match="Did you mean"):
        speak("espeak", VoiceSettings(voice="en-uz"))
    with pytest.raises(UnknownVoice, match=r"\+f3"):
        speak("espeak", VoiceSettings(voice="en-us+nonsense"))
