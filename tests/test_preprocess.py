"""canvas_to_mnist against MNIST's own recipe: box, centre of mass, invariance, colours, errors."""

import numpy as np
import pytest

from cnnviz.data import load_mnist
from cnnviz.preprocess import (
    FIT_BOX,
    MNIST_CENTRE,
    BlankCanvasError,
    canvas_to_mnist,
    canvas_to_mnist_steps,
    centre_of_mass,
    drawing_problem,
    extract_ink,
    ink_against,
    is_blank,
    naive_resize,
    paste_centred,
    scale_to_box,
)

CANVAS = 280


def seven_shape(height: int, width: int, pen: int) -> np.ndarray:
    """A hand-made "7" as a bool (height, width) mask: a top bar and a slanted stroke."""
    mask = np.zeros((height, width), dtype=bool)
    mask[:pen, :] = True
    for row in range(height):
        column = round((width - pen) * (1 - row / (height - 1)))
        mask[row, column : column + pen] = True
    return mask


def white_on_black(mask: np.ndarray, top: int, left: int, size: int = CANVAS) -> np.ndarray:
    canvas = np.zeros((size, size, 4), dtype=np.uint8)
    canvas[..., 3] = 255
    height, width = mask.shape
    canvas[top : top + height, left : left + width, :3][mask] = 255
    return canvas


def ink_box(image: np.ndarray, threshold: float = 0.0) -> tuple[int, int]:
    """(height, width) of the bounding box of pixels above ``threshold``."""
    rows = np.flatnonzero((image > threshold).any(axis=1))
    columns = np.flatnonzero((image > threshold).any(axis=0))
    return rows[-1] - rows[0] + 1, columns[-1] - columns[0] + 1


@pytest.fixture(scope="module")
def seven_canvas() -> np.ndarray:
    return white_on_black(seven_shape(150, 100, 16), top=40, left=90)


def test_output_is_mnist_like(seven_canvas):
    digit = canvas_to_mnist(seven_canvas)
    assert digit.shape == (28, 28)
    assert digit.dtype == np.float32
    assert digit.min() == 0.0
    assert digit.max() == pytest.approx(1.0)


def test_centre_of_mass_within_half_a_pixel(seven_canvas):
    row, column = centre_of_mass(canvas_to_mnist(seven_canvas))
    assert abs(row - MNIST_CENTRE[0]) <= 0.5
    assert abs(column - MNIST_CENTRE[1]) <= 0.5


def test_centre_of_mass_matches_mnist_convention():
    # MNIST's own digits, in the same coordinates, centre within half a pixel of (14, 14).
    digits = load_mnist().x_test[:500].astype(np.float64)
    centres = np.array([centre_of_mass(digit) for digit in digits])
    assert np.abs(centres - np.array(MNIST_CENTRE)).max() <= 0.5 + 1e-9


def test_longer_side_is_20_pixels(seven_canvas):
    steps = canvas_to_mnist_steps(seven_canvas)
    assert max(steps.scaled.shape) == FIT_BOX
    # The 150 × 100 drawing keeps its 3 : 2 aspect ratio.
    assert steps.scaled.shape == (20, 13)
    assert max(ink_box(steps.centred)) == FIT_BOX
    assert steps.box == (40, 90, 190, 190)


def test_wide_digit_fits_by_width():
    steps = canvas_to_mnist_steps(white_on_black(np.ones((30, 200), dtype=bool), 100, 40))
    assert steps.scaled.shape == (3, 20)
    assert ink_box(steps.centred) == (3, 20)


def test_same_digit_elsewhere_and_larger_gives_the_same_output():
    small = canvas_to_mnist(white_on_black(seven_shape(100, 70, 10), top=10, left=15))
    moved = canvas_to_mnist(white_on_black(seven_shape(100, 70, 10), top=170, left=200))
    larger = canvas_to_mnist(white_on_black(seven_shape(200, 140, 20), top=50, left=60))
    np.testing.assert_array_equal(small, moved)
    # Twice the size and pen: the same shape after scaling, up to anti-aliasing differences.
    assert np.abs(small - larger).mean() < 0.03
    assert np.corrcoef(small.ravel(), larger.ravel())[0, 1] > 0.97


def test_both_polarities_give_the_same_digit(seven_canvas):
    inverted = seven_canvas.copy()
    inverted[..., :3] = 255 - inverted[..., :3]  # black ink on white
    assert extract_ink(inverted)[1] == "light"
    assert extract_ink(seven_canvas)[1] == "dark"
    np.testing.assert_allclose(canvas_to_mnist(inverted), canvas_to_mnist(seven_canvas))


def test_coloured_stroke_on_coloured_background(seven_canvas):
    coloured = seven_canvas.copy()
    inked = seven_canvas[..., 0] == 255
    coloured[..., :3] = (250, 240, 200)  # cream paper
    coloured[inked, :3] = (200, 30, 30)  # a red pen
    np.testing.assert_allclose(canvas_to_mnist(coloured), canvas_to_mnist(seven_canvas), atol=1e-6)


def test_transparent_background_uses_alpha_as_ink(seven_canvas):
    transparent = np.zeros_like(seven_canvas)  # (0, 0, 0, 0) where nothing was drawn
    inked = seven_canvas[..., 0] == 255
    transparent[inked] = (20, 20, 20, 255)  # a dark pen, which on black would be invisible
    assert extract_ink(transparent)[1] == "transparent"
    np.testing.assert_allclose(canvas_to_mnist(transparent), canvas_to_mnist(seven_canvas))


def test_a_stray_speck_does_not_move_the_digit(seven_canvas):
    specked = seven_canvas.copy()
    specked[260:264, 10:14, :3] = 255  # a 4 × 4 dot far from the digit
    np.testing.assert_array_equal(canvas_to_mnist(specked), canvas_to_mnist(seven_canvas))


def test_mnist_digit_survives_the_round_trip():
    # A real MNIST digit drawn 10× larger comes back close to itself.
    digit = load_mnist().x_test[0]
    large = np.kron(digit, np.ones((10, 10), dtype=np.uint8))
    canvas = np.dstack([large, large, large, np.full_like(large, 255)])
    result = canvas_to_mnist(canvas)
    assert np.corrcoef(result.ravel(), digit.ravel() / 255)[0, 1] > 0.9


@pytest.mark.parametrize(
    "canvas",
    [
        np.zeros((CANVAS, CANVAS, 4), dtype=np.uint8),  # untouched transparent canvas
        np.full((CANVAS, CANVAS, 4), 255, dtype=np.uint8),  # all white
        white_on_black(np.ones((2, 2), dtype=bool), 100, 100),  # a tap: 4 pixels
        white_on_black(np.zeros((1, 1), dtype=bool), 0, 0),  # opaque black, nothing drawn
    ],
    ids=["transparent", "white", "tap", "black"],
)
def test_blank_and_near_blank_canvases(canvas):
    assert is_blank(canvas)
    with pytest.raises(BlankCanvasError, match="draw a digit"):
        canvas_to_mnist(canvas)


def test_faint_noise_is_blank():
    rng = np.random.default_rng(0)
    canvas = white_on_black(np.zeros((1, 1), dtype=bool), 0, 0)
    canvas[..., :3] = rng.integers(0, 8, (CANVAS, CANVAS, 1))  # sensor-like grey noise
    canvas[140, 140, :3] = 255  # and one bright pixel
    assert is_blank(canvas)


def test_a_drawn_digit_is_not_blank(seven_canvas):
    assert not is_blank(seven_canvas)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (np.zeros((28, 28), dtype=np.uint8), "RGBA"),
        (np.zeros((28, 28, 3), dtype=np.uint8), "RGBA"),
        (np.zeros((28, 28, 4), dtype=np.float32), "uint8"),
        (np.zeros((1, 28, 4), dtype=np.uint8), "too small"),
        ([[0, 0, 0, 0]], "numpy array"),
    ],
)
def test_bad_input_raises_a_helpful_error(bad, message):
    with pytest.raises(ValueError, match=message):
        canvas_to_mnist(bad)


def test_naive_resize_keeps_a_small_digit_small():
    canvas = white_on_black(seven_shape(60, 40, 8), top=10, left=10)
    naive = naive_resize(canvas)
    assert naive.shape == (28, 28) and naive.dtype == np.float32
    height, _ = ink_box(naive)
    assert height <= 7  # 60 of 280 pixels → 6 of 28: nothing like MNIST's 20
    assert max(ink_box(canvas_to_mnist(canvas))) == FIT_BOX


def test_scale_to_box_area_average():
    # Shrinking a 40 × 40 checkerboard of 2 × 2 blocks by 2 averages each block: all 0 or 1.
    board = np.kron(np.indices((20, 20)).sum(axis=0) % 2, np.ones((2, 2))).astype(np.float32)
    np.testing.assert_allclose(scale_to_box(board), board[::2, ::2])
    with pytest.raises(ValueError, match="2-D"):
        scale_to_box(np.ones((2, 2, 2)))


def test_paste_centred_hand_example():
    image = np.array([[0, 0, 1], [0, 0, 1]], dtype=np.float32)  # mass at (0.5, 2)
    field, offset = paste_centred(image, size=6, centre=(3, 3))
    assert offset == (3, 1)  # round(3 - 0.5) = 3 (halves round up), 3 - 2 = 1
    assert centre_of_mass(field) == (3.5, 3.0)


BLACK = "#000000"


def background_of(canvas: np.ndarray) -> str:
    """The colour of a canvas's top-left pixel (every test canvas starts with its background)."""
    red, green, blue = (int(value) for value in canvas[0, 0, :3])
    return f"#{red:02X}{green:02X}{blue:02X}"


def pen_click(pen: int, centre: tuple[int, int] = (140, 140)) -> np.ndarray:
    """The canvas after one click of a round pen `pen` pixels wide."""
    rows, columns = np.ogrid[:CANVAS, :CANVAS]
    disc = (rows - centre[0]) ** 2 + (columns - centre[1]) ** 2 <= (pen / 2) ** 2
    return white_on_black(disc, 0, 0)


@pytest.mark.parametrize("pen", [12, 20, 40])  # thinner: too few pixels, blank
def test_a_click_is_a_dot_whatever_the_pen(pen):
    canvas = pen_click(pen)
    canvas_to_mnist_steps(canvas)  # enough ink not to count as blank
    problem = drawing_problem(canvas, pen, BLACK)
    assert problem is not None and problem.startswith("That is a dot, not a digit")
    assert f"({2 * pen} pixels)" in problem


def test_a_digit_drawn_with_the_pen_it_was_drawn_with_is_no_problem(seven_canvas):
    # The seven's strokes are 16 pixels wide; even the page's widest pen (40) finds no problem.
    assert drawing_problem(seven_canvas, 16, BLACK) is None
    assert drawing_problem(seven_canvas, 40, BLACK) is None


def test_an_inked_canvas_says_there_is_too_much_ink():
    canvas = white_on_black(np.ones((CANVAS, CANVAS - 40), dtype=bool), 0, 0)  # 86% inked
    problem = drawing_problem(canvas, 20, BLACK)
    assert problem == (
        "The canvas is mostly ink (86% of it), so there is no digit shape left to read. "
        "Clear it and draw one digit."
    )


def test_two_digits_side_by_side_are_named_as_such():
    seven = seven_shape(120, 80, 14)
    canvas = white_on_black(seven, 80, 20)
    canvas[80:200, 160:240, :3][seven] = 255  # a second seven to its right
    problem = drawing_problem(canvas, 14, BLACK)
    assert problem is not None
    assert problem.startswith("This looks like more than one digit: 2 separate marks side by side")


def test_a_digit_in_two_strokes_is_still_one_digit():
    # A "5"-like shape: its top bar lifted off the body but over the same columns.
    mask = np.zeros((150, 100), dtype=bool)
    mask[:14, 20:100] = True  # the bar, drawn separately
    mask[24:150, 20:34] = True  # the body, below it
    mask[80:94, 20:100] = True
    mask[80:150, 86:100] = True
    problem = drawing_problem(white_on_black(mask, 60, 90), 14, BLACK)
    assert problem is None


def test_no_redrawn_mnist_digit_is_called_a_dot_or_two_digits():
    """MNIST digits redrawn as canvas drawings (bench.canvas_accuracy), with the page's pen."""
    from bench.canvas_accuracy import build_set

    for style in ("outline", "pen"):
        canvases, labels, *_ = build_set(150, seed=1, style=style)
        flagged = [
            (int(label), problem)
            for canvas, label in zip(canvases, labels, strict=True)
            if (problem := drawing_problem(canvas, 20, background_of(canvas))) is not None
        ]
        assert flagged == [], flagged


def test_the_pen_width_must_be_positive():
    with pytest.raises(ValueError, match="pen width must be positive"):
        drawing_problem(pen_click(20), 0, BLACK)


def test_ink_against_the_background_sees_a_fully_inked_canvas():
    canvas = white_on_black(np.ones((CANVAS, CANVAS), dtype=bool), 0, 0)  # all white on black
    assert float(ink_against(canvas, BLACK).min()) == pytest.approx(1.0)
    transparent = np.zeros((4, 4, 4), np.uint8)  # nothing drawn on a transparent canvas
    assert float(ink_against(transparent, "#FFFFFF").max()) == 0.0
