"""The pipeline end to end: voice first, then the video, with real engines and PyAV decoding."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest

from engine.errors import ModelMissing
from engine.media.probe import probe
from engine.pipeline import Pipeline, SpeechReady, StageTimes, VideoReady
from engine.types import CaptionMode, FaceSettings, OutputFormat, RenderRequest, VoiceSettings

FAST_FACE = FaceSettings(size=128)


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline()


def test_voice_comes_before_video(pipeline: Pipeline) -> None:
    request = RenderRequest("Good morning, everyone.", face=FAST_FACE)
    times = StageTimes()
    events = list(pipeline.render(request, times=times))
    assert [type(e) for e in events] == [SpeechReady, VideoReady]
    speech, video = events
    assert speech.voice.mime == "audio/ogg" and video.clip.mime == "video/mp4"
    assert abs(speech.voice.duration_s - video.clip.duration_s) < 1e-6
    assert {"speech", "voice_encode", "face"} <= set(times.stages)
    # Captions show what was typed.
    assert "Good morning, everyone." in video.clip.captions_srt.replace("\n", " ")


def test_voice_output_renders_no_video(pipeline: Pipeline) -> None:
    events = list(pipeline.render(RenderRequest("Yes.", output=OutputFormat.VOICE)))
    assert [type(e) for e in events] == [SpeechReady]


def test_caption_cues_follow_the_words(pipeline: Pipeline) -> None:
    text = "I would like some water. Then I want to go outside and play football with my friends."
    clip = pipeline.render_final(RenderRequest(text, face=FAST_FACE, captions=CaptionMode.SOFT))
    info = probe(clip.data)
    assert info.subtitles[0].cues >= 2
    starts = [line.split(" --> ")[0] for line in clip.captions_srt.splitlines() if " --> " in line]
    assert starts == sorted(starts)


def test_mouth_moves_with_speech_and_rests_in_silence(pipeline: Pipeline) -> None:
    """The lower-face region changes while speaking; between sentences and at the end it is at rest."""
    request = RenderRequest(
        "Hello there. ... ... Goodbye.", face=FaceSettings(size=256), captions=CaptionMode.NONE
    )
    speech, video = list(pipeline.render(request))
    with av.open(io.BytesIO(video.clip.data)) as container:
        frames = np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)]).astype(np.int16)
    mouth = frames[:, 140:200, 96:160]
    change = np.abs(np.diff(mouth, axis=0)).mean(axis=(1, 2, 3))
    fps = 25
    speaking = np.zeros(len(change), bool)
    for w in speech.utterance.words:
        speaking[int(w.start_s * fps) : int(np.ceil(w.end_s * fps))] = True
    assert change[speaking].mean() > 3 * change[~speaking].mean()


def test_missing_neural_face_falls_back_to_the_cartoon(pipeline: Pipeline) -> None:
    utterance = pipeline.speak("Hi.", VoiceSettings(engine="espeak"))
    engine, face, frames = pipeline.face_engine(utterance, FaceSettings(engine="difftalk"))
    assert engine.name == "cartoon" and face.engine == "cartoon"
    assert frames == int(np.ceil(utterance.duration_s * face.fps - 1e-6))


def test_missing_neural_voice_falls_back_to_the_default(pipeline: Pipeline) -> None:
    utterance = pipeline.speak("Hello.", VoiceSettings(engine="smalle"))
    assert utterance.duration_s > 0.2
    with pytest.raises(ModelMissing):
        from engine.speech import speech_engines

        speech_engines.get("smalle").synthesize("hello", VoiceSettings(engine="smalle"))
