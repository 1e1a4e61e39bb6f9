"""Phoneme → viseme tables and the coarticulated viseme track."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.face.visemes import (
    frame_count,
    mouth_for_viseme,
    phoneme_visemes,
    viseme_for_phoneme,
    viseme_track,
)
from engine.types import REST_MOUTH, Viseme
from tests.engine.face.utterances import sequence, utterance

V = Viseme


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("p", V.PP), ("b", V.PP), ("m", V.PP),
        ("f", V.FF), ("v", V.FF),
        ("θ", V.TH), ("ð", V.TH),
        ("t", V.DD), ("d", V.DD), ("ɾ", V.DD),
        ("k", V.KK), ("ɡ", V.KK), ("g", V.KK),
        ("ʃ", V.CH), ("ʒ", V.CH), ("tʃ", V.CH), ("dʒ", V.CH), ("t͡ʃ", V.CH), ("d͡ʒ", V.CH),
        ("s", V.SS), ("z", V.SS), ("ts", V.SS),
        ("n", V.NN), ("l", V.NN), ("ŋ", V.NN),
        ("ɹ", V.RR), ("r", V.RR), ("ɚ", V.RR),
        ("a", V.AA), ("ɑ", V.AA), ("æ", V.AA), ("ʌ", V.AA),
        ("e", V.E), ("ɛ", V.E), ("ə", V.E),
        ("i", V.I), ("ɪ", V.I), ("j", V.I),
        ("o", V.O), ("ɔ", V.O),
        ("u", V.U), ("ʊ", V.U), ("w", V.U),
    ],
)  # fmt: skip
def test_phoneme_table(label: str, expected: Viseme) -> None:
    assert viseme_for_phoneme(label) == expected


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("ˈa", V.AA), ("ˌɪ", V.I), ("aː", V.AA), ("ˈuː", V.U),  # stress and length
        ("ã", V.AA), ("ɔ̃", V.O), ("ɛ̃ː", V.E),  # nasal vowels, composed and combining
        ("tʰ", V.DD), ("kʷ", V.KK), ("n̩", V.NN), ("ɪ̯", V.I),  # other diacritics
        ("A", V.AA), ("S", V.SS),  # ASCII capitals fall back to their lower case
    ],
)  # fmt: skip
def test_marks_and_diacritics_are_ignored(label: str, expected: Viseme) -> None:
    assert viseme_for_phoneme(label) == expected


@pytest.mark.parametrize(
    ("label", "expected"),
    [("(en)tʃˈaɪ", V.CH), ("(ru)ɭ", V.NN), ("ʁ", V.KK), ("ç", V.KK), ("ɲʲ", V.NN), ("o̞", V.O), ("ħ", V.KK)],
)
def test_espeak_symbols_from_other_languages(label: str, expected: Viseme) -> None:
    assert viseme_for_phoneme(label) == expected


def test_diphthongs_glide_between_their_vowels() -> None:
    assert phoneme_visemes("aɪ") == [V.AA, V.I]
    assert phoneme_visemes("ˈaʊ") == [V.AA, V.U]
    assert phoneme_visemes("oʊ") == [V.O, V.U]
    assert phoneme_visemes("eɪ") == [V.E, V.I]
    assert viseme_for_phoneme("ɔɪ") == V.O


@pytest.mark.parametrize("label", ["_", ",", ".", "ˈ", "ː", " ", "#", "123", "͡", "?!"])
def test_labels_without_a_sound_are_silence(label: str) -> None:
    assert phoneme_visemes(label) == []
    assert viseme_for_phoneme(label) == V.SILENCE


@pytest.mark.parametrize("label", ["ʬ", "ǂ", "Ω", "ж", "好", "x̴", "\u200d", "😀", "q\u0301\u0302"])
def test_unknown_symbols_get_a_defined_viseme(label: str) -> None:
    assert isinstance(viseme_for_phoneme(label), Viseme)


def test_mouth_shapes_match_their_visemes() -> None:
    shapes = {v: mouth_for_viseme(v) for v in Viseme}
    assert shapes[V.SILENCE] == REST_MOUTH
    assert shapes[V.PP].open == 0.0
    assert max(shapes.values(), key=lambda m: m.open) == shapes[V.AA]
    assert shapes[V.U].width < shapes[V.O].width < 0 < shapes[V.I].width
    assert shapes[V.SS].teeth > 0.5 and shapes[V.FF].teeth > 0.5
    assert shapes[V.TH].tongue > 0.5
    for m in shapes.values():
        assert 0 <= m.open <= 1 and -1 <= m.width <= 1 and 0 <= m.teeth <= 1 and 0 <= m.tongue <= 1


@pytest.mark.parametrize(
    ("duration", "fps"), [(1.0, 25), (1.01, 25), (0.5, 30), (2.345, 24), (0.03, 25), (3.0, 60)]
)
def test_track_has_one_frame_per_video_frame(duration: float, fps: int) -> None:
    track = viseme_track(utterance([("a", 0.0, duration / 2)], duration), fps)
    assert len(track.frames) == math.ceil(duration * fps) == frame_count(duration, fps)
    assert track.fps == fps


def test_empty_audio_has_no_frames() -> None:
    assert viseme_track(utterance([], 0.0), 25).frames == ()


def _axis(track, name: str) -> np.ndarray:
    return np.array([getattr(f.mouth, name) for f in track.frames])


def test_no_single_frame_flicker() -> None:
    # Fast speech: 35 ms phonemes, alternating open and nearly closed shapes.
    labels = ["a", "s", "i", "k", "o", "t", "u", "f", "ɛ", "θ", "ɑ", "ʃ", "aɪ", "z", "ɔ", "n"] * 2
    track = viseme_track(utterance(sequence(labels, 0.2, 0.035), 1.6), 25)
    for name in ("open", "width", "teeth", "tongue"):
        x = _axis(track, name)
        up, down = x[1:-1] - x[:-2], x[1:-1] - x[2:]
        spikes = (np.sign(up) == np.sign(down)) & (np.minimum(np.abs(up), np.abs(down)) > 0.25)
        assert not spikes.any(), f"{name} flickers at frames {np.nonzero(spikes)[0] + 1}"


def test_a_sound_shorter_than_a_frame_still_shows() -> None:
    # A 15 ms "a" between two "s": at 25 fps it falls inside a single frame.
    track = viseme_track(utterance([("s", 0.2, 0.3), ("a", 0.3, 0.315), ("s", 0.315, 0.4)], 0.8), 25)
    baseline = viseme_track(utterance([("s", 0.2, 0.4)], 0.8), 25)
    assert _axis(track, "open").max() > _axis(baseline, "open").max() + 0.05


def test_mouth_anticipates_the_next_sound() -> None:
    track = viseme_track(utterance([("a", 0.6, 0.9)], 1.4), 25)
    before_onset = track.frames[14]  # covers 0.56–0.60 s, before the sound starts
    assert before_onset.mouth.open > 0.05


@pytest.mark.parametrize("fps", [25, 30, 60])
@pytest.mark.parametrize("length", [0.02, 0.05, 0.09])
def test_bilabials_close_the_lips_for_at_least_one_frame(fps: int, length: float) -> None:
    labels = ["a", "m", "a", "p", "ɑ", "b", "æ"]
    phonemes, t = [], 0.2
    for label in labels:
        step = length if label in "mpb" else 0.12
        phonemes.append((label, t, t + step))
        t += step
    track = viseme_track(utterance(phonemes, t + 0.3), fps)
    opens = _axis(track, "open")
    for label, start, end in phonemes:
        if label in "mpb":
            lo, hi = max(0, math.floor(start * fps) - 1), math.ceil(end * fps) + 1
            window = track.frames[lo:hi]
            closed = [f for f in window if f.viseme == V.PP and f.mouth.open == 0.0]
            assert closed, f"lips never close for {label!r} at {start:.2f} s"
            assert all(f.mouth.teeth == 0 and f.mouth.tongue == 0 for f in closed)
    assert opens.max() > 0.6  # and the vowels between them do open


def test_silence_rests_and_is_still() -> None:
    phonemes = [("h", 0.5, 0.56), ("ɛ", 0.56, 0.7), ("l", 0.7, 0.76), ("oʊ", 0.76, 0.95)]
    phonemes += [("w", 1.6, 1.66), ("ɜ", 1.66, 1.8), ("l", 1.8, 1.86), ("d", 1.86, 1.95)]
    track = viseme_track(utterance(phonemes, 2.6), 25)
    fps = track.fps
    rest = [
        i for i in range(len(track.frames)) if (i + 1) / fps < 0.3 or 1.15 < i / fps < 1.4 or i / fps > 2.2
    ]
    for i in rest:
        assert track.frames[i].mouth == REST_MOUTH, f"frame {i} should rest"
        assert track.frames[i].viseme == V.SILENCE
    speaking = [f for f in track.frames[13:24]]
    assert all(f.mouth != REST_MOUTH for f in speaking)


def test_short_pauses_inside_speech_do_not_rest() -> None:
    # 100 ms between two words: the mouth carries on rather than snapping shut.
    track = viseme_track(utterance([("ɑ", 0.3, 0.6), ("ɑ", 0.7, 1.0)], 1.4), 25)
    assert all(f.mouth.open > 0.4 for f in track.frames[9:24])


def test_louder_vowels_open_wider() -> None:
    phonemes = [("ɑ", 0.3, 0.6), ("ɑ", 1.2, 1.5)]
    track = viseme_track(utterance(phonemes, 1.9, loudness={0: 0.1, 1: 0.6}), 25)
    opens = _axis(track, "open")
    assert opens[30:40].max() > opens[7:17].max() + 0.1


def test_stress_mark_opens_a_little_more() -> None:
    plain = viseme_track(utterance([("a", 0.3, 0.5)], 0.9), 25)
    stressed = viseme_track(utterance([("ˈa", 0.3, 0.5)], 0.9), 25)
    assert _axis(stressed, "open").max() > _axis(plain, "open").max()


def test_track_is_deterministic() -> None:
    u = utterance(sequence(["h", "ə", "l", "oʊ", "m", "aɪ", "f", "ɹ", "ɛ", "n", "d"], 0.2, 0.07), 1.3)
    assert viseme_track(u, 25) == viseme_track(u, 25)


def test_overlapping_and_unsorted_timings_are_handled() -> None:
    phonemes = [("a", 0.5, 0.7), ("m", 0.2, 0.55), ("ʬ", 0.6, 0.6), ("_", 0.7, 0.9), ("u", 0.65, 1.2)]
    track = viseme_track(utterance(phonemes, 1.0), 25)  # the last one runs past the audio
    assert len(track.frames) == 25
    for f in track.frames:
        assert 0 <= f.mouth.open <= 1 and 0 <= f.weight <= 1


def test_broken_audio_and_timings_still_give_a_track() -> None:
    u = utterance([("a", 0.2, 0.5), ("m", 0.5, 0.6)], 1.0)
    u.audio[100:4000] = np.nan
    u.audio[5000:6000] = np.inf
    bad = [("a", float("nan"), float("nan")), ("o", 0.3, float("inf"))]
    for case in (u, utterance(bad, 1.0)):
        track = viseme_track(case, 25)
        assert len(track.frames) == 25
        assert all(np.isfinite([f.mouth.open, f.mouth.width, f.weight]).all() for f in track.frames)
