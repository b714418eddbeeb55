"""Images to pool: sample photographs, MNIST digits, synthetic patterns, and uploads.

Every image leaves this module the same way: a float32 grey (H, W) array in [0, 1].

Uploads are decoded in memory only (``decode_upload`` takes bytes and never touches the disk),
with Pillow limited to a few well-known formats, decompression bombs refused before any pixel
is decoded, EXIF rotation applied, any colour mode turned grey, and big images scaled down.
"""

from __future__ import annotations

import functools
import io
import warnings
from importlib import resources
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from cnnviz.data import load_mnist, mnist_available

# Uploads: the formats Pillow may try (no EPS, which would run Ghostscript, nor exotic formats).
UPLOAD_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF")
UPLOAD_TYPES = ("png", "jpg", "jpeg", "gif", "bmp", "webp", "tif", "tiff")  # for st.file_uploader
# The formats in words, for the uploader's label and the messages that ask for another file.
UPLOAD_FORMATS_TEXT = "PNG, JPEG, GIF, BMP, WebP or TIFF"
MAX_SIDE = 512  # larger uploads are scaled down so every rerun stays fast
# ... but a strip is never thinned below this many pixels across by that scaling (a 6000 × 16
# strip scaled to a 512-pixel long side would be one pixel thin): it keeps its short side (up to
# this), and its long side is cropped around the centre to the pixel budget of a square upload.
MIN_SHORT_SIDE = 16
# The small previews (step-through grid, padding section) crop a strip's long side to this many
# times its short side before shrinking, so a strip keeps several pixels across.
PREVIEW_MAX_ASPECT = 4
# Refused before decoding: 50 megapixels (a 48 MP phone photo passes) would already take
# 200 MB as float32; a "decompression bomb" claims far more in a tiny file.
MAX_INPUT_PIXELS = 50_000_000
# Luma weights of ITU-R BT.601, what Pillow's convert("L") uses.
LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float32)
# Transparent pixels are shown on white, as a browser shows them on a white page.
TRANSPARENT_BACKGROUND = (255, 255, 255)

# Sample photographs that ship inside scikit-image's wheel (no download needed).
PHOTOS = {
    "Photo: cat (Chelsea)": "chelsea",
    "Photo: camera man": "camera",
    "Photo: coins": "coins",
}
MNIST_SAMPLE_INDICES = {"MNIST digit 7": 0, "MNIST digit 2": 1, "MNIST digit 0": 3}
PATTERN_SIZE = 48  # synthetic patterns: small enough to see every pixel on screen
PATTERN_SEED = 0  # the noise pattern is the same on every machine
STEP_GRID_SIZE = 7  # odd, so "same" padding with a 2×2 pool shows the extra bottom/right cell


class ImageError(ValueError):
    """An upload that cannot be used; the message says why in words a student understands."""


class DecodedImage(NamedTuple):
    """An upload turned into a grey image, and a note for the reader (or ``None``)."""

    image: np.ndarray  # float32 (H, W) in [0, 1]
    note: str | None


# --- synthetic patterns ------------------------------------------------------------------------


def checkerboard(size: int = PATTERN_SIZE, square: int = 1) -> np.ndarray:
    """Black and white squares of ``square`` pixels: 2×2 max pooling turns 1-pixel squares white.

    Examples
    --------
    >>> checkerboard(4)
    array([[0., 1., 0., 1.],
           [1., 0., 1., 0.],
           [0., 1., 0., 1.],
           [1., 0., 1., 0.]], dtype=float32)
    """
    rows, cols = np.indices((size, size)) // square
    return ((rows + cols) % 2).astype(np.float32)


def thin_lines(size: int = PATTERN_SIZE) -> np.ndarray:
    """One-pixel white lines on black (vertical, horizontal, diagonal): max keeps, min erases."""
    image = np.zeros((size, size), dtype=np.float32)
    image[:, size // 4] = 1.0
    image[size // 3, :] = 1.0
    image[np.arange(size), np.arange(size)] = 1.0
    image[size - 6, 2 : size - 2 : 2] = 1.0  # a dotted line: gaps vanish under max pooling
    return image


def one_bright_pixel(size: int = PATTERN_SIZE) -> np.ndarray:
    """A single white pixel on black: where does it end up after pooling, and how bright?"""
    image = np.zeros((size, size), dtype=np.float32)
    image[size // 2 - 3, size // 2 + 2] = 1.0
    return image


def noise(size: int = PATTERN_SIZE, seed: int = PATTERN_SEED) -> np.ndarray:
    """Uniform random grey levels: max pooling brightens, min darkens, average smooths."""
    return np.random.default_rng(seed).random((size, size), dtype=np.float32)


def shift_test(size: int = PATTERN_SIZE) -> np.ndarray:
    """A few small bright shapes on black, for the translation test: move it by a pixel."""
    image = np.zeros((size, size), dtype=np.float32)
    image[6:9, 6:9] = 1.0  # a 3×3 square
    image[20, 8:30] = 0.8  # a thin bar
    image[30:40, 30] = 0.6  # a thin post
    image[12, 36] = 1.0  # a dot
    return image


def step_grid(size: int = STEP_GRID_SIZE, seed: int = PATTERN_SEED) -> np.ndarray:
    """A small grid of tenths (0.0 to 0.9) for the step-through: easy to pool by heart.

    Examples
    --------
    >>> grid = step_grid(7)
    >>> grid.shape, bool(np.all(np.isin(np.round(grid * 10), np.arange(10))))
    ((7, 7), True)
    """
    tenths = np.random.default_rng(seed).integers(0, 10, (size, size))
    return (tenths / 10).astype(np.float32)


PATTERNS = {
    "Pattern: checkerboard (1-pixel squares)": functools.partial(checkerboard, square=1),
    "Pattern: checkerboard (3-pixel squares)": functools.partial(checkerboard, square=3),
    "Pattern: thin lines": thin_lines,
    "Pattern: one bright pixel": one_bright_pixel,
    "Pattern: noise": noise,
    "Pattern: shift test": shift_test,
}


# --- samples -----------------------------------------------------------------------------------


def sample_names(include_mnist: bool | None = None) -> list[str]:
    """The names of every sample, photographs first.

    Parameters
    ----------
    include_mnist : bool, optional
        Whether to list the MNIST digits; by default only when a MNIST file is reachable
        (without downloading), so the list never offers a sample that cannot load.
    """
    if include_mnist is None:
        include_mnist = mnist_available()
    mnist_names = list(MNIST_SAMPLE_INDICES) if include_mnist else []
    return [*PHOTOS, *mnist_names, *PATTERNS]


def load_sample(name: str) -> np.ndarray:
    """A sample image by its name in :func:`sample_names`, float32 (H, W) in [0, 1].

    Raises
    ------
    ValueError
        For an unknown name.
    cnnviz.data.MnistNotFoundError
        For an MNIST digit when MNIST cannot be found.
    """
    if name in PHOTOS:
        return _photo(PHOTOS[name])
    if name in MNIST_SAMPLE_INDICES:
        return _mnist_digits()[MNIST_SAMPLE_INDICES[name]]
    if name in PATTERNS:
        return PATTERNS[name]()
    raise ValueError(f"Unknown sample '{name}'; choose one of: {', '.join(sample_names(True))}.")


def _photo(name: str) -> np.ndarray:
    """A scikit-image sample photograph, read straight from the package data (works offline)."""
    data = resources.files("skimage.data").joinpath(f"{name}.png")
    if data.is_file():
        return decode_upload(data.read_bytes(), max_side=MAX_SIDE).image
    # Older or newer layouts: scikit-image's own loader (slower to import, same pixels).
    import skimage.data

    return to_grey(np.asarray(getattr(skimage.data, name)()))


@functools.lru_cache(maxsize=1)
def _mnist_digits() -> np.ndarray:
    """The first few MNIST test digits as float32 [0, 1] (read once, a few KB kept)."""
    count = max(MNIST_SAMPLE_INDICES.values()) + 1
    digits = load_mnist(allow_download=False).x_test[:count].astype(np.float32) / 255.0
    digits.flags.writeable = False
    return digits


def to_grey(image: np.ndarray) -> np.ndarray:
    """An 8-bit or float image, grey or RGB(A), as float32 (H, W) in [0, 1].

    Examples
    --------
    >>> to_grey(np.array([[[255, 0, 0], [255, 255, 255]]], dtype=np.uint8))
    array([[0.299, 1.   ]], dtype=float32)
    """
    array = np.asarray(image)
    if np.issubdtype(array.dtype, np.integer):
        array = array.astype(np.float32) / np.iinfo(array.dtype).max
    else:
        array = array.astype(np.float32)
    if array.ndim == 3 and array.shape[2] in (3, 4):
        array = array[:, :, :3] @ LUMA_WEIGHTS
    if array.ndim != 2:
        raise ValueError(f"Expected a grey (H, W) or RGB (H, W, 3) image, got shape {array.shape}.")
    return np.clip(array, 0.0, 1.0)


def resize_to_max_side(image: np.ndarray, max_side: int) -> np.ndarray:
    """Scale a grey image down (area-averaging) so its longer side is at most ``max_side``.

    Images that already fit come back unchanged. Used for the small grids of the padding and
    convolution sections, where every pixel must be visible.

    Examples
    --------
    >>> resize_to_max_side(np.ones((40, 20), dtype=np.float32), 10).shape
    (10, 5)
    """
    if max_side < 1:
        raise ValueError(f"max_side must be at least 1, got {max_side}.")
    array = np.asarray(image, dtype=np.float32)
    height, width = array.shape
    if max(height, width) <= max_side:
        return array
    scale = max_side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))  # Pillow: (W, H)
    resized = Image.fromarray(array, mode="F").resize(size, Image.Resampling.BOX)
    return np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)


class Preview(NamedTuple):
    """A small version of an image for a section that shows every pixel, and what was done."""

    image: np.ndarray  # float32 (h, w) in [0, 1]
    note: str | None  # e.g. "the middle 64 × 16 of the 6000 × 16 image, shrunk to 32 × 8"


def _centre_crop(array: np.ndarray, max_rows: int, max_cols: int) -> np.ndarray:
    """The centre of `array`, at most max_rows × max_cols."""
    rows, cols = array.shape
    top, left = (rows - min(rows, max_rows)) // 2, (cols - min(cols, max_cols)) // 2
    return array[top : top + min(rows, max_rows), left : left + min(cols, max_cols)]


def preview(image: np.ndarray, max_side: int) -> Preview:
    """Shrink an image so its longer side is at most ``max_side``, never a strip to a line.

    A strip longer than ``PREVIEW_MAX_ASPECT`` times its width is first cropped to its middle
    part of that aspect, so the preview keeps several pixels across (a 6000 × 16 strip becomes
    its middle 64 × 16, then 32 × 8, instead of 32 × 1).

    Examples
    --------
    >>> preview(np.ones((6000, 16), dtype=np.float32), 32).image.shape
    (32, 8)
    >>> preview(np.ones((6000, 16), dtype=np.float32), 32).note
    'the middle 64 × 16 of the 6000 × 16 image, shrunk to 32 × 8'
    >>> preview(np.ones((3, 4), dtype=np.float32), 32).note is None
    True
    """
    if max_side < 1:
        raise ValueError(f"max_side must be at least 1, got {max_side}.")
    array = np.asarray(image, dtype=np.float32)
    rows, cols = array.shape
    short = min(rows, cols)
    cropped = _centre_crop(array, PREVIEW_MAX_ASPECT * short, PREVIEW_MAX_ASPECT * short)
    small = resize_to_max_side(cropped, max_side)
    size = f"{small.shape[0]} × {small.shape[1]}"
    if cropped.shape != array.shape:
        note = f"the middle {cropped.shape[0]} × {cropped.shape[1]} of the {rows} × {cols} image"
        note += "" if small.shape == cropped.shape else f", shrunk to {size}"
    elif small.shape != array.shape:
        note = f"the {rows} × {cols} image shrunk to {size}"
    else:
        note = None
    return Preview(small, note)


def fit_upload(image: np.ndarray, max_side: int = MAX_SIDE) -> tuple[np.ndarray, bool]:
    """Scale an upload down so its longer side is at most ``max_side``, never a strip to a line.

    A strip whose short side would drop below ``MIN_SHORT_SIDE`` keeps its short side (up to
    ``MIN_SHORT_SIDE``) and, if it then has more than ``max_side²`` pixels, its long side is
    cropped around the centre to that budget. Returns the image and whether it was cropped.

    Examples
    --------
    >>> fit_upload(np.ones((1024, 600), dtype=np.float32))[0].shape
    (512, 300)
    >>> fit_upload(np.ones((16, 6000), dtype=np.float32))[0].shape  # 96,000 pixels: kept
    (16, 6000)
    >>> image, cropped = fit_upload(np.ones((20, 40000), dtype=np.float32))  # 16 across, cropped
    >>> image.shape, cropped
    ((16, 16384), True)
    """
    array = np.asarray(image, dtype=np.float32)
    rows, cols = array.shape
    short, long = min(rows, cols), max(rows, cols)
    if long <= max_side:
        return array, False
    if short * max_side / long >= MIN_SHORT_SIDE:
        return resize_to_max_side(array, max_side), False
    scale = min(short, MIN_SHORT_SIDE) / short
    if scale < 1:
        size = (max(1, round(cols * scale)), max(1, round(rows * scale)))  # Pillow: (W, H)
        resized = Image.fromarray(array, mode="F").resize(size, Image.Resampling.BOX)
        array = np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)
    budget = (max_side * max_side) // min(array.shape)
    cropped = _centre_crop(array, budget, budget)
    return cropped, cropped.shape != array.shape


# --- uploads -----------------------------------------------------------------------------------


def decode_upload(data: bytes, max_side: int = MAX_SIDE) -> DecodedImage:
    """Decode an uploaded image file, entirely in memory, to a grey float32 image in [0, 1].

    Parameters
    ----------
    data : bytes
        The file's content (``st.file_uploader(...).getvalue()``).
    max_side : int
        Larger images are scaled down so that their longer side is ``max_side`` pixels.

    Returns
    -------
    DecodedImage
        ``image``, float32 (H, W) in [0, 1], and ``note``: a sentence for the reader when
        something was changed (scaled down, rotated, transparency flattened, first frame of an
        animation, rescaled values), else ``None``.

    Raises
    ------
    ImageError
        For an empty file, a file that is not an image (or in a format not accepted), a
        damaged or truncated image, or one too large to decode safely.
    """
    if max_side < 1:
        raise ValueError(f"max_side must be at least 1, got {max_side}.")
    if not data:
        raise ImageError(f"The file is empty. Choose an image: {UPLOAD_FORMATS_TEXT}.")
    notes: list[str] = []
    try:
        with warnings.catch_warnings():
            # Pillow warns above its own limit; ours, below it, decides (see the check after).
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            picture = Image.open(io.BytesIO(data), formats=UPLOAD_FORMATS)
        width, height = picture.size  # read from the header: nothing decoded yet
        if width * height > MAX_INPUT_PIXELS:
            raise ImageError(
                f"This image is {width} × {height} pixels ({width * height / 1e6:.0f} megapixels), "
                f"more than the {MAX_INPUT_PIXELS / 1e6:.0f} megapixels cnnviz accepts. "
                "Scale it down before uploading."
            )
        if getattr(picture, "n_frames", 1) > 1:
            notes.append("it has several frames; the first one is shown")
        # JPEG can decode straight at 1/2, 1/4 or 1/8 size: much faster for big photos.
        picture.draft("L", (max_side, max_side))
        picture.load()
        original_shape = (height, width)
        if _exif_orientation(picture) not in (None, 1):
            notes.append("it was rotated upright as its EXIF orientation asks")
            upright = ImageOps.exif_transpose(picture)
            if upright.size != picture.size:  # turned by 90°: rows and columns swap
                original_shape = (width, height)
            picture = upright
        image = _grey_array(picture, notes)
    except ImageError:
        raise
    except Image.DecompressionBombError as error:
        raise ImageError(
            "This file says it holds a picture far too large to open: well over "
            f"{MAX_INPUT_PIXELS / 1e6:.0f} megapixels, squeezed into a small file. Opening it "
            "would fill the server's memory, so it was refused (files made like this are called "
            "'decompression bombs'). Choose an ordinary photo or a smaller picture."
        ) from error
    except UnidentifiedImageError as error:
        formats = ", ".join(UPLOAD_FORMATS)
        raise ImageError(
            "This file is not an image cnnviz can open (or it is too damaged to recognise). "
            f"Upload a picture in one of these formats: {formats}."
        ) from error
    except Exception as error:  # Pillow raises many types for broken files; all mean the same
        raise ImageError(
            "The image file is damaged or incomplete, so it cannot be decoded "
            f"({type(error).__name__}: {error}). Try saving it again, or choose another file."
        ) from error
    decoded_shape = image.shape
    image, cropped = fit_upload(image, max_side)
    if image.shape != decoded_shape or decoded_shape != original_shape:
        middle = (
            f" (its middle part: a thin strip keeps {min(image.shape)} pixels across)"
            if cropped
            else ""
        )
        notes.insert(
            0,
            f"it was scaled down from {original_shape[0]} × {original_shape[1]} to "
            f"{image.shape[0]} × {image.shape[1]} pixels{middle} so the page stays fast",
        )
    note = f"Your image: {'; '.join(notes)}." if notes else None
    return DecodedImage(image, note)


def _exif_orientation(picture: Image.Image) -> int | None:
    try:
        return picture.getexif().get(0x0112)  # the EXIF Orientation tag
    except Exception:  # a broken EXIF block is simply ignored, as exif_transpose does
        return None


def _grey_array(picture: Image.Image, notes: list[str]) -> np.ndarray:
    """Any Pillow image as float32 (H, W) in [0, 1], keeping 16-bit precision."""
    mode = picture.mode
    if mode.startswith("I;16"):
        # 16-bit grey (PNG, TIFF): 0..65535.
        return np.asarray(picture).astype(np.float32) / 65535.0
    if mode in ("I", "F"):
        # 32-bit integers or floats have no fixed range: values outside 0–1 are stretched.
        values = np.asarray(picture).astype(np.float32)
        low, high = float(np.nanmin(values)), float(np.nanmax(values))
        if low >= 0.0 and high <= 1.0:
            return np.nan_to_num(values)
        notes.append(f"its values ({low:.3g} to {high:.3g}) were rescaled to 0–1")
        span = high - low if high > low else 1.0
        return np.nan_to_num((values - low) / span).astype(np.float32)
    if "A" in mode or (mode == "P" and "transparency" in picture.info):
        # Flatten transparency onto white (LA, RGBA, PA, palette with a transparent colour).
        rgba = picture.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (*TRANSPARENT_BACKGROUND, 255))
        picture = Image.alpha_composite(background, rgba)
        notes.append("its transparent parts are shown as white")
    if picture.mode != "L":
        # CMYK, P, 1, RGB, YCbCr, ...: through RGB to BT.601 grey, as Pillow does.
        try:
            picture = picture.convert("RGB").convert("L")
        except ValueError as error:
            raise ImageError(
                f"This image uses the colour mode '{mode}', which cnnviz cannot turn grey. "
                "Save it as an ordinary RGB or grey PNG or JPEG."
            ) from error
    return np.asarray(picture, dtype=np.float32) / 255.0
