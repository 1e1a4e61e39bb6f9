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


face_engines: Registry[FaceEngine] = Registry("face")
face_engines.register("cartoon", _cartoon)
face_engines.register("portrait", _portrait)


def engine_for(settings: FaceSettings) -> FaceEngine:
    """The engine FaceSettings.engine names (raises UnknownEngine with the choices otherwise)."""
    return face_engines.get(settings.engine)


__all__ = ["FaceEngine", "engine_for", "face_engines"]
