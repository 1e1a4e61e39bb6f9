"""Decoding the images people send: formats, orientation, alpha, bit depth, size limits, non-images."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.errors import AvatarLabError, CorruptMedia, MediaTooLarge, UnsupportedMedia
from engine.media.decode import ALPHA_BACKGROUND, decode_image, sniff_image_type


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **params)
    return buf.getvalue()


def halves(width: int = 40, height: int = 20) -> Image.Image:
    """Left half red, right half blue: orientation shows where the colours end up."""
    arr = np.zeros((height, width, 3), dtype=np.uint8)
    arr[:, : width // 2] = (255, 0, 0)
    arr[:, width // 2 :] = (0, 0, 255)
    return Image.fromarray(arr)


@pytest.mark.parametrize(
    ("fmt", "kind"),
    [("JPEG", "jpeg"), ("PNG", "png"), ("WEBP", "webp"), ("GIF", "gif"), ("BMP", "bmp"), ("TIFF", "tiff")],
)
def test_sniffs_and_decodes_common_formats(fmt: str, kind: str) -> None:
    data = encode(halves(), fmt)
    assert sniff_image_type(data) == kind
    rgb = decode_image(data)
    assert rgb.shape == (20, 40, 3) and rgb.dtype == np.uint8
    assert rgb[10, 5, 0] > 200 and rgb[10, 5, 2] < 60  # red on the left
    assert rgb[10, 35, 2] > 200 and rgb[10, 35, 0] < 60  # blue on the right


def test_heic_from_a_phone_decodes() -> None:
    import pillow_heif

    pillow_heif.register_heif_opener()
    data = encode(halves(64, 32), "HEIF", quality=90)
    assert sniff_image_type(data) == "heif"
    rgb = decode_image(data)
    assert rgb.shape == (32, 64, 3)
    assert rgb[16, 8, 0] > 180 and rgb[16, 56, 2] > 180


def test_type_comes_from_the_bytes_not_the_name(shared_data: Path) -> None:
    data = (shared_data / "images" / "liveportrait_s25_dog_noface.jpg").read_bytes()
    assert sniff_image_type(data) == "png"
    assert decode_image(data).shape == (512, 512, 3)


def test_exif_rotation_is_applied() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned: display rotated 90° clockwise
    data = encode(halves(40, 20), "JPEG", exif=exif.tobytes())
    rgb = decode_image(data)
    assert rgb.shape == (40, 20, 3)
    assert rgb[5, 10, 0] > 200  # the red left half is now on top
    assert rgb[35, 10, 2] > 200


def test_transparency_is_composited_on_a_neutral_background() -> None:
    arr = np.zeros((20, 20, 4), dtype=np.uint8)
    arr[:, :10] = (10, 200, 10, 255)  # opaque green left, fully transparent right
    rgb = decode_image(encode(Image.fromarray(arr, "RGBA"), "PNG"))
    assert tuple(rgb[5, 2]) == (10, 200, 10)
    assert tuple(rgb[5, 15]) == ALPHA_BACKGROUND


def test_palette_with_transparency_and_greyscale() -> None:
    pal = Image.new("P", (20, 20), 0)
    pal.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    pal.paste(1, (10, 0, 20, 20))
    rgb = decode_image(encode(pal, "PNG", transparency=1))
    assert tuple(rgb[5, 2]) == (255, 0, 0)
    assert tuple(rgb[5, 15]) == ALPHA_BACKGROUND
    grey = decode_image(encode(Image.new("L", (30, 30), 77), "JPEG", quality=100))
    assert grey.shape == (30, 30, 3) and np.all(np.abs(grey.astype(int) - 77) <= 1)


def test_16_bit_greyscale_is_scaled_not_clipped() -> None:
    arr = np.zeros((20, 20), dtype=np.uint16)
    arr[:, :10] = 65535
    arr[:, 10:] = 32896
    rgb = decode_image(encode(Image.fromarray(arr), "PNG"))
    assert tuple(rgb[0, 0]) == (255, 255, 255)
    assert abs(int(rgb[0, 15, 0]) - 128) <= 1


def test_tiny_and_huge_images() -> None:
    assert decode_image(encode(halves(200, 180), "PNG")).shape == (180, 200, 3)
    huge = Image.new("RGB", (4032, 3024), (90, 120, 150))
    assert decode_image(encode(huge, "JPEG", quality=70)).shape == (3024, 4032, 3)


def test_too_many_pixels_is_refused_before_decoding() -> None:
    data = encode(Image.new("RGB", (2048, 2048)), "PNG")
    with pytest.raises(MediaTooLarge, match="2048×2048"):
        decode_image(data, max_pixels=1_000_000)


def test_decompression_bomb_header_is_refused() -> None:
    # A PNG whose header claims 60000×60000 pixels: refused from the header alone.
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 1000))
    with pytest.raises(MediaTooLarge):
        decode_image(data)


@pytest.mark.parametrize(
    ("data", "expected", "words"),
    [
        (b"hello, this is a text file\n", UnsupportedMedia, "not a picture"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", UnsupportedMedia, "PDF"),
        (b"OggS\x00\x02" + b"\0" * 40, UnsupportedMedia, "audio"),
        (b"", CorruptMedia, "empty"),
    ],
)
def test_non_images_get_a_clear_message(data: bytes, expected: type[AvatarLabError], words: str) -> None:
    with pytest.raises(expected) as info:
        decode_image(data)
    assert words in info.value.message


def test_truncated_and_damaged_images_are_corrupt_media() -> None:
    data = encode(Image.new("RGB", (300, 300), (1, 2, 3)), "PNG")
    with pytest.raises(CorruptMedia):
        decode_image(data[: len(data) // 2])
    jpeg = encode(halves(200, 100), "JPEG")
    with pytest.raises(CorruptMedia):
        decode_image(jpeg[:30])
