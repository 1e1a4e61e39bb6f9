"""Token timings from the cross-attention: the expected text position per audio frame.

The decoder's β attention gives, for every frame, the expected index of the text token being spoken.
Token j is taken to be spoken from the first frame whose (running maximum) position reaches j − ½ until the
first frame that reaches j + ½; the running maximum keeps spans ordered when the alignment wobbles back.
"""

from __future__ import annotations

import torch


def token_frames(positions: torch.Tensor, first: int, last: int) -> list[tuple[int, int]]:
    """positions [n] → (start, end) frame spans for tokens first..last (inclusive), ordered, end ≥ start."""
    n = positions.shape[0]
    ahead = torch.cummax(positions.double(), dim=0).values if n else positions.double()
    spans = []
    prev_end = 0
    for j in range(first, last + 1):
        start = max(int((ahead < j - 0.5).sum()), prev_end)
        end = max(int((ahead < j + 0.5).sum()), start)
        spans.append((start, min(end, n)))
        prev_end = min(end, n)
    return spans
