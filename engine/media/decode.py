"""Read the images people actually send: sniff the type from the bytes, decode to RGB uint8.

Chat apps strip or keep EXIF, rename files, send PNGs with alpha, palettes and 16-bit channels, HEIC
from iPhones, and sometimes a document that is not an image at all. Everything ends either as an
(h, w, 3) uint8 RGB array or as an AvatarLabError the person can read.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from engine.errors import CorruptMedia, MediaTooLarge, UnsupportedMedia

DEFAULT_MAX_PIXELS = 40_000_000  # a 48 MP phone photo is ≈ 48e6; larger than this is refused
MAX_BYTES = 50_000_000
MIN_SIDE = 16
# Neutral light grey rather than pure white: a transparent cut-out then sits on a soft background.
ALPHA_BACKGROUND = (236, 236, 236)

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis"}
_NON_IMAGE_HINTS = {
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a ZIP archive or office document",
    b"OggS": "an audio recording",
    b"ID3": "an audio recording",
    b"RIFF": "an audio or video file",
    b"\x1aE\xdf\xa3": "a video",
}


def sniff_image_type(data: bytes) -> str | None:
    """The image format the bytes hold ("jpeg", "png", "webp", "gif", "bmp", "tiff", "heif"), else None."""
    head = bytes(data[:32])
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:2] == b"BM" and len(head) >= 26:
        return "bmp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "heif"
    return None


def _describe_non_image(data: bytes) -> str:
    head = bytes(data[:16])
    if head[4:8] == b"ftyp":
        return "a video"
    for magic, what in _NON_IMAGE_HINTS.items():
        if head.startswith(magic):
            return what
    return "not a picture"


def decode_image(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Decode an uploaded image to an upright (h, w, 3) uint8 RGB array.

    EXIF orientation is applied, alpha is composited on a neutral background, palette, greyscale and
    16-bit images are converted. Raises UnsupportedMedia, MediaTooLarge or CorruptMedia.
    """
    if not data:
        raise CorruptMedia("That file is empty. Could you send the photo again?")
    if len(data) > MAX_BYTES:
        raise MediaTooLarge(
            f"That file is {len(data) / 1e6:.0f} MB; please send a photo under {MAX_BYTES // 1e6:.0f} MB."
        )
    kind = sniff_image_type(data)
    if kind is None:
        raise UnsupportedMedia(
            f"That file is {_describe_non_image(data)}, so I can't use it as a photo. "
            "Please send a picture (JPEG, PNG, WebP or HEIC)."
        )
    if kind == "heif":
        _register_heif()
    try:
        with warnings.catch_warnings():
            # Pillow warns before it raises for bombs; the limit below is what we enforce.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > max_pixels:
                raise MediaTooLarge(
                    f"That picture is {width}×{height} pixels, more than I can handle "
                    f"({max_pixels / 1e6:.0f} megapixels). Please send a smaller photo."
                )
            if min(width, height) < MIN_SIDE:
                raise UnsupportedMedia(
                    f"That picture is only {width}×{height} pixels. Please send a larger photo of your face."
                )
            if getattr(image, "n_frames", 1) > 1:
                image.seek(0)  # animated GIF/WebP: the first frame is the picture
            image.load()
            image = ImageOps.exif_transpose(image) or image
            return _to_rgb(image)
    except (MediaTooLarge, UnsupportedMedia):
        raise
    except Image.DecompressionBombError as exc:
        raise MediaTooLarge("That picture is far too large for me. Please send a smaller photo.") from exc
    except UnidentifiedImageError as exc:
        if kind == "heif":
            raise UnsupportedMedia(
                "I can't read this HEIC/AVIF photo. Please send it as JPEG or PNG "
                "(on an iPhone: Settings → Camera → Formats → Most Compatible)."
            ) from exc
        raise CorruptMedia() from exc
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        # Truncated or damaged files surface as any of these from the codecs.
        raise CorruptMedia() from exc


def _to_rgb(image: Image.Image) -> np.ndarray:
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        # 16-bit greyscale: scale to 8 bits instead of clipping (Pillow's convert("L") clips).
        arr = np.asarray(image, dtype=np.float64)
        top = 65535.0 if arr.max() > 255 else 255.0
        grey = np.clip(arr / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.repeat(grey[:, :, None], 3, axis=2)
    if mode == "P":
        image = image.convert("RGBA") if "transparency" in image.info else image.convert("RGB")
    elif mode in ("LA", "PA"):
        image = image.convert("RGBA")
    elif mode == "CMYK":
        image = image.convert("RGB")
    if image.mode == "RGBA":
        background = Image.new("RGBA", image.size, (*ALPHA_BACKGROUND, 255))
        image = Image.alpha_composite(background, image)
    if image.mode != "RGB":
        image = image.convert("RGB")
    return np.ascontiguousarray(np.asarray(image, dtype=np.uint8))


_heif_registered = False


def _register_heif() -> None:
    global _heif_registered
    if _heif_registered:
        return
    try:
        import pillow_heif
    except ImportError as exc:
        raise UnsupportedMedia(
            "I can't read HEIC photos on this server. Please send it as JPEG or PNG."
        ) from exc
    pillow_heif.register_heif_opener()
    _heif_registered = True
