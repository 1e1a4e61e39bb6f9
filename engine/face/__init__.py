"""Face engines: the protocol, the registry and the built-in engines."""

from __future__ import annotations

from engine.face.base import FaceEngine
from engine.registry import Registry
from engine.types import FaceSettings


def _cartoon() -> FaceEngine:
    from engine.face.cartoon import CartoonFaceEngine

    return CartoonFaceEngine()


def _portrait() -> FaceEngine:
    from engine.face.portrait import PortraitFaceEngine

    return PortraitFaceEngine()


def _difftalk() -> FaceEngine:
    from engine.face.difftalk import DiffTalkFaceEngine

    return DiffTalkFaceEngine()


face_engines: Registry[FaceEngine] = Registry("face")
face_engines.register("cartoon", _cartoon)
face_engines.register("portrait", _portrait)
face_engines.register("difftalk", _difftalk)


def engine_for(settings: FaceSettings) -> FaceEngine:
    """The engine FaceSettings.engine names (raises UnknownEngine with the choices otherwise)."""
    return face_engines.get(settings.engine)


__all__ = ["FaceEngine", "engine_for", "face_engines"]
