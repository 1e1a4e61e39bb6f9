"""A long message becomes several clips, cut at sentence boundaries.

Each clip is spoken and sent as soon as it is ready, so the listener hears the first sentence while the
rest are still being made. Short sentences are grouped so a chatty message does not turn into a dozen
one-line voice notes.
"""

from __future__ import annotations

from engine.text import split_sentences

CLIP_CHARS = 300  # about 20 seconds of speech; well under a caption's 1024 characters
MAX_CLIPS = 20  # a 4096-character chat message fits in 14 full clips


def split_message(text: str, language: str = "en", max_chars: int = CLIP_CHARS) -> list[str]:
    """The message as clip texts, in order; each at most `max_chars` long, none empty."""
    clips: list[str] = []
    current = ""
    for sentence in split_sentences(text, language, max_chars):
        sentence = " ".join(sentence.split())
        if not sentence:
            continue
        if current and len(current) + 1 + len(sentence) <= max_chars:
            current = f"{current} {sentence}"
            continue
        if current:
            clips.append(current)
        current = sentence
    if current:
        clips.append(current)
    return clips


def clip_label(index: int, total: int) -> str:
    """A short "(2/3)" marker for captions when a message was split, empty otherwise."""
    return f" ({index + 1}/{total})" if total > 1 else ""
