"""Captions from word timings: cue building, line wrapping, SRT and WebVTT.

The speech engines time the *spoken* words ("twelve", "doctor"); a person reading captions wants the words
they typed ("12", "Dr."). So the typed text is aligned back onto the spoken timings before cues are built.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from engine.types import Timing

SENTENCE_END = (".", "!", "?", "…", "。", "！", "？")
PHRASE_END = (",", ";", ":", "—", "–", "、", "，")
MIN_CUE_S = 1.0  # shortest comfortable reading time
PAUSE_BREAK_S = 0.7  # a silence this long starts a new cue
BRIDGE_GAP_S = 0.5  # shorter gaps between cues are closed so captions don't blink off and on


@dataclass(frozen=True, slots=True)
class Cue:
    """One caption: its lines are joined with "\\n"."""

    start_s: float
    end_s: float
    text: str

    def __post_init__(self) -> None:
        if self.start_s < 0 or self.end_s <= self.start_s:
            raise ValueError(f"invalid cue {self.start_s}..{self.end_s}")


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    start_s: float
    end_s: float


def _key(word: str) -> str:
    """Comparison key: case- and punctuation-insensitive, accents kept (they distinguish words)."""
    return "".join(ch for ch in unicodedata.normalize("NFC", word).casefold() if ch.isalnum())


def _align(words: Sequence[Timing], text: str) -> list[_Token]:
    """Give each typed token the time span of the spoken words it became."""
    typed = text.split()
    if not any(_key(t) for t in typed):
        return [_Token(w.label, w.start_s, w.end_s) for w in words]
    spoken = [_key(w.label) for w in words]
    keys = [_key(t) for t in typed]
    tokens: list[_Token] = []
    matcher = difflib.SequenceMatcher(a=keys, b=spoken, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            tokens += [
                _Token(typed[i1 + k], words[j1 + k].start_s, words[j1 + k].end_s) for k in range(i2 - i1)
            ]
        elif op == "replace":
            # "12" -> "twelve", "well-known" -> "well known": spread the typed tokens over the spoken span
            start, end = words[j1].start_s, words[j2 - 1].end_s
            weights = [max(len(t), 1) for t in typed[i1:i2]]
            total, acc = sum(weights), 0
            for t, w in zip(typed[i1:i2], weights, strict=True):
                t_start = start + (end - start) * acc / total
                acc += w
                tokens.append(_Token(t, t_start, start + (end - start) * acc / total))
        elif op == "delete":
            # typed but not spoken (an emoji that was dropped, a lone dash): shown with its neighbour
            for t in typed[i1:i2]:
                if tokens:
                    prev = tokens[-1]
                    tokens[-1] = _Token(f"{prev.text} {t}", prev.start_s, prev.end_s)
                elif j1 < len(words):
                    tokens.append(_Token(t, words[j1].start_s, words[j1].start_s))
        elif op == "insert" and tokens:
            # spoken but not typed (an expansion the matcher split oddly): the previous token lasts longer
            prev = tokens[-1]
            tokens[-1] = _Token(prev.text, prev.start_s, max(prev.end_s, words[j2 - 1].end_s))
    return [t for t in tokens if t.text]


def wrap_lines(text: str, max_chars: int) -> list[str]:
    """Greedy word wrap; a word longer than a line (URLs, unspaced scripts) is cut at max_chars."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        while len(word) > max_chars:
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:max_chars])
            word = word[max_chars:]
        if not word:
            continue
        if line and len(line) + 1 + len(word) > max_chars:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    return lines


def _balanced(text: str, max_chars: int, max_lines: int) -> str:
    """Wrap into lines of similar length (a short orphan second line reads badly)."""
    lines = wrap_lines(text, max_chars)
    if len(lines) == 2:
        # the narrowest width that still gives two lines evens them out
        for width in range(max(len(text) // 2, 1), max_chars + 1):
            candidate = wrap_lines(text, width)
            if len(candidate) <= 2:
                lines = candidate
                break
    return "\n".join(lines)


def _fits(tokens: Sequence[_Token], max_chars: int, max_lines: int, max_s: float) -> bool:
    text = " ".join(t.text for t in tokens)
    return len(wrap_lines(text, max_chars)) <= max_lines and tokens[-1].end_s - tokens[0].start_s <= max_s


def _ends_sentence(word: str) -> bool:
    """Sentence-final punctuation, but not the dot of "Dr.", "Mrs." or "e.g." (those are inside one)."""
    if not word.endswith(SENTENCE_END):
        return False
    if word.endswith(".") and not word.endswith(".."):
        stem = word.rstrip(".")
        if "." in stem or (stem[:1].isupper() and stem.isalpha() and len(stem) <= 3):
            return False
    return True


def _segments(tokens: list[_Token]) -> list[list[_Token]]:
    """Split at sentence ends and pauses: a cue never runs across those."""
    segments: list[list[_Token]] = []
    current: list[_Token] = []
    for token in tokens:
        if current:
            prev = current[-1]
            sentence_done = _ends_sentence(prev.text) and prev.end_s - current[0].start_s >= MIN_CUE_S
            if sentence_done or token.start_s - prev.end_s >= PAUSE_BREAK_S:
                segments.append(current)
                current = []
        current.append(token)
    if current:
        segments.append(current)
    return segments


def _split(segment: list[_Token], max_chars: int, max_lines: int, max_s: float) -> list[list[_Token]]:
    """Cut a segment into cues that fit, choosing the cuts by a small cost (dynamic programming).

    Each cue costs 3, a cut that is not after a comma-like mark costs 2, and half-empty or too-brief
    cues cost up to 2 more: so cuts land on phrase boundaries and no word is left alone at the end.
    """
    n = len(segment)
    capacity = max_chars * max_lines
    best = [0.0] + [math.inf] * n
    back = [0] * (n + 1)
    for j in range(1, n + 1):
        for i in range(j - 1, -1, -1):
            cue = segment[i:j]
            if j - i > 1 and not _fits(cue, max_chars, max_lines, max_s):
                break  # longer cues ending at j only get worse
            if best[i] == math.inf:
                continue
            chars = len(" ".join(t.text for t in cue))
            cost = 3.0 + 2.0 * (1 - min(chars / capacity, 1.0)) ** 2
            if cue[-1].end_s - cue[0].start_s < MIN_CUE_S:
                cost += 1.0
            if j < n and not cue[-1].text.endswith(SENTENCE_END + PHRASE_END):
                cost += 2.0
            if best[i] + cost < best[j]:
                best[j], back[j] = best[i] + cost, i
    cues: list[list[_Token]] = []
    j = n
    while j > 0:
        cues.append(segment[back[j] : j])
        j = back[j]
    return cues[::-1]


def _group(tokens: list[_Token], max_chars: int, max_lines: int, max_s: float) -> list[list[_Token]]:
    return [cue for segment in _segments(tokens) for cue in _split(segment, max_chars, max_lines, max_s)]


def cues_from_words(
    words: Sequence[Timing],
    text: str,
    *,
    max_chars_per_line: int = 37,
    max_lines: int = 2,
    max_s: float = 5.0,
) -> list[Cue]:
    """Caption cues for an utterance: the typed text, timed by the spoken words, never overlapping.

    Cues break at sentence ends and pauses, and at commas when a cue is full; each stays up at least
    MIN_CUE_S when the next cue leaves room. Empty word timings give no cues.
    """
    if max_chars_per_line < 8 or max_lines < 1 or max_s <= 0:
        raise ValueError("caption layout limits are too small")
    if not words:
        return []
    tokens = _align(sorted(words, key=lambda w: w.start_s), re.sub(r"\s+", " ", text).strip())
    groups = _group(tokens, max_chars_per_line, max_lines, max_s)
    cues: list[Cue] = []
    for i, group in enumerate(groups):
        start = group[0].start_s if not cues else max(group[0].start_s, cues[-1].end_s)
        end = max(group[-1].end_s, start + MIN_CUE_S)
        if i + 1 < len(groups):
            next_start = groups[i + 1][0].start_s
            if next_start - end < BRIDGE_GAP_S:
                end = next_start
            end = min(end, next_start)
        if end <= start:  # a zero-length word squeezed between neighbours: merge it into the previous cue
            if cues:
                last = cues.pop()
                merged = f"{last.text} {' '.join(t.text for t in group)}"
                cues.append(
                    Cue(last.start_s, max(last.end_s, end), _balanced(merged, max_chars_per_line, max_lines))
                )
            continue
        text_out = _balanced(" ".join(t.text for t in group), max_chars_per_line, max_lines)
        cues.append(Cue(round(start, 3), round(end, 3), text_out))
    return cues


def _clock(seconds: float, sep: str) -> str:
    ms = round(seconds * 1000)
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _safe_lines(text: str) -> list[str]:
    # a blank line ends a cue and "-->" starts a timing line in both formats
    return [line.replace("-->", "→") for line in text.splitlines() if line.strip()]


def to_srt(cues: Sequence[Cue]) -> str:
    blocks = [
        f"{n}\n{_clock(c.start_s, ',')} --> {_clock(c.end_s, ',')}\n" + "\n".join(_safe_lines(c.text)) + "\n"
        for n, c in enumerate(cues, 1)
    ]
    return "\n".join(blocks)


def to_vtt(cues: Sequence[Cue]) -> str:
    def escape(line: str) -> str:
        return line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    blocks = [
        f"{_clock(c.start_s, '.')} --> {_clock(c.end_s, '.')}\n"
        + "\n".join(escape(line) for line in _safe_lines(c.text))
        + "\n"
        for c in cues
    ]
    return "WEBVTT\n\n" + "\n".join(blocks)
