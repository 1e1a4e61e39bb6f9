"""The codec plugged into SMALL-E generation: a real recording becomes a cloning prompt, and the generated
codes become audio, streamed while they are generated with the same samples as a one-shot decode."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.models.smalle.codec import EncodecVocosCodec, import_codec, load_codec
from engine.models.smalle.config import SmallEConfig
from engine.models.smalle.generate import Generator, Request
from engine.models.smalle.model import SmallE
from engine.models.smalle.sampling import SamplingConfig
from engine.models.smalle.tokenizer import CharTokenizer

from .test_codec_layouts import TINY_ENCODEC, TINY_VOCOS, official_encodec, official_vocos

# A tiny SMALL-E over the real 1024-entry codebooks (its other sizes do not matter to the codec).
CFG = SmallEConfig(
    d_model=32,
    d_context=32,
    n_txt_vocab=40,
    enc_layers=1,
    enc_heads=2,
    gla_layers=1,
    gla_heads=2,
    d_blind=16,
    pos_heads=2,
    tokenizer="char",
)


@pytest.fixture(scope="module")
def codec(tmp_path_factory: pytest.TempPathFactory) -> EncodecVocosCodec:
    root = tmp_path_factory.mktemp("codec")
    official_encodec(root / "encodec_24khz-d7cc33bc.th", **TINY_ENCODEC)
    bin_path, _, _ = official_vocos(root / "vocos", **TINY_VOCOS)
    return load_codec(import_codec(root / "encodec_24khz-d7cc33bc.th", bin_path, root / "smalle").parent)


@pytest.fixture(scope="module")
def generator() -> Generator:
    torch.manual_seed(0)
    return Generator(SmallE(CFG), SamplingConfig(top_k=20, max_frames=60, min_frames=40))


def _prompt(codec: EncodecVocosCodec, shared_data: Path) -> tuple[torch.Tensor, str]:
    with wave.open(str(shared_data / "audio" / "LJ001-0002.wav"), "rb") as fh:
        pcm = np.frombuffer(fh.readframes(fh.getnframes()), dtype="<i2")
        rate = fh.getframerate()
    return codec.encode(pcm, rate), "in being comparatively modern."


def test_a_recorded_prompt_and_generated_codes_decode_to_24khz_audio(
    codec: EncodecVocosCodec, generator: Generator, shared_data: Path
) -> None:
    prompt, transcript = _prompt(codec, shared_data)
    assert prompt.shape == (4, 143)  # 1.90 s at 75 Hz
    ids = CharTokenizer().encode(f"{transcript} hello there.").ids
    result = generator.generate([Request(ids, prompt, seed=3)])[0]
    assert result.prompt_codes.shape == prompt.shape
    assert 40 <= result.codes.shape[1] <= 60
    audio = codec.decode(result.codes)
    assert audio.shape == (result.codes.shape[1] * 320,) and np.isfinite(audio).all()


def test_streamed_generation_decodes_to_the_one_shot_audio(
    codec: EncodecVocosCodec, generator: Generator
) -> None:
    request = Request(CharTokenizer().encode("a short streamed sentence.").ids, seed=5)
    stream = codec.stream()
    chunks, codes = [], []
    for new in generator.stream(request):
        codes.append(new)
        chunks.append(stream.push(new))
    chunks.append(stream.flush())
    everything = torch.cat(codes, dim=1)
    assert len(codes) > 1  # it really arrived in pieces
    np.testing.assert_allclose(np.concatenate(chunks), codec.decode(everything), atol=2e-5, rtol=1e-4)
