"""The consent statements a person agrees to before their voice or face is used, on any platform.

The exact text shown is recorded with the consent (the engine stores it), so changing a statement here
changes what future consents say, never what earlier ones said.
"""

from __future__ import annotations

VOICE_CLONING = (
    "I agree that Avatar Lab may use this recording to make a copy of my voice, and use that voice only to "
    "speak the messages I send (or that a tutor I allow sends for me). The recording and the voice are "
    "mine: I can see them with /export and delete them with /forget at any time."
)

FACE_ANIMATION = (
    "I agree that Avatar Lab may use this photo of me to make a talking picture of my face, and use it only "
    "for the messages I send (or that a tutor I allow sends for me). I confirm that the photo shows me. "
    "I can delete it with /forget at any time."
)


def act_for_me(place: str) -> str:
    """The statement a student agrees to so that tutors may speak for them in one place (e.g. a server)."""
    return (
        f"I agree that the tutors of {place} may speak my saved phrases and messages in my voice and with my "
        "avatar, in that place only. Everything they send for me says who sent it. I can take this back at "
        "any time."
    )


STATEMENTS = {"voice_cloning": VOICE_CLONING, "face_animation": FACE_ANIMATION}
