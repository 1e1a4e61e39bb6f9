"""The audio codec SMALL-E needs (EnCodec 24 kHz, 3 kbps; decoded with Vocos).

The generator and the speech adapter only rely on the `AudioCodec` protocol; `load_codec` builds the real
one (encodec.py + vocos.py) from <model_dir>/codec, which `import_codec` fills from the official files.
Codes are raw codebook indices 0..1023 (without SMALL-E's +3 special-token offset).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
import torch
import torchaudio

from engine.models.smalle.encodec import (
    ENCODEC_CONFIG,
    ENCODEC_WEIGHTS,
    Encodec,
    encodec_state_dict,
    load_encodec,
    write_atomically,
)
from engine.models.smalle.errors import CheckpointMismatch, SmallEError, SmallEWeightsMissing
from engine.models.smalle.vocos import VOCOS_CONFIG, VOCOS_WEIGHTS, Vocos, load_vocos, vocos_state_dict

CODEC_FRAME_RATE = 75
CODEC_SAMPLE_RATE = 24000
CODEC_QUANTIZERS = 4


@runtime_checkable
class AudioCodec(Protocol):
    sample_rate: int  # of decoded audio: 24000

    def encode(self, wave: np.ndarray, sample_rate: int) -> torch.Tensor:
        """Mono float audio at any rate → LongTensor codes [4, T] at 75 Hz."""
        ...

    def decode(self, codes: torch.Tensor) -> np.ndarray:
        """LongTensor codes [4, T] → mono float32 audio at 24 kHz (T × 320 samples)."""
        ...


# -- the EnCodec encoder + Vocos decoder implementation ------------------------------------------------------

CODEC_DIR = "codec"  # inside the SMALL-E model directory
CODEC_FILES = (ENCODEC_WEIGHTS, ENCODEC_CONFIG, VOCOS_WEIGHTS, VOCOS_CONFIG)
ENCODEC_URL = "https://dl.fbaipublicfiles.com/encodec/v0/encodec_24khz-d7cc33bc.th"
VOCOS_URL = "https://huggingface.co/charactr/vocos-encodec-24khz"
_MAX_CHANNELS = 8  # more "channels" than this means a [samples, channels] array was passed
_MAX_INPUT_SECONDS = 600.0
_ENCODE_SEGMENT = 750  # frames (10 s): bounds the encoder's activations to about 220 MB


class CodecWeightsMissing(SmallEWeightsMissing):
    """The converted EnCodec/Vocos files are not in the model directory."""

    def __init__(self, model_dir: Path, missing: list[str]) -> None:
        self.model_dir, self.missing = model_dir, missing
        SmallEError.__init__(
            self,
            f"The SMALL-E codec weights are not installed in {model_dir / CODEC_DIR} (missing: "
            f"{', '.join(missing)}). Download encodec_24khz-d7cc33bc.th from {ENCODEC_URL} and "
            f"pytorch_model.bin + config.yaml from {VOCOS_URL}, then run `avatarlab models import smalle "
            "--encodec encodec_24khz-d7cc33bc.th --vocos pytorch_model.bin` (config.yaml beside it).",
        )


class CodecInputError(SmallEError, ValueError):
    """Audio or codes that the codec cannot take (empty, not finite, wrong shape or range)."""


class EncodecVocosCodec:
    """The SMALL-E codec: EnCodec 24 kHz codes at 3 kb/s, decoded to audio by Vocos."""

    sample_rate = CODEC_SAMPLE_RATE

    def __init__(self, encodec: Encodec, vocos: Vocos, n_q: int = CODEC_QUANTIZERS) -> None:
        if encodec.cfg.sample_rate != CODEC_SAMPLE_RATE or vocos.cfg.hop_length != encodec.cfg.hop_length:
            raise CheckpointMismatch("EnCodec and Vocos do not share the 24 kHz, 75 Hz frame grid")
        if vocos.cfg.bins != encodec.cfg.bins or vocos.cfg.input_channels != encodec.cfg.dimension:
            raise CheckpointMismatch("this Vocos was not trained on this EnCodec's codebooks")
        vocos.cfg.bandwidth_id(n_q)  # fails early when Vocos has no bandwidth for n_q codebooks
        self.encodec, self.vocos, self.n_q = encodec.eval(), vocos.eval(), n_q

    @property
    def device(self) -> torch.device:
        return next(self.vocos.parameters()).device

    def encode(self, wave: np.ndarray, sample_rate: int) -> torch.Tensor:
        """Mono (or [channels, samples], averaged) audio at any rate → codes [n_q, ceil(seconds × 75)]."""
        audio = np.asarray(wave)
        if audio.dtype.kind not in "fiu" or audio.ndim not in (1, 2) or audio.size == 0:
            raise CodecInputError("the codec needs a non-empty 1-D (or channels × samples) array of audio")
        if audio.ndim == 2 and audio.shape[0] > _MAX_CHANNELS:
            raise CodecInputError(f"audio arrays are [channels, samples]; got {audio.shape[0]} channels")
        if not isinstance(sample_rate, int | np.integer) or not 1000 <= sample_rate <= 384_000:
            raise CodecInputError(f"unsupported sample rate {sample_rate!r}")
        if audio.shape[-1] > _MAX_INPUT_SECONDS * sample_rate:
            raise CodecInputError(
                f"the codec takes at most {_MAX_INPUT_SECONDS:.0f} s of audio at once; split the recording"
            )
        x = torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32))
        if audio.dtype.kind == "i":  # PCM integers → [-1, 1]
            x = x / float(np.iinfo(audio.dtype).max)
        elif audio.dtype.kind == "u":  # unsigned PCM (8-bit WAV) is centred on half its range
            half = (float(np.iinfo(audio.dtype).max) + 1) / 2
            x = (x - half) / half
        if not torch.isfinite(x).all():
            raise CodecInputError("the audio holds NaN or infinite samples")
        if x.dim() == 2:
            x = x.mean(dim=0)
        if sample_rate != CODEC_SAMPLE_RATE:
            x = torchaudio.functional.resample(x, int(sample_rate), CODEC_SAMPLE_RATE)
        param = next(self.encodec.parameters())
        codes = self.encodec.encode(x.to(param.device, param.dtype)[None, None], self.n_q, _ENCODE_SEGMENT)
        return codes[0].to("cpu", torch.int64)

    def decode(self, codes: torch.Tensor) -> np.ndarray:
        """Codes [n_q, T] → float32 audio at 24 kHz, T × 320 samples."""
        return self.vocos.decode(self._check(codes))[0].cpu().numpy()

    def decode_encodec(self, codes: torch.Tensor) -> np.ndarray:
        """The same codes through EnCodec's own decoder (lower quality than Vocos; for comparison)."""
        codes = self._check(codes).to(next(self.encodec.parameters()).device)
        return self.encodec.decode(codes[None])[0, 0].float().cpu().numpy()

    def stream(self) -> CodecStream:
        """Decode codes while they are generated; see `VocosStream` for the latency."""
        return CodecStream(self)

    def _check(self, codes: torch.Tensor) -> torch.Tensor:
        codes = torch.as_tensor(codes)
        if codes.dim() != 2 or codes.shape[0] != self.n_q or not _is_integer(codes):
            raise CodecInputError(f"codes must be integers shaped [{self.n_q}, T], got {tuple(codes.shape)}")
        if codes.numel() and (codes.min() < 0 or codes.max() >= self.vocos.cfg.bins):
            raise CodecInputError(f"codes must lie in 0..{self.vocos.cfg.bins - 1}")
        return codes


def _is_integer(t: torch.Tensor) -> bool:
    return not (t.is_floating_point() or t.is_complex() or t.dtype == torch.bool)


class CodecStream:
    """Push codes [n_q, n] as they are generated; get back float32 audio that will not change."""

    def __init__(self, codec: EncodecVocosCodec) -> None:
        self._codec = codec
        self._stream = codec.vocos.stream()

    @property
    def latency_frames(self) -> int:
        """Frames held back before their audio is final (the decoder's look-ahead)."""
        return self._stream.lookahead

    def push(self, codes: torch.Tensor) -> np.ndarray:
        return self._stream.push(self._codec._check(codes)).cpu().numpy()

    def flush(self) -> np.ndarray:
        return self._stream.flush().cpu().numpy()


def codec_missing_files(model_dir: Path) -> list[str]:
    folder = Path(model_dir) / CODEC_DIR
    return [f"{CODEC_DIR}/{name}" for name in CODEC_FILES if not (folder / name).is_file()]


def load_codec(
    model_dir: Path, device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32
) -> EncodecVocosCodec:
    """EnCodec + Vocos from <model_dir>/codec (written by `import_codec`), in eval mode on `device`.

    `dtype` applies to Vocos (bf16/fp16 halve its memory and speed it up on GPUs; its ISTFT stays fp32).
    EnCodec stays fp32: the quantiser's nearest-entry search must not depend on the precision."""
    model_dir = Path(model_dir)
    missing = codec_missing_files(model_dir)
    if missing:
        raise CodecWeightsMissing(model_dir, missing)
    folder = model_dir / CODEC_DIR
    vocos = load_vocos(folder, device).to(dtype)
    return EncodecVocosCodec(load_encodec(folder, device), vocos)


def import_codec(encodec: Path, vocos: Path, model_dir: Path, vocos_config: Path | None = None) -> Path:
    """Convert the official EnCodec checkpoint and Vocos files into <model_dir>/codec.

    `vocos_config` defaults to the config.yaml beside `vocos`, where a Hugging Face download puts it. Both
    models are read and checked before anything is written, so wrong files leave the directory as it was.
    """
    vocos = Path(vocos)
    vocos_config = Path(vocos_config) if vocos_config is not None else vocos.with_name("config.yaml")
    enc_cfg, enc_weights = encodec_state_dict(Path(encodec))
    voc_cfg, voc_weights = vocos_state_dict(vocos, vocos_config)
    with torch.device("meta"):
        EncodecVocosCodec(Encodec(enc_cfg), Vocos(voc_cfg))  # the pair must fit together
    folder = Path(model_dir) / CODEC_DIR
    write_atomically(
        folder,
        {
            ENCODEC_WEIGHTS: enc_weights,
            ENCODEC_CONFIG: enc_cfg.to_json(),
            VOCOS_WEIGHTS: voc_weights,
            VOCOS_CONFIG: voc_cfg.to_json(),
        },
    )
    return folder
