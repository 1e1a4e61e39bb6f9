"""espeak-ng speech: every espeak-ng language and voice variant, with exact word and IPA phoneme timings.

espeak-ng keeps global state and is not thread-safe, so one process-wide lock guards every call into it.
"""

from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass

import numpy as np

from engine.errors import EmptyText, UnknownVoice, UnsupportedLanguage
from engine.speech import _espeak_lib as lib_api
from engine.speech import effects
from engine.speech.base import VoiceInfo
from engine.speech.languages import close_codes, normalise_code
from engine.types import Timing, Utterance, VoiceSettings

DEFAULT_WPM = 175  # espeak-ng's natural speaking rate
_MIN_WPM, _MAX_WPM = 80, 450
# espeak's pitch parameter (0..100, 50 natural) moves the voice's F0 unevenly. Measured once: the mean F0
# shift in semitones at parameter 0, 10, ..., 100 (the average over en-gb, en-us+f3 and de, within ±0.4 st).
_PITCH_PARAM = np.arange(0, 101, 10, dtype=np.float64)
_PITCH_SEMITONES = np.array([-5.89, -5.01, -3.98, -2.89, -1.43, 0.0, 1.68, 3.33, 5.12, 6.92, 8.57])
# Phoneme names espeak uses for pauses and boundaries: gaps, not phonemes.
_PAUSE_NAMES = {"", "_", "_:", "_!", "_|", "|", "||"}


@dataclass(frozen=True, slots=True)
class _Voice:
    id: str
    identifier: str  # espeak's identifier, e.g. "gmw/en-US"
    name: str
    language: str


@dataclass
class _Capture:
    """What one espeak_Synth call delivered through the callback."""

    chunks: list[np.ndarray]
    events: list[tuple[int, int, int, int, str]]  # (type, text position, length, sample, phoneme)
    samples: int = 0


class EspeakEngine:
    name = "espeak"

    def __init__(self) -> None:
        with _lock:
            self._lib, self.sample_rate = _native()
            raw_voices = lib_api.list_voices(self._lib)
            raw_variants = lib_api.list_voices(self._lib, variants=True)
        self._voices: dict[str, _Voice] = {}  # by id: the voice's primary language code
        self._by_language: dict[str, str] = {}  # language code -> voice id
        for rv in raw_voices:
            if not rv.languages:
                continue
            voice = _Voice(rv.languages[0], rv.identifier, rv.name, rv.languages[0])
            self._voices.setdefault(voice.id, voice)
        # espeak's own default for a code is the voice whose file is named after it (gmw/en for "en");
        # otherwise the first voice that lists the code.
        for rv in raw_voices:
            if rv.languages and rv.identifier.rsplit("/", 1)[-1].lower() not in self._voices:
                self._by_language.setdefault(rv.identifier.rsplit("/", 1)[-1].lower(), rv.languages[0])
        for rv in raw_voices:
            for code in rv.languages:
                self._by_language.setdefault(code, rv.languages[0])
        for voice in self._voices.values():  # a voice's own primary code always selects that voice
            self._by_language[voice.id] = voice.id
        # variant key ("f3", "alex") -> (espeak's spelling of it, human-readable name)
        self._variants: dict[str, tuple[str, str]] = {}
        for rv in raw_variants:
            spelled = rv.identifier.split("/", 1)[-1]
            if spelled:
                self._variants.setdefault(spelled.lower(), (spelled, rv.name))
        self._voice_list: list[VoiceInfo] | None = None

    # -- voices ------------------------------------------------------------------------------------------

    def languages(self) -> list[str]:
        return sorted(self._by_language)

    def voices(self) -> list[VoiceInfo]:
        if self._voice_list is None:
            out = []
            for voice in self._voices.values():
                out.append(VoiceInfo(voice.id, voice.name, voice.language, self.name))
                for key, (_, variant_name) in self._variants.items():
                    name = f"{voice.name}, {variant_name}"
                    out.append(VoiceInfo(f"{voice.id}+{key}", name, voice.language, self.name))
            self._voice_list = sorted(out, key=lambda v: v.id)
        return list(self._voice_list)

    def supports(self, language: str) -> bool:
        return self._voice_for_language(language) is not None

    def _voice_for_language(self, language: str) -> _Voice | None:
        code = normalise_code(language)
        while code:
            if code in self._by_language:
                return self._voices[self._by_language[code]]
            code = code.rpartition("-")[0]  # "de-at" falls back to "de"
        return None

    def resolve_voice(self, settings: VoiceSettings) -> tuple[_Voice, str | None]:
        """The voice and variant key (or None) that the settings select; raises the user-facing errors."""
        if settings.voice:
            base, _, variant = settings.voice.strip().partition("+")
            voice = self._voices.get(normalise_code(base))
            if voice is None:
                hint = close_codes(normalise_code(base), list(self._voices))
                raise UnknownVoice(settings.voice, hint)
            if variant:
                key = variant.strip().lower()
                if key not in self._variants:
                    sample = ", ".join(sorted(self._variants)[:8])
                    raise UnknownVoice(
                        settings.voice, f"Voice variants look like +f3 or +m1 (e.g. {sample})."
                    )
                return voice, key
            return voice, None
        voice = self._voice_for_language(settings.language)
        if voice is None:
            raise UnsupportedLanguage(settings.language, close_codes(settings.language, self.languages()))
        return voice, None

    # -- synthesis ---------------------------------------------------------------------------------------

    def synthesize(self, text: str, settings: VoiceSettings) -> Utterance:
        if not text or not text.strip():
            raise EmptyText()
        voice, variant = self.resolve_voice(settings)
        clean = _printable(text)
        if not clean.strip():
            raise EmptyText()
        name = voice.identifier + (f"+{self._variants[variant][0]}" if variant else "")
        wpm = round(min(max(DEFAULT_WPM * settings.rate, _MIN_WPM), _MAX_WPM))
        native_rate = wpm / DEFAULT_WPM
        # beyond espeak's own range the rest of the shift is done on the audio
        native_pitch = float(np.clip(settings.pitch, _PITCH_SEMITONES[0], _PITCH_SEMITONES[-1]))
        pitch_param = round(float(np.interp(native_pitch, _PITCH_SEMITONES, _PITCH_PARAM)))
        with _lock:
            if self._lib.espeak_SetVoiceByName(name.encode()) != lib_api.EE_OK:
                raise UnknownVoice(settings.voice or voice.id)
            self._lib.espeak_SetParameter(lib_api.PARAM_RATE, wpm, 0)
            self._lib.espeak_SetParameter(lib_api.PARAM_PITCH, pitch_param, 0)
            self._lib.espeak_SetParameter(lib_api.PARAM_VOLUME, 100, 0)
            capture = _synth(self._lib, clean)
        audio = np.concatenate(capture.chunks) if capture.chunks else np.zeros(0, np.float32)
        words, phonemes = _timings(capture.events, clean, capture.samples, self.sample_rate)
        return effects.finish(
            audio,
            self.sample_rate,
            words,
            phonemes,
            language=voice.language,
            text=text,
            rate=settings.rate / native_rate,
            pitch=settings.pitch - native_pitch,
            volume=settings.volume,
        )


# espeak-ng is one global instance per process: its library, its callback and the capture of the current
# synthesis are module state, all used only while holding _lock.
_lock = threading.Lock()
_library: tuple[ctypes.CDLL, int] | None = None
_capture: _Capture | None = None


def _native() -> tuple[ctypes.CDLL, int]:
    global _library
    if _library is None:
        lib, sample_rate = lib_api.load_library()
        lib.espeak_SetSynthCallback(_CALLBACK)
        _library = (lib, sample_rate)
    return _library


def _synth(lib: ctypes.CDLL, text: str) -> _Capture:
    global _capture
    data = text.encode("utf-8")
    buffer = ctypes.create_string_buffer(data)
    _capture = _Capture([], [])
    try:
        flags = lib_api.CHARS_UTF8 | lib_api.ENDPAUSE
        err = lib.espeak_Synth(buffer, len(data) + 1, 0, lib_api.POS_CHARACTER, 0, flags, None, None)
        if err != lib_api.EE_OK:
            raise RuntimeError(f"espeak-ng synthesis failed (code {err})")
        return _capture
    finally:
        _capture = None


def _on_audio(wav: ctypes.Array, count: int, events: ctypes.Array) -> int:
    capture = _capture
    if capture is None:
        return 1  # no synthesis of ours is running: tell espeak to stop
    i = 0
    while events[i].type != lib_api.EVENT_LIST_TERMINATED:
        ev = events[i]
        label = ""
        if ev.type == lib_api.EVENT_PHONEME:
            # IPA as espeak writes it, stress marks included (the face engines emphasise stressed vowels)
            label = bytes(ev.id.string).split(b"\0", 1)[0].decode("utf-8", "replace")
        # `sample` is the exact sample index of the event from the start of the text
        capture.events.append((ev.type, ev.text_position, ev.length, ev.sample, label))
        i += 1
    if wav and count > 0:
        chunk = np.ctypeslib.as_array(wav, shape=(count,)).astype(np.float32) / 32768.0
        capture.chunks.append(chunk)
        capture.samples += count
    return 0


_CALLBACK = lib_api.SynthCallback(_on_audio)


def _printable(text: str) -> str:
    # espeak reads control characters (and stray NULs) as commands or terminators: make them plain spaces.
    return "".join(" " if (ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF) else c for c in text)


def _timings(
    events: list[tuple[int, int, int, int, str]], text: str, total: int, sample_rate: int
) -> tuple[list[Timing], list[Timing]]:
    """Word and phoneme timings from espeak's event stream.

    A phoneme lasts until the next phoneme (or pause) event; a word spans its phonemes, so the pause that
    follows a word is not part of it.
    """
    marks = sorted(
        (min(sample, total), kind, pos, length, label)
        for kind, pos, length, sample, label in events
        if kind in (lib_api.EVENT_WORD, lib_api.EVENT_PHONEME, lib_api.EVENT_SENTENCE, lib_api.EVENT_END)
    )
    phonemes: list[Timing] = []
    phoneme_word: list[int] = []
    words: list[tuple[int, str]] = []  # (start sample, label)
    last_span: tuple[int, int] | None = None
    for i, (sample, kind, pos, length, label) in enumerate(marks):
        if kind == lib_api.EVENT_WORD:
            # espeak may speak one written word as several (e.g. each CJK character): keep one timing
            if (pos, length) != last_span:
                words.append((sample, text[max(pos - 1, 0) : max(pos - 1, 0) + length]))
            last_span = (pos, length)
        elif kind == lib_api.EVENT_PHONEME and label not in _PAUSE_NAMES and not label.startswith("("):
            # "(en)"-style labels mark a switch of language inside the text, not a sound
            end = next((m[0] for m in marks[i + 1 :] if m[0] > sample), total)
            phonemes.append(Timing(sample / sample_rate, end / sample_rate, label))
            phoneme_word.append(len(words) - 1)
    word_timings: list[Timing] = []
    for w, (start, label) in enumerate(words):
        spans = [p for p, owner in zip(phonemes, phoneme_word, strict=True) if owner == w]
        label = label.strip()
        if not spans or not label:
            continue
        word_timings.append(Timing(min(start / sample_rate, spans[0].start_s), spans[-1].end_s, label))
    return word_timings, phonemes
