"""The Convolution page's lesson: kernel presets, the sentences the page writes, the samples.

The arithmetic is :func:`cnnviz.ops.conv2d`; this module chooses kernels and turns the numbers
the page shows into sentences that hold for them (a sentence never says "smaller" when the
output is not). No TensorFlow, except :func:`learned_filters`, which reads the shipped LeNet-5
only when the student picks its filter.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from cnnviz import ops

KERNEL_SIDES = tuple(range(1, 8))  # the editable kernel: 1×1 up to 7×7
# A kernel built around its middle pixel comes only in odd sides: an even one has no middle, and
# would shift the image by a pixel (identity) or half a pixel (Gaussian).
ODD_SIDES = tuple(side for side in KERNEL_SIDES if side % 2)
ODD_ONLY = " Odd sizes only: an even kernel has no middle pixel."
# Two sums closer than this are the same sum: a preset's weights add up to 1 only to within
# floating point (nine ninths are 0.9999999999999999 or 1.0000000000000002).
SUM_TOLERANCE = 1e-9
LEARNED = "Learned: a LeNet-5 C1 filter"
NUMBER_GRID_SHAPE = (6, 6)  # the step-through's grid: few enough cells to check every product
NUMBER_GRID_SEED = 3  # the same digits 0–9 on every machine
# The step-through's output cells and sums are written to two places, as its chart writes them.
STEP_DECIMALS = 2
# Each weight and cell of a written multiply-add has at least this many significant digits (1/9
# reads 0.111, a 7×7 Gaussian's corner 0.000244, never 0), and more when the terms written
# would not add up to the total written.
STEP_SIGNIFICANT = 3
STEP_MAX_SIGNIFICANT = 12
COLOUR_MAX_SIDE = 256  # the channels section convolves three channels on every rerun
CHANNEL_NAMES = ("red", "green", "blue")


def _identity(side: int) -> np.ndarray:
    kernel = np.zeros((side, side))
    kernel[side // 2, side // 2] = 1.0
    return kernel


def _box_blur(side: int) -> np.ndarray:
    return np.full((side, side), 1.0 / side**2)


def _gaussian_blur(side: int) -> np.ndarray:
    # Binomial coefficients (Pascal's triangle) are the integer approximation of a Gaussian.
    row = np.array([math.comb(side - 1, index) for index in range(side)], dtype=float)
    kernel = np.outer(row, row)
    return kernel / kernel.sum()


def _sharpen(side: int) -> np.ndarray:
    # Twice the pixel minus the blurred pixel: the image plus its difference from its surroundings.
    return 2 * _identity(side) - _box_blur(side)


def _fixed(kernel_name: str) -> Callable[[int], np.ndarray]:
    def build(side: int) -> np.ndarray:
        return np.array(ops.EXAMPLE_KERNELS[kernel_name], dtype=float)

    return build


@dataclass(frozen=True)
class KernelPreset:
    """A named kernel: how to build it at a side, which sides it has, what it does."""

    build: Callable[[int], np.ndarray]
    sides: tuple[int, ...]
    effect: str  # one or two sentences for the page


PRESETS: dict[str, KernelPreset] = {
    "Identity": KernelPreset(
        _identity,
        ODD_SIDES,
        "One weight of 1 in the middle, the rest 0: each output cell is a copy of the single "
        "pixel under that weight, so the output shows the input itself (cut at the border or "
        "framed by zeros, depending on the padding; with a stride, only every s-th pixel)."
        + ODD_ONLY,
    ),
    "Box blur": KernelPreset(
        _box_blur,
        KERNEL_SIDES[1:],  # 1×1 would be the identity, no blur
        "Every weight is 1 / (number of weights): each output cell is the mean of its window, "
        "which smooths noise and blurs edges; bigger kernels blur more.",
    ),
    "Gaussian blur": KernelPreset(
        _gaussian_blur,
        ODD_SIDES[1:],  # 1×1 would be the identity
        "A weighted mean with the largest weight in the middle: a softer blur than the box, "
        "because nearby pixels count more than far ones." + ODD_ONLY,
    ),
    "Sharpen": KernelPreset(
        _sharpen,
        ODD_SIDES[1:],  # 1×1 would be the identity
        "Twice the middle pixel minus the mean of the window: where a pixel differs from its "
        "surroundings the difference is doubled, so edges stand out." + ODD_ONLY,
    ),
    "Sobel x (vertical edges)": KernelPreset(
        _fixed("Sobel (vertical edges)"),
        (3,),
        "Right column minus left column (the middle row counted twice): large where brightness "
        "changes from left to right, positive for dark-to-bright, negative for bright-to-dark.",
    ),
    "Sobel y (horizontal edges)": KernelPreset(
        _fixed("Sobel (horizontal edges)"),
        (3,),
        "Bottom row minus top row: large where brightness changes from top to bottom, so it "
        "finds horizontal edges.",
    ),
    "Laplacian (all edges)": KernelPreset(
        _fixed("Laplacian (all edges)"),
        (3,),
        "The four neighbours minus four times the pixel: zero on flat areas and on even ramps, "
        "large at edges and fine detail in any direction.",
    ),
}
PRESET_NAMES: tuple[str, ...] = (*PRESETS, LEARNED)


def preset_sides(name: str) -> tuple[int, ...]:
    """The kernel sides a preset comes in (LeNet-5's C1 filters are 5×5)."""
    if name == LEARNED:
        return (5,)
    if name not in PRESETS:
        raise ValueError(f"Unknown kernel '{name}'; choose one of {', '.join(PRESET_NAMES)}.")
    return PRESETS[name].sides


def preset_kernel(name: str, side: int) -> np.ndarray:
    """The hand-made kernel ``name`` at ``side`` × ``side`` (float64).

    Examples
    --------
    >>> preset_kernel("Gaussian blur", 3) * 16
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """
    if name == LEARNED:
        raise ValueError("The learned filter comes from the trained model: use learned_filters().")
    sides = preset_sides(name)
    if side not in sides:
        allowed = ", ".join(f"{each}×{each}" for each in sides)
        raise ValueError(f"The {name} kernel comes in {allowed}, not {side}×{side}.")
    return PRESETS[name].build(side)


def learned_filters() -> np.ndarray:
    """The six 5×5 filters of the shipped LeNet-5's first layer, (6, 5, 5) float32.

    Loads the model (and TensorFlow, seconds) on the first call only.

    Raises
    ------
    ValueError
        When the shipped model cannot be loaded (the message says how to retrain it).
    """
    return _learned_filters().copy()


@lru_cache(maxsize=1)
def _learned_filters() -> np.ndarray:
    from cnnviz import inference  # lazy: the import chain ends in TensorFlow

    status = inference.load_registry()["lenet"]
    if not status.ok:
        raise ValueError(status.error)
    return inference.first_layer_filters(status.model).kernels


def number_grid(
    shape: tuple[int, int] = NUMBER_GRID_SHAPE, seed: int = NUMBER_GRID_SEED
) -> np.ndarray:
    """A small grid of whole numbers 0–9, for a step-through checked by hand.

    >>> number_grid((2, 3)).shape
    (2, 3)
    """
    return np.random.default_rng(seed).integers(0, 10, size=shape).astype(float)


def clean_weights(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Weights typed into the grid as floats, empty cells as 0: (weights, how many were empty)."""
    weights = np.asarray(values, dtype=float)
    empty = ~np.isfinite(weights)
    return np.where(empty, 0.0, weights), int(empty.sum())


# --- sentences that follow the numbers ---------------------------------------------------------


def size_sentence(
    input_shape: Sequence[int], output_shape: Sequence[int], padding: str, stride: int
) -> str:
    """What the padding and the stride did to the size, for these very shapes.

    Examples
    --------
    >>> size_sentence((28, 28), (24, 24), "valid", 1)[:56]
    'The output (24 × 24) is smaller than the input (28 × 28)'
    >>> size_sentence((28, 28), (28, 28), "same", 1)[:52]
    'The output (28 × 28) has the same size as the input:'
    """
    rows, cols = int(input_shape[0]), int(input_shape[1])
    out_rows, out_cols = int(output_shape[0]), int(output_shape[1])
    out_text, in_text = f"{out_rows} × {out_cols}", f"{rows} × {cols}"
    why = {
        "valid": "with valid padding only windows that fit inside the image count",
        "same": (
            "same padding added just enough zeros around the image for one output per pixel"
            if stride == 1
            else f"same padding gives one output per {stride} pixels, rounded up"
        ),
        "full": "full padding counts every position where the kernel touches the image",
    }[padding]
    if stride > 1 and padding != "same":
        why += f", and stride {stride} keeps one window in {stride} along each axis"
    if (out_rows, out_cols) == (rows, cols):
        return f"The output ({out_text}) has the same size as the input: {why}."
    if out_rows <= rows and out_cols <= cols:
        comparison = "smaller than"
    elif out_rows >= rows and out_cols >= cols:
        comparison = "larger than"
    else:
        comparison = "a different shape from"
    return f"The output ({out_text}) is {comparison} the input ({in_text}): {why}."


def weight_sentence(weights: np.ndarray) -> str:
    """What the weights' sum and signs say about the output, for these weights.

    Examples
    --------
    >>> weight_sentence(np.full((3, 3), 1 / 9))[:42]
    'The weights sum to 1 and none is negative:'
    >>> weight_sentence(np.array([[-1.0, 0.0, 1.0]]))[:25]
    'The weights sum to 0: a f'
    """
    weights = np.asarray(weights, dtype=float)
    total = float(weights.sum())  # of the weights themselves, never of their rounded text
    if math.isclose(total, 0.0, abs_tol=SUM_TOLERANCE):
        return (
            "The weights sum to 0: a flat area gives 0, and only changes in brightness give an "
            "output."
        )
    one = math.isclose(total, 1.0, rel_tol=SUM_TOLERANCE)
    if one and np.all(weights >= 0):
        return (
            "The weights sum to 1 and none is negative: each output is a weighted mean of its "
            "window, so a flat area keeps its brightness."
        )
    if one:
        return (
            "The weights sum to 1, some are negative: a flat area keeps its brightness, and "
            "differences between neighbours are amplified."
        )
    total_text = _sum_text(total)
    if total > 0:
        effect = "brighter" if total > 1 else "darker"
        return (
            f"The weights sum to {total_text}: a flat area of brightness b comes out as "
            f"{total_text} × b, so the output is {effect} than the input overall."
        )
    return (
        f"The weights sum to {total_text}, below 0: a flat area of brightness b comes out as "
        f"{total_text} × b, so the brightest flat areas give the most negative outputs."
    )


def _sum_text(total: float) -> str:
    """``total`` to as many places as it takes not to read as 0 or 1 (0.9999 is not 1)."""
    for decimals in range(STEP_DECIMALS, 12):
        text = ops.format_number(total, decimals)
        if float(text.replace("−", "-")) not in (0.0, 1.0):
            return text
    return ops.format_number(total, 12)


def _term_number(value: float, digits: int) -> str:
    """``value`` to ``digits`` significant digits, positional, a real minus sign in brackets."""
    text = np.format_float_positional(
        float(value), precision=digits, unique=False, fractional=False, trim="-"
    )
    if float(text) == 0:
        return "0"  # no "−0"
    return f"(−{text[1:]})" if text.startswith("-") else text


def step_arithmetic(step: ops.ConvStep) -> str:
    """One output cell's multiply-add written out so that it adds up as written.

    Each term is ``weight·cell`` (a padded cell is 0); the total is the output cell to
    ``STEP_DECIMALS`` places, as the step-through's chart writes it. The weights and cells get
    ``STEP_SIGNIFICANT`` significant digits, more if that is what it takes for the products
    written to add up to the total written (to its places).

    Examples
    --------
    >>> image = np.arange(16.0).reshape(4, 4)
    >>> step_arithmetic(ops.conv_step(image, np.array([[1.0, -1.0]]), 0, 0))
    '1·0 + (−1)·1 = −1'
    >>> step_arithmetic(ops.conv_step(np.full((1, 3), 9.0), np.full((1, 3), 1 / 3), 0, 0))
    '0.3333·9 + 0.3333·9 + 0.3333·9 = 9'
    """
    total = ops.format_number(step.total, STEP_DECIMALS)
    pairs = list(zip(step.weights.ravel(), step.values.ravel(), strict=True))
    for digits in range(STEP_SIGNIFICANT, STEP_MAX_SIGNIFICANT + 1):
        written = [
            (_term_number(weight, digits), _term_number(value, digits)) for weight, value in pairs
        ]
        written_sum = sum(
            float(weight.strip("()").replace("−", "-")) * float(value.strip("()").replace("−", "-"))
            for weight, value in written
        )
        if ops.format_number(written_sum, STEP_DECIMALS) == total:
            break
    else:  # a total on a rounding knife-edge: say the terms are rounded
        return f"{' + '.join(f'{w}·{v}' for w, v in written)} ≈ {total} (each term rounded)"
    return f"{' + '.join(f'{w}·{v}' for w, v in written)} = {total}"


def flip_comparison(step: ops.ConvStep) -> tuple[str, str]:
    """Keras' cross-correlation against the textbook convolution at one output cell.

    Keras (and :func:`cnnviz.ops.conv2d`) multiplies weight (0, 0) by the window's top-left
    cell; the convolution of maths textbooks turns the kernel 180° first (flips it in both
    axes). Returns the textbook sum written out over the same window (``step_arithmetic``)
    and a sentence with both numbers that says when the two agree: a kernel that is the same
    turned 180° gives the same numbers everywhere, one that turns into minus itself (a Sobel
    kernel) gives minus Keras' numbers everywhere.

    Examples
    --------
    >>> image = np.arange(16.0).reshape(4, 4)
    >>> written, sentence = flip_comparison(ops.conv_step(image, np.array([[1.0, -1.0]]), 0, 0))
    >>> written
    '(−1)·0 + 1·1 = 1'
    >>> sentence[:47]
    'Turned 180° your kernel is minus itself: here K'
    """
    weights = np.asarray(step.weights, dtype=float)
    turned = weights[::-1, ::-1]  # both axes; the channels (a third axis) stay in place
    textbook = replace(step, weights=turned)
    keras_text = ops.format_number(step.total, STEP_DECIMALS)
    textbook_text = ops.format_number(textbook.total, STEP_DECIMALS)
    here = f"here Keras gives {keras_text} and the textbook convolution {textbook_text}"
    if np.array_equal(turned, weights):
        sentence = (
            f"Turned 180° your kernel is the same kernel: {here}, and the two give the same "
            "numbers at every cell."
        )
    elif np.array_equal(turned, -weights):
        sentence = (
            f"Turned 180° your kernel is minus itself: {here}, and the textbook convolution is "
            "minus Keras' output at every cell."
        )
    else:
        agree = ", the same number by chance of this window" if keras_text == textbook_text else ""
        sentence = (
            f"Turned 180° your kernel is a different kernel: {here}{agree}; the two are "
            "different operations for it."
        )
    return step_arithmetic(textbook), sentence


def colour_photo() -> np.ndarray:
    """A colour photograph (scikit-image's cat), (H, W, 3) float32 in [0, 1], at most 256 px."""
    return _colour_photo().copy()


@lru_cache(maxsize=1)
def _colour_photo() -> np.ndarray:
    import io
    from importlib import resources

    from PIL import Image

    data = resources.files("skimage.data").joinpath("chelsea.png").read_bytes()
    picture = Image.open(io.BytesIO(data)).convert("RGB")
    picture.thumbnail((COLOUR_MAX_SIDE, COLOUR_MAX_SIDE))
    return np.asarray(picture, dtype=np.float32) / 255.0
