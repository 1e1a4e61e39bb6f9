"""SMALL-E: a GLA text-to-speech language model over EnCodec tokens (arXiv 2406.04467).

Plain model code: nothing here imports the application, so it can be reused and tested on its own.
"""

from engine.models.smalle.config import SmallEConfig
from engine.models.smalle.errors import CheckpointMismatch, SmallEError, SmallEWeightsMissing, UnsupportedText
from engine.models.smalle.model import SmallE

__all__ = [
    "CheckpointMismatch",
    "SmallE",
    "SmallEConfig",
    "SmallEError",
    "SmallEWeightsMissing",
    "UnsupportedText",
]
