"""The `difftalk` face engine: DiffTalk lip inpainting on the user's own template frames.

A DiffTalk model directory (config.json + safetensors, written by `import_difftalk` or by training) also holds
the person's template, `template.npz`: frames of their face (a short video, or one photo) with 68-point
landmarks. Video templates are played forward and backward to cover the utterance. When only a photo exists,
the profile's prepared portrait (FaceSettings.prepared_face) is animated by the portrait engine's warper
(blinks, head motion, mouth at rest); a one-photo template without a prepared portrait gets a rigid 2-D idle
motion. DiffTalk then regenerates the lower face of every frame from the audio, and the result is pasted back
with a soft seam.
"""

from __future__ import annotations

import math
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from engine.config import Settings, get_settings
from engine.errors import Conflict, InvalidInput, ModelMissing
from engine.face.motion import IdleMotion
from engine.face.portrait.animate import PortraitAnimator
from engine.face.portrait.landmarks import detect_landmarks
from engine.face.portrait.prepare import PreparedFace
from engine.face.visemes import frame_count
from engine.models.difftalk.convert import CheckpointError, official_to_model, read_state_dict
from engine.models.difftalk.crop import FaceBox, seam_mask
from engine.models.difftalk.features import LogMelFeatures
from engine.models.difftalk.landmarks import ibug68_from_mediapipe
from engine.models.difftalk.model import CONFIG_FILE, DiffTalkModel
from engine.models.difftalk.pipeline import DiffTalkPipeline, FaceInputs, SampleOptions
from engine.types import REST_MOUTH, FaceSettings, Utterance

TEMPLATE_FILE = "template.npz"
VIEW_SCALE = 2.4  # the output shows head and shoulders: the view is this many face extents wide
CHUNK_BATCHES = 4  # frames are prepared this many sampler batches at a time to bound memory


@dataclass(frozen=True)
class Template:
    """Frames (N, H, W, 3) uint8 of one person and their 68-point landmarks (N, 68, 2) in frame pixels."""

    frames: np.ndarray
    landmarks: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.frames)
        if n < 1 or self.frames.ndim != 4 or self.frames.shape[3] != 3 or self.frames.dtype != np.uint8:
            raise ValueError("template frames must be a non-empty (N, H, W, 3) uint8 array")
        if self.landmarks.shape != (n, 68, 2):
            raise ValueError(f"template landmarks must have shape ({n}, 68, 2)")

    @classmethod
    def from_mediapipe(cls, frames: np.ndarray, mesh_points: np.ndarray) -> Template:
        """From frames and MediaPipe Face Mesh points (N, 468|478, 2+) in frame pixels."""
        return cls(np.ascontiguousarray(frames, dtype=np.uint8), ibug68_from_mediapipe(mesh_points))

    @classmethod
    def from_video(cls, frames: np.ndarray) -> Template:
        """From frames of the person's own video (N, H, W, 3) uint8: landmarks are detected in every frame
        (NoFaceFound / FaceNotUsable say which problem) and smoothed over three frames, so the mask does not
        jitter with the detector."""
        points = np.stack([detect_landmarks(np.ascontiguousarray(f)).points for f in frames])
        lms = ibug68_from_mediapipe(points)
        if len(lms) >= 3:
            padded = np.concatenate([lms[:1], lms, lms[-1:]])
            lms = (padded[:-2] + padded[1:-1] + padded[2:]) / 3
        return cls(np.ascontiguousarray(frames, dtype=np.uint8), lms.astype(np.float32))

    def save(self, model_dir: Path) -> None:
        tmp = model_dir / (TEMPLATE_FILE + ".partial.npz")
        np.savez_compressed(tmp, frames=self.frames, landmarks=self.landmarks.astype(np.float32))
        tmp.replace(model_dir / TEMPLATE_FILE)

    @classmethod
    def load(cls, model_dir: Path) -> Template:
        with np.load(model_dir / TEMPLATE_FILE) as data:
            return cls(data["frames"], data["landmarks"].astype(np.float32))

    def plan(self, n: int, fps: float, seed: int, max_side: int) -> tuple[np.ndarray, FrameSource]:
        """Landmarks (n, 68, 2) for n output frames and a source of the frames themselves, made on demand so
        a long message never holds all its frames. A video template ping-pongs; a photo gets idle motion."""
        if len(self.frames) > 1:
            period = 2 * len(self.frames) - 2
            idx = np.arange(n) % period
            idx = np.where(idx < len(self.frames), idx, period - idx)
            return self.landmarks[idx], lambda a, b: self.frames[idx[a:b]]
        photo, lms = self.frames[0], self.landmarks[0]
        scale = min(1.0, max_side / max(photo.shape[:2]))
        if scale < 1.0:  # move a photo no larger than the output needs
            h, w = (round(d * scale) for d in photo.shape[:2])
            photo = np.asarray(Image.fromarray(photo).resize((w, h), Image.Resampling.LANCZOS))
            lms = lms * scale
        motions = _photo_motion(lms, photo.shape, IdleMotion(n, fps, seed=seed))
        out_lms = np.stack([lms @ rot.T + shift for rot, shift in motions]).astype(np.float32)
        return out_lms, lambda a, b: np.stack([_warp(photo, rot, shift) for rot, shift in motions[a:b]])


FrameSource = Callable[[int, int], np.ndarray]


def portrait_plan(face: PreparedFace, n: int, fps: float, seed: int) -> tuple[np.ndarray, FrameSource]:
    """A prepared portrait animated by the portrait engine's warper: idle blinks and head motion, the mouth
    at rest (DiffTalk draws it). Landmarks come from the warped mesh, so they follow every frame."""
    animator = PortraitAnimator(face, face.size)
    poses = IdleMotion(n, fps, seed=seed).poses()
    meshes = (
        np.stack([animator.mesh(REST_MOUTH, pose)[:468] for pose in poses]) if n else np.zeros((0, 468, 2))
    )
    return ibug68_from_mediapipe(meshes), lambda a, b: np.stack(
        [animator.frame(REST_MOUTH, p) for p in poses[a:b]]
    )


def _photo_motion(
    lms: np.ndarray, shape: tuple[int, ...], motion: IdleMotion
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Rigid 2-D head motion (roll, shift, breathing scale) about the face centre: (rotation·scale, shift)."""
    h, w = shape[:2]
    centre = lms.mean(axis=0)
    out = []
    for pose in motion.poses():
        angle, scale = math.radians(pose.roll), 1.0 + 0.004 * pose.breath
        rot = scale * np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
        out.append((rot, centre + np.array([pose.dx * w, pose.dy * h]) - rot @ centre))
    return out


def _warp(photo: np.ndarray, rot: np.ndarray, shift: np.ndarray) -> np.ndarray:
    h, w = photo.shape[:2]
    pad = max(4, round(0.04 * max(h, w)))  # edge-padded so the moved borders never show black slivers
    padded = Image.fromarray(np.pad(photo, ((pad, pad), (pad, pad), (0, 0)), mode="edge"))
    inv = np.linalg.inv(rot)
    offset = np.array([pad, pad])
    # PIL maps output → input pixels: p_in = inv·(p_out − pad − shift) + pad.
    inv_shift = offset - inv @ (offset + shift)
    coeffs = (inv[0, 0], inv[0, 1], inv_shift[0], inv[1, 0], inv[1, 1], inv_shift[1])
    moved = padded.transform(padded.size, Image.Transform.AFFINE, coeffs, Image.Resampling.BILINEAR)
    return np.asarray(moved)[pad : pad + h, pad : pad + w]


class DiffTalkFaceEngine:
    name = "difftalk"

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        options: SampleOptions | None = None,
        dtype: torch.dtype | None = None,
        compile: bool | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self.device = _pick_device(self.settings.device)
        cuda = self.device.type == "cuda"
        self.dtype = dtype or (torch.bfloat16 if cuda else torch.float32)
        self.compile = cuda if compile is None else compile
        self.options = options or SampleOptions(batch_size=32 if cuda else 4)
        self._pipelines: dict[Path, DiffTalkPipeline] = {}
        self._lock = threading.Lock()

    def model_dir(self, face: FaceSettings) -> Path:
        """The profile's model directory, or ModelMissing with a one-line reason."""
        if not face.weights:
            raise ModelMissing(
                "This profile has no DiffTalk weights; import them with `avatarlab models import difftalk`."
            )
        path = Path(face.weights).expanduser()
        if not path.is_absolute():
            path = self.settings.resolved_models_dir / "difftalk" / path
        if not (path / CONFIG_FILE).is_file():
            raise ModelMissing(
                f"The DiffTalk weights {face.weights!r} are not installed (no {path / CONFIG_FILE})."
            )
        if not (path / TEMPLATE_FILE).is_file() and not face.prepared_face:
            raise ModelMissing(
                f"The DiffTalk weights {face.weights!r} have no face template ({TEMPLATE_FILE})."
            )
        return path

    def pipeline(self, model_dir: Path) -> DiffTalkPipeline:
        with self._lock:
            if model_dir not in self._pipelines:
                try:
                    model = DiffTalkModel.load(model_dir, device="cpu")
                except (OSError, ValueError) as exc:
                    raise ModelMissing(
                        f"The DiffTalk weights in {model_dir} can't be loaded: {exc}."
                    ) from exc
                self._pipelines[model_dir] = DiffTalkPipeline(model, self.device, self.dtype, self.compile)
            return self._pipelines[model_dir]

    def frame_count(self, utterance: Utterance, settings: FaceSettings) -> int:
        self.model_dir(settings)  # ModelMissing here lets the caller fall back before rendering starts
        return frame_count(utterance.duration_s, settings.fps)  # the same count as every face engine

    def render(self, utterance: Utterance, settings: FaceSettings) -> Iterator[np.ndarray]:
        model_dir = self.model_dir(settings)  # raise before the first frame is asked for
        pipe = self.pipeline(model_dir)
        template: Template | None = None
        if (model_dir / TEMPLATE_FILE).is_file():
            try:
                template = Template.load(model_dir)
            except (OSError, ValueError, KeyError) as exc:
                raise ModelMissing(f"The face template in {model_dir} is damaged: {exc}.") from exc
        n = self.frame_count(utterance, settings)
        if n == 0:
            return iter(())
        seed = self.options.seed
        if template is not None and (len(template.frames) > 1 or not settings.prepared_face):
            lms, frames = template.plan(n, settings.fps, seed, max_side=2 * settings.size)
            shape = template.frames.shape[1:3]
        else:  # only a photo: the portrait animator gives it blinks and head motion, mouth at rest
            face = PreparedFace.from_bytes(settings.prepared_face)  # type: ignore[arg-type]
            lms, frames = portrait_plan(face, n, settings.fps, seed)
            shape = face.image.shape[:2]
        return self._render(pipe, lms, frames, shape, utterance, settings)

    def _render(
        self,
        pipe: DiffTalkPipeline,
        lms: np.ndarray,
        frames: FrameSource,
        shape: tuple[int, ...],
        utterance: Utterance,
        settings: FaceSettings,
    ) -> Iterator[np.ndarray]:
        n = len(lms)
        cfg, size, opts = pipe.cfg, pipe.cfg.image_size, self.options
        view = FaceBox.around(lms, VIEW_SCALE).fit(*shape[:2])  # no smeared edges
        box = FaceBox.around(view.to_crop(lms, settings.size))
        extractor = LogMelFeatures(cfg.audio_dim, cfg.audio_windows, cfg.audio_window)
        audio = extractor(utterance.audio, utterance.sample_rate, n, settings.fps)
        reference: np.ndarray | None = None
        chunk = opts.batch_size * CHUNK_BATCHES
        for start in range(0, n, chunk):
            stop = min(start + chunk, n)
            full = view.cut(frames(start, stop), settings.size)
            view_lms = view.to_crop(lms[start:stop], settings.size)
            crop_lms = box.to_crop(view_lms, size)
            crops = box.cut(full, size)
            if reference is None:
                reference = crops[0]
            inputs = FaceInputs(crops, crop_lms, audio[start:stop], reference)
            done = 0
            for faces in pipe(inputs, opts, first_frame=start):
                sl = slice(done, done + len(faces))
                masks = np.stack([seam_mask(lm, size) for lm in crop_lms[sl]])
                yield box.paste(full[sl], faces, masks)
                done += len(faces)
                if opts.progressive_reference:
                    reference = faces[-1]


def _pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise InvalidInput(f"The device {name!r} was requested, but this machine has no CUDA GPU.")
    return torch.device(name)


def import_difftalk(
    checkpoint: Path,
    vq_checkpoint: Path | None,
    out_dir: Path,
    *,
    prefer_ema: bool = True,
    image_size: int = 256,
    overwrite: bool = False,
) -> DiffTalkModel:
    """Convert an official DiffTalk checkpoint (plus the LDM vq-f4 one when the checkpoint lacks its
    autoencoder) into a model directory. Raises InvalidInput for wrong files and Conflict when out_dir already
    holds a model; nothing is left behind on failure."""
    if (out_dir / CONFIG_FILE).exists() and not overwrite:
        raise Conflict(f"{out_dir} already holds a DiffTalk model.")
    try:
        state = read_state_dict(checkpoint)
        vq_state = read_state_dict(vq_checkpoint) if vq_checkpoint is not None else None
        model = official_to_model(state, vq_state, prefer_ema=prefer_ema, image_size=image_size)
    except CheckpointError as exc:
        raise InvalidInput(f"Can't import DiffTalk weights: {exc}.") from exc
    staging = out_dir.with_name(out_dir.name + ".importing")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        model.save(staging)
        if out_dir.exists():
            for name in (TEMPLATE_FILE,):  # keep a person's template when their weights are replaced
                if (out_dir / name).exists():
                    shutil.copy2(out_dir / name, staging / name)
            shutil.rmtree(out_dir)
        staging.replace(out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return model
