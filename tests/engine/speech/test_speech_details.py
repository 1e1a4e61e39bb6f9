"""Engine details: concurrency, word mapping when spoken and written words differ, voice variants."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from engine.speech import speech_engines
from engine.types import VoiceSettings


def test_espeak_is_safe_to_call_from_several_threads() -> None:
    tts = speech_engines.get("espeak")
    jobs = [("Good morning to you all.", "en-us"), ("Guten Morgen euch allen.", "de")] * 3
    alone = {text: tts.synthesize(text, VoiceSettings(language=lang)) for text, lang in jobs[:2]}
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda job: tts.synthesize(job[0], VoiceSettings(language=job[1])), jobs))
    for (text, _), utt in zip(jobs, results, strict=True):
        assert [w.label for w in utt.words] == [w.label for w in alone[text].words]
        # no cross-talk between threads: the same sounds in the same language, at the same length
        assert [p.label for p in utt.phonemes] == [p.label for p in alone[text].phonemes]
        assert abs(utt.duration_s - alone[text].duration_s) < 0.02


def test_piper_maps_words_when_espeak_merges_them() -> None:
    # espeak speaks "e.g." as "for example": two spoken words for one written word
    text = "I like fruit, e.g. apples and pears."
    utt = speech_engines.get("piper").synthesize(text, VoiceSettings())
    assert [w.label for w in utt.words] == ["I", "like", "fruit", "e.g", "apples", "and", "pears"]
    for a, b in zip(utt.words, utt.words[1:], strict=False):
        assert a.start_s <= a.end_s <= b.start_s + 1e-6
    assert utt.words[-1].end_s <= utt.duration_s


def test_espeak_variant_changes_the_voice() -> None:
    tts = speech_engines.get("espeak")
    male = tts.synthesize("Hello there, how are you?", VoiceSettings(voice="en-us"))
    female = tts.synthesize("Hello there, how are you?", VoiceSettings(voice="en-us+f3"))
    assert [w.label for w in male.words] == [w.label for w in female.words]
    assert not np.array_equal(male.audio[: len(female.audio)], female.audio[: len(male.audio)])
