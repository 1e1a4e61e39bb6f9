"""Phoneme timings → a viseme track at the video frame rate.

Labels are IPA as espeak-ng and Piper write them (stress, length, tie bars, nasalisation and other
diacritics included); anything unrecognised still gets a sensible mouth. The track is built on a fine
time grid: phoneme targets, a coarticulation kernel that looks further ahead than behind (lips form the
next sound before it is heard), a guaranteed lip closure for p b m, and a gentle jaw gain from the
audio's loudness, then averaged over each frame's exposure so even a sound shorter than a frame shows.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

import numpy as np

from engine.types import REST_MOUTH, MouthShape, Utterance, Viseme, VisemeFrame, VisemeTrack

V = Viseme

# One entry per base sound; multi-letter keys (affricates) are matched before single letters.
_PHONEME_VISEME: dict[str, Viseme] = {
    **dict.fromkeys("pbmʙɓ", V.PP),
    **dict.fromkeys("fvɱʋɸβ", V.FF),
    **dict.fromkeys("θðʘ", V.TH),
    **dict.fromkeys("tdʈɖɗɾɽǀǃ", V.DD),
    **dict.fromkeys("kgɡqɢxɣχʁhɦħʕʔcɟçʝɠʛɰʜʢʡ", V.KK),
    **dict.fromkeys("ʃʒɕʑʂʐɧ", V.CH),
    **dict.fromkeys(["tʃ", "dʒ", "tɕ", "dʑ", "tʂ", "dʐ", "ʈʂ", "ɖʐ"], V.CH),
    **dict.fromkeys("szʦʣ", V.SS),
    **dict.fromkeys(["ts", "dz"], V.SS),
    **dict.fromkeys("nlɫɬɮɭɳɲʎʟɺŋ", V.NN),
    **dict.fromkeys("rɹɻʀɚɝʴ", V.RR),
    **dict.fromkeys("aɑæʌɐɶä", V.AA),
    **dict.fromkeys("eɛəɜɘɤ@", V.E),
    **dict.fromkeys("iɪjɨɯ", V.I),
    **dict.fromkeys("oɔɒɵœɞ", V.O),
    **dict.fromkeys("uʊwʍɥyʏøʉ", V.U),
}
_MAX_KEY = max(len(k) for k in _PHONEME_VISEME)
_VOWEL_VISEMES = frozenset({V.AA, V.E, V.I, V.O, V.U})
# Marks that change how a sound is said but not which mouth shape it takes.
_MODIFIERS = frozenset("ˈˌːˑ˘ʰʷʲˠˤ˞ⁿˡ‿͜͡|‖.̯̩̃")

_MOUTHS: dict[Viseme, MouthShape] = {
    V.SILENCE: REST_MOUTH,
    V.PP: MouthShape(open=0.0, width=0.05, teeth=0.0, tongue=0.0),
    V.FF: MouthShape(open=0.12, width=0.15, teeth=0.85, tongue=0.0),
    V.TH: MouthShape(open=0.22, width=0.15, teeth=0.65, tongue=0.9),
    V.DD: MouthShape(open=0.25, width=0.2, teeth=0.6, tongue=0.45),
    V.KK: MouthShape(open=0.32, width=0.05, teeth=0.4, tongue=0.1),
    V.CH: MouthShape(open=0.25, width=-0.5, teeth=0.75, tongue=0.0),
    V.SS: MouthShape(open=0.12, width=0.5, teeth=0.9, tongue=0.0),
    V.NN: MouthShape(open=0.22, width=0.15, teeth=0.5, tongue=0.55),
    V.RR: MouthShape(open=0.25, width=-0.35, teeth=0.3, tongue=0.1),
    V.AA: MouthShape(open=0.9, width=0.2, teeth=0.45, tongue=0.15),
    V.E: MouthShape(open=0.5, width=0.35, teeth=0.55, tongue=0.05),
    V.I: MouthShape(open=0.3, width=0.7, teeth=0.7, tongue=0.0),
    V.O: MouthShape(open=0.6, width=-0.55, teeth=0.2, tongue=0.0),
    V.U: MouthShape(open=0.3, width=-0.85, teeth=0.05, tongue=0.0),
}

REST_GAP_S = 0.15  # a pause longer than this lets the mouth return to rest
AHEAD_S = 0.045  # how far ahead the mouth anticipates the next sound (kernel spread)
BEHIND_S = 0.025  # how long a sound lingers after it ends
CLOSURE_RAMP_S = 0.08  # lips close and reopen over this time around p b m
STRESS_GAIN = 1.1  # a primary-stressed vowel opens a little more
_SUBSTEPS = 8  # fine time grid: samples per video frame


def frame_count(duration_s: float, fps: float) -> int:
    """Frames covering `duration_s` at `fps`: ceil(duration × fps), ignoring float noise below 1e-6 frame."""
    if duration_s <= 0:
        return 0
    return max(1, math.ceil(duration_s * fps - 1e-6))


_LANGUAGE_SWITCH = re.compile(r"\([a-z]{2,3}(?:[-_][a-z0-9]+)*\)", re.IGNORECASE)  # espeak-ng's "(en)"


def _clean(ipa: str) -> str:
    """Base letters only: decompose (ã → a + ◌̃) and drop stress, length, tie bars and other marks."""
    out = []
    for ch in unicodedata.normalize("NFD", _LANGUAGE_SWITCH.sub("", ipa)):
        if ch in _MODIFIERS or unicodedata.combining(ch) or ch.isspace():
            continue
        out.append(ch)
    return "".join(out)


def _letter_viseme(ch: str) -> Viseme | None:
    if ch in _PHONEME_VISEME:
        return _PHONEME_VISEME[ch]
    low = ch.lower()
    if low in _PHONEME_VISEME:
        return _PHONEME_VISEME[low]
    if unicodedata.category(ch).startswith("L"):
        return V.E  # an unknown letter is still a sound: a neutral, half-open mouth
    return None  # punctuation, digits, pause symbols: no mouth target


def phoneme_visemes(ipa: str) -> list[Viseme]:
    """The mouth targets of one phoneme label, in order: one for a consonant or affricate, one per vowel
    of a diphthong or triphthong. Empty when the label carries no sound (pause marks, punctuation)."""
    s = _clean(ipa)
    result: list[Viseme] = []
    i = 0
    while i < len(s):
        for size in range(min(_MAX_KEY, len(s) - i), 0, -1):
            chunk = s[i : i + size]
            v = _PHONEME_VISEME.get(chunk) if size > 1 else _letter_viseme(chunk)
            if v is not None:
                result.append(v)
                i += size
                break
        else:
            i += 1
    if not result:
        return []
    vowels = [v for v in result if v in _VOWEL_VISEMES]
    # A diphthong glides between its vowels; a consonant cluster label is dominated by its first sound.
    if len(vowels) >= 2 and len(vowels) == len(result):
        return vowels
    return [vowels[0]] if vowels and len(vowels) == len(result) else [result[0]]


def viseme_for_phoneme(ipa: str) -> Viseme:
    """The viseme a phoneme label starts with (SILENCE for labels that carry no sound)."""
    targets = phoneme_visemes(ipa)
    return targets[0] if targets else V.SILENCE


def mouth_for_viseme(v: Viseme) -> MouthShape:
    return _MOUTHS[Viseme(v)]


@dataclass(frozen=True, slots=True)
class _Segment:
    start_s: float
    end_s: float
    viseme: Viseme
    gain: float


def _segments(utterance: Utterance) -> list[_Segment]:
    segs: list[_Segment] = []
    for t in sorted(utterance.phonemes, key=lambda t: (t.start_s, t.end_s)):
        targets = phoneme_visemes(t.label)
        if not targets or not (math.isfinite(t.start_s) and math.isfinite(t.end_s)) or t.end_s <= t.start_s:
            continue
        gain = STRESS_GAIN if "ˈ" in t.label else 1.0
        # Diphthongs: the first vowel holds a little longer than the glide target.
        weights = [1.3] + [1.0] * (len(targets) - 1)
        total, at = sum(weights), t.start_s
        for v, w in zip(targets, weights, strict=True):
            end = at + t.duration_s * w / total
            segs.append(_Segment(at, end, v, gain))
            at = end
    # Short pauses inside speech are bridged: each neighbour holds its shape to the middle of the gap.
    bridged: list[_Segment] = []
    for i, seg in enumerate(segs):
        start, end = seg.start_s, seg.end_s
        if i > 0:
            gap = seg.start_s - segs[i - 1].end_s
            if 0 < gap <= REST_GAP_S:
                start -= gap / 2
        if i + 1 < len(segs):
            gap = segs[i + 1].start_s - seg.end_s
            if 0 < gap <= REST_GAP_S:
                end += gap / 2
        bridged.append(_Segment(start, end, seg.viseme, seg.gain))
    return bridged


def _kernel(step_s: float) -> tuple[np.ndarray, int]:
    """Coarticulation kernel on the fine grid, applied as a correlation: the value at t mixes the targets
    from t - 3·BEHIND_S to t + 3·AHEAD_S, so upcoming sounds weigh in more than past ones."""
    behind = np.arange(-math.ceil(3 * BEHIND_S / step_s), 0) * step_s
    ahead = np.arange(0, math.ceil(3 * AHEAD_S / step_s) + 1) * step_s
    k = np.concatenate([np.exp(-0.5 * (behind / BEHIND_S) ** 2), np.exp(-0.5 * (ahead / AHEAD_S) ** 2)])
    return k / k.sum(), len(behind)


def _smooth(x: np.ndarray, kernel: np.ndarray, n_behind: int) -> np.ndarray:
    """out[i] = Σ_j kernel[j] · x[i - n_behind + j], with the ends held at rest (zero)."""
    n_ahead = len(kernel) - 1 - n_behind
    padded = np.concatenate([np.zeros(n_behind), x, np.zeros(n_ahead)])
    return np.correlate(padded, kernel, mode="valid")


def _loudness_gain(utterance: Utterance, n_frames: int, fps: float) -> np.ndarray:
    """Per-frame jaw gain from the audio's RMS envelope: ~0.8 for quiet sounds up to ~1.2 for the loudest."""
    audio, sr = np.nan_to_num(utterance.audio, nan=0.0, posinf=0.0, neginf=0.0), utterance.sample_rate
    hop = sr / fps
    edges = np.minimum((np.arange(n_frames + 1) * hop).astype(np.int64), len(audio))
    sq = np.concatenate([[0.0], np.cumsum(audio.astype(np.float64) ** 2)])
    counts = np.maximum(edges[1:] - edges[:-1], 1)
    rms = np.sqrt((sq[edges[1:]] - sq[edges[:-1]]) / counts)
    loud = rms[rms > 1e-4]
    if len(loud) < 2:
        return np.ones(n_frames)  # no usable envelope: leave the shapes as they are
    ref = float(np.percentile(loud, 90))
    level = np.clip(rms / ref, 0.0, 1.25)
    gain = 0.8 + 0.32 * level
    # Light smoothing so the jaw does not tremble with the waveform.
    return np.convolve(np.pad(gain, 1, mode="edge"), np.ones(3) / 3, mode="valid")


def _soft_limit(x: np.ndarray, knee: float = 0.8) -> np.ndarray:
    """Clamp to 0…1 but ease into the top, so louder or stressed vowels still open a little more."""
    x = np.maximum(x, 0.0)
    top = knee + (1 - knee) * np.tanh((x - knee) / (1 - knee))
    return np.where(x > knee, top, x)


def viseme_track(utterance: Utterance, fps: float) -> VisemeTrack:
    """The mouth to draw for each video frame: exactly frame_count(utterance.duration_s, fps) frames."""
    if fps <= 0:
        raise ValueError("fps must be positive")
    n_frames = frame_count(utterance.duration_s, fps)
    if n_frames == 0:
        return VisemeTrack(fps=fps, frames=())
    step = 1.0 / (fps * _SUBSTEPS)
    n_fine = n_frames * _SUBSTEPS
    t_fine = (np.arange(n_fine) + 0.5) * step
    segs = _segments(utterance)

    classes = np.zeros((len(Viseme), n_fine))
    axes = np.zeros((4, n_fine))  # open, width, teeth, tongue targets (rest is all zeros)
    for seg in segs:
        lo, hi = np.searchsorted(t_fine, [seg.start_s, seg.end_s])
        if hi <= lo:  # shorter than the fine grid: give it the nearest sample so it still counts
            lo = min(int(seg.start_s / step), n_fine - 1)
            hi = lo + 1
        shape = _MOUTHS[seg.viseme]
        classes[:, lo:hi] = 0.0
        classes[seg.viseme, lo:hi] = 1.0
        axes[:, lo:hi] = np.array([[shape.open * seg.gain], [shape.width], [shape.teeth], [shape.tongue]])
    covered = classes.sum(axis=0) > 0
    classes[V.SILENCE, ~covered] = 1.0

    kernel, n_behind = _kernel(step)
    smooth_axes = np.stack([_smooth(a, kernel, n_behind) for a in axes])
    smooth_classes = np.stack([_smooth(c, kernel, n_behind) for c in classes])
    smooth_classes[V.SILENCE] += 1.0 - smooth_classes.sum(axis=0)  # the padded ends are silence

    # Exposure: each frame shows the average over its own time span.
    per_frame = smooth_axes.reshape(4, n_frames, _SUBSTEPS).mean(axis=2)
    class_frames = smooth_classes.reshape(len(Viseme), n_frames, _SUBSTEPS).mean(axis=2)
    per_frame[0] *= _loudness_gain(utterance, n_frames, fps)

    # Lip closure for p b m: at least one frame fully shut, easing in and out over neighbouring frames.
    frame_t = (np.arange(n_frames) + 0.5) / fps
    ramp = max(CLOSURE_RAMP_S, 2.0 / fps)
    closure = np.ones(n_frames)  # 0 where the lips must be shut
    for seg in segs:
        if seg.viseme != V.PP:
            continue
        centre = 0.5 * (seg.start_s + seg.end_s)
        half = max(0.5 * (seg.end_s - seg.start_s), 0.5 / fps)
        dist = np.maximum(np.abs(frame_t - centre) - half, 0.0)
        gate = np.where(dist >= ramp, 1.0, 0.5 - 0.5 * np.cos(np.pi * dist / ramp))
        gate[int(np.clip(np.floor(centre * fps), 0, n_frames - 1))] = 0.0
        closure = np.minimum(closure, gate)
    for axis in (0, 2, 3):  # open, teeth, tongue all hide behind closed lips
        per_frame[axis] *= closure

    per_frame[0] = _soft_limit(per_frame[0])
    per_frame[1] = np.clip(per_frame[1], -1.0, 1.0)
    per_frame[2:] = np.clip(per_frame[2:], 0.0, 1.0)
    per_frame[np.abs(per_frame) < 1e-3] = 0.0  # deep silence is exactly the rest shape

    frames: list[VisemeFrame] = []
    for i in range(n_frames):
        o, w, te, to = (float(x) for x in per_frame[:, i])
        dominant = Viseme(int(np.argmax(class_frames[:, i])))
        if closure[i] == 0.0:
            dominant = V.PP
        weight = float(np.clip(class_frames[dominant, i], 0.0, 1.0)) if closure[i] > 0 else 1.0
        mouth = REST_MOUTH if o == w == te == to == 0.0 else MouthShape(o, w, te, to)
        frames.append(VisemeFrame(viseme=dominant, weight=weight, mouth=mouth))
    return VisemeTrack(fps=fps, frames=tuple(frames))
