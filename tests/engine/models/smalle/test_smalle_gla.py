import pytest
import torch
import torch.nn.functional as F

from engine.models.smalle.gla import GatedLinearAttention, gla_chunked, gla_recurrent, gla_step_


def _inputs(t: int, seed: int = 0, gate_scale: float = 4.0):
    gen = torch.Generator().manual_seed(seed)
    q, k = (torch.randn(2, 3, t, 8, generator=gen, dtype=torch.float64) for _ in range(2))
    v = torch.randn(2, 3, t, 16, generator=gen, dtype=torch.float64)
    g = F.logsigmoid(torch.randn(2, 3, t, 8, generator=gen, dtype=torch.float64) * gate_scale)
    s0 = torch.randn(2, 3, 8, 16, generator=gen, dtype=torch.float64)
    return q, k, v, g, s0


@pytest.mark.parametrize(("t", "chunk"), [(1, 16), (37, 8), (64, 16), (50, 64)])
def test_chunked_equals_recurrent(t: int, chunk: int) -> None:
    q, k, v, g, s0 = _inputs(t)
    o_rec, s_rec = gla_recurrent(q, k, v, g, s0)
    o_chk, s_chk = gla_chunked(q, k, v, g, s0, chunk)
    assert (o_rec - o_chk).abs().max() <= 1e-10
    assert (s_rec - s_chk).abs().max() <= 1e-10


def test_chunked_is_stable_with_strong_decay() -> None:
    # Gates near -40 per step would overflow a form that divides by cumulative decays.
    q, k, v, _, s0 = _inputs(48)
    g = torch.full_like(q, -40.0)
    o_rec, _ = gla_recurrent(q, k, v, g, s0)
    o_chk, _ = gla_chunked(q.float(), k.float(), v.float(), g.float(), s0.float(), 16)
    assert torch.isfinite(o_chk).all()
    assert (o_rec.float() - o_chk).abs().max() <= 1e-5


def test_float32_chunked_matches_float64_recurrent() -> None:
    q, k, v, g, s0 = _inputs(40, seed=3, gate_scale=1.0)
    o_rec, _ = gla_recurrent(q, k, v, g, s0)
    o_chk, _ = gla_chunked(*(x.float() for x in (q, k, v, g, s0)), chunk=16)
    assert (o_rec.float() - o_chk).abs().max() <= 1e-5 * o_rec.abs().max()


def test_single_step_updates_state_in_place() -> None:
    q, k, v, g, s0 = _inputs(5)
    state = s0.clone()
    outs = [gla_step_(q[:, :, i], k[:, :, i], v[:, :, i], g[:, :, i], state) for i in range(5)]
    o_rec, s_rec = gla_recurrent(q, k, v, g, s0)
    assert torch.allclose(torch.stack(outs, 2), o_rec)
    assert torch.allclose(state, s_rec)


def test_layer_forward_equals_steps() -> None:
    torch.manual_seed(0)
    layer = GatedLinearAttention(24, heads=3, low_rank=4, normalizer=16.0, eps=1e-5).double()
    x = torch.randn(2, 19, 24, dtype=torch.float64)
    y, final = layer(x, chunk=4)
    state = torch.zeros(layer.state_shape(2), dtype=torch.float64)
    steps = torch.stack([layer.step_(x[:, i], state) for i in range(19)], 1)
    assert (y - steps).abs().max() <= 1e-10
    assert (final - state).abs().max() <= 1e-10


def test_fused_projections_give_the_same_output() -> None:
    torch.manual_seed(1)
    layer = GatedLinearAttention(24, heads=2, low_rank=4, normalizer=16.0, eps=1e-5).double().eval()
    x = torch.randn(2, 9, 24, dtype=torch.float64)
    plain, _ = layer(x)
    layer.fuse()
    fused, _ = layer(x)
    assert (plain - fused).abs().max() <= 1e-12
