"""The conditioning encoders of DiffTalk, with the official module layout so official keys load one to one.

AudioNet and AudioAttNet are AD-NeRF's audio networks; LdmNet is DiffTalk's landmark MLP. The Sequential
indices (0, 2, 4, …) match the official ones because every activation sits between the layers.
"""

from __future__ import annotations

import itertools

import torch
from torch import nn

LEAKY_SLOPE = 0.02


class AudioNet(nn.Module):
    """One window of `win_size` audio steps × `in_dim` features → a `dim_aud` vector."""

    def __init__(self, in_dim: int = 29, dim_aud: int = 64, win_size: int = 16) -> None:
        super().__init__()
        self.win_size = win_size
        convs: list[nn.Module] = []
        widths = (in_dim, 32, 32, 64, 64)
        for c_in, c_out in itertools.pairwise(widths):
            convs += [nn.Conv1d(c_in, c_out, 3, stride=2, padding=1), nn.LeakyReLU(LEAKY_SLOPE)]
        self.encoder_conv = nn.Sequential(*convs)
        self.encoder_fc1 = nn.Sequential(nn.Linear(64, 64), nn.LeakyReLU(LEAKY_SLOPE), nn.Linear(64, dim_aud))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, win_size, in_dim) → (B, dim_aud)."""
        h = self.encoder_conv(x.transpose(1, 2))
        # Four stride-2 convolutions reduce 16 steps to 1; longer windows are averaged over what is left.
        return self.encoder_fc1(h.mean(dim=-1))


class AudioAttNet(nn.Module):
    """Learnable temporal filter: weights for `seq_len` neighbouring window features, computed from their
    first `dim_aud` dimensions, and their weighted sum."""

    def __init__(self, dim_aud: int = 32, seq_len: int = 8) -> None:
        super().__init__()
        self.dim_aud, self.seq_len = dim_aud, seq_len
        convs: list[nn.Module] = []
        widths = (dim_aud, 16, 8, 4, 2, 1)
        for c_in, c_out in itertools.pairwise(widths):
            convs += [nn.Conv1d(c_in, c_out, 3, stride=1, padding=1), nn.LeakyReLU(LEAKY_SLOPE)]
        self.attentionConvNet = nn.Sequential(*convs)
        self.attentionNet = nn.Sequential(nn.Linear(seq_len, seq_len), nn.Softmax(dim=-1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, seq_len, D) → (B, D)."""
        y = self.attentionConvNet(x[..., : self.dim_aud].transpose(1, 2))  # (B, 1, seq_len)
        weights = self.attentionNet(y.flatten(1))  # (B, seq_len)
        return (weights.unsqueeze(-1) * x).sum(dim=1)


class LdmNet(nn.Module):
    """The landmark MLP: 39 points (x, y interleaved, 256-pixel units) → a `dim_out` vector."""

    def __init__(self, points: int = 39, dim_out: int = 64) -> None:
        super().__init__()
        self.encoder_fc1 = nn.Sequential(
            nn.Linear(points * 2, 128),
            nn.LeakyReLU(LEAKY_SLOPE),
            nn.Linear(128, 64),
            nn.LeakyReLU(LEAKY_SLOPE),
            nn.Linear(64, dim_out),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder_fc1(x.flatten(1))


class DiffTalkConditioner(nn.Module):
    """Audio (B, windows, steps, F) and landmarks (B, 39, 2) → the cross-attention context (B, 1, D_A+D_L)."""

    def __init__(
        self,
        audio_dim: int = 29,
        audio_window: int = 16,
        audio_windows: int = 8,
        audio_feature_dim: int = 64,
        landmark_points: int = 39,
        landmark_feature_dim: int = 64,
    ) -> None:
        super().__init__()
        self.audio_windows = audio_windows
        self.audio = AudioNet(audio_dim, audio_feature_dim, audio_window)
        self.audio_smooth = AudioAttNet(min(32, audio_feature_dim), audio_windows)
        self.landmarks = LdmNet(landmark_points, landmark_feature_dim)

    def forward(self, audio: torch.Tensor, landmarks: torch.Tensor) -> torch.Tensor:
        b, w, s, f = audio.shape
        if w != self.audio_windows:
            raise ValueError(f"expected {self.audio_windows} audio windows per frame, got {w}")
        per_window = self.audio(audio.reshape(b * w, s, f)).reshape(b, w, -1)
        a = self.audio_smooth(per_window)
        lm = self.landmarks(landmarks)
        return torch.cat([a, lm], dim=-1).unsqueeze(1)
