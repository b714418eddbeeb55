"""Break the model: move, turn, resize, thicken or thin a digit after the MNIST recipe.

A network trained on MNIST has only seen digits cropped, fitted to 20 × 20 and centred by their
centre of mass (:mod:`cnnviz.preprocess`). These transforms take such a 28 × 28 digit and undo
one of those guarantees at a time, so a class can see how far each network tolerates what it
never saw. They are pure numpy (no SciPy), a few hundred microseconds per digit, and batched:
:func:`sweep` builds every step of a range at once and asks each model once.

* :func:`shift` moves the digit by whole pixels (ink pushed past the edge is lost), so the
  strokes stay exactly as sharp as the recipe made them;
* :func:`rotate_and_scale` turns and resizes the digit about its centre of mass, by bilinear
  interpolation (positive angles turn it anticlockwise on screen);
* :func:`change_thickness` thickens the strokes by grey-level dilation (each pixel takes the
  brightest value of itself and its four neighbours) or thins them by erosion (the darkest), a
  fractional amount blending one step with the next.

Examples
--------
>>> digit = np.zeros((28, 28), dtype=np.float32)
>>> digit[10:18, 13:15] = 1.0                        # a short vertical bar
>>> moved = apply(digit, Distortion(shift_x=3, shift_y=-2))
>>> [round(c, 6) for c in centre_of_mass(moved)]     # 2 rows up, 3 columns right
[11.5, 16.5]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace

import numpy as np

from cnnviz.data import MNIST_IMAGE_SHAPE
from cnnviz.preprocess import centre_of_mass

__all__ = [
    "MAX_ROTATION",
    "MAX_SHIFT",
    "MAX_THICKNESS",
    "SCALE_RANGE",
    "SWEEP_AXES",
    "Distortion",
    "Sweep",
    "apply",
    "apply_batch",
    "change_thickness",
    "robustness_sentence",
    "rotate_and_scale",
    "setting_text",
    "shift",
    "sweep",
    "sweep_values",
]

# The ranges of the page's sliders. ±8 px moves a 20-pixel digit almost to the field's edge
# (the recipe leaves 4 px of margin on each side), ±45° is as far as a 6 stays unlike a 9, and
# 0.5–1.5× spans a digit drawn half as big to one that overflows the field.
MAX_SHIFT = 8
MAX_ROTATION = 45.0
SCALE_RANGE = (0.5, 1.5)
# Steps of dilation or erosion: an MNIST stroke is 2–4 px wide, so two steps either way take
# it from a hairline to a blob.
MAX_THICKNESS = 2.0
# Sweepable settings and the step between two points of a sweep.
SWEEP_AXES = {"shift_x": 1.0, "shift_y": 1.0, "rotation": 3.0}


@dataclass(frozen=True)
class Distortion:
    """How to change a recipe digit; the defaults change nothing.

    Attributes
    ----------
    shift_x : int
        Pixels to the right (negative: to the left), at most :data:`MAX_SHIFT` either way.
    shift_y : int
        Pixels down (negative: up), at most :data:`MAX_SHIFT` either way.
    rotation : float
        Degrees anticlockwise on screen (negative: clockwise), at most :data:`MAX_ROTATION`.
    scale : float
        Size factor about the centre of mass, within :data:`SCALE_RANGE`.
    thickness : float
        Steps of dilation (positive) or erosion (negative), at most :data:`MAX_THICKNESS`.
    """

    shift_x: int = 0
    shift_y: int = 0
    rotation: float = 0.0
    scale: float = 1.0
    thickness: float = 0.0

    def __post_init__(self) -> None:
        for name in ("shift_x", "shift_y"):
            value = getattr(self, name)
            if int(value) != value or abs(value) > MAX_SHIFT:
                raise ValueError(
                    f"{name} must be a whole number of pixels from -{MAX_SHIFT} to {MAX_SHIFT}, "
                    f"got {value}."
                )
            object.__setattr__(self, name, int(value))
        if not abs(self.rotation) <= MAX_ROTATION:
            raise ValueError(
                f"rotation must be from -{MAX_ROTATION:g} to {MAX_ROTATION:g} degrees, "
                f"got {self.rotation}."
            )
        if not SCALE_RANGE[0] <= self.scale <= SCALE_RANGE[1]:
            raise ValueError(
                f"scale must be from {SCALE_RANGE[0]:g} to {SCALE_RANGE[1]:g}, got {self.scale}."
            )
        if not abs(self.thickness) <= MAX_THICKNESS:
            raise ValueError(
                f"thickness must be from -{MAX_THICKNESS:g} to {MAX_THICKNESS:g} steps, "
                f"got {self.thickness}."
            )

    @property
    def is_identity(self) -> bool:
        """Whether this distortion leaves every digit exactly as it is."""
        return self == Distortion()

    def as_dict(self) -> dict[str, float]:
        """The settings by name (the page's slider values)."""
        return {item.name: getattr(self, item.name) for item in fields(self)}


def _check_digit(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image, dtype=np.float32)
    if image.shape != MNIST_IMAGE_SHAPE:
        raise ValueError(
            f"Expected one 28×28 digit (as canvas_to_mnist returns), got shape {image.shape}."
        )
    return image


def shift(image: np.ndarray, shift_x: int, shift_y: int) -> np.ndarray:
    """Move a 2-D image by whole pixels, filling with zeros; ink pushed past the edge is lost.

    >>> shift(np.arange(9.0).reshape(3, 3), 1, 0)
    array([[0., 0., 1.],
           [0., 3., 4.],
           [0., 6., 7.]])
    """
    image = np.asarray(image)
    if image.ndim != 2:
        raise ValueError(f"shift needs a 2-D image, got shape {image.shape}.")
    if int(shift_x) != shift_x or int(shift_y) != shift_y:
        raise ValueError(f"Shifts are whole pixels, got ({shift_x}, {shift_y}).")
    shift_x, shift_y = int(shift_x), int(shift_y)
    height, width = image.shape
    moved = np.zeros_like(image)
    if abs(shift_x) >= width or abs(shift_y) >= height:
        return moved
    # The part of the image that stays inside, in source and in destination coordinates.
    source = image[
        max(0, -shift_y) : height - max(0, shift_y), max(0, -shift_x) : width - max(0, shift_x)
    ]
    moved[
        max(0, shift_y) : height - max(0, -shift_y), max(0, shift_x) : width - max(0, -shift_x)
    ] = source
    return moved


def rotate_and_scale(
    image: np.ndarray,
    degrees: float,
    scale: float = 1.0,
    centre: tuple[float, float] | None = None,
) -> np.ndarray:
    """Turn a 2-D image anticlockwise (on screen) and resize it about ``centre``, bilinearly.

    Each output pixel reads the input at the point the inverse transform sends it to,
    interpolating its four neighbours; points outside the image read zero. A rotation by 0 at
    scale 1 returns the image unchanged (an exact copy, not an interpolated one).

    Parameters
    ----------
    image : ndarray, shape (H, W)
    degrees : float
        Anticlockwise as seen on screen (rows run downwards).
    scale : float
        Greater than 0; 2 doubles every distance from ``centre``.
    centre : tuple of float, optional
        (row, column) that stays put; defaults to the image's centre of mass.

    Examples
    --------
    A quarter turn about the middle of a 3 × 3 image is numpy's ``rot90``:

    >>> image = np.arange(9.0).reshape(3, 3)
    >>> bool(np.allclose(rotate_and_scale(image, 90, centre=(1, 1)), np.rot90(image)))
    True
    """
    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 2:
        raise ValueError(f"rotate_and_scale needs a 2-D image, got shape {image.shape}.")
    if not scale > 0:
        raise ValueError(f"scale must be greater than 0, got {scale}.")
    if degrees == 0 and scale == 1:
        return image.copy()
    if centre is None:
        centre = centre_of_mass(image)
    return _warp_batch(
        image[np.newaxis], np.array([degrees], float), np.array([scale], float), [centre]
    )[0]


def _warp_batch(
    images: np.ndarray,
    degrees: np.ndarray,
    scales: np.ndarray,
    centres: Sequence[tuple[float, float]],
) -> np.ndarray:
    """Bilinear rotation and scaling of (N, H, W) images, each about its own centre."""
    count, height, width = images.shape
    angles = np.deg2rad(degrees)[:, None, None]  # (N, 1, 1)
    scales = np.asarray(scales, dtype=np.float64)[:, None, None]
    centres = np.asarray(centres, dtype=np.float64)  # (N, 2)
    rows, columns = np.indices((height, width), dtype=np.float64)  # (H, W) each
    # Offsets of each output pixel from the centre: y down, x right.
    dy = rows[None] - centres[:, 0, None, None]
    dx = columns[None] - centres[:, 1, None, None]
    # The inverse map: un-scale, then turn back. On screen (rows down) an anticlockwise turn by a
    # sends (dx, dy) to (dx cos a + dy sin a, -dx sin a + dy cos a); its inverse uses -a.
    cos, sin = np.cos(angles), np.sin(angles)
    source_x = (dx * cos - dy * sin) / scales + centres[:, 1, None, None]
    source_y = (dx * sin + dy * cos) / scales + centres[:, 0, None, None]
    # Bilinear interpolation with a one-pixel ring of zeros, so points just outside fade to 0.
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1)))
    x0 = np.floor(source_x)
    y0 = np.floor(source_y)
    wx, wy = source_x - x0, source_y - y0
    # Indices into the padded image, clamped: anything beyond the ring reads the ring's zeros.
    x0i = np.clip(x0.astype(np.int64) + 1, 0, width + 1)
    y0i = np.clip(y0.astype(np.int64) + 1, 0, height + 1)
    x1i = np.clip(x0i + 1, 0, width + 1)
    y1i = np.clip(y0i + 1, 0, height + 1)
    outside = (source_x <= -1) | (source_x >= width) | (source_y <= -1) | (source_y >= height)
    batch = np.arange(count)[:, None, None]
    warped = (
        padded[batch, y0i, x0i] * (1 - wx) * (1 - wy)
        + padded[batch, y0i, x1i] * wx * (1 - wy)
        + padded[batch, y1i, x0i] * (1 - wx) * wy
        + padded[batch, y1i, x1i] * wx * wy
    )
    warped[outside] = 0.0
    return warped.astype(np.float32)  # convex combinations: the input's range is kept


def _neighbourhood(image: np.ndarray, reduce: Callable[..., np.ndarray], fill: float) -> np.ndarray:
    """Each pixel's ``reduce`` (max or min) over itself and its 4 neighbours; beyond the edge
    reads ``fill``. Works on the last two axes."""
    padded = np.pad(image, [(0, 0)] * (image.ndim - 2) + [(1, 1), (1, 1)], constant_values=fill)
    centre = padded[..., 1:-1, 1:-1]
    result = reduce(centre, padded[..., :-2, 1:-1])  # above
    result = reduce(result, padded[..., 2:, 1:-1])  # below
    result = reduce(result, padded[..., 1:-1, :-2])  # left
    return reduce(result, padded[..., 1:-1, 2:])  # right


def change_thickness(image: np.ndarray, steps: float) -> np.ndarray:
    """Thicken (``steps`` > 0) or thin (``steps`` < 0) the strokes of a light-on-dark image.

    One step of dilation gives each pixel the brightest value among itself and its four
    neighbours, so a stroke grows by a pixel on each side; erosion takes the darkest, so it
    shrinks. A fractional step blends the last whole step with the next, so thickening never
    removes ink and thinning never adds any.

    >>> bar = np.zeros((5, 5)); bar[:, 2] = 1.0
    >>> change_thickness(bar, 1)[2].tolist()
    [0.0, 1.0, 1.0, 1.0, 0.0]
    >>> change_thickness(bar, 0.5)[2].tolist()
    [0.0, 0.5, 1.0, 0.5, 0.0]
    >>> float(change_thickness(bar, -1).max())
    0.0
    """
    image = np.asarray(image, dtype=np.float32)
    if image.ndim < 2:
        raise ValueError(f"change_thickness needs 2-D images, got shape {image.shape}.")
    if steps == 0:
        return image.copy()
    # Beyond the field's edge reads 0 when dilating (it adds no ink) and +inf when eroding (the
    # edge is not the side of a stroke, so ink touching it is not eaten from there).
    reduce, fill = (np.maximum, 0.0) if steps > 0 else (np.minimum, np.inf)
    whole, fraction = divmod(abs(float(steps)), 1.0)
    result = image
    for _ in range(int(whole)):
        result = _neighbourhood(result, reduce, fill)
    if fraction > 0:
        result = (1 - fraction) * result + fraction * _neighbourhood(result, reduce, fill)
    return result.astype(np.float32)


def apply(image: np.ndarray, distortion: Distortion) -> np.ndarray:
    """``distortion`` applied to one recipe digit: turn and resize about its centre of mass,
    change the stroke thickness, then shift.

    Returns
    -------
    ndarray, shape (28, 28), float32 in [0, 1]
    """
    return apply_batch(_check_digit(image), [distortion])[0]


def apply_batch(image: np.ndarray, distortions: Sequence[Distortion]) -> np.ndarray:
    """Each of ``distortions`` applied to one (28, 28) digit: (len(distortions), 28, 28) float32.

    Turning and resizing happen about the undistorted digit's centre of mass, so a digit turns
    in place and a sweep's images differ only in the setting swept.
    """
    image = _check_digit(image)
    if not distortions:
        raise ValueError("apply_batch needs at least one distortion.")
    images = np.repeat(image[np.newaxis], len(distortions), axis=0)
    warp = [i for i, d in enumerate(distortions) if d.rotation != 0 or d.scale != 1]
    if warp and image.sum() > 0:
        centre = centre_of_mass(image)
        images[warp] = _warp_batch(
            images[warp],
            np.array([distortions[i].rotation for i in warp], dtype=np.float64),
            np.array([distortions[i].scale for i in warp], dtype=np.float64),
            [centre] * len(warp),
        )
    for index, distortion in enumerate(distortions):
        if distortion.thickness != 0:
            images[index] = change_thickness(images[index], distortion.thickness)
        if distortion.shift_x or distortion.shift_y:
            images[index] = shift(images[index], distortion.shift_x, distortion.shift_y)
    return np.clip(images, 0.0, 1.0)


def sweep_values(axis: str) -> np.ndarray:
    """The settings a sweep of ``axis`` visits: its whole slider range in :data:`SWEEP_AXES` steps.

    >>> sweep_values("shift_x")[:3], len(sweep_values("shift_x"))
    (array([-8., -7., -6.]), 17)
    """
    if axis not in SWEEP_AXES:
        raise ValueError(f"Cannot sweep '{axis}'; choose one of {sorted(SWEEP_AXES)}.")
    limit = MAX_ROTATION if axis == "rotation" else MAX_SHIFT
    step = SWEEP_AXES[axis]
    return np.arange(-limit, limit + step / 2, step)


@dataclass(frozen=True)
class Sweep:
    """Each model's probability for one digit while one setting runs over its range.

    Attributes
    ----------
    axis : str
        The setting swept, a key of :data:`SWEEP_AXES`.
    values : ndarray, shape (S,)
        The settings visited, in order.
    digit : int
        The class whose probability is recorded.
    probabilities : dict of str to ndarray of shape (S, 10)
        Per model (by the name the caller gave it), all ten probabilities at each setting.
    """

    axis: str
    values: np.ndarray
    digit: int
    probabilities: dict[str, np.ndarray]

    def at(self, value: float) -> dict[str, np.ndarray]:
        """Every model's ten probabilities at one of the settings visited: name → (10,).

        Raises
        ------
        ValueError
            If ``value`` is not one of :attr:`values`.
        """
        matches = np.flatnonzero(np.isclose(self.values, value))
        if not len(matches):
            raise ValueError(f"The sweep did not visit {value:g}; it visited {self.values}.")
        return {name: rows[matches[0]] for name, rows in self.probabilities.items()}

    def of_digit(self, name: str) -> np.ndarray:
        """Model ``name``'s probability of :attr:`digit` at each setting: (S,)."""
        return self.probabilities[name][:, self.digit]

    def read_at(self, name: str) -> np.ndarray:
        """Where model ``name`` answers :attr:`digit`, its most probable digit: (S,) bool.

        The criterion of the answer tiles beside the sweep, so both always agree.
        """
        return self.probabilities[name].argmax(axis=1) == self.digit

    def read_runs(self, name: str) -> list[tuple[float, float]]:
        """Every run of consecutive settings where ``name`` answers :attr:`digit`, in order:
        (lowest, highest) setting of each; empty when it never does.

        >>> rows = np.eye(10)[[3, 3, 0, 3]]
        >>> Sweep("shift_x", np.arange(-1.0, 3.0), 3, {"m": rows}).read_runs("m")
        [(-1.0, 0.0), (2.0, 2.0)]
        """
        read = self.read_at(name)
        runs = []
        for index in np.flatnonzero(read):
            if runs and index == runs[-1][1] + 1:
                runs[-1][1] = index
            else:
                runs.append([index, index])
        return [(float(self.values[low]), float(self.values[high])) for low, high in runs]


def sweep(
    predictors: dict[str, Callable[[np.ndarray], np.ndarray]],
    image: np.ndarray,
    digit: int,
    axis: str,
    base: Distortion = Distortion(),
) -> Sweep:
    """Run one setting of ``base`` over its whole range and record every model's probabilities.

    Parameters
    ----------
    predictors : dict of str to callable
        Model name → a function from a batch of digits, (N, 28, 28) float32 in [0, 1], to their
        probabilities, (N, 10): each is called exactly once, with the whole sweep.
    image : ndarray, shape (28, 28)
        The recipe digit.
    digit : int
        The class whose probability the chart follows (the digit drawn).
    axis : str
        "shift_x", "shift_y" or "rotation".
    base : Distortion
        The other settings, held where the sliders are.

    Returns
    -------
    Sweep
    """
    if not 0 <= int(digit) <= 9 or int(digit) != digit:
        raise ValueError(f"digit must be a whole number from 0 to 9, got {digit}.")
    values = sweep_values(axis)
    cast = float if axis == "rotation" else int
    distortions = [replace(base, **{axis: cast(value)}) for value in values]
    images = apply_batch(image, distortions)  # (S, 28, 28)
    probabilities = {}
    for name, predict in predictors.items():
        result = np.asarray(predict(images), dtype=np.float32)
        if result.shape != (len(values), 10):
            raise ValueError(
                f"Model '{name}' returned shape {result.shape} for {len(values)} digits; "
                "expected one row of 10 probabilities per digit."
            )
        probabilities[name] = result
    return Sweep(axis=axis, values=values, digit=int(digit), probabilities=probabilities)


def setting_text(axis: str, value: float) -> str:
    """'+3 px' or '−12°': a swept setting as the sentences say it.

    >>> setting_text("shift_x", 3.0), setting_text("rotation", -12.0)
    ('+3 px', '−12°')
    """
    unit = "°" if axis == "rotation" else " px"
    sign = "+" if value > 0 else ("−" if value < 0 else "")
    return f"{sign}{abs(value):g}{unit}"


def _runs_text(axis: str, runs: Sequence[tuple[float, float]]) -> str:
    """'from −2 px to +2 px and at +5 px': the runs of settings, as the sentence says them."""
    pieces = [
        f"at {setting_text(axis, low)}"
        if low == high
        else f"from {setting_text(axis, low)} to {setting_text(axis, high)}"
        for low, high in runs
    ]
    return " and ".join(pieces)


def robustness_sentence(result: Sweep, labels: Sequence[str] | None = None) -> str:
    """Where each model reads the digit in ``result``, and what pooling has to do with it.

    A model reads the digit at a setting when the digit is its most probable answer there
    (:meth:`Sweep.read_at`, the criterion of the answer tiles); every run of such settings is
    named, so the sentence holds for the chart drawn from the same sweep, however far out.

    Examples
    --------
    >>> import textwrap
    >>> values = np.arange(-2.0, 3.0)
    >>> held = np.full((5, 10), 0.05); held[:, 7] = [0.1, 0.8, 0.9, 0.6, 0.2]; held[:, 1] = 0.3
    >>> everywhere = np.zeros((5, 10)); everywhere[:, 7] = 0.9
    >>> result = Sweep("shift_x", values, 7, {"LeNet-5": held, "AlexNet": everywhere})
    >>> print(textwrap.fill(robustness_sentence(result), 90))
    LeNet-5 reads a 7 from −1 px to +1 px; AlexNet reads a 7 over the whole range (−2 px to
    +2 px) (reading it means: 7 is the model's most probable digit there, as in the answer
    tiles above). The pooling page shows why a shift is tolerated only so far: pooling is only
    partly invariant. A move within a pooling window leaves the window's maximum where it was;
    a longer one moves it to the next cell, and the layers after it see the digit somewhere
    they were not trained to.
    """
    labels = list(result.probabilities) if labels is None else list(labels)
    low_end, high_end = float(result.values[0]), float(result.values[-1])
    whole = f"{setting_text(result.axis, low_end)} to {setting_text(result.axis, high_end)}"
    parts = []
    for label in labels:
        runs = result.read_runs(label)
        reads = f"{label} reads a {result.digit}"
        if not runs:
            parts.append(f"{reads} nowhere from {whole}")
        elif runs == [(low_end, high_end)]:
            parts.append(f"{reads} over the whole range ({whole})")
        else:
            parts.append(f"{reads} {_runs_text(result.axis, runs)}")
    opening = (
        "; ".join(parts) + f" (reading it means: {result.digit} is the model's most probable "
        "digit there, as in the answer tiles above)."
    )
    if result.axis == "rotation":
        return (
            f"{opening} Pooling does not help against a turn: the pooling page shows it forgiving "
            "small moves within its window, but turning a digit changes the direction of every "
            "stroke. What a network tolerates it learned from its training digits, which "
            "already lean by different amounts; turned copies (the training page's Augment) "
            "add more."
        )
    if all(result.read_at(label).all() for label in labels):
        return (
            f"{opening} No model loses the digit anywhere in this range: the pooling page shows "
            "how pooling forgives a move within its window."
        )
    return (
        f"{opening} The pooling page shows why a shift is tolerated only so far: pooling is "
        "only partly invariant. A move within a pooling window leaves the window's maximum "
        "where it was; a longer one moves it to the next cell, and the layers after it see the "
        "digit somewhere they were not trained to."
    )
