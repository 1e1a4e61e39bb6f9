"""Inline keyboards: every action of the bot is one tap or one command away (keyboard-only use)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bots.common import messages
from bots.common.formatting import phrase_label, short
from bots.common.languages import LANGUAGES
from bots.common.voices import preset_voices
from bots.telegram import callbacks as cb
from engine.service.schema import Phrase
from engine.speech.base import VoiceInfo


def _button(label: str, verb: str, *args: object) -> InlineKeyboardButton | None:
    data = cb.make(verb, *args)
    return InlineKeyboardButton(label, callback_data=data) if data else None


def _rows(rows: Iterable[Sequence[InlineKeyboardButton | None]]) -> InlineKeyboardMarkup:
    kept = [[b for b in row if b is not None] for row in rows]
    return InlineKeyboardMarkup([row for row in kept if row])


def languages(onboarding: bool) -> InlineKeyboardMarkup:
    buttons = [_button(name, cb.LANG, int(onboarding), code) for code, name in LANGUAGES.items()]
    return _rows([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def voices(options: Sequence[VoiceInfo], language: str, onboarding: bool) -> InlineKeyboardMarkup:
    chosen = preset_voices(options, language)
    return _rows(
        [[_button(short(v.name, 40), cb.VOICE_SET, int(onboarding), v.engine, v.id)] for v in chosen]
    )


def voice_menu() -> InlineKeyboardMarkup:
    return _rows(
        [
            [
                _button("Pick a voice", cb.VOICE_MENU, "presets"),
                _button("Use my own voice", cb.VOICE_MENU, "own"),
            ],
            [_button("Slower", cb.VOICE_KNOB, "rate", "-"), _button("Faster", cb.VOICE_KNOB, "rate", "+")],
            [_button("Lower", cb.VOICE_KNOB, "pitch", "-"), _button("Higher", cb.VOICE_KNOB, "pitch", "+")],
            [
                _button("Quieter", cb.VOICE_KNOB, "volume", "-"),
                _button("Louder", cb.VOICE_KNOB, "volume", "+"),
            ],
            [_button("Hear a sample", cb.VOICE_MENU, "sample")],
        ]
    )


def consent(purpose: str) -> InlineKeyboardMarkup:
    return _rows(
        [[_button("I agree", cb.CONSENT, purpose, "yes"), _button("No, thanks", cb.CONSENT, purpose, "no")]]
    )


def _style_label(style: str) -> str:
    return style.replace("_", " ").replace("-", " ").capitalize()


def face_menu(styles: Sequence[str], has_photo: bool) -> InlineKeyboardMarkup:
    """The photo option, then the main cartoon styles (their skin tones come after one is picked)."""
    main = [s for s in styles if "-" not in s] or list(styles)
    style_buttons = [_button(_style_label(s), cb.STYLE, s) for s in main]
    rows: list[list[InlineKeyboardButton | None]] = [[_button("Use my photo", cb.FACE, "own")]]
    rows += [style_buttons[i : i + 3] for i in range(0, len(style_buttons), 3)]
    if has_photo:
        rows.append([_button("Delete my photo", cb.FACE, "clear")])
    return _rows(rows)


def style_tones(style: str, styles: Sequence[str]) -> InlineKeyboardMarkup | None:
    """The skin tones of a cartoon style ("sunny" → "sunny-light", …), or None when it has none."""
    base = style.split("-")[0]
    tones = [s for s in styles if s.startswith(f"{base}-")]
    if not tones:
        return None
    buttons = [_button(s.split("-", 1)[1].capitalize(), cb.STYLE, s) for s in tones]
    return _rows([buttons[i : i + 3] for i in range(0, len(buttons), 3)])


def spoken(save: bool) -> InlineKeyboardMarkup | None:
    """Under a spoken message: one tap saves it to the phrase book."""
    return _rows([[_button("Save phrase", cb.SAVE_SPOKEN)]]) if save else None


def speak_edited(message_id: int, edit_date: int) -> InlineKeyboardMarkup:
    return _rows([[_button("Speak the edited text", cb.SPEAK_EDITED, message_id, edit_date)]])


def phrases(items: Sequence[Phrase]) -> InlineKeyboardMarkup:
    rows = [[_button(phrase_label(p), cb.PHRASE_SAY, p.id)] for p in items]
    rows.append([_button("Edit phrases", cb.PHRASE_EDIT, "edit")])
    return _rows(rows)


def phrases_edit(items: Sequence[Phrase]) -> InlineKeyboardMarkup:
    rows = [
        [
            _button("↑", cb.PHRASE_MOVE, p.id, -1),
            _button(short(p.text, 24), cb.PHRASE_SAY, p.id),
            _button("↓", cb.PHRASE_MOVE, p.id, 1),
            _button("Delete", cb.PHRASE_DELETE, p.id),
        ]
        for p in items
    ]
    rows.append([_button("Done", cb.PHRASE_EDIT, "list")])
    return _rows(rows)


def settings(output: str, captions: str) -> InlineKeyboardMarkup:
    def mark(label: str, on: bool) -> str:
        return f"✓ {label}" if on else label

    return _rows(
        [
            [
                _button(mark(name.capitalize(), output == key), cb.SETTING, "output", key)
                for key, name in messages.OUTPUTS.items()
            ],
            [
                _button(mark(f"Captions {name}", captions == key), cb.SETTING, "captions", key)
                for key, name in messages.CAPTIONS.items()
            ],
            [_button("Change language", cb.SETTING, "language", "menu")],
        ]
    )


def forget() -> InlineKeyboardMarkup:
    return _rows(
        [[_button("Yes, delete everything", cb.FORGET, "yes"), _button("No, keep it", cb.FORGET, "no")]]
    )
