"""Finishing touches every engine's audio goes through, and the voice effects engines can't do natively.

Order matters: tempo and pitch change the signal's level, so loudness is normalised after them; the
person's volume is a gain on top of the normalised level; silence is trimmed last so timings stay exact.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import numpy as np
import torch
import torchaudio.functional as F

from engine.errors import EmptyText
from engine.types import Timing, Utterance

TARGET_LUFS = -16.0  # comfortable on phone speakers (the level most podcast/voice platforms use)
TRUE_PEAK_DBFS = -1.0
MAX_GAIN_DB = 30.0  # never lift near-silence (noise) by more than this
KEEP_SILENCE_S = 0.075  # silence kept before the first and after the last sound
SILENCE_DBFS = -50.0  # a 10 ms frame quieter than this counts as silence
_PEAK_OVERSAMPLE = 4  # ITU-R BS.1770 true-peak estimate: peak of the 4x oversampled signal
_MIN_LOUDNESS_S = 0.4  # one BS.1770 gating block


def finish(
    audio: np.ndarray,
    sample_rate: int,
    words: Sequence[Timing],
    phonemes: Sequence[Timing],
    *,
    language: str,
    text: str,
    rate: float = 1.0,
    pitch: float = 0.0,
    volume: float = 1.0,
) -> Utterance:
    """Turn an engine's raw output into an Utterance with the person's voice settings applied.

    rate and pitch are what the engine could not do natively (1.0 and 0.0 when it did everything).
    """
    if not phonemes:
        raise EmptyText("There are no words I can say in that message. Please type some words.")
    audio = np.nan_to_num(np.asarray(audio, dtype=np.float32).reshape(-1))
    if abs(rate - 1.0) > 1e-3 and len(audio):
        audio = change_tempo(audio, sample_rate, rate)
        words, phonemes = scale_timings(words, 1.0 / rate), scale_timings(phonemes, 1.0 / rate)
    if abs(pitch) > 1e-3 and len(audio):
        audio = shift_pitch(audio, sample_rate, pitch)
    audio = normalise_loudness(audio, sample_rate)
    audio = apply_volume(audio, sample_rate, volume)
    audio, offset_s = trim_silence(audio, sample_rate, words, phonemes)
    duration = len(audio) / sample_rate
    return Utterance(
        audio=audio,
        sample_rate=sample_rate,
        words=tuple(shift_timings(words, -offset_s, duration)),
        phonemes=tuple(shift_timings(phonemes, -offset_s, duration)),
        language=language,
        text=text,
    )


# -- timings ---------------------------------------------------------------------------------------------


def scale_timings(timings: Sequence[Timing], factor: float) -> list[Timing]:
    return [Timing(t.start_s * factor, t.end_s * factor, t.label) for t in timings]


def shift_timings(timings: Sequence[Timing], offset_s: float, duration_s: float) -> list[Timing]:
    """Move timings by offset_s, clamped into [0, duration_s]; spans wholly outside are dropped."""
    out = []
    for t in timings:
        start = min(max(t.start_s + offset_s, 0.0), duration_s)
        end = min(max(t.end_s + offset_s, start), duration_s)
        if end > start or t.end_s == t.start_s:
            out.append(Timing(start, end, t.label))
    return out


# -- time and pitch --------------------------------------------------------------------------------------


def _stft_params(sample_rate: int) -> tuple[int, int]:
    n_fft = 1 << max(8, round(math.log2(sample_rate * 0.046)))  # ~46 ms windows suit speech
    return n_fft, n_fft // 4


def change_tempo(audio: np.ndarray, sample_rate: int, rate: float) -> np.ndarray:
    """Speed speech up (rate > 1) or slow it down without changing its pitch (phase vocoder)."""
    n_fft, hop = _stft_params(sample_rate)
    x = torch.from_numpy(audio)
    if len(x) < n_fft:
        x = torch.nn.functional.pad(x, (0, n_fft - len(x)))
    window = torch.hann_window(n_fft)
    spec = torch.stft(x, n_fft, hop, window=window, return_complex=True)
    phase_advance = torch.linspace(0, math.pi * hop, spec.shape[-2])[..., None]
    stretched = F.phase_vocoder(spec, rate, phase_advance)
    length = round(len(audio) / rate)
    out = torch.istft(stretched, n_fft, hop, window=window, length=length)
    return out.numpy().astype(np.float32)


def shift_pitch(audio: np.ndarray, sample_rate: int, semitones: float) -> np.ndarray:
    """Raise or lower the pitch by `semitones` (fractions allowed), keeping the duration.

    Stretch in time by the pitch ratio, then resample back to the original length. The ratio is
    approximated by a small fraction (error under 0.1 %) because resampling cost grows with its terms.
    """
    ratio = Fraction(2 ** (semitones / 12)).limit_denominator(64)
    if ratio == 1:
        return audio
    stretched = change_tempo(audio, sample_rate, 1 / float(ratio))
    out = F.resample(torch.from_numpy(stretched), ratio.numerator, ratio.denominator)
    out = out.numpy()
    if len(out) < len(audio):
        out = np.pad(out, (0, len(audio) - len(out)))
    return out[: len(audio)].astype(np.float32)


# -- level -----------------------------------------------------------------------------------------------


def loudness_lufs(audio: np.ndarray, sample_rate: int) -> float:
    """Integrated loudness (ITU-R BS.1770-4) in LUFS; -inf for silence.

    The same measure as torchaudio.functional.loudness, computed with FFT filtering (the K-weighting
    filters' exact frequency response) because sample-by-sample IIR filtering was most of the time spent
    finishing an utterance. Clips shorter than one 400 ms gating block are measured by repeating them.
    """
    if len(audio) == 0 or not np.any(audio):
        return -math.inf
    x = np.asarray(audio, dtype=np.float64)
    block = round(_MIN_LOUDNESS_S * sample_rate)
    if len(x) < block:
        x = np.tile(x, math.ceil(block / len(x)) + 1)
    weighted = _k_weighted(x, sample_rate)
    step = block // 4  # 75 % overlap
    count = 1 + (len(weighted) - block) // step
    energy = np.concatenate([[0.0], np.cumsum(weighted**2)])
    starts = np.arange(count) * step
    blocks = (energy[starts + block] - energy[starts]) / block
    blocks = blocks[blocks > 10 ** ((-70.0 + 0.691) / 10)]  # absolute gate
    if len(blocks) == 0:
        return -math.inf
    relative = -0.691 + 10 * math.log10(blocks.mean()) - 10.0
    blocks = blocks[blocks > 10 ** ((relative + 0.691) / 10)]
    return -0.691 + 10 * math.log10(blocks.mean())


def _k_weighted(x: np.ndarray, sample_rate: int) -> np.ndarray:
    """BS.1770 K-weighting: a +4 dB high shelf at 1.5 kHz and a 38 Hz high-pass (RBJ biquads)."""
    n = 1 << math.ceil(math.log2(len(x) + sample_rate // 2))  # room for the filters' decaying tails
    w = np.linspace(0, np.pi, n // 2 + 1)
    z1, z2 = np.exp(-1j * w), np.exp(-2j * w)
    response = np.ones_like(z1)
    for b, a in (_high_shelf(sample_rate, 4.0, 1500.0, 1 / math.sqrt(2)), _high_pass(sample_rate, 38.0, 0.5)):
        response *= (b[0] + b[1] * z1 + b[2] * z2) / (a[0] + a[1] * z1 + a[2] * z2)
    return np.fft.irfft(np.fft.rfft(x, n) * response, n)[: len(x)]


def _high_shelf(sample_rate: int, gain_db: float, freq: float, q: float) -> tuple[tuple, tuple]:
    amp = 10 ** (gain_db / 40)
    w0 = 2 * math.pi * freq / sample_rate
    alpha, cos = math.sin(w0) / (2 * q), math.cos(w0)
    root = 2 * math.sqrt(amp) * alpha
    b = (
        amp * ((amp + 1) + (amp - 1) * cos + root),
        -2 * amp * ((amp - 1) + (amp + 1) * cos),
        amp * ((amp + 1) + (amp - 1) * cos - root),
    )
    a = (
        (amp + 1) - (amp - 1) * cos + root,
        2 * ((amp - 1) - (amp + 1) * cos),
        (amp + 1) - (amp - 1) * cos - root,
    )
    return b, a


def _high_pass(sample_rate: int, freq: float, q: float) -> tuple[tuple, tuple]:
    w0 = 2 * math.pi * freq / sample_rate
    alpha, cos = math.sin(w0) / (2 * q), math.cos(w0)
    return ((1 + cos) / 2, -(1 + cos), (1 + cos) / 2), (1 + alpha, -2 * cos, 1 - alpha)


def true_peak(audio: np.ndarray, sample_rate: int) -> float:
    """Linear true-peak estimate: the peak of the 4x oversampled signal (ITU-R BS.1770 Annex 2 style).

    A polyphase windowed-sinc interpolator: each phase is one short convolution, so this costs a few
    milliseconds where a whole-signal FFT interpolation costs tens.
    """
    if len(audio) == 0:
        return 0.0
    x = audio.astype(np.float32, copy=False)
    peak = float(np.abs(x).max())
    for kernel in _TRUE_PEAK_PHASES:
        peak = max(peak, float(np.abs(np.convolve(x, kernel, mode="same")).max()))
    return peak


def _true_peak_phases(oversample: int, half_taps: int = 12) -> tuple[np.ndarray, ...]:
    k = np.arange(-half_taps, half_taps, dtype=np.float64)
    window = np.kaiser(2 * half_taps, 8.0)
    return tuple(
        (np.sinc(k + phase / oversample) * window).astype(np.float32) for phase in range(1, oversample)
    )


_TRUE_PEAK_PHASES = _true_peak_phases(_PEAK_OVERSAMPLE)


def normalise_loudness(audio: np.ndarray, sample_rate: int, target_lufs: float = TARGET_LUFS) -> np.ndarray:
    """Bring speech to target_lufs with its true peak under TRUE_PEAK_DBFS (limiting peaks if needed)."""
    current = loudness_lufs(audio, sample_rate)
    if not math.isfinite(current):
        return np.zeros_like(audio)
    total_gain_db = 0.0
    # Limiting loud peaks (clicks, plosives) takes away some of the energy the gain was computed from:
    # measure again and top up, a few rounds at most.
    for _ in range(3):
        gain_db = min(target_lufs - current, MAX_GAIN_DB - total_gain_db)
        if abs(gain_db) < 0.1:
            break
        total_gain_db += gain_db
        gained = audio * np.float32(10 ** (gain_db / 20))
        audio = limit_peaks(gained, sample_rate)
        if audio is gained:  # nothing was limited: the gain landed exactly, no need to measure again
            break
        current = loudness_lufs(audio, sample_rate)
    return audio.astype(np.float32)


def apply_volume(audio: np.ndarray, sample_rate: int, volume: float) -> np.ndarray:
    """The person's volume as a gain, capped so the result never exceeds the true-peak ceiling."""
    if len(audio) == 0 or volume == 1.0:
        return audio
    ceiling = 10 ** (TRUE_PEAK_DBFS / 20)
    peak = true_peak(audio, sample_rate)
    gain = volume if peak == 0 else min(volume, ceiling / peak) if volume > 1 else volume
    return (audio * np.float32(gain)).astype(np.float32)


def limit_peaks(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """A look-ahead peak limiter: smooth gain reduction only around the peaks that exceed the ceiling.

    Speech at -16 LUFS often peaks above -1 dBTP; turning the whole clip down would miss the loudness
    target, while limiting the few peaks is inaudible.
    """
    ceiling = 10 ** (TRUE_PEAK_DBFS / 20)
    half = max(1, int(0.005 * sample_rate))
    kernel = np.hanning(2 * half + 3)[1:-1]
    kernel /= kernel.sum()
    if true_peak(audio, sample_rate) <= ceiling:
        return audio  # the same object: callers can tell nothing changed
    for _ in range(4):  # inter-sample peaks can remain after one pass: repeat until under the ceiling
        needed = np.minimum(1.0, 0.97 * ceiling / np.maximum(np.abs(audio), 1e-9))
        # Take the minimum over ±5 ms, then smooth over the same span: the smoothed gain at each sample
        # averages values that are all at most what that sample needs, and has no clicks.
        held = -_running_max(-needed, half)
        gain = np.minimum(np.convolve(held, kernel, mode="same"), 1.0)
        audio = (audio * gain).astype(np.float32)
        if true_peak(audio, sample_rate) <= ceiling:
            break
    return np.clip(audio, -1.0, 1.0).astype(np.float32)


def _running_max(x: np.ndarray, half: int) -> np.ndarray:
    t = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))[None, None]
    return torch.nn.functional.max_pool1d(t, 2 * half + 1, stride=1, padding=half)[0, 0].numpy()


# -- silence ---------------------------------------------------------------------------------------------


def trim_silence(
    audio: np.ndarray, sample_rate: int, words: Sequence[Timing], phonemes: Sequence[Timing]
) -> tuple[np.ndarray, float]:
    """Cut leading/trailing silence down to KEEP_SILENCE_S; returns the audio and the seconds cut in front.

    Never cuts into a timed phoneme or word, so quiet consonants at the edges survive.
    """
    frame = max(1, int(0.01 * sample_rate))
    n = len(audio) // frame
    if n == 0:
        return audio, 0.0
    rms = np.sqrt(np.mean(audio[: n * frame].reshape(n, frame).astype(np.float64) ** 2, axis=1) + 1e-12)
    loud = np.nonzero(20 * np.log10(rms) > SILENCE_DBFS)[0]
    if len(loud) == 0:
        return audio, 0.0
    first_s, last_s = loud[0] * frame / sample_rate, (loud[-1] + 1) * frame / sample_rate
    spans = list(words) + list(phonemes)
    if spans:
        first_s = min(first_s, min(t.start_s for t in spans))
        last_s = max(last_s, max(t.end_s for t in spans))
    start = max(0, int((first_s - KEEP_SILENCE_S) * sample_rate))
    end = min(len(audio), math.ceil((last_s + KEEP_SILENCE_S) * sample_rate))
    return audio[start:end].copy(), start / sample_rate
