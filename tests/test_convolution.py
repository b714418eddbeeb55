"""cnnviz.convolution: the presets against hand-made kernels; sentences that follow the numbers."""

import itertools

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
