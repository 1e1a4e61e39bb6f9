import pytest
import torch

from engine.models.smalle.delay import TAIL
from engine.models.smalle.generate import Generator, Request
from engine.models.smalle.sampling import SamplingConfig, gumbel_noise, sample

from .smalle_helpers import TINY, tiny_model

TEXTS = [[1, 5, 6, 7, 2], [1, 8, 9, 10, 11, 12, 13, 14, 2], [1, 20, 21, 2]]


def _stop_biased(frames_before_stop: int) -> tuple[torch.nn.Module, SamplingConfig]:
    """A model whose heads prefer the stop token overwhelmingly; min_frames holds it off until then."""
    model = tiny_model(seed=4)
    with torch.no_grad():
        direction = torch.randn(TINY.d_model, dtype=torch.float64)
        model.attentive_rnn.decoder[-1].cmix.p_out.bias.copy_(direction * 100)
        model.logits_head.weight[:, TAIL] = direction
    return model, SamplingConfig(top_k=5, max_frames=40, min_frames=frames_before_stop)


def test_batched_generation_equals_one_by_one() -> None:
    gen = Generator(tiny_model(), SamplingConfig(top_k=8, max_frames=24, min_frames=24))
    requests = [Request(t, seed=s) for s, t in enumerate(TEXTS)]
    batched = gen.generate(requests)
    for request, result in zip(requests, batched, strict=True):
        alone = gen.generate([request])[0]
        assert torch.equal(alone.codes, result.codes)
        assert torch.allclose(alone.positions, result.positions, atol=1e-6)
        assert result.codes.shape == (4, 24) and not result.stopped


def test_seeds_change_samples_and_are_reproducible() -> None:
    gen = Generator(tiny_model(), SamplingConfig(top_k=20, max_frames=16, min_frames=16))
    a, b, c = gen.generate([Request(TEXTS[0], seed=1), Request(TEXTS[0], seed=1), Request(TEXTS[0], seed=2)])
    assert torch.equal(a.codes, b.codes)
    assert not torch.equal(a.codes[0], c.codes[0])
    assert a.codes.min() >= 0 and a.codes.max() < TINY.n_codebook


def test_generation_stops_on_the_stop_frame() -> None:
    model, cfg = _stop_biased(6)
    result = Generator(model, cfg).generate([Request(TEXTS[1], seed=0)])[0]
    assert result.stopped
    assert result.codes.shape == (4, 6)
    assert result.codes.min() >= 0  # every codebook carried a real code up to the last frame


def test_length_cap_when_the_model_never_stops() -> None:
    gen = Generator(tiny_model(), SamplingConfig(top_k=3, max_frames=10, min_frames=10))
    result = gen.generate([Request(TEXTS[2])])[0]
    assert not result.stopped and result.codes.shape == (4, 10)


def test_prompt_continuation_keeps_the_prompt_frames() -> None:
    gen = Generator(tiny_model(seed=5), SamplingConfig(top_k=8, max_frames=12, min_frames=12))
    prompt = torch.randint(0, TINY.n_codebook, (4, 11), generator=torch.Generator().manual_seed(0))
    short = torch.randint(0, TINY.n_codebook, (4, 3), generator=torch.Generator().manual_seed(1))
    results = gen.generate([Request(TEXTS[1], prompt, seed=3), Request(TEXTS[0], short, seed=4)])
    assert torch.equal(results[0].prompt_codes, prompt) and results[0].codes.shape == (4, 12)
    assert torch.equal(results[1].prompt_codes, short) and results[1].codes.shape == (4, 12)
    alone = gen.generate([Request(TEXTS[1], prompt, seed=3)])[0]
    assert torch.equal(alone.codes, results[0].codes)


def test_streaming_yields_the_same_codes_in_chunks() -> None:
    gen = Generator(tiny_model(seed=6), SamplingConfig(top_k=8, max_frames=30, min_frames=30))
    request = Request(TEXTS[0], torch.zeros(4, 5, dtype=torch.long), seed=9)
    chunks = list(gen.stream(request))
    assert len(chunks) > 2
    assert torch.equal(torch.cat(chunks, 1), gen.generate([request])[0].codes)


def test_reranking_prefers_the_most_monotonic_candidate() -> None:
    gen = Generator(tiny_model(seed=7), SamplingConfig(top_k=20, max_frames=20, min_frames=20))
    request = Request(TEXTS[1], seed=10)
    best = gen.generate_best(request, candidates=4)
    losses = [g.monotonicity_loss for g in gen.generate([Request(TEXTS[1], seed=10 + i) for i in range(4)])]
    assert best.monotonicity_loss == min(losses)


def test_positions_lie_within_the_text() -> None:
    result = Generator(tiny_model(), SamplingConfig(max_frames=12)).generate([Request(TEXTS[1])])[0]
    assert (result.positions >= 0).all() and (result.positions <= len(TEXTS[1]) - 1).all()


def test_top_k_one_is_greedy_and_noise_is_gumbel() -> None:
    logits = torch.randn(3, 4, 50)
    tokens = sample(
        logits, torch.tensor([1, 2, 3]), torch.tensor(5), SamplingConfig(top_k=1, sampled_codebooks=4)
    )
    assert torch.equal(tokens, logits.argmax(-1))
    noise = gumbel_noise(torch.arange(64), torch.tensor(0), 2, 1000)
    assert abs(noise.mean().item() - 0.5772) < 0.02  # Euler–Mascheroni constant
    assert abs(noise.var().item() - 1.6449) < 0.1  # π²/6


def test_sampling_respects_top_k() -> None:
    logits = torch.arange(30.0).view(1, 1, 30).repeat(200, 1, 1)
    drawn = sample(logits, torch.arange(200), torch.tensor(0), SamplingConfig(top_k=3))
    assert set(drawn.flatten().tolist()) == {27, 28, 29}


def test_rejects_bad_prompt_and_settings() -> None:
    gen = Generator(tiny_model())
    with pytest.raises(ValueError):
        gen.generate([Request(TEXTS[0], torch.full((4, 3), TINY.n_codebook))])
    with pytest.raises(ValueError):
        gen.generate([Request([])])
    with pytest.raises(ValueError):
        gen.generate([Request([1, TINY.n_txt_vocab, 2])])
    with pytest.raises(ValueError):
        SamplingConfig(top_k=0)


class _FrameCodec:
    """A frame-local codec (each frame → 320 samples from its codes), so chunked decoding is exact."""

    sample_rate = 24000

    def decode(self, codes: torch.Tensor):
        import numpy as np

        ramp = np.linspace(-1, 1, 320, dtype=np.float32)
        return np.concatenate([ramp * (int(c) % 7) / 7 for c in codes[0]]).astype(np.float32)


def test_streamed_audio_equals_decoding_everything() -> None:
    import numpy as np

    from engine.models.smalle.streaming import stream_audio

    gen = Generator(tiny_model(seed=8), SamplingConfig(top_k=8, max_frames=28, min_frames=28))
    request = Request(TEXTS[1], seed=2)
    codec = _FrameCodec()
    chunks = list(stream_audio(gen, request, codec, context=3))
    assert len(chunks) > 2
    whole = codec.decode(gen.generate([request])[0].codes)
    assert np.array_equal(np.concatenate(chunks), whole)


def test_static_buffers_are_reused_across_calls_without_leaking_state() -> None:
    # The CUDA-graph path replays over static buffers; on the CPU the same buffers run eagerly.
    model = tiny_model(seed=9)
    cfg = SamplingConfig(top_k=8, max_frames=20, min_frames=20)
    static = Generator(model, cfg, static_buffers=True)
    fresh = Generator(model, cfg)
    for request in (Request(TEXTS[0], seed=1), Request(TEXTS[1], seed=2), Request(TEXTS[0], seed=1)):
        a, b = static.generate([request])[0], fresh.generate([request])[0]
        assert torch.equal(a.codes, b.codes)
        assert torch.allclose(a.positions, b.positions)
    assert len(static._decoders) == 1
    streamed = list(static.stream(Request(TEXTS[2], seed=5)))
    assert torch.equal(torch.cat(streamed, 1), fresh.generate([Request(TEXTS[2], seed=5)])[0].codes)
