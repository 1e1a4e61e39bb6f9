import itertools

import torch

from engine.models.smalle.timing import token_frames


def test_spans_follow_the_expected_position() -> None:
    # Token 1 is read for frames 0-2, token 2 for 3-5, token 3 from frame 6 until the end.
    positions = torch.tensor([0.8, 1.0, 1.2, 1.7, 2.0, 2.3, 2.9, 3.0, 3.1])
    assert token_frames(positions, 1, 3) == [(0, 3), (3, 6), (6, 9)]


def test_backward_wobble_keeps_spans_ordered_and_unreached_tokens_are_empty() -> None:
    positions = torch.tensor([1.0, 2.0, 1.0, 1.0, 2.2])
    spans = token_frames(positions, 1, 4)
    assert spans == [(0, 1), (1, 5), (5, 5), (5, 5)]
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))


def test_no_frames() -> None:
    assert token_frames(torch.zeros(0), 0, 2) == [(0, 0), (0, 0), (0, 0)]
