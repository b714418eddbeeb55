"""cnnviz.convolution: the presets against hand-made kernels; sentences that follow the numbers."""

import itertools
import re

import numpy as np
import pytest

from cnnviz import convolution, ops


def test_presets_are_the_textbook_kernels():
    np.testing.assert_array_equal(
        convolution.preset_kernel("Sobel x (vertical edges)", 3),
        [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    )
    np.testing.assert_allclose(convolution.preset_kernel("Box blur", 5), np.full((5, 5), 1 / 25))
    gaussian = convolution.preset_kernel("Gaussian blur", 5)
    np.testing.assert_allclose(gaussian * 256, np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1]))
    sharpen = convolution.preset_kernel("Sharpen", 3)
    assert sharpen.sum() == pytest.approx(1.0) and sharpen[1, 1] == pytest.approx(2 - 1 / 9)
    # The identity copies the image at stride 1 with same padding (odd sides).
    image = np.random.default_rng(0).random((6, 7))
    for side in (1, 3, 5, 7):
        identity = convolution.preset_kernel("Identity", side)
        np.testing.assert_allclose(ops.conv2d(image, identity, padding="same"), image)
    with pytest.raises(ValueError, match="comes in 3×3, not 5×5"):
        convolution.preset_kernel("Laplacian (all edges)", 5)


def test_the_size_sentence_says_what_the_shapes_show():
    """Over sizes, kernels, strides, dilations and paddings, the comparison word is the truth."""
    checked = 0
    for n, kernel, stride, dilation, padding in itertools.product(
        (5, 8, 13), (1, 2, 3, 5), (1, 2, 3), (1, 2), ops.CONV_PADDINGS
    ):
        if padding == "valid" and ops.effective_kernel(kernel, dilation) > n:
            continue
        out = ops.output_shape((n, n + 1), kernel, stride, padding, "kernel", dilation)
        sentence = convolution.size_sentence((n, n + 1), out, padding, stride)
        if out == (n, n + 1):
            assert "has the same size as the input" in sentence
        elif out[0] <= n and out[1] <= n + 1:
            assert "is smaller than the input" in sentence
        else:
            assert "is larger than the input" in sentence
        assert (f"stride {stride} keeps one window in {stride}" in sentence) == (
            stride > 1 and padding != "same"
        )
        checked += 1
    assert checked > 150


@pytest.mark.parametrize(
    ("weights", "start"),
    [
        (np.full((3, 3), 1 / 9), "The weights sum to 1 and none is negative"),
        (
            np.array([[0.0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
            "The weights sum to 1, some are negative",
        ),
        (np.array([[-1.0, 0, 1]]), "The weights sum to 0:"),
        (
            np.full((2, 2), 1.0),
            "The weights sum to 4: a flat area of brightness b comes out as 4 × b",
        ),
        (np.full((2, 2), 0.1), "The weights sum to 0.4: a flat area"),
        (np.full((1, 2), -1.0), "The weights sum to −2, below 0"),
    ],
)
def test_the_weight_sentence_follows_the_sum(weights, start):
    sentence = convolution.weight_sentence(weights)
    assert sentence.startswith(start)
    # The flat-area claim checked on a flat image: b · sum(weights).
    flat = ops.conv2d(np.full((5, 5), 0.5), weights)
    assert np.allclose(flat, 0.5 * weights.sum())
    if weights.sum() > 1:
        assert "brighter" in sentence
    elif 0 < weights.sum() < 1:
        assert "darker" in sentence


def preset_kernels():
    """Every hand-made preset at every size the page offers: (name, side, exact kernel)."""
    for name in convolution.PRESETS:
        for side in convolution.preset_sides(name):
            yield name, side, convolution.preset_kernel(name, side)


def shown_number(text: str) -> float:
    return float(text.replace("−", "-"))


def check_weight_sentence(weights: np.ndarray) -> None:
    """The sentence's sum, its sign words and its flat-area claim, against the weights."""
    sentence = convolution.weight_sentence(weights)
    total = float(np.sum(weights))
    flat = ops.conv2d(np.full((9, 9), 0.5), weights)  # a flat area of brightness b = 0.5
    if "keeps its brightness" in sentence:
        assert np.allclose(flat, 0.5), sentence
        assert sentence.startswith("The weights sum to 1")
    elif sentence.startswith("The weights sum to 0:"):
        assert np.allclose(flat, 0.0, atol=1e-9), sentence
    else:
        shown = sentence.removeprefix("The weights sum to ").split(":")[0].split(",")[0]
        decimals = len(shown.partition(".")[2])
        # The sum written is the sum, to the places written, and is not the 0 or 1 of the
        # sentences above when the sum is not.
        assert abs(shown_number(shown) - total) <= 0.5 * 10.0**-decimals + 1e-12, sentence
        assert shown_number(shown) not in (0.0, 1.0), sentence
        assert f"comes out as {shown} × b" in sentence
        if "darker" in sentence:
            assert 0 < total < 1 and np.all(flat < 0.5)
        elif "brighter" in sentence:
            assert total > 1 and np.all(flat > 0.5)
        else:
            assert total < 0 and "below 0" in sentence


def test_the_weight_sentence_holds_for_every_preset_and_size():
    checked = 0
    for name, side, kernel in preset_kernels():
        check_weight_sentence(kernel)
        if name in ("Box blur", "Gaussian blur", "Sharpen", "Identity"):
            assert "keeps its brightness" in convolution.weight_sentence(kernel), (name, side)
        checked += 1
    assert checked == 19  # identity 4 sizes, box 6, Gaussian 3, sharpen 3, the 3×3 edge kernels


def test_the_weight_sentence_holds_for_weights_typed_in():
    # Sums a hair away from 0 and 1 (a blur weight typed as 0.111), whole and random weights.
    rng = np.random.default_rng(24)
    cases = [np.round(np.full((3, 3), 1 / 9), 3), np.round(np.full((7, 7), 1 / 49), 3)]
    cases += [np.full((3, 3), 1 / 9) + np.eye(3) * delta for delta in (1e-4, -3e-5, 2e-3)]
    cases += [np.array([[-1.0, 1.0 + delta]]) for delta in (1e-4, -2e-5)]
    cases += [rng.normal(size=(side, side)) for side in (1, 2, 3, 5) for _ in range(20)]
    cases += [rng.integers(-3, 4, size=(3, 3)).astype(float) for _ in range(40)]
    for weights in cases:
        check_weight_sentence(weights)


def test_each_preset_does_what_its_sentence_says_at_every_size_offered():
    image = np.random.default_rng(5).random((9, 10))
    for name, side, kernel in preset_kernels():
        effect = convolution.PRESETS[name].effect
        same = ops.conv2d(image, kernel, padding="same")
        if name == "Identity":
            # "the output shows the input itself": not shifted, at every size offered.
            np.testing.assert_allclose(same, image, err_msg=f"{side}×{side}")
        if name in ("Identity", "Gaussian blur", "Sharpen"):
            # "in the middle": there is a middle pixel, and it has the largest weight, alone.
            assert "middle" in effect
            assert side % 2 == 1, (name, side)
            centre = kernel[side // 2, side // 2]
            assert centre == kernel.max() and np.sum(kernel == centre) == 1, (name, side)
        if name == "Sharpen":
            box = ops.conv2d(image, convolution.preset_kernel("Box blur", side), padding="same")
            np.testing.assert_allclose(same, 2 * image - box, atol=1e-12)
        if name in ("Box blur", "Gaussian blur"):
            assert np.all(kernel >= 0) and np.isclose(kernel.sum(), 1.0)
            # A blur: the output is no rougher than the input (neighbour differences shrink).
            valid = ops.conv2d(image, kernel)
            assert np.abs(np.diff(valid, axis=1)).mean() < np.abs(np.diff(image, axis=1)).mean()
        # The sentence's shape word holds: a 180° turn keeps every preset but the Sobels'.
        if name in ("Identity", "Box blur", "Gaussian blur", "Sharpen"):
            np.testing.assert_array_equal(kernel, kernel[::-1, ::-1])
    # "bigger kernels blur more": the box's output gets smoother with every size offered.
    roughness = [
        np.abs(np.diff(ops.conv2d(image, convolution.preset_kernel("Box blur", side)))).mean()
        for side in convolution.preset_sides("Box blur")
    ]
    assert roughness == sorted(roughness, reverse=True)


def parse_arithmetic(text: str) -> tuple[list[tuple[float, float]], str, str]:
    """``w·v + w·v = total`` → ([(w, v), ...], "=", "total") as written."""
    sides = re.split(r" ([=≈]) ", text)
    assert len(sides) == 3, text
    terms = []
    for term in sides[0].split(" + "):
        weight, value = term.split("·")
        terms.append((shown_number(weight.strip("()")), shown_number(value.strip("()"))))
    return terms, sides[1], sides[2]


def check_arithmetic(text: str, step: ops.ConvStep, output_cell: float) -> None:
    """The written multiply-add adds up as written, and writes this cell's weights and values."""
    terms, sign, total = parse_arithmetic(text)
    assert sign == "=", text
    # The total is the output cell as the step-through's chart writes it.
    assert total == ops.format_number(output_cell, convolution.STEP_DECIMALS)
    # The products of the numbers written add up to the total written, to its places.
    written_sum = sum(weight * value for weight, value in terms)
    assert ops.format_number(written_sum, convolution.STEP_DECIMALS) == total, text
    # Each number written is its weight or cell to at least three significant digits: a small
    # weight never reads as 0.
    exact = zip(step.weights.ravel(), step.values.ravel(), strict=True)
    for (weight, value), (true_weight, true_value) in zip(terms, exact, strict=True):
        for shown, true in ((weight, true_weight), (value, true_value)):
            assert abs(shown - true) <= 5e-3 * abs(true), text


def test_the_written_multiply_add_adds_up_as_written():
    rng = np.random.default_rng(2024)
    kernels = [kernel for _, _, kernel in preset_kernels()]
    kernels += [rng.normal(scale=0.3, size=(side, side)) for side in (1, 2, 3, 4, 5)]
    kernels += [np.full((3, 3), 0.004), np.array([[1 / 3, -1 / 7], [0.0021, 10.5]])]
    grids = [convolution.number_grid(), rng.random((6, 6)) * 10, np.round(rng.random((6, 6)), 1)]
    checked = 0
    for kernel in kernels:
        for grid in grids:
            stride, dilation = ((1, 1), (2, 1), (1, 2))[checked % 3]
            padding = ops.CONV_PADDINGS[checked % 3]
            try:
                output = ops.conv2d(grid, kernel, stride, padding, dilation)
            except ValueError:  # a dilated kernel too big for the 6×6 grid
                continue
            for _ in range(6):
                cell = (int(rng.integers(output.shape[0])), int(rng.integers(output.shape[1])))
                step = ops.conv_step(grid, kernel, *cell, stride, padding, dilation)
                check_arithmetic(convolution.step_arithmetic(step), step, output[cell])
                checked += 1
    assert checked > 300


def textbook_reference(grid, kernel, stride, padding, dilation):
    """scipy's convolution and cross-correlation of the padded grid with the dilated kernel."""
    from scipy import signal

    top, bottom, left, right = ops.padding_amounts(
        grid.shape, kernel.shape, stride, padding, dilation
    )
    padded = np.pad(grid, [(top, bottom), (left, right)])
    spread = np.zeros([dilation * (side - 1) + 1 for side in kernel.shape])
    spread[::dilation, ::dilation] = kernel  # a dilated kernel: d − 1 zeros between weights
    convolved = signal.convolve2d(padded, spread, mode="valid")[::stride, ::stride]
    correlated = signal.correlate2d(padded, spread, mode="valid")[::stride, ::stride]
    return convolved, correlated


def test_the_flip_section_gives_scipys_convolution_and_says_when_it_equals_keras():
    rng = np.random.default_rng(8)
    kernels = [kernel for _, _, kernel in preset_kernels()]
    kernels += [rng.integers(-2, 3, size=(side, side)).astype(float) for side in (2, 3, 3, 4)]
    kernels += [np.array([[1.0, 2.0], [2.0, 1.0]]), np.array([[0.0, 1.0], [-1.0, 0.0]])]
    grid = convolution.number_grid()
    sentences = set()
    for index, kernel in enumerate(kernels):
        stride, dilation = ((1, 1), (2, 1), (1, 2))[index % 3]
        padding = ops.CONV_PADDINGS[index % 3]
        try:
            output = ops.conv2d(grid, kernel, stride, padding, dilation)
        except ValueError:
            continue
        convolved, correlated = textbook_reference(grid, kernel, stride, padding, dilation)
        np.testing.assert_allclose(output, correlated, atol=1e-9)  # Keras' is the correlation
        cell = (output.shape[0] - 1, 0)
        step = ops.conv_step(grid, kernel, *cell, stride, padding, dilation)
        flipped_sum, sentence = convolution.flip_comparison(step)
        terms, _, total = parse_arithmetic(flipped_sum)
        assert total == ops.format_number(convolved[cell], convolution.STEP_DECIMALS)
        # Its terms are the kernel turned 180° over the same window.
        shown_weights = np.array([weight for weight, _ in terms])
        np.testing.assert_allclose(shown_weights, kernel[::-1, ::-1].ravel(), rtol=5e-3)
        here = f"Keras gives {ops.format_number(output[cell], 2)}"
        assert here in sentence and f"the textbook convolution {total}" in sentence
        if "at every cell" in sentence and "the same numbers" in sentence:
            np.testing.assert_array_equal(kernel, kernel[::-1, ::-1])
            np.testing.assert_allclose(convolved, correlated, atol=1e-9)
        elif "minus" in sentence:
            np.testing.assert_array_equal(kernel[::-1, ::-1], -kernel)
            np.testing.assert_allclose(convolved, -correlated, atol=1e-9)
        else:
            assert not np.allclose(kernel, kernel[::-1, ::-1])
            assert not np.allclose(kernel[::-1, ::-1], -kernel)
            assert "different" in sentence
        sentences.add(sentence.split(":")[0])
    assert len(sentences) == 3  # symmetric, antisymmetric and neither were all checked


def test_the_written_multiply_add_of_hand_worked_cells():
    image = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
    sobel = convolution.preset_kernel("Sobel x (vertical edges)", 3)
    assert convolution.step_arithmetic(ops.conv_step(image, sobel, 0, 0)) == (
        "(−1)·1 + 0·2 + 1·3 + (−2)·4 + 0·5 + 2·6 + (−1)·7 + 0·8 + 1·9 = 8"
    )
    corner = ops.conv_step(image, np.full((2, 2), 0.5), 2, 2, padding="same")
    assert convolution.step_arithmetic(corner) == "0.5·9 + 0.5·0 + 0.5·0 + 0.5·0 = 4.5"
    # A 7×7 Gaussian's corner weight, 1/4096, reads as itself, not as 0.
    gaussian = ops.conv_step(
        np.full((7, 7), 8.0), convolution.preset_kernel("Gaussian blur", 7), 0, 0
    )
    assert convolution.step_arithmetic(gaussian).startswith("0.000244·8 + ")
