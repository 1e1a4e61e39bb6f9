"""The `smalle` SpeechEngine: SMALL-E codes decoded by the EnCodec/Vocos codec, with timings from PACA.

Weights live in <models_dir>/smalle (written by `avatarlab models import smalle`). A person's cloned voice is
a prompt — their recorded sample's codec codes plus its transcript — stored as
<models_dir>/smalle/voices/<id>.safetensors and chosen with VoiceSettings.voice; a voice tuned with
Initial-State Tuning is <models_dir>/smalle/states/<id>.safetensors, chosen with VoiceSettings.reference.
Rate, pitch and volume are applied afterwards by the shared speech effects, like for every engine.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from engine.errors import EmptyText, InvalidInput, ModelMissing, UnknownVoice, UnsupportedLanguage
from engine.models.smalle.codec import CODEC_FRAME_RATE, AudioCodec
from engine.models.smalle.convert import load_model, load_text_tokenizer, missing_files
from engine.models.smalle.errors import CheckpointMismatch, SmallEWeightsMissing, UnsupportedText
from engine.models.smalle.generate import Generator, Request
from engine.models.smalle.ist import InitialState
from engine.models.smalle.sampling import SamplingConfig
from engine.models.smalle.streaming import stream_audio
from engine.models.smalle.timing import token_frames
from engine.models.smalle.tokenizer import Encoded, TextTokenizer
from engine.speech.base import VoiceInfo
from engine.types import Timing, Utterance, VoiceSettings

DEFAULT_VOICE = "default"
_SENTENCE = re.compile(r"[^.!?;]*[^.!?;\s][^.!?;]*[.!?;]*|[.!?;]+")
_VOICE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
Phonemizer = Callable[[str, str], list[str]]  # (word, language) → IPA phonemes


@dataclass(frozen=True)
class _Part:
    """One sentence of a message and how it is generated (offset: prompt transcript length in `encoded`)."""

    text: str
    request: Request
    encoded: Encoded
    offset: int


def model_dir(models_dir: Path) -> Path:
    return Path(models_dir) / "smalle"


def available(models_dir: Path) -> bool:
    """True when converted SMALL-E weights are installed under <models_dir>/smalle."""
    return not missing_files(model_dir(models_dir))


def save_voice_prompt(models_dir: Path, voice_id: str, codes: torch.Tensor, transcript: str) -> Path:
    """Store a cloning prompt: codec codes [4, T] of a person's recording and what they said in it."""
    if not _VOICE_ID.match(voice_id):
        raise InvalidInput("A voice name may only use letters, digits, '-' and '_' (at most 64).")
    if codes.dim() != 2 or codes.shape[1] == 0 or not transcript.strip():
        raise InvalidInput("A voice sample needs both a recording and its transcript.")
    folder = model_dir(models_dir) / "voices"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{voice_id}.safetensors"
    tmp = path.with_suffix(".tmp")
    save_file({"codes": codes.to(torch.int64).contiguous()}, str(tmp), metadata={"transcript": transcript})
    tmp.replace(path)
    return path


class SmallESpeechEngine:
    name = "smalle"

    def __init__(
        self,
        models_dir: Path,
        codec: AudioCodec | None = None,
        device: str = "auto",
        sampling: SamplingConfig | None = None,
        candidates: int = 1,
        phonemizer: Phonemizer | None = None,
    ) -> None:
        self.models_dir = Path(models_dir)
        self.codec = codec
        self.device = torch.device(
            "cuda"
            if device == "auto" and torch.cuda.is_available()
            else ("cpu" if device == "auto" else device)
        )
        self.sampling = sampling or SamplingConfig()
        self.candidates = max(1, candidates)
        self.phonemizer = phonemizer
        self._lock = threading.Lock()
        self._generator: Generator | None = None
        self._tokenizer: TextTokenizer | None = None

    # -- SpeechEngine -------------------------------------------------------------------------------------

    def voices(self) -> list[VoiceInfo]:
        if not available(self.models_dir):
            return []  # not installed: offer nothing rather than a voice that cannot speak
        found = [VoiceInfo(DEFAULT_VOICE, "SMALL-E (LibriLight reader)", "en", self.name)]
        folder = model_dir(self.models_dir) / "voices"
        if folder.is_dir():
            for path in sorted(folder.glob("*.safetensors")):
                found.append(VoiceInfo(path.stem, f"Cloned voice {path.stem}", "en", self.name))
        return found

    def supports(self, language: str) -> bool:
        return language.lower().split("-")[0] == "en"

    def synthesize(self, text: str, settings: VoiceSettings) -> Utterance:
        # Sentences are generated together as one batch: the model was trained on single utterances of
        # up to ~27 s, and batching makes a long message cost about as much as its longest sentence.
        generator, codec, parts = self._requests(text, settings)
        with self._lock:  # one generation at a time per loaded model (the GPU graphs are shared)
            if self.candidates > 1:
                results = [generator.generate_best(p.request, self.candidates) for p in parts]
            else:
                results = generator.generate([p.request for p in parts])
        audio: list[np.ndarray] = []
        words: list[Timing] = []
        phonemes: list[Timing] = []
        elapsed = 0.0
        for part, result in zip(parts, results, strict=True):
            if result.codes.shape[1] == 0:
                continue
            wave = np.clip(np.asarray(codec.decode(result.codes), dtype=np.float32).reshape(-1), -1.0, 1.0)
            w, p = self._timings(part, result.positions, settings.language, elapsed)
            audio.append(wave)
            words.extend(w)
            phonemes.extend(p)
            elapsed += len(wave) / codec.sample_rate
        if not audio:
            raise InvalidInput(
                "The SMALL-E voice produced no audio for that message; please try rephrasing it."
            )
        return Utterance(
            np.concatenate(audio), codec.sample_rate, tuple(words), tuple(phonemes), settings.language, text
        )

    def stream_audio(self, text: str, settings: VoiceSettings) -> Iterator[np.ndarray]:
        """Audio chunks (float32, 24 kHz) as they are generated, for playback before the whole clip is done.

        Input errors are raised before the first chunk; timings need the whole utterance (use synthesize).
        """
        generator, codec, parts = self._requests(text, settings)

        def chunks() -> Iterator[np.ndarray]:
            with self._lock:
                for part in parts:
                    for chunk in stream_audio(generator, part.request, codec):
                        yield np.clip(chunk, -1.0, 1.0)

        return chunks()

    # -- helpers -----------------------------------------------------------------------------------------

    def _requests(self, text: str, settings: VoiceSettings) -> tuple[Generator, AudioCodec, list[_Part]]:
        """Validate the input and build one generation request per sentence."""
        if not text.strip():
            raise EmptyText()
        if not self.supports(settings.language):
            raise UnsupportedLanguage(settings.language, "The SMALL-E voice speaks English only.")
        generator, tokenizer = self._load()
        codec = self._codec()
        prompt_codes, transcript = self._prompt(settings.voice or DEFAULT_VOICE)
        initial = self._initial_state(settings.reference) if settings.reference else None
        parts = []
        for match in _SENTENCE.finditer(text):
            sentence = match.group().strip()
            full = f"{transcript} {sentence}" if transcript else sentence
            try:
                encoded = tokenizer.encode(full)
            except UnsupportedText as exc:
                raise InvalidInput(
                    f"The SMALL-E voice can't read {exc.characters!r}. "
                    "Numbers and symbols need to be written out as words."
                ) from exc
            request = Request(encoded.ids, prompt_codes, seed=_seed(sentence), initial_state=initial)
            parts.append(_Part(sentence, request, encoded, len(full) - len(sentence)))
        return generator, codec, parts

    def _load(self) -> tuple[Generator, TextTokenizer]:
        if self._generator is None or self._tokenizer is None:
            folder = model_dir(self.models_dir)
            try:
                model = load_model(folder, self.device)
                self._tokenizer = load_text_tokenizer(folder)
            except SmallEWeightsMissing as exc:
                raise ModelMissing(str(exc)) from exc
            except CheckpointMismatch as exc:
                raise ModelMissing(
                    f"The SMALL-E weights in {folder} are damaged ({exc}). Import them again with "
                    "`avatarlab models import smalle`."
                ) from exc
            self._generator = Generator(model, self.sampling)
        return self._generator, self._tokenizer

    def _codec(self) -> AudioCodec:
        if self.codec is None:
            raise ModelMissing(
                "The SMALL-E voice needs the EnCodec and Vocos codec weights. Add them with "
                "`avatarlab models import smalle --encodec ... --vocos ...`."
            )
        return self.codec

    def _prompt(self, voice: str) -> tuple[torch.Tensor | None, str]:
        if voice == DEFAULT_VOICE:
            return None, ""
        path = model_dir(self.models_dir) / "voices" / f"{voice}.safetensors"
        if not _VOICE_ID.match(voice) or not path.is_file():
            raise UnknownVoice(voice, "Record a voice sample first, or use the default SMALL-E voice.")
        try:
            codes = load_file(str(path))["codes"]
            with safe_open(str(path), "pt") as fh:
                transcript = (fh.metadata() or {}).get("transcript", "")
        except (SafetensorError, OSError, KeyError) as exc:
            raise UnknownVoice(voice, "Its saved sample is damaged; please record it again.") from exc
        n_codebook = 1024 if self._generator is None else self._generator.model.cfg.n_codebook
        if codes.dim() != 2 or codes.shape[0] < 4 or codes.min() < 0 or codes.max() >= n_codebook:
            raise UnknownVoice(voice, "Its saved sample is damaged; please record it again.")
        return codes, transcript

    def _initial_state(self, reference: str) -> list[torch.Tensor]:
        """A tuned voice (Initial-State Tuning) stored as <model dir>/states/<reference>.safetensors."""
        path = model_dir(self.models_dir) / "states" / f"{reference}.safetensors"
        if not _VOICE_ID.match(reference) or not path.is_file():
            raise UnknownVoice(
                reference, "That tuned voice is not installed; the default SMALL-E voice still works."
            )
        try:
            states = InitialState.load(path).states()
        except CheckpointMismatch as exc:
            raise UnknownVoice(
                reference, "Its saved tuning is damaged; please tune the voice again."
            ) from exc
        expected = [layer.tmix.state_shape(1)[1:] for layer in self._layers()]
        if [tuple(s.shape) for s in states] != expected:
            raise UnknownVoice(reference, "It was tuned for a different SMALL-E model; please tune it again.")
        return states

    def _layers(self) -> list[torch.nn.Module]:
        assert self._generator is not None  # loaded before any voice is resolved
        rnn = self._generator.model.attentive_rnn
        return [*rnn.encoder, *rnn.decoder]

    def _timings(
        self, part: _Part, positions: torch.Tensor, language: str, at: float
    ) -> tuple[list[Timing], list[Timing]]:
        rate = float(CODEC_FRAME_RATE)
        spans = part.encoded.spans
        # One pass over all tokens keeps the spans ordered; a word never reached gets zero duration.
        frames = token_frames(positions, 0, len(spans) - 1)
        words: list[Timing] = []
        phonemes: list[Timing] = []
        for match in re.finditer(r"\S+", part.text):
            lo, hi = match.start() + part.offset, match.end() + part.offset
            tokens = [i for i, (a, b) in enumerate(spans) if b > a and a < hi and b > lo]
            if not tokens:
                continue
            start, end = at + frames[tokens[0]][0] / rate, at + frames[tokens[-1]][1] / rate
            words.append(Timing(start, end, match.group()))
            if self.phonemizer is not None:
                phonemes.extend(_spread(self.phonemizer(match.group(), language), start, end))
        return words, phonemes


def _spread(labels: list[str], start: float, end: float) -> list[Timing]:
    """Phonemes of one word spread evenly over its span (SMALL-E aligns BPE tokens, not phonemes)."""
    labels = [p for p in labels if p]
    if not labels:
        return []
    step = (end - start) / len(labels)
    return [Timing(start + i * step, start + (i + 1) * step, p) for i, p in enumerate(labels)]


def _seed(text: str) -> int:
    # The same message gives the same take, which makes saved phrases and retries predictable.
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:4], "little")
