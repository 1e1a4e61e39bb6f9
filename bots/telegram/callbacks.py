"""Callback data of the inline buttons: "<verb>:<arg>:<arg>…", at most 64 bytes (a Bot API limit)."""

from __future__ import annotations

MAX_BYTES = 64

# Verbs
LANG = "lang"  # lang:<onboarding 0|1>:<code>
VOICE_SET = "vset"  # vset:<onboarding 0|1>:<engine>:<voice id>
VOICE_MENU = "voice"  # voice:<presets|own|sample>
VOICE_KNOB = "knob"  # knob:<rate|pitch|volume>:<+|->
CONSENT = "consent"  # consent:<purpose>:<yes|no>
FACE = "face"  # face:<own|styles|clear>
STYLE = "style"  # style:<name>
PHRASE_SAY = "say"  # say:<phrase id>
PHRASE_EDIT = "pedit"  # pedit:<list|edit>
PHRASE_MOVE = "pmove"  # pmove:<phrase id>:<-1|1>
PHRASE_DELETE = "pdel"  # pdel:<phrase id>
SAVE_SPOKEN = "save"  # save  (the text is the caption of the message the button sits under)
SPEAK_EDITED = "edit"  # edit:<message id>:<edit date>
SETTING = "set"  # set:<output|captions|language>:<value>
FORGET = "forget"  # forget:<yes|no>


def make(verb: str, *args: object) -> str | None:
    """The callback data, or None when it would be too long for Telegram (the button is then left out)."""
    data = ":".join([verb, *(str(a) for a in args)])
    return data if len(data.encode()) <= MAX_BYTES else None


def parse(data: str | None) -> tuple[str, list[str]]:
    """(verb, args); an empty verb for data this bot did not make."""
    if not data:
        return "", []
    verb, *args = data.split(":")
    return verb, args
