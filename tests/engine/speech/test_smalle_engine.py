"""The smalle SpeechEngine on a tiny converted model.

The EnCodec/Vocos codec is built by another module and is not in the tree yet, so these tests decode with
`ToneCodec`: a small, real implementation of the codec protocol (each frame becomes 320 samples of a tone
whose pitch follows codebook 0), enough to check lengths and timings end to end.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.errors import EmptyText, InvalidInput, ModelMissing, UnknownVoice, UnsupportedLanguage
from engine.models.smalle.codec import AudioCodec
from engine.models.smalle.config import SmallEConfig
from engine.models.smalle.convert import import_smalle
from engine.models.smalle.model import SmallE
from engine.models.smalle.rotary import rotary_freqs
from engine.models.smalle.sampling import SamplingConfig
from engine.speech.base import SpeechEngine
from engine.speech.smalle import SmallESpeechEngine, available, save_voice_prompt
from engine.types import VoiceSettings

CFG = SmallEConfig(
    d_model=32,
    d_context=32,
    n_codebook=64,
    enc_layers=1,
    enc_heads=2,
    gla_layers=1,
    gla_heads=2,
    d_blind=16,
    pos_heads=2,
)


class ToneCodec:
    sample_rate = 24000

    def encode(self, wave: np.ndarray, sample_rate: int) -> torch.Tensor:
        frames = max(1, round(len(wave) / sample_rate * 75))
        return torch.zeros(4, frames, dtype=torch.long)

    def decode(self, codes: torch.Tensor) -> np.ndarray:
        t = np.arange(320) / self.sample_rate
        return np.concatenate([0.2 * np.sin(2 * math.pi * (100 + int(c)) * t) for c in codes[0]]).astype(
            np.float32
        )


def _bpe(path: Path) -> Path:
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

    alphabet = [" ", *".,!?'", *"abcdefghijklmnopqrstuvwxyz"]
    vocab = {"[PAD]": 0, "[BOS]": 1, "[EOS]": 2, **{c: i + 3 for i, c in enumerate(alphabet)}}
    filler = [f"{a}{b}" for a in "etaoinshr" for b in "etaoinshr"]
    merges = []
    for pair in filler:
        if len(vocab) == 256:
            break
        vocab[pair] = len(vocab)
        merges.append((pair[0], pair[1]))
    while len(vocab) < 256:
        vocab[f"[unused{len(vocab)}]"] = len(vocab)
    tok = Tokenizer(models.BPE(vocab, merges, unk_token="[UNK]"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Punctuation("isolated"), pre_tokenizers.Split(" ", "isolated")]
    )
    tok.save(str(path))
    return path


@pytest.fixture(autouse=True)
def _one_thread():
    # The tiny model is launch-bound: extra threads only contend on a shared machine.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("smalle-engine")
    torch.manual_seed(0)
    sd = dict(SmallE(CFG).state_dict())
    sd["txt_encoder.sa.0.tmix.rotary.freqs"] = rotary_freqs(8).float()
    sd["attentive_rnn.cross_att.rotary.freqs"] = rotary_freqs(16).float()
    torch.save({"model": sd}, root / "ckpt.pt")
    import_smalle(root / "ckpt.pt", _bpe(root / "bpe256.json"), root / "models", progress=False)
    return root / "models"


def _engine(models_dir: Path, codec: AudioCodec | None = None) -> SmallESpeechEngine:
    sampling = SamplingConfig(top_k=10, max_frames=30, min_frames=20)
    return SmallESpeechEngine(models_dir, codec=codec or ToneCodec(), device="cpu", sampling=sampling)


def test_not_installed_raises_model_missing_with_the_fix(tmp_path: Path) -> None:
    assert not available(tmp_path)
    with pytest.raises(ModelMissing) as err:
        _engine(tmp_path).synthesize("hello", VoiceSettings(engine="smalle"))
    assert "avatarlab models import smalle" in err.value.message


def test_synthesizes_audio_with_ordered_word_timings(models_dir: Path) -> None:
    assert available(models_dir)
    engine = _engine(models_dir)
    assert isinstance(engine, SpeechEngine)
    text = "Hello there, how are you?"
    utt = engine.synthesize(text, VoiceSettings(engine="smalle"))
    assert utt.sample_rate == 24000 and utt.audio.dtype == np.float32
    assert 20 * 320 <= len(utt.audio) <= 30 * 320
    assert [w.label for w in utt.words] == text.split()
    assert all(a.end_s <= b.start_s + 1e-9 for a, b in zip(utt.words, utt.words[1:], strict=False))
    assert utt.words[-1].end_s <= utt.duration_s + 1e-9
    again = engine.synthesize(text, VoiceSettings(engine="smalle"))
    assert np.array_equal(again.audio, utt.audio)  # same message, same take


def test_phonemes_spread_over_words_when_a_phonemizer_is_given(models_dir: Path) -> None:
    engine = _engine(models_dir)
    engine.phonemizer = lambda word, language: list(word.lower().strip(",.?"))
    utt = engine.synthesize("say hi", VoiceSettings())
    assert [p.label for p in utt.phonemes] == ["s", "a", "y", "h", "i"]
    assert utt.phonemes[0].start_s == utt.words[0].start_s


def test_cloned_voice_uses_the_saved_prompt(models_dir: Path) -> None:
    save_voice_prompt(models_dir, "anna", torch.randint(0, 64, (4, 30)), "this is my voice")
    engine = _engine(models_dir)
    assert "anna" in [v.id for v in engine.voices()]
    utt = engine.synthesize("good morning", VoiceSettings(voice="anna"))
    assert [w.label for w in utt.words] == ["good", "morning"]
    with pytest.raises(UnknownVoice):
        engine.synthesize("good morning", VoiceSettings(voice="bob"))
    with pytest.raises(InvalidInput):
        save_voice_prompt(models_dir, "../evil", torch.zeros(4, 3, dtype=torch.long), "x")


def test_user_input_errors_are_kind_and_specific(models_dir: Path) -> None:
    engine = _engine(models_dir)
    with pytest.raises(EmptyText):
        engine.synthesize("   ", VoiceSettings())
    with pytest.raises(UnsupportedLanguage):
        engine.synthesize("hola", VoiceSettings(language="es"))
    with pytest.raises(InvalidInput, match="'3'") as err:
        engine.synthesize("I have 3 cats", VoiceSettings())
    assert "written out as words" in err.value.message


def test_missing_codec_is_reported_as_missing_weights(models_dir: Path) -> None:
    engine = SmallESpeechEngine(models_dir, codec=None, device="cpu")
    with pytest.raises(ModelMissing, match="EnCodec"):
        engine.synthesize("hello", VoiceSettings())


def test_sentences_are_generated_together_and_joined_in_order(models_dir: Path) -> None:
    engine = _engine(models_dir)
    text = "Good morning. How are you today? I am fine"
    utt = engine.synthesize(text, VoiceSettings())
    assert [w.label for w in utt.words] == text.split()
    assert all(a.end_s <= b.start_s + 1e-9 for a, b in zip(utt.words, utt.words[1:], strict=False))
    assert 3 * 20 * 320 <= len(utt.audio) <= 3 * 30 * 320
    assert utt.words[2].start_s >= utt.duration_s / 3 - 30 / 75  # "How" is in the second sentence


def test_streamed_audio_matches_the_finished_clip(models_dir: Path) -> None:
    engine = _engine(models_dir)
    text = "Good morning. See you soon!"
    chunks = list(engine.stream_audio(text, VoiceSettings()))
    assert len(chunks) > 2
    assert np.array_equal(np.concatenate(chunks), engine.synthesize(text, VoiceSettings()).audio)
    with pytest.raises(EmptyText):
        engine.stream_audio("", VoiceSettings())


def test_damaged_weights_are_reported_with_the_fix(models_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "models" / "smalle"
    broken.mkdir(parents=True)
    for name in ("config.json", "tokenizer.json"):
        (broken / name).write_bytes((models_dir / "smalle" / name).read_bytes())
    (broken / "model.safetensors").write_bytes(b"\0" * 100)
    with pytest.raises(ModelMissing, match="damaged") as err:
        _engine(tmp_path / "models").synthesize("hello", VoiceSettings())
    assert "avatarlab models import smalle" in err.value.message


def test_tuned_voice_from_initial_state_tuning(models_dir: Path) -> None:
    from engine.models.smalle.convert import load_model
    from engine.models.smalle.ist import InitialState, new_initial_state

    states = models_dir / "smalle" / "states"
    states.mkdir(exist_ok=True)
    init = new_initial_state(load_model(models_dir / "smalle"), rank=1, seed=1)
    InitialState(init.a, [b * 1000 for b in init.b]).save(states / "anna-ist.safetensors")
    InitialState([a[:, :2] for a in init.a], init.b).save(states / "other-model.safetensors")
    engine = _engine(models_dir)
    plain = engine.synthesize("good morning", VoiceSettings())
    tuned = engine.synthesize("good morning", VoiceSettings(reference="anna-ist"))
    assert [w.label for w in tuned.words] == ["good", "morning"]
    assert not np.array_equal(plain.audio, tuned.audio)
    with pytest.raises(UnknownVoice, match="not installed"):
        engine.synthesize("good morning", VoiceSettings(reference="nobody"))
    with pytest.raises(UnknownVoice, match="different SMALL-E model"):
        engine.synthesize("good morning", VoiceSettings(reference="other-model"))
