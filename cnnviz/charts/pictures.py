"""Images as pictures: colour scales spelt out as plotly.py sends them, and an image coloured
as a plotly heatmap colours it, encoded as a PNG or JPEG data URI for a plotly image trace.
"""

from __future__ import annotations

import base64
import functools
import io
from typing import Any

import numpy as np
import plotly.graph_objects as go
from PIL import Image
from plotly.colors import sample_colorscale, unlabel_rgb

# Grey for intensities, the look of every image in the app (base.py adds the signed scale).
IMAGE_COLORSCALE = "gray"
# A picture is a lossless PNG unless that is bigger than this (a photograph): then a JPEG of this
# quality, far smaller and indistinguishable at the size shown (bench/README.md, "Page weight").
PICTURE_PNG_MAX_BYTES = 20_000
PICTURE_JPEG_QUALITY = 90


@functools.lru_cache(maxsize=8)
def _explicit_colorscale(name: str) -> tuple[tuple[float, str], ...]:
    return tuple(go.Heatmap(colorscale=name).colorscale)


def explicit_colorscale(name: str) -> list[list[float | str]]:
    """The colour scale ``name`` spelt out as plotly.py's validation sends it to the browser.

    A figure built without validation (``figure_from_spec``) must send this list, not the
    name: plotly.js reads names its own way (its "RdBu" runs blue to red, the other way round
    from plotly.py's, and it has no "gray"), so the chart would not match the others.

    Examples
    --------
    >>> explicit_colorscale("RdBu")[0], explicit_colorscale("RdBu")[-1]
    ([0.0, 'rgb(103,0,31)'], [1.0, 'rgb(5,48,97)'])
    """
    return [list(step) for step in _explicit_colorscale(name)]


@functools.lru_cache(maxsize=8)
def _colour_lookup(colorscale: str) -> np.ndarray:
    """The colours plotly gives 256 evenly spaced values on ``colorscale``: (256, 3) uint8, or
    (256,) grey levels when the scale is grey (plotly's "gray" is off by one level here and
    there between its channels)."""
    scale = explicit_colorscale(colorscale)  # the name resolved as plotly does
    colours = sample_colorscale(scale, np.linspace(0, 1, 256).tolist())
    lookup = np.array([unlabel_rgb(colour) for colour in colours])
    if np.ptp(lookup, axis=1).max() <= 2:
        lookup = lookup.mean(axis=1)
    return lookup.round().astype(np.uint8)


def picture_source(
    image: np.ndarray, *, zmin: float, zmax: float, colorscale: str = IMAGE_COLORSCALE
) -> str:
    """``image`` coloured as a plotly heatmap colours it, as a data URI for a plotly image trace.

    Values are mapped linearly from [zmin, zmax] onto 256 steps of ``colorscale``; NaN cells are
    transparent. The picture is a lossless PNG (greyscale when the scale is grey), or a JPEG of
    ``PICTURE_JPEG_QUALITY`` when the PNG would be larger than ``PICTURE_PNG_MAX_BYTES`` (a
    photograph).

    Examples
    --------
    >>> picture_source(np.array([[0.0, 1.0]]), zmin=0, zmax=1)[:22]
    'data:image/png;base64,'
    """
    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 2 or image.size == 0:
        raise ValueError(f"A picture needs a non-empty 2-D array, got shape {image.shape}.")
    span = zmax - zmin if zmax > zmin else 1.0
    missing = np.isnan(image)
    steps = np.clip((image - zmin) * (255 / span), 0, 255)
    steps[missing] = 0
    pixels = _colour_lookup(colorscale)[np.rint(steps).astype(np.uint8)]  # (H, W) or (H, W, 3)
    if missing.any():
        alpha = np.where(missing, 0, 255).astype(np.uint8)
        pixels = np.dstack([pixels, alpha])
    return _encoded_picture(pixels.tobytes(), pixels.shape)


@functools.lru_cache(maxsize=64)
def _encoded_picture(pixels: bytes, shape: tuple[int, ...]) -> str:
    """The data URI of these pixels (grey, grey + alpha, RGB or RGBA by ``shape``).

    Cached: most reruns redraw pictures they drew before (the input, the other pooling modes).
    """
    modes = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}
    channels = shape[2] if len(shape) == 3 else 1
    picture = Image.frombytes(modes[channels], (shape[1], shape[0]), pixels)
    encoded, media = None, "png"
    if channels in (1, 3) and _likely_png_bytes(picture) > PICTURE_PNG_MAX_BYTES:
        encoded, media = _encoded(picture, "JPEG", quality=PICTURE_JPEG_QUALITY), "jpeg"
    if encoded is None:
        encoded = _encoded(picture, "PNG")
    return f"data:image/{media};base64," + base64.b64encode(encoded).decode("ascii")


def _likely_png_bytes(picture: Image.Image, band_rows: int = 32) -> float:
    """A quick estimate of the PNG's size: a band of rows from the middle, encoded, scaled up.
    (A whole photograph's PNG costs tens of milliseconds; a JPEG of it, two.)"""
    width, height = picture.size
    if height <= 2 * band_rows:
        return len(_encoded(picture, "PNG", compress_level=1))
    top = (height - band_rows) // 2
    band = picture.crop((0, top, width, top + band_rows))
    return len(_encoded(band, "PNG", compress_level=1)) * height / band_rows


def _encoded(picture: Image.Image, file_format: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, file_format, **options)
    return buffer.getvalue()
