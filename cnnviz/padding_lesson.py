"""What zero padding does to a convolution's border, said from the numbers of the image shown.

The Pooling & padding page convolves an image with 'same' and 'full' zero padding. Whether the
zeros show depends on the image: next to a black edge (MNIST digits, the black-background
patterns) they are zeros beside zeros and change nothing; next to a bright edge (a photo) a blur
darkens the border and an edge detector finds edges that are not in the picture.
:func:`zero_border_change` measures it against the same convolution with the edge pixels
repeated instead of zeros; :func:`zero_border_sentence` says what was measured.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnviz import ops

# A border cell "changed" when the zeros moved it by more than this share of the map's range:
# less is invisible on the heatmap.
VISIBLE_SHARE = 0.01
# "A frame" when at least this share of the border cells changed; fewer are spots along it.
FRAME_SHARE = 0.5


@dataclass(frozen=True)
class ZeroBorderChange:
    """How the zeros of 'full' padding moved a convolution's border cells."""

    changed: int  # border cells moved by more than VISIBLE_SHARE of the map's range
    border: int  # all the cells the padding reaches
    largest: float  # the largest move, as a share of the map's range (the larger max |output|)
    darker: bool  # every visible move made the cell darker (lower)
    brighter: bool  # every visible move made it brighter (higher)
    edge_detector: bool  # the kernel sums to 0: a flat image gives 0, so any response is an edge


def zero_border_change(image: np.ndarray, kernel: np.ndarray) -> ZeroBorderChange:
    """Convolve ``image`` with ``kernel`` and 'full' zero padding, and again with the edge pixels
    repeated; compare the cells the padding reaches ('same' uses the inner part of that ring).

    Examples
    --------
    A black edge: the zeros change nothing. A white one: a blur darkens every border cell.

    >>> image = np.zeros((6, 6))
    >>> image[2:4, 2:4] = 1.0
    >>> zero_border_change(image, np.full((3, 3), 1 / 9)).changed
    0
    >>> change = zero_border_change(np.ones((6, 6)), np.full((3, 3), 1 / 9))
    >>> change.changed == change.border, change.darker
    (True, True)
    """
    picture = np.asarray(image, dtype=np.float64)
    weights = np.asarray(kernel, dtype=np.float64)
    top, bottom, left, right = ops.padding_amounts(picture.shape, weights.shape, 1, "full")
    zeros = ops.conv2d(picture, weights, 1, "full")
    repeated = ops.conv2d(
        np.pad(picture, ((top, bottom), (left, right)), mode="edge"), weights, 1, "valid"
    )
    # The cells whose window reaches the padding: all but the valid interior.
    ring = np.ones(zeros.shape, dtype=bool)
    rows, cols = picture.shape
    ring[top:rows, left:cols] = False
    difference = (zeros - repeated)[ring]
    scale = max(float(np.abs(zeros).max()), float(np.abs(repeated).max())) or 1.0
    visible = np.abs(difference) > VISIBLE_SHARE * scale
    return ZeroBorderChange(
        changed=int(visible.sum()),
        border=int(ring.sum()),
        largest=float(np.abs(difference).max(initial=0.0)) / scale,
        darker=bool(np.all(difference[visible] < 0)),
        brighter=bool(np.all(difference[visible] > 0)),
        edge_detector=bool(abs(weights.sum()) <= 1e-9 * np.abs(weights).sum()),
    )


def _what_shows(change: ZeroBorderChange, frame: bool) -> str:
    """'a dark frame', 'false edges where the image's edge is bright', …"""
    if change.edge_detector:
        return "false edges along the border" if frame else "false edges where its edge is bright"
    shade = "dark" if change.darker else "bright" if change.brighter else "wrong"
    if frame:
        return f"a {shade} frame" if shade != "wrong" else "a frame of wrong values"
    return f"{shade} spots where the image's edge is bright"


def zero_border_sentence(image: np.ndarray, kernel: np.ndarray) -> str:
    """What the zeros of 'same' and 'full' padding did to this image's border, measured.

    Examples
    --------
    >>> print(zero_border_sentence(np.ones((6, 6)), np.full((3, 3), 1 / 9)))
    ... # doctest: +NORMALIZE_WHITESPACE
    Look at the borders of 'same' and 'full': the zeros moved 48 of the 48 border cells of
    'full' (by up to 89% of the map's range) against repeating the edge pixels, and show up as
    a dark frame.
    """
    change = zero_border_change(image, kernel)
    if change.changed == 0:
        return (
            "Here the zeros do not show: this image's edge pixels are black, so the padding "
            "puts zeros beside zeros and the borders of 'same' and 'full' come out as if the "
            "edge pixels were repeated. Next to a bright edge (a photo) they show up as a dark "
            "frame after a blur and as false edges after an edge detector."
        )
    frame = change.changed >= FRAME_SHARE * change.border
    return (
        f"Look at the borders of 'same' and 'full': the zeros moved {change.changed} of the "
        f"{change.border} border cells of 'full' (by up to {change.largest:.0%} of the map's "
        f"range) against repeating the edge pixels, and show up as {_what_shows(change, frame)}."
    )
