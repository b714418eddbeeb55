"""Sample images and upload decoding, including every bad upload a classroom produces.

Each test file is generated here with Pillow, in memory.
"""

import builtins
import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from cnnviz import data, images, ops
from cnnviz.images import ImageError, decode_upload


def encode(picture: Image.Image, file_format: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, file_format, **options)
    return buffer.getvalue()


def png_claiming_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` × ``height`` pixels (a decompression bomb)."""
    real = bytearray(encode(Image.new("L", (1, 1))))
    # Signature (8 bytes), then the IHDR chunk: length (4), type (4), data (13), CRC (4).
    header = struct.pack(">II", width, height) + bytes(real[24:29])
    real[16:29] = header
    real[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + header))
    return bytes(real)


def noise_picture(width: int, height: int, mode: str = "L") -> Image.Image:
    pixels = np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)
    return Image.fromarray(pixels).convert(mode)


# --- samples -----------------------------------------------------------------------------------


def test_every_sample_is_a_grey_float32_image_in_0_1():
    names = images.sample_names(include_mnist=data.mnist_available())
    assert any(name.startswith("Photo") for name in names)
    assert any(name.startswith("Pattern") for name in names)
    for name in names:
        image = images.load_sample(name)
        assert image.dtype == np.float32 and image.ndim == 2, name
        assert 0.0 <= image.min() and image.max() <= 1.0, name
        assert image.max() > image.min(), f"{name} is blank"


def test_the_photographs_come_from_the_scikit_image_wheel_offline():
    cat = images.load_sample("Photo: cat (Chelsea)")
    assert cat.shape == (300, 451)  # skimage.data.chelsea() is 300 × 451 × 3
    import skimage.data

    expected = images.to_grey(skimage.data.camera())
    np.testing.assert_allclose(images.load_sample("Photo: camera man"), expected, atol=1e-6)


def test_mnist_samples_appear_only_when_mnist_is_there(monkeypatch, tmp_path):
    monkeypatch.setenv("CNNVIZ_MNIST", str(tmp_path / "missing.npz"))
    without = images.sample_names()
    assert not any(name.startswith("MNIST") for name in without)
    assert any(name.startswith("MNIST") for name in images.sample_names(include_mnist=True))


def test_mnist_digit_sample_is_the_test_digit_scaled(tmp_path, monkeypatch):
    digits = np.zeros((4, 28, 28), dtype=np.uint8)
    digits[0, 10:20, 14] = 255
    path = tmp_path / "mnist.npz"
    np.savez(
        path,
        x_train=digits,
        y_train=np.zeros(4, np.uint8),
        x_test=digits,
        y_test=np.array([7, 2, 1, 0], np.uint8),
    )
    monkeypatch.setenv("CNNVIZ_MNIST", str(path))
    images._mnist_digits.cache_clear()
    try:
        seven = images.load_sample("MNIST digit 7")
        assert seven.shape == (28, 28) and seven[15, 14] == 1.0 and seven.sum() == 10.0
    finally:
        images._mnist_digits.cache_clear()


def test_patterns_show_what_pooling_does():
    board = images.checkerboard(8)
    assert board.mean() == 0.5 and board[0, 0] != board[0, 1]
    # 2×2 pooling of 1-pixel squares: max is white everywhere, min black, average mid-grey.
    np.testing.assert_array_equal(ops.pool2d(board, 2, mode="max"), np.ones((4, 4)))
    np.testing.assert_array_equal(ops.pool2d(board, 2, mode="min"), np.zeros((4, 4)))
    np.testing.assert_array_equal(ops.pool2d(board, 2, mode="avg"), np.full((4, 4), 0.5))
    assert images.one_bright_pixel().sum() == 1.0
    assert ops.pool2d(images.one_bright_pixel(), 2, mode="max").sum() == 1.0
    lines = images.thin_lines(16)
    assert lines[:, 4].all() and lines[5, :].all()
    # Max pooling keeps every 1-pixel line, min pooling erases them all.
    assert ops.pool2d(lines, 2, mode="max")[:, 2].all()
    assert not ops.pool2d(lines, 2, mode="min").any()
    np.testing.assert_array_equal(images.noise(), images.noise())  # the same on every machine


def test_unknown_sample_name():
    with pytest.raises(ValueError, match="Unknown sample 'Mona Lisa'"):
        images.load_sample("Mona Lisa")


def test_resize_to_max_side_averages_areas():
    image = np.zeros((4, 8), dtype=np.float32)
    image[:, :4] = 1.0
    small = images.resize_to_max_side(image, 2)
    np.testing.assert_allclose(small, [[1.0, 0.0]])
    np.testing.assert_array_equal(images.resize_to_max_side(image, 8), image)


# --- good uploads ------------------------------------------------------------------------------


def test_grey_png_decodes_exactly_without_a_note():
    pixels = np.array([[0, 51, 255], [102, 204, 153]], dtype=np.uint8)
    decoded = decode_upload(encode(Image.fromarray(pixels)))
    np.testing.assert_allclose(decoded.image, pixels / 255.0, atol=1e-7)
    assert decoded.image.dtype == np.float32
    assert decoded.note is None


def test_rgb_jpeg_becomes_grey():
    decoded = decode_upload(encode(Image.new("RGB", (40, 30), (255, 0, 0)), "JPEG", quality=95))
    assert decoded.image.shape == (30, 40)
    assert abs(float(decoded.image.mean()) - 0.299) < 0.02  # BT.601 luma of pure red


def test_16_bit_png_keeps_its_full_range():
    pixels = np.array([[0, 32768, 65535, 1]], dtype=np.uint16)
    picture = Image.fromarray(pixels)
    assert picture.mode.startswith("I;16")
    decoded = decode_upload(encode(picture))
    np.testing.assert_allclose(decoded.image, pixels / 65535.0, atol=1e-7)


def test_palette_image_turns_grey_by_its_colours():
    picture = Image.new("P", (4, 2))
    picture.putpalette([0, 0, 0, 255, 0, 0, 255, 255, 255] + [0] * (256 * 3 - 9))
    picture.putpixel((1, 0), 1)  # red
    picture.putpixel((2, 0), 2)  # white
    decoded = decode_upload(encode(picture))
    assert decoded.image[0, 0] == 0.0
    assert decoded.image[0, 1] == pytest.approx(76 / 255)  # round(0.299 · 255)
    assert decoded.image[0, 2] == 1.0


def test_transparency_is_flattened_onto_white_with_a_note():
    rgba = Image.new("RGBA", (2, 1), (0, 0, 0, 255))
    rgba.putpixel((1, 0), (0, 0, 0, 0))  # fully transparent
    decoded = decode_upload(encode(rgba))
    np.testing.assert_allclose(decoded.image, [[0.0, 1.0]])
    assert "transparent" in decoded.note
    grey_alpha = decode_upload(encode(Image.new("LA", (3, 3), (0, 0))))
    np.testing.assert_allclose(grey_alpha.image, 1.0)


def test_cmyk_and_bilevel_images_turn_grey():
    cmyk = decode_upload(encode(Image.new("CMYK", (8, 8), (0, 0, 0, 255)), "JPEG"))
    assert cmyk.image.max() < 0.1  # full black ink
    white_cmyk = decode_upload(encode(Image.new("CMYK", (8, 8), (0, 0, 0, 0)), "TIFF"))
    np.testing.assert_allclose(white_cmyk.image, 1.0)
    bilevel = Image.new("1", (4, 4), 0)
    bilevel.putpixel((0, 0), 1)
    decoded = decode_upload(encode(bilevel))
    assert decoded.image[0, 0] == 1.0 and decoded.image.sum() == 1.0


def test_float_tiff_outside_0_1_is_stretched_with_a_note():
    values = np.array([[-2.0, 0.0, 6.0]], dtype=np.float32)
    decoded = decode_upload(encode(Image.fromarray(values, mode="F"), "TIFF"))
    np.testing.assert_allclose(decoded.image, [[0.0, 0.25, 1.0]])
    assert "rescaled" in decoded.note


def test_exif_rotated_photo_is_turned_upright():
    # Stored 40 wide × 20 tall with a bright top half; orientation 6 means "turn 90° clockwise
    # to view", which puts the bright half on the right of a 20 wide × 40 tall picture.
    stored = np.zeros((20, 40), dtype=np.uint8)
    stored[:10] = 255
    exif = Image.Exif()
    exif[0x0112] = 6
    decoded = decode_upload(encode(Image.fromarray(stored), "JPEG", exif=exif, quality=95))
    assert decoded.image.shape == (40, 20)
    assert decoded.image[:, 12:].mean() > 0.9
    assert decoded.image[:, :8].mean() < 0.1
    assert "rotated upright" in decoded.note


def test_big_image_is_scaled_down_with_a_note():
    decoded = decode_upload(encode(noise_picture(1200, 900)), max_side=512)
    assert decoded.image.shape == (384, 512)
    assert "scaled down from 900 × 1200 to 384 × 512" in decoded.note


def test_big_jpeg_decodes_at_reduced_size_and_reports_the_real_size():
    decoded = decode_upload(encode(noise_picture(3000, 2000, "RGB"), "JPEG"), max_side=512)
    assert decoded.image.shape == (341, 512)
    assert "scaled down from 2000 × 3000" in decoded.note


def test_animated_gif_shows_its_first_frame():
    frames = [Image.new("L", (4, 4), value) for value in (255, 0)]
    gif = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    decoded = decode_upload(gif)
    assert decoded.image.min() == 1.0
    assert "first one" in decoded.note


def test_uploads_never_touch_the_disk(monkeypatch):
    payload = encode(noise_picture(700, 600, "RGB"), "JPEG")

    def no_files(*args, **kwargs):
        raise AssertionError(f"decode_upload opened a file: {args}")

    monkeypatch.setattr(builtins, "open", no_files)
    monkeypatch.setattr(io, "open", no_files)
    decoded = decode_upload(payload)
    assert decoded.image.shape == (439, 512)


# --- bad uploads -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"", "The file is empty"),
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n", "not an image cnnviz can open"),
        (b"Just some notes, not a picture.\n", "not an image cnnviz can open"),
        (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n", "not an image cnnviz can open"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "not an image cnnviz can open"),
    ],
    ids=["empty", "pdf", "text", "eps (would run Ghostscript)", "corrupt png"],
)
def test_non_images_and_corrupt_files_get_a_clear_message(payload, message):
    with pytest.raises(ImageError, match=message):
        decode_upload(payload)


@pytest.mark.parametrize("file_format", ["PNG", "JPEG"])
def test_truncated_files_get_a_clear_message(file_format):
    whole = encode(noise_picture(64, 64, "RGB"), file_format)
    with pytest.raises(ImageError, match="damaged or incomplete"):
        decode_upload(whole[: len(whole) // 2])


def test_too_many_pixels_is_refused_before_decoding():
    with pytest.raises(ImageError, match=r"8000 × 8000 pixels \(64 megapixels\), more than"):
        decode_upload(png_claiming_size(8000, 8000))


def test_decompression_bomb_is_refused():
    # Past twice Pillow's own limit, Pillow itself refuses while reading the header.
    with pytest.raises(ImageError) as refused:
        decode_upload(png_claiming_size(30000, 30000))
    message = str(refused.value)
    assert message.startswith("This file says it holds a picture far too large to open")
    assert "decompression bomb" in message
    assert "Pixels" not in message and "exceeds limit" not in message  # Pillow's own words


def test_image_error_is_a_value_error():
    assert issubclass(ImageError, ValueError)


def test_docstring_examples():
    import doctest

    results = doctest.testmod(images, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert results.attempted >= 3 and results.failed == 0


def test_a_strip_is_cropped_to_its_middle_not_thinned_for_a_preview():
    strip = np.tile(np.linspace(0, 1, 6000, dtype=np.float32)[:, None], (1, 16))  # (6000, 16)
    small, note = images.preview(strip, 32)
    assert small.shape == (32, 8)
    assert note == "the middle 64 × 16 of the 6000 × 16 image, shrunk to 32 × 8"
    # The middle rows: rows 2968..3031 of a ramp average to its centre value.
    assert small.mean() == pytest.approx(strip[2968:3032].mean(), abs=1e-4)
    square, note = images.preview(np.ones((64, 48), np.float32), 32)
    assert square.shape == (32, 24) and note == "the 64 × 48 image shrunk to 32 × 24"


def test_an_upload_strip_keeps_sixteen_pixels_across_and_its_middle():
    thin, cropped = images.fit_upload(np.ones((16, 6000), np.float32))
    assert thin.shape == (16, 6000) and not cropped  # under the pixel budget: kept whole
    wide, cropped = images.fit_upload(np.ones((64, 50_000), np.float32))  # 16 × 12,500: fits
    assert wide.shape == (16, 12_500) and not cropped
    wider, cropped = images.fit_upload(np.ones((20, 40_000), np.float32))  # 16 × 32,000: not
    assert wider.shape == (16, images.MAX_SIDE**2 // 16) and cropped
    photo, cropped = images.fit_upload(np.ones((600, 800), np.float32))
    assert photo.shape == (384, 512) and not cropped


def test_a_decoded_panorama_says_its_middle_was_kept():
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((20, 40_000), np.uint8)).save(buffer, "PNG")
    decoded = images.decode_upload(buffer.getvalue())
    assert decoded.image.shape == (16, 16384)
    assert "scaled down from 20 × 40000 to 16 × 16384 pixels (its middle part" in decoded.note


def test_the_formats_in_words_name_every_accepted_type():
    words = images.UPLOAD_FORMATS_TEXT.upper()
    for file_type in images.UPLOAD_TYPES:
        assert {"JPG": "JPEG", "TIF": "TIFF"}.get(file_type.upper(), file_type.upper()) in words
