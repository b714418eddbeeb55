"""From a drawing on the canvas to an MNIST digit: the recipe MNIST itself was made with.

LeCun, Cortes and Burges built MNIST from NIST's black-and-white scans in three steps:

1. crop each digit to its bounding box;
2. scale it, keeping its aspect ratio, so that it fits a 20 × 20 box; anti-aliasing turns the
   black-and-white strokes into grey levels;
3. paste it into a 28 × 28 field so that the centre of mass of its pixel intensities sits at the
   centre of the field.

A network trained on MNIST has only ever seen digits prepared like that, so a drawing must be
prepared the same way before the network reads it. :func:`canvas_to_mnist` does it for a canvas
image of any size and colours; :func:`canvas_to_mnist_steps` also returns every intermediate
image, for display; :func:`naive_resize` squashes the whole canvas to 28 × 28 for comparison.

Examples
--------
A 1-pixel-wide bar drawn white on black anywhere on the canvas becomes a 20-pixel bar centred
in the 28 × 28 field:

>>> import numpy as np
>>> canvas = np.zeros((100, 100, 4), dtype=np.uint8)
>>> canvas[..., 3] = 255                   # opaque black background
>>> canvas[10:50, 70:74, :3] = 255         # a white vertical bar, 40 × 4 pixels
>>> digit = canvas_to_mnist(canvas)
>>> digit.shape, digit.dtype, float(digit.max())
((28, 28), dtype('float32'), 1.0)
>>> int((digit > 0.5).any(axis=1).sum())   # rows with ink: the longer side is 20 pixels
20
>>> [abs(c - 14) <= 0.5 for c in centre_of_mass(digit)]   # centre of mass at (14, 14)
[True, True]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from cnnviz.data import MNIST_IMAGE_SHAPE

MNIST_SIZE = MNIST_IMAGE_SHAPE[0]  # MNIST digits are square
# The digit's longer side after scaling (MNIST: "normalized to fit in a 20x20 pixel box").
FIT_BOX = 20
# Where MNIST puts the centre of mass, in array-index coordinates (row, column): measured on
# x_test, the mean is (13.99, 14.01), every digit within half a pixel of (14, 14).
MNIST_CENTRE = (14.0, 14.0)
# Ink below this fraction of the strongest ink is ignored when finding the bounding box: it is
# anti-aliasing haze or JPEG-like noise, not stroke.
INK_THRESHOLD = 0.2
# A separate blob holding less than this fraction of all the ink is a speck (a stray tap), not
# part of the digit, unless it is the only blob.
SPECK_FRACTION = 0.02
# Fewer inked pixels than this (or than BLANK_FRACTION of the canvas, whichever is larger) means
# nothing was drawn yet: the page asks for a digit instead of predicting on noise.
MIN_INK_PIXELS = 10
BLANK_FRACTION = 0.001
# A background counts as transparent when most of the border is at least this transparent.
TRANSPARENT_ALPHA = 128
# A mark whose ink spans less than this many pen widths (its bounding box's longer side) is a
# dot or a tap, not a digit: with a 20-pixel pen a single click covers 314 pixels, far above
# MIN_INK_PIXELS, and used to be read as a "0" at ~75%.
DOT_PEN_WIDTHS = 2.0
# More than this share of the canvas inked leaves no digit shape to read: "scribbled all over".
# A fat MNIST "0" enlarged to 240 of the canvas's 280 pixels inks up to about 52% of it.
TOO_MUCH_INK_FRACTION = 0.7
# Two marks side by side (no column in common), each with at least this share of the ink, look
# like two digits: the strokes of one digit overlap in columns (a 5's bar, a 4's two strokes).
SIDE_BY_SIDE_SHARE = 0.2


class BlankCanvasError(ValueError):
    """The canvas holds no digit (blank, or only a few stray pixels): draw one first."""


@dataclass(frozen=True)
class PreprocessSteps:
    """Every intermediate image of :func:`canvas_to_mnist_steps`, for display.

    Attributes
    ----------
    ink : ndarray, shape (H, W), float32 in [0, 1]
        How much ink each canvas pixel holds, light on dark, whatever the canvas colours were.
    background : str
        How the ink was found: "transparent", "dark" (light ink on a dark background) or "light"
        (dark ink on a light background).
    box : tuple of int
        The ink's bounding box on the canvas: (top, left, bottom, right), bottom/right exclusive.
    cropped : ndarray, shape (box height, box width), float32
        The ink inside its bounding box (specks outside the digit removed).
    scaled : ndarray, float32
        ``cropped`` scaled so its longer side is exactly 20 pixels, aspect ratio kept.
    centred : ndarray, shape (28, 28), float32 in [0, 1]
        The result: ``scaled`` pasted so its centre of mass sits at :data:`MNIST_CENTRE`.
    shift : tuple of int
        Where the top-left corner of ``scaled`` landed in ``centred``: (row, column).
    """

    ink: np.ndarray
    background: str
    box: tuple[int, int, int, int]
    cropped: np.ndarray
    scaled: np.ndarray
    centred: np.ndarray
    shift: tuple[int, int]


def _check_canvas(rgba: np.ndarray) -> np.ndarray:
    """Return ``rgba`` as an ndarray after checking it is an (H, W, 4) uint8 image."""
    if not isinstance(rgba, np.ndarray):
        raise ValueError(
            f"Expected the canvas image as a numpy array, got {type(rgba).__name__}. "
            "st_canvas(..., return_image_data=True).image_data gives one."
        )
    if rgba.ndim != 3 or rgba.shape[2] != 4:
        raise ValueError(
            f"Expected an (H, W, 4) RGBA canvas image, got shape {rgba.shape}: four channels "
            "(red, green, blue, alpha) are needed to tell ink from background."
        )
    if rgba.dtype != np.uint8:
        raise ValueError(
            f"Expected uint8 pixel values (0-255), got dtype {rgba.dtype}. "
            "Convert with (image * 255).astype(np.uint8) if it holds floats in [0, 1]."
        )
    if rgba.shape[0] < 2 or rgba.shape[1] < 2:
        raise ValueError(f"The canvas image is too small ({rgba.shape[0]} × {rgba.shape[1]}).")
    return rgba


def _border(image: np.ndarray) -> np.ndarray:
    """The outermost ring of pixels of an (H, W, ...) image, as (N, ...)."""
    return np.concatenate([image[0], image[-1], image[1:-1, 0], image[1:-1, -1]])


def extract_ink(rgba: np.ndarray) -> tuple[np.ndarray, str]:
    """How much ink each pixel holds, light on dark, whatever the canvas colours.

    On a transparent canvas the ink is the alpha channel. Otherwise the background colour is the
    median colour of the border (a digit rarely covers most of the border) and the ink is each
    pixel's distance from it, so white on black, black on white and a red stroke on yellow all
    give a light digit on black. The result is scaled so the strongest ink is 1.

    Parameters
    ----------
    rgba : ndarray, shape (H, W, 4), uint8

    Returns
    -------
    ink : ndarray, shape (H, W), float32 in [0, 1]
    background : str
        "transparent", "dark" or "light".
    """
    rgba = _check_canvas(rgba)
    alpha = rgba[..., 3].astype(np.float32) / 255.0
    if np.median(_border(rgba[..., 3])) < TRANSPARENT_ALPHA:
        ink, background = alpha, "transparent"
    else:
        colour = rgba[..., :3].astype(np.float32)
        background_colour = np.median(_border(colour), axis=0)  # (3,)
        # Partly transparent pixels are seen against the background colour.
        seen = alpha[..., np.newaxis] * colour + (1.0 - alpha[..., np.newaxis]) * background_colour
        ink = np.sqrt(((seen - background_colour) ** 2).sum(axis=-1))
        background = "light" if background_colour.mean() >= 127.5 else "dark"
    strongest = float(ink.max())
    if strongest > 0:
        ink = ink / strongest
    return ink.astype(np.float32, copy=False), background


def _digit_mask(ink: np.ndarray) -> np.ndarray:
    """Boolean (H, W): the inked pixels that belong to the digit (specks dropped)."""
    from skimage.measure import label  # lazy: skimage's import takes a moment

    inked = ink >= INK_THRESHOLD
    blobs = label(inked, connectivity=2)  # (H, W) int, 0 = background
    if blobs.max() <= 1:
        return inked
    ink_per_blob = np.bincount(blobs.ravel(), weights=ink.ravel())
    ink_per_blob[0] = 0.0
    keep = ink_per_blob >= SPECK_FRACTION * ink_per_blob.sum()
    return keep[blobs]


def _holds_no_digit(ink: np.ndarray) -> bool:
    """Whether an ink map (from :func:`extract_ink`) holds too little ink to be a digit."""
    inked_pixels = int(np.count_nonzero(ink >= INK_THRESHOLD))
    return inked_pixels < max(MIN_INK_PIXELS, BLANK_FRACTION * ink.size) or float(ink.max()) == 0


def ink_against(rgba: np.ndarray, background: str) -> np.ndarray:
    """How much ink each pixel holds, measured against the canvas's known background colour.

    Unlike :func:`extract_ink`, which guesses the background from the border, this cannot be
    fooled by a canvas inked all over (whose border is ink). Ink is the colour's distance from
    ``background`` (1 = as far as black from white), times the pixel's opacity (a transparent
    pixel holds none).

    Parameters
    ----------
    rgba : ndarray, shape (H, W, 4), uint8
        The canvas image.
    background : str
        The canvas's background colour, ``"#RRGGBB"``.

    Examples
    --------
    >>> canvas = np.zeros((2, 2, 4), dtype=np.uint8)
    >>> canvas[..., 3] = 255  # opaque black
    >>> canvas[0, 0, :3] = 255  # one white pixel
    >>> ink_against(canvas, "#000000").round(2).tolist()
    [[1.0, 0.0], [0.0, 0.0]]
    """
    image = _check_canvas(rgba)
    if len(background) != 7 or not background.startswith("#"):
        raise ValueError(f"The background must be a colour like '#000000', got {background!r}.")
    colour = np.array([int(background[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.float32)
    distance = np.sqrt(((image[..., :3].astype(np.float32) - colour) ** 2).sum(axis=-1))
    opacity = image[..., 3].astype(np.float32) / 255.0
    return (distance / np.sqrt(3 * 255.0**2) * opacity).astype(np.float32)


def drawing_problem(rgba: np.ndarray, pen_width: float, background: str) -> str | None:
    """What keeps a drawing from being read as one digit, in a sentence; ``None`` if nothing.

    Checked once :func:`canvas_to_mnist_steps` found ink: a canvas inked almost all over, a dot
    (ink spanning less than ``DOT_PEN_WIDTHS`` pen widths, so the rule scales with the pen), or
    two marks side by side, each with at least ``SIDE_BY_SIDE_SHARE`` of the ink.

    Parameters
    ----------
    rgba : ndarray, shape (H, W, 4), uint8
        The canvas image.
    pen_width : float
        The pen's width in canvas pixels.
    background : str
        The canvas's background colour, ``"#RRGGBB"`` (see :func:`ink_against`).

    Examples
    --------
    >>> canvas = np.zeros((280, 280, 4), dtype=np.uint8)
    >>> canvas[..., 3] = 255
    >>> canvas[100:120, 100:120, :3] = 255  # one click of a 20-pixel pen
    >>> print(drawing_problem(canvas, 20, "#000000"))  # doctest: +NORMALIZE_WHITESPACE
    That is a dot, not a digit: its ink spans 20 pixels, less than 2 pen widths (40 pixels).
    Draw a whole digit.
    >>> canvas[60:220, 100:120, :3] = 255  # a tall stroke: a "1"
    >>> drawing_problem(canvas, 20, "#000000") is None
    True
    """
    if pen_width <= 0:
        raise ValueError(f"The pen width must be positive, got {pen_width}.")
    ink = ink_against(rgba, background)
    inked = ink >= INK_THRESHOLD
    inked_share = float(inked.mean())
    if inked_share > TOO_MUCH_INK_FRACTION:
        return (
            f"The canvas is mostly ink ({inked_share:.0%} of it), so there is no digit shape "
            "left to read. Clear it and draw one digit."
        )
    if not inked.any():
        return None
    digit = _digit_mask(ink)
    rows, columns = np.flatnonzero(digit.any(axis=1)), np.flatnonzero(digit.any(axis=0))
    extent = int(max(rows[-1] - rows[0], columns[-1] - columns[0]) + 1)
    if extent < DOT_PEN_WIDTHS * pen_width:
        return (
            f"That is a dot, not a digit: its ink spans {extent} pixels, less than "
            f"{DOT_PEN_WIDTHS:g} pen widths ({DOT_PEN_WIDTHS * pen_width:g} pixels). "
            "Draw a whole digit."
        )
    marks = _side_by_side_marks(ink, digit)
    if marks > 1:
        return (
            f"This looks like more than one digit: {marks} separate marks side by side. The "
            "network reads one digit at a time, so its answer would be a guess. Clear the "
            "canvas and draw one digit."
        )
    return None


def _side_by_side_marks(ink: np.ndarray, digit: np.ndarray) -> int:
    """How many big marks (each ``SIDE_BY_SIDE_SHARE`` of the ink) share no column: 1 for one."""
    from skimage.measure import label  # lazy, as in _digit_mask

    blobs = label(digit, connectivity=2)
    ink_per_blob = np.bincount(blobs.ravel(), weights=ink.ravel())
    ink_per_blob[0] = 0.0
    big = np.flatnonzero(ink_per_blob >= SIDE_BY_SIDE_SHARE * ink_per_blob.sum())
    spans = sorted(
        (int(columns.min()), int(columns.max()))
        for columns in (np.flatnonzero((blobs == blob).any(axis=0)) for blob in big)
    )
    groups, right_edge = 0, -1
    for left, right in spans:  # merge marks whose column ranges overlap
        if left > right_edge:
            groups += 1
        right_edge = max(right_edge, right)
    return max(groups, 1)


def is_blank(rgba: np.ndarray) -> bool:
    """Whether the canvas holds no digit yet: nothing drawn, or only a few stray pixels.

    Raises
    ------
    ValueError
        If ``rgba`` is not an (H, W, 4) uint8 image.
    """
    return _holds_no_digit(extract_ink(rgba)[0])


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """The intensity-weighted centre of a 2-D image: (row, column) in array-index coordinates.

    >>> centre_of_mass(np.array([[0.0, 0.0], [1.0, 3.0]]))
    (1.0, 0.75)
    """
    image = np.asarray(image, dtype=np.float64)
    if image.ndim != 2:
        raise ValueError(f"centre_of_mass needs a 2-D image, got shape {image.shape}.")
    total = image.sum()
    if total <= 0:
        raise ValueError("The image holds no ink, so it has no centre of mass.")
    rows, columns = np.indices(image.shape)
    return float((rows * image).sum() / total), float((columns * image).sum() / total)


def scale_to_box(image: np.ndarray, box: int = FIT_BOX) -> np.ndarray:
    """Scale a 2-D image so its longer side is exactly ``box`` pixels, keeping the aspect ratio.

    Shrinking averages over the area each new pixel covers (a box filter: the anti-aliasing
    that turns hard strokes into grey edges, as in MNIST); enlarging interpolates bilinearly.

    >>> scale_to_box(np.ones((40, 10), dtype=np.float32)).shape
    (20, 5)
    """
    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 2 or min(image.shape) < 1:
        raise ValueError(f"scale_to_box needs a non-empty 2-D image, got shape {image.shape}.")
    height, width = image.shape
    factor = box / max(height, width)
    new_height = box if height >= width else max(1, round(height * factor))
    new_width = box if width >= height else max(1, round(width * factor))
    resample = Image.Resampling.BOX if factor <= 1 else Image.Resampling.BILINEAR
    scaled = Image.fromarray(image).resize((new_width, new_height), resample)
    return np.clip(np.asarray(scaled, dtype=np.float32), 0.0, 1.0)


def paste_centred(
    image: np.ndarray, size: int = MNIST_SIZE, centre: tuple[float, float] = MNIST_CENTRE
) -> tuple[np.ndarray, tuple[int, int]]:
    """Paste a small image into a ``size`` × ``size`` field with its centre of mass at ``centre``.

    The image moves by whole pixels, as MNIST's digits did, so the centre of mass lands within
    half a pixel of ``centre`` and the strokes stay as sharp as they were (a sub-pixel shift
    would blur them). Ink pushed past the field's edge is lost, as it was for MNIST.

    Returns
    -------
    field : ndarray, shape (size, size), float32
    offset : tuple of int
        Where the image's top-left corner landed: (row, column); may be negative.

    Examples
    --------
    >>> field, offset = paste_centred(np.ones((2, 2), dtype=np.float32), size=6, centre=(3, 3))
    >>> offset
    (3, 3)
    >>> centre_of_mass(field)                # a tie: half a pixel off, rounded down-right
    (3.5, 3.5)
    """
    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 2:
        raise ValueError(f"paste_centred needs a 2-D image, got shape {image.shape}.")
    com_row, com_column = centre_of_mass(image)
    # np.floor(x + 0.5) rounds halves up, the same way for every digit (round() goes to even).
    top = int(np.floor(centre[0] - com_row + 0.5))
    left = int(np.floor(centre[1] - com_column + 0.5))
    height, width = image.shape
    field = np.zeros((size, size), dtype=np.float32)
    # The part of the image that falls inside the field, in field and in image coordinates.
    field_top, field_left = max(top, 0), max(left, 0)
    field_bottom, field_right = min(top + height, size), min(left + width, size)
    if field_bottom > field_top and field_right > field_left:
        field[field_top:field_bottom, field_left:field_right] = image[
            field_top - top : field_bottom - top, field_left - left : field_right - left
        ]
    return field, (top, left)


def canvas_to_mnist_steps(rgba: np.ndarray) -> PreprocessSteps:
    """Prepare a canvas drawing as MNIST was prepared, keeping every intermediate image.

    Parameters
    ----------
    rgba : ndarray, shape (H, W, 4), uint8
        The canvas image, any size; any colours (see :func:`extract_ink`).

    Returns
    -------
    PreprocessSteps
        ``centred`` is the (28, 28) float32 digit in [0, 1], light on black like ``x_test / 255``.

    Raises
    ------
    BlankCanvasError
        If nothing (or only a few stray pixels) was drawn.
    ValueError
        If ``rgba`` is not an (H, W, 4) uint8 image.
    """
    ink, background = extract_ink(rgba)
    if _holds_no_digit(ink):
        raise BlankCanvasError("The canvas is blank: draw a digit first.")
    digit = _digit_mask(ink)
    rows, columns = np.flatnonzero(digit.any(axis=1)), np.flatnonzero(digit.any(axis=0))
    top, bottom, left, right = rows[0], rows[-1] + 1, columns[0], columns[-1] + 1
    # Keep the anti-aliased haze inside the box, but nothing from specks elsewhere.
    kept = np.where(digit | (ink < INK_THRESHOLD), ink, 0.0).astype(np.float32)
    cropped = kept[top:bottom, left:right]
    scaled = scale_to_box(cropped)
    # MNIST's digits all reach full intensity; a thin stroke shrunk a lot would not.
    scaled = scaled / scaled.max()
    centred, shift = paste_centred(scaled)
    return PreprocessSteps(
        ink=ink,
        background=background,
        box=(int(top), int(left), int(bottom), int(right)),
        cropped=cropped,
        scaled=scaled,
        centred=np.clip(centred, 0.0, 1.0),
        shift=shift,
    )


def canvas_to_mnist(rgba: np.ndarray) -> np.ndarray:
    """A canvas drawing as an MNIST digit: (28, 28) float32 in [0, 1], light on black.

    Crops the ink to its bounding box, scales it to fit 20 × 20 keeping the aspect ratio (with
    anti-aliasing) and centres its centre of mass in 28 × 28; see :func:`canvas_to_mnist_steps`
    for the intermediate images and the errors raised (:class:`BlankCanvasError` on a blank
    canvas, ``ValueError`` on a malformed image).
    """
    return canvas_to_mnist_steps(rgba).centred


def naive_resize(rgba: np.ndarray) -> np.ndarray:
    """The whole canvas squashed to 28 × 28, as most digit-canvas demos do: for comparison.

    The ink is found as in :func:`extract_ink` (so colours are not the difference), but nothing
    is cropped, fitted or centred: a small or off-centre digit stays small or off-centre.

    Returns
    -------
    ndarray, shape (28, 28), float32 in [0, 1]
    """
    ink, _ = extract_ink(rgba)
    squashed = Image.fromarray(ink).resize((MNIST_SIZE, MNIST_SIZE), Image.Resampling.BOX)
    return np.clip(np.asarray(squashed, dtype=np.float32), 0.0, 1.0)
