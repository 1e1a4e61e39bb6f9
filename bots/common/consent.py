"""The consent texts a person agrees to before their voice or face is used.

The exact text they saw is recorded with the consent (engine service), so a text that changes gets a new
version marker rather than silently changing what older consents meant.
"""

from __future__ import annotations

VOICE_CLONING = "voice_cloning"
FACE_ANIMATION = "face_animation"

CONSENT_TEXTS: dict[str, str] = {
    VOICE_CLONING: (
        "[voice v1] I agree that Avatar Lab may use recordings I send of my own voice to make a voice "
        "that sounds like me. It is used only for my messages. I can delete it at any time with /forget."
    ),
    FACE_ANIMATION: (
        "[face v1] I agree that Avatar Lab may use a photo I send of my own face to make a talking "
        "picture of me. It is used only for my messages. I can delete it at any time with /forget."
    ),
}

# What the person reads before tapping "I agree" (the recorded text without its version marker).
CONSENT_PROMPTS: dict[str, str] = {purpose: text.split("] ", 1)[1] for purpose, text in CONSENT_TEXTS.items()}
