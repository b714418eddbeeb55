"""cnnviz.padding_lesson: the zero-border sentence holds for the image and kernel it describes
(checked against a convolution written out here with numpy)."""

import numpy as np
import pytest

from cnnviz import images, ops, padding_lesson

PREVIEW_SIDE = 32  # the page convolves the image shrunk to this side (pages/pooling.py)
BLACK_EDGED = ("Pattern: one bright pixel", "Pattern: shift test")


def correlate(padded: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """A stride-1 'valid' cross-correlation, the sum written out over sliding windows."""
    windows = np.lib.stride_tricks.sliding_window_view(padded, kernel.shape)
    return np.einsum("ijkl,kl->ij", windows, kernel)


def border_moves(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Zero padding against repeated edge pixels, 'full' (k − 1 cells a side), border cells."""
    pads = [(k - 1, k - 1) for k in kernel.shape]
    zeros = correlate(np.pad(image, pads), kernel)
    repeated = correlate(np.pad(image, pads, mode="edge"), kernel)
    scale = max(np.abs(zeros).max(), np.abs(repeated).max()) or 1.0
    inside = np.zeros(zeros.shape, dtype=bool)
    inside[kernel.shape[0] - 1 : image.shape[0], kernel.shape[1] - 1 : image.shape[1]] = True
    return (zeros - repeated)[~inside] / scale


@pytest.mark.parametrize("sample", images.sample_names())
@pytest.mark.parametrize("kernel_name", list(ops.EXAMPLE_KERNELS))
def test_the_zero_border_sentence_holds_for_every_sample_and_kernel(sample, kernel_name):
    small, _ = images.preview(images.load_sample(sample), PREVIEW_SIDE)
    kernel = ops.EXAMPLE_KERNELS[kernel_name]
    moves = border_moves(small.astype(np.float64), kernel)
    visible = np.abs(moves) > padding_lesson.VISIBLE_SHARE
    sentence = padding_lesson.zero_border_sentence(small, kernel)
    if sample.startswith("MNIST") or sample in BLACK_EDGED:  # issue 24: no frame on these
        assert not visible.any()
    if not visible.any():
        assert sentence.startswith("Here the zeros do not show"), sentence
        return
    assert f"moved {visible.sum()} of the {moves.size} border cells" in sentence, sentence
    assert f"by up to {np.abs(moves).max():.0%}" in sentence, sentence
    frame = visible.sum() >= padding_lesson.FRAME_SHARE * moves.size
    if kernel.sum() == 0:
        assert "false edges" in sentence
    elif np.all(moves[visible] < 0):
        assert ("a dark frame" if frame else "dark spots") in sentence, sentence
    if sample.startswith("Photo") and kernel.min() >= 0:  # a blur of a photo: a dark frame
        assert "a dark frame" in sentence, sentence


def test_valid_shrinks_the_map_unless_the_window_is_one_by_one():
    # The padding paragraph: "a k × k window at stride 1 leaves n − k + 1 cells of n, and
    # shrinks the map unless it is 1 × 1".
    for n in range(1, 30):
        for k in range(1, min(n, 8) + 1):
            rows = ops.conv2d(np.ones((n, 3)), np.ones((k, 1)), 1, "valid").shape[0]
            assert rows == n - k + 1
            assert (rows < n) == (k > 1)
            pooled = ops.pool2d(np.ones((n, 3)), (k, 1), 1, "valid").shape[0]
            assert pooled == n - k + 1
