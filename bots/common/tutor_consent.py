"""The statement a student agrees to so that tutors may speak for them in one place (a class server).

Like the texts in bots.common.consent, the recorded text carries a version marker and the person reads it
without the marker, so a reworded statement never changes what an older consent meant.
"""

from __future__ import annotations

ACT_FOR_ME = "act_for_me"
VERSION = "[act_for_me v1] "


def act_for_me_prompt(place: str) -> str:
    """What the student reads before pressing "I agree"; `place` names the server."""
    return (
        f"I agree that the tutors of {place} may speak my saved phrases and messages in my voice and with my "
        "avatar, in that place only. Everything they send for me says who sent it. I can take this back at "
        "any time."
    )


def act_for_me_text(place: str) -> str:
    """The text recorded with the consent."""
    return VERSION + act_for_me_prompt(place)
