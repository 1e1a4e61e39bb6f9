"""DiffTalk (Shen et al., CVPR 2023) as plain diffusers model code: no imports from the app."""

from engine.models.difftalk.config import DiffTalkConfig
from engine.models.difftalk.model import DiffTalkModel

__all__ = ["DiffTalkConfig", "DiffTalkModel"]
