"""The project's errors. Each carries a short, kind message that can be shown to the person as is.

`code` is a stable machine-readable name (used in the service's JSON errors); `status` is the HTTP
status the service answers with.
"""

from __future__ import annotations


class AvatarLabError(Exception):
    code = "error"
    status = 400
    default_message = "Something went wrong with that request."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class InvalidInput(AvatarLabError):
    code = "invalid_input"
    default_message = "That request isn't quite right."


class EmptyText(InvalidInput):
    code = "empty_text"
    default_message = "There is nothing to say yet: please type a message."


class TextTooLong(InvalidInput):
    code = "text_too_long"

    def __init__(self, length: int, limit: int) -> None:
        self.length, self.limit = length, limit
        super().__init__(
            f"That message is {length} characters long; the most I can say at once is {limit}. "
            "Please split it into shorter messages."
        )


class UnsupportedLanguage(InvalidInput):
    code = "unsupported_language"

    def __init__(self, language: str, hint: str = "") -> None:
        self.language = language
        super().__init__(f"I can't speak the language {language!r} yet.{' ' + hint if hint else ''}")


class UnknownVoice(InvalidInput):
    code = "unknown_voice"

    def __init__(self, voice: str, hint: str = "") -> None:
        self.voice = voice
        super().__init__(f"There is no voice called {voice!r}.{' ' + hint if hint else ''}")


class UnknownStyle(InvalidInput):
    code = "unknown_style"

    def __init__(self, style: str, choices: list[str] | None = None) -> None:
        self.style = style
        tail = f" Choose one of: {', '.join(choices)}." if choices else ""
        super().__init__(f"There is no avatar style called {style!r}.{tail}")


class UnknownEngine(InvalidInput):
    code = "unknown_engine"

    def __init__(self, kind: str, name: str, choices: list[str]) -> None:
        super().__init__(f"There is no {kind} engine called {name!r}. Available: {', '.join(choices)}.")


class UnsupportedMedia(InvalidInput):
    code = "unsupported_media"
    status = 415
    default_message = "I can't read that file. Please send a photo (JPEG, PNG, WebP) or a voice recording."


class CorruptMedia(InvalidInput):
    code = "corrupt_media"
    default_message = "That file seems to be damaged, so I couldn't open it. Could you send it again?"


class MediaTooLarge(InvalidInput):
    code = "media_too_large"
    status = 413
    default_message = "That file is too large for me. Please send a smaller one."


class NoFaceFound(InvalidInput):
    code = "no_face"
    status = 422
    default_message = (
        "I couldn't find a face in that photo. A clear, well-lit photo of one person looking at the "
        "camera works best, like a passport photo or a selfie."
    )


class FaceNotUsable(InvalidInput):
    """A face was found but cannot be animated well (too small, cut off, turned away)."""

    code = "face_not_usable"
    status = 422


class SizeLimitTooSmall(InvalidInput):
    code = "size_limit_too_small"

    def __init__(self, limit_bytes: int, needed_bytes: int) -> None:
        self.limit_bytes, self.needed_bytes = limit_bytes, needed_bytes
        super().__init__(
            f"This clip can't fit in {limit_bytes / 1e6:.2f} MB (it needs at least "
            f"{needed_bytes / 1e6:.2f} MB). Try a shorter message or the voice-only format."
        )


class OutputNotWritable(AvatarLabError):
    code = "output_not_writable"

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"I can't write to {path}: {reason}.")


class ModelMissing(AvatarLabError):
    """Neural weights are not installed; the message says which files and how to get them."""

    code = "model_missing"
    status = 503


class ConsentRequired(AvatarLabError):
    code = "consent_required"
    status = 403
    default_message = "Before I can do that, I need your consent. Please confirm it first."


class NotFound(AvatarLabError):
    code = "not_found"
    status = 404
    default_message = "I couldn't find that."


class Conflict(AvatarLabError):
    code = "conflict"
    status = 409
    default_message = "That already exists."


class Busy(AvatarLabError):
    code = "busy"
    status = 503
    default_message = "I'm busy right now; I'll get to it in a moment."

    def __init__(self, message: str | None = None, retry_after_s: float = 5.0) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(message)


class RateLimited(AvatarLabError):
    code = "rate_limited"
    status = 429
    default_message = "That's a lot of messages at once. Please wait a moment."

    def __init__(self, message: str | None = None, retry_after_s: float = 5.0) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(message)


class Unauthorized(AvatarLabError):
    code = "unauthorized"
    status = 401
    default_message = "Missing or wrong access token."
