"""The pipeline: a RenderRequest becomes a voice clip first, then (for video formats) the talking clip.

Stages: text (normalise, overrides) → speech (Utterance with timings) → voice clip (OGG/Opus) → face frames
→ captions → MP4. The voice clip is produced before any frame is drawn, so callers can send the voice note
while the video is still being made.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import numpy as np

from engine.config import Settings, get_settings
from engine.errors import ModelMissing
from engine.face import engine_for as face_engine_for
from engine.face.base import FaceEngine
from engine.media.captions import Cue, cues_from_words, to_srt, to_vtt
from engine.media.encode import encode_mp4, encode_video_note, encode_voice
from engine.speech import engine_for as speech_engine_for
from engine.text import prepare_text
from engine.types import (
    Clip,
    FaceSettings,
    OutputFormat,
    RenderRequest,
    Utterance,
    VoiceSettings,
)

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]  # (frames done, frames total)

# Telegram rejects video notes of 640 px and more; 512 keeps them sharp and quick to render.
VIDEO_NOTE_SIDE = 512


@dataclass(frozen=True)
class SpeechReady:
    """The speech exists: `voice` is a playable OGG/Opus clip of it."""

    utterance: Utterance
    voice: Clip


@dataclass(frozen=True)
class VideoReady:
    clip: Clip


RenderEvent = SpeechReady | VideoReady


@dataclass
class StageTimes:
    """Seconds spent per stage of one render, for logs, metrics and the benchmark."""

    stages: dict[str, float] = field(default_factory=dict)

    def add(self, stage: str, seconds: float) -> None:
        self.stages[stage] = self.stages.get(stage, 0.0) + seconds


class Pipeline:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()

    # --- stages -------------------------------------------------------------------------------------

    def speak(self, text: str, voice: VoiceSettings) -> Utterance:
        """Normalise `text` and synthesise it, falling back to the default engine when weights are missing."""
        spoken = prepare_text(
            text,
            language=voice.language,
            pronunciations=voice.pronunciations,
            max_chars=self.settings.max_text_chars,
            speak_emoji=self.settings.speak_emoji,
        )
        engine = speech_engine_for(voice)
        try:
            utterance = engine.synthesize(spoken, voice)
        except ModelMissing as exc:
            log.warning("speech engine %s unavailable (%s); using the default one", engine.name, exc.message)
            fallback = replace(voice, engine=None, reference=None)
            utterance = speech_engine_for(fallback).synthesize(spoken, fallback)
        # Captions show what the person typed, not the normalised spoken form.
        return replace(utterance, text=text)

    def face_engine(self, utterance: Utterance, face: FaceSettings) -> tuple[FaceEngine, FaceSettings, int]:
        """The engine for `face` and its frame count, falling back (difftalk → portrait → cartoon)."""
        try:
            engine = face_engine_for(face)
            return engine, face, engine.frame_count(utterance, face)
        except ModelMissing as exc:
            fallback = replace(face, engine="portrait" if face.prepared_face else "cartoon", weights=None)
            log.warning("face engine %s unavailable (%s): %s", face.engine, exc.message, fallback.engine)
            engine = face_engine_for(fallback)
            return engine, fallback, engine.frame_count(utterance, fallback)

    def voice_clip(
        self, utterance: Utterance, request: RenderRequest, *, cues: list[Cue] | None = None
    ) -> Clip:
        cues = cues_from_words(utterance.words, utterance.text) if cues is None else cues
        data = encode_voice(utterance.audio, utterance.sample_rate, size_limit_bytes=request.size_limit_bytes)
        return Clip(
            data=data,
            mime="audio/ogg",
            duration_s=utterance.duration_s,
            width=None,
            height=None,
            captions_srt=to_srt(cues),
            captions_vtt=to_vtt(cues),
        )

    def video_clip(
        self,
        utterance: Utterance,
        request: RenderRequest,
        *,
        progress: ProgressCallback | None = None,
        times: StageTimes | None = None,
        cues: list[Cue] | None = None,
    ) -> Clip:
        face = request.face
        note = request.output is OutputFormat.VIDEO_NOTE
        if note and face.size > VIDEO_NOTE_SIDE:
            face = replace(face, size=VIDEO_NOTE_SIDE)
        engine, face, total = self.face_engine(utterance, face)
        cues = cues_from_words(utterance.words, utterance.text) if cues is None else cues
        frames = _progress(_prefetch(_timed(engine.render(utterance, face), "face", times)), total, progress)
        start = time.perf_counter()
        encode = encode_video_note if note else encode_mp4
        data = encode(
            frames,
            face.fps,
            utterance.audio,
            utterance.sample_rate,
            captions=cues,
            caption_mode=request.captions,
            size_limit_bytes=request.size_limit_bytes,
            language=utterance.language,
        )
        if times is not None:
            # The encoder pulls frames from the face engine, so its wall time includes face time.
            times.add("encode", time.perf_counter() - start - times.stages.get("face", 0.0))
        return Clip(
            data=data,
            mime="video/mp4",
            duration_s=utterance.duration_s,
            width=face.size,
            height=face.size,
            captions_srt=to_srt(cues),
            captions_vtt=to_vtt(cues),
        )

    # --- whole request ------------------------------------------------------------------------------

    def render(
        self,
        request: RenderRequest,
        *,
        progress: ProgressCallback | None = None,
        times: StageTimes | None = None,
    ) -> Iterator[RenderEvent]:
        """Yield SpeechReady as soon as the voice clip exists, then VideoReady for video formats."""
        start = time.perf_counter()
        utterance = self.speak(request.text, request.voice)
        if times is not None:
            times.add("speech", time.perf_counter() - start)
        start = time.perf_counter()
        cues = cues_from_words(utterance.words, utterance.text)  # shared by both clips
        voice = self.voice_clip(utterance, request, cues=cues)
        if times is not None:
            times.add("voice_encode", time.perf_counter() - start)
        yield SpeechReady(utterance, voice)
        if request.output is not OutputFormat.VOICE:
            yield VideoReady(self.video_clip(utterance, request, progress=progress, times=times, cues=cues))

    def render_final(self, request: RenderRequest, **kwargs: object) -> Clip:
        """The clip the request asked for: the voice clip for voice output, else the video."""
        final: Clip | None = None
        for event in self.render(request, **kwargs):  # type: ignore[arg-type]
            final = event.voice if isinstance(event, SpeechReady) else event.clip
        assert final is not None
        return final


def _timed(frames: Iterator[np.ndarray], stage: str, times: StageTimes | None) -> Iterator[np.ndarray]:
    if times is None:
        yield from frames
        return
    while True:
        start = time.perf_counter()
        batch = next(frames, None)
        times.add(stage, time.perf_counter() - start)
        if batch is None:
            return
        yield batch


def _prefetch(frames: Iterator[np.ndarray], depth: int = 2) -> Iterator[np.ndarray]:
    """Render the next frame batches on a worker thread while the encoder compresses the current one.

    Face engines spend their time in NumPy/OpenCV/torch and the encoder in x264, all of which release the
    GIL, so the two stages overlap on two cores instead of taking turns.
    """
    done = object()
    batches: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for batch in frames:
                while not stop.is_set():
                    try:
                        batches.put(batch, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            batches.put(done)
        except BaseException as exc:  # handed to the consumer, which re-raises it in its own thread
            batches.put(exc)

    worker = threading.Thread(target=produce, name="face-render", daemon=True)
    worker.start()
    try:
        while True:
            item = batches.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join()


def _progress(
    frames: Iterator[np.ndarray], total: int, callback: ProgressCallback | None
) -> Iterator[np.ndarray]:
    done = 0
    for batch in frames:
        yield batch
        done += len(batch)
        if callback is not None:
            callback(min(done, total), total)
