"""cnnviz.ops against Keras/TensorFlow (the independent reference) and hand-worked 4×4 examples."""

import itertools

import numpy as np
import pytest

from cnnviz import ops

# The sweep: odd/even and non-square images, square and non-square pools and strides.
SWEEP_SHAPES = [(5, 5), (6, 6), (7, 4), (4, 9), (8, 7)]
SWEEP_POOLS = [1, 2, 3, 4, (2, 3), (3, 1)]
SWEEP_STRIDES = [None, 1, 2, 3, (1, 2), (3, 2)]
SWEEP_BATCH = 2  # images per keras call (each also pooled as a negated copy, for min)
CHANNELS = 3  # channel 0 alone doubles as the single-channel (H, W) case
TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


@pytest.fixture(scope="module")
def tf():
    return pytest.importorskip("tensorflow")


def _pair(value):
    return (value, value) if isinstance(value, int) else value


def _sweep_configs():
    for shape, pool, strides, padding in itertools.product(
        SWEEP_SHAPES, SWEEP_POOLS, SWEEP_STRIDES, ("valid", "same")
    ):
        pool_rows, pool_cols = _pair(pool)
        if padding == "valid" and (pool_rows > shape[0] or pool_cols > shape[1]):
            continue  # no output; the error is tested below
        yield shape, pool, strides, padding


def test_pool2d_matches_keras_pooling_layers_for_every_combination(keras):
    """Max, min (= −max(−x)) and average pooling, 1 and 3 channels, valid and same."""
    rng = np.random.default_rng(0)
    checked = 0
    for shape, pool, strides, padding in _sweep_configs():
        # (batch, H, W, C), with negative values so that −∞ padding would show if it leaked.
        images = rng.normal(size=(SWEEP_BATCH, *shape, CHANNELS)).astype(np.float32)
        max_layer = keras.layers.MaxPooling2D(pool, strides=strides, padding=padding)
        avg_layer = keras.layers.AveragePooling2D(pool, strides=strides, padding=padding)
        # One call pools the images and their negatives: min pooling is −maxpool(−x).
        maxima = np.asarray(max_layer(np.concatenate([images, -images])))
        expected = {
            "max": maxima[:SWEEP_BATCH],
            "min": -maxima[SWEEP_BATCH:],
            "avg": np.asarray(avg_layer(images)),
        }
        for mode, reference in expected.items():
            for index, image in enumerate(images):
                context = f"{mode} pool={pool} strides={strides} {padding} shape={shape}"
                ours = ops.pool2d(image, pool, strides, padding, mode)
                np.testing.assert_allclose(ours, reference[index], atol=TOLERANCE, err_msg=context)
                single = ops.pool2d(image[:, :, 0], pool, strides, padding, mode)
                np.testing.assert_allclose(
                    single, reference[index][:, :, 0], atol=TOLERANCE, err_msg=context + " 2-D"
                )
                checked += 1
        assert ops.output_shape(shape, pool, strides, padding) == maxima.shape[1:3]
    assert checked > 500  # the sweep really ran


@pytest.mark.parametrize("padding", ["valid", "same", "full"])
@pytest.mark.parametrize("kernel_shape", [(1, 1), (3, 3), (2, 3), (5, 4)])
@pytest.mark.parametrize("stride", [1, 2, (1, 3)])
def test_conv2d_matches_tensorflow(tf, padding, kernel_shape, stride):
    rng = np.random.default_rng(1)
    image = rng.normal(size=(9, 8)).astype(np.float32)
    kernel = rng.normal(size=kernel_shape).astype(np.float32)
    if padding == "full":
        # "full" pads kernel − 1 zeros on every side: TF's explicit padding says the same.
        tf_padding = [
            [0, 0],
            [kernel_shape[0] - 1] * 2,
            [kernel_shape[1] - 1] * 2,
            [0, 0],
        ]
    else:
        tf_padding = padding.upper()
    reference = tf.nn.conv2d(
        image[np.newaxis, :, :, np.newaxis],
        kernel[:, :, np.newaxis, np.newaxis],
        strides=[1, *_pair(stride), 1],
        padding=tf_padding,
    ).numpy()[0, :, :, 0]
    ours = ops.conv2d(image, kernel, stride, padding)
    assert ours.shape == reference.shape
    np.testing.assert_allclose(ours, reference, atol=TOLERANCE)


def test_conv2d_matches_a_keras_conv2d_layer_with_the_example_kernels(keras):
    image = np.random.default_rng(2).random((11, 10)).astype(np.float32)
    for name, kernel in ops.EXAMPLE_KERNELS.items():
        for padding in ("valid", "same"):
            layer = keras.layers.Conv2D(1, kernel.shape, padding=padding, use_bias=False)
            layer.build((None, *image.shape, 1))
            layer.set_weights([kernel[:, :, np.newaxis, np.newaxis]])
            reference = np.asarray(layer(image[np.newaxis, :, :, np.newaxis]))[0, :, :, 0]
            np.testing.assert_allclose(
                ops.conv2d(image, kernel, padding=padding),
                reference,
                atol=TOLERANCE,
                err_msg=f"{name} {padding}",
            )


@pytest.mark.parametrize("n", [1, 2, 5, 6, 7, 28])
@pytest.mark.parametrize("kernel", [1, 2, 3, 5])
@pytest.mark.parametrize("stride", [1, 2, 3])
def test_same_padding_gives_ceil_n_over_stride_and_puts_the_odd_cell_after(n, kernel, stride):
    before, after = ops.same_padding(n, kernel, stride)
    padded = n + before + after
    assert (
        (padded - kernel) // stride + 1
        == -(-n // stride)
        == ops.output_size(n, kernel, stride, "same")
    )
    assert after - before in (0, 1)


def test_sizes_and_same_padding_agree_with_keras_output_shapes(keras):
    """output_size for valid/same against the shapes keras' layers produce."""
    for n, kernel, stride, padding in itertools.product(
        (5, 6, 28), (1, 2, 3, 5), (1, 2, 3), ("valid", "same")
    ):
        layer = keras.layers.MaxPooling2D((kernel, 1), strides=(stride, 1), padding=padding)
        expected = layer.compute_output_shape((1, n, 1, 1))[1]
        assert ops.output_size(n, kernel, stride, padding) == expected


def test_hand_worked_4x4_examples():
    image = np.arange(16.0).reshape(4, 4)
    # Windows [[0,1],[4,5]], [[2,3],[6,7]], ...: max is the bottom-right, min the top-left.
    np.testing.assert_array_equal(ops.pool2d(image, 2), [[5, 7], [13, 15]])
    np.testing.assert_array_equal(ops.pool2d(image, 2, mode="min"), [[0, 2], [8, 10]])
    np.testing.assert_array_equal(ops.pool2d(image, 2, mode="avg"), [[2.5, 4.5], [10.5, 12.5]])
    # 3×3 windows at stride 1, valid: 2×2 output, each the centre-plus-5 of its window.
    np.testing.assert_array_equal(ops.pool2d(image, 3, strides=1), [[10, 11], [14, 15]])
    # 3×3 at stride 2, same: 2×2 output, padding (0, 1) on each axis (odd cell at the end).
    np.testing.assert_array_equal(
        ops.pool2d(image, 3, strides=2, padding="same"), [[10, 11], [14, 15]]
    )
    # Average with "same" ignores the padded cells: the corner of 2×2 stride 1 is 15 / 1.
    same_average = ops.pool2d(image, 2, strides=1, padding="same", mode="avg")
    assert same_average[3, 3] == 15.0
    assert same_average[0, 3] == (3 + 7) / 2
    # Min with "same" must not see a padded zero: the image's own values only.
    assert ops.pool2d(image + 1, 2, strides=1, padding="same", mode="min").min() == 1.0
    # Max with "same" on an all-negative image must not see a padded zero either.
    assert ops.pool2d(-image - 1, 2, strides=1, padding="same").max() == -1.0
    # Non-square pool and strides.
    np.testing.assert_array_equal(ops.pool2d(image, (1, 4)), [[3], [7], [11], [15]])
    np.testing.assert_array_equal(ops.pool2d(image, (2, 1), strides=(2, 3)), [[4, 7], [12, 15]])


def test_pool2d_keeps_channels_separate_and_accepts_integers():
    image = np.arange(16).reshape(4, 4)  # integers: promoted to float
    stacked = np.stack([image, 100 - image], axis=-1)
    result = ops.pool2d(stacked, 2)
    assert result.shape == (2, 2, 2)
    np.testing.assert_array_equal(result[:, :, 0], [[5, 7], [13, 15]])
    np.testing.assert_array_equal(result[:, :, 1], [[100, 98], [92, 90]])


def test_conv2d_and_pad2d_hand_worked():
    image = np.arange(16.0).reshape(4, 4)
    # A 2×2 kernel picking the top-left cell: valid cross-correlation is a crop, not flipped.
    pick_top_left = np.array([[1.0, 0.0], [0.0, 0.0]])
    np.testing.assert_array_equal(ops.conv2d(image, pick_top_left), image[:3, :3])
    full = ops.conv2d(image, pick_top_left, padding="full")
    assert full.shape == (5, 5)
    np.testing.assert_array_equal(full[1:, 1:], image)
    assert np.all(full[0] == 0) and np.all(full[:, 0] == 0)
    padded = ops.pad2d(image, 1, 2, 3, 0, value=-1.0)
    assert padded.shape == (7, 7)
    np.testing.assert_array_equal(padded[1:5, 3:], image)
    assert (padded == -1).sum() == 49 - 16
    assert ops.pad2d(np.ones((2, 2, 3)), 1, 1, 1, 1).shape == (4, 4, 3)


def test_output_size_formula_text():
    assert ops.output_size_formula(28, 2, 2, "valid") == "⌊(28 − 2) / 2⌋ + 1 = 14"
    assert ops.output_size_formula(7, 2, 2, "same") == "⌈7 / 2⌉ = 4"
    assert ops.output_size_formula(28, 5, 1, "full") == "⌊(28 + 5 − 2) / 1⌋ + 1 = 32"
    assert ops.output_size_formula(3, 4, 2, "valid").endswith("= 0 (no output)")


def test_window_for_output_matches_pool2d_everywhere():
    image = np.random.default_rng(3).random((7, 5))
    for pool, strides, padding in [(2, None, "valid"), (3, 2, "same"), ((2, 3), 1, "same")]:
        pooled = ops.pool2d(image, pool, strides, padding)
        for i, j in np.ndindex(pooled.shape):
            window = ops.window_for_output(i, j, pool, strides, padding, image.shape)
            assert image[window.rows, window.cols].max() == pooled[i, j]
            padded = ops.pad2d(image, *window.padding, value=np.nan)
            window_cells = padded[window.padded_rows, window.padded_cols]
            assert np.isnan(window_cells).sum() == window.padded_cells


def test_window_for_output_rejects_a_missing_cell():
    with pytest.raises(ValueError, match=r"Output cell \(2, 0\) does not exist"):
        ops.window_for_output(2, 0, 2, None, "valid", (4, 4))


def test_describe_window():
    assert (
        ops.describe_window(np.array([[1.0, 3.0], [2.0, 0.5]]), "min") == "min(1, 3, 2, 0.5) = 0.5"
    )
    assert ops.describe_window(np.array([1.0, 2.0]), "avg", padded_cells=2) == (
        "(1 + 2) / 2 = 1.5   (2 padded cells ignored)"
    )


def test_shift_image_repeats_the_edge():
    image = np.arange(16.0).reshape(4, 4)
    np.testing.assert_array_equal(ops.shift_image(image, rows=-1)[:3], image[1:])
    np.testing.assert_array_equal(ops.shift_image(image, rows=-1)[3], image[3])
    with pytest.raises(ValueError, match="out of view"):
        ops.shift_image(image, cols=4)


def test_as_pair_reads_an_int_as_a_square_and_keeps_a_pair():
    assert ops.as_pair(3, "The pool size") == (3, 3)
    assert ops.as_pair(np.int64(2), "The pool size") == (2, 2)
    assert ops.as_pair([2, 1], "The stride") == (2, 1)
    with pytest.raises(ValueError, match=r"The stride must be a whole number or a pair"):
        ops.as_pair(True, "The stride")
    with pytest.raises(ValueError, match=r"got 1×0: a dilation of 1"):
        ops.as_pair((1, 0), "The dilation", ops.DILATION_WHY)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: ops.pool2d(np.zeros((3, 4)), 5),
            "The 5×5 pool does not fit in a 3×4 image with 'valid' padding, so there is no "
            "output; choose a smaller pool or 'same' padding.",
        ),
        (lambda: ops.pool2d(np.zeros((4, 4)), (2, 5)), "The 2×5 pool does not fit in a 4×4"),
        (lambda: ops.pool2d(np.zeros((4, 4)), 0), "The pool size must be at least 1"),
        (lambda: ops.pool2d(np.zeros((4, 4)), 2, strides=0), "The stride must be at least 1"),
        (lambda: ops.pool2d(np.zeros((4, 4)), 2, strides=(1, -2)), "The stride must be at least"),
        (lambda: ops.pool2d(np.zeros((4, 4)), 2, mode="median"), "Unknown pooling mode 'median'"),
        (lambda: ops.pool2d(np.zeros((4, 4)), 2, padding="full"), "Unknown padding 'full'"),
        (lambda: ops.pool2d(np.zeros((4, 4)), (1, 2, 3)), "a pair"),
        (lambda: ops.pool2d(np.zeros(4), 2), "must be 2-D"),
        (lambda: ops.conv2d(np.zeros((2, 2)), np.ones((3, 3))), "The 3×3 kernel does not fit"),
        (lambda: ops.conv2d(np.zeros((4, 4)), np.ones(3)), "The kernel must be a 2-D array"),
        (lambda: ops.conv2d(np.zeros((4, 4)), np.ones((2, 2)), padding="zero"), "Unknown padding"),
        (lambda: ops.output_size(3, 5, 1, "valid"), "A window of 5 cells does not fit in 3"),
        (lambda: ops.output_size(3, 2, 0, "same"), "The stride must be at least 1"),
        (lambda: ops.same_padding(3, 0, 1), "The window size must be at least 1"),
        (lambda: ops.pad2d(np.zeros((2, 2)), -1, 0, 0, 0), "Padding cannot be negative"),
        (lambda: ops.describe_window(np.array([]), "max"), "at least one real cell"),
    ],
)
def test_bad_arguments_raise_value_errors_a_student_can_read(call, message):
    with pytest.raises(ValueError) as caught:
        call()
    assert message in str(caught.value)


def test_example_kernels_are_read_only():
    for kernel in ops.EXAMPLE_KERNELS.values():
        with pytest.raises(ValueError):
            kernel[0, 0] = 1.0


def test_pool2d_is_fast_on_a_512_image():
    """The page pools a 512×512 image on every rerun: it must take milliseconds, not seconds."""
    import time

    image = np.random.default_rng(4).random((512, 512)).astype(np.float32)
    start = time.perf_counter()
    for mode in ops.POOL_MODES:
        ops.pool2d(image, 3, 1, "same", mode)
    assert time.perf_counter() - start < 2.0


# --- conv2d: one Keras Conv2D filter, with channels and dilation -------------------------------

CONV_SHAPES = [(7, 7), (8, 5), (5, 9)]
CONV_CHANNELS = [1, 3]  # 1 channel doubles as the grey (H, W) image with a (kH, kW) kernel
CONV_KERNELS = [(1, 1), (2, 2), (3, 3), (2, 3), (3, 1)]
CONV_STRIDES = [1, 2, (1, 2)]
CONV_DILATIONS = [1, 2, (2, 1)]


class _KerasFilters:
    """One Conv2D filter without bias per setting, built once (building costs more than a call)."""

    def __init__(self, keras):
        self.keras = keras
        self.layers = {}

    def __call__(self, images, kernel, stride, dilation, padding):
        """``images`` (batch, H, W, C) through the filter ``kernel``: (batch, H', W')."""
        key = (kernel.shape, stride, dilation, padding)
        layer = self.layers.get(key)
        if layer is None:
            layer = self.layers[key] = self.keras.layers.Conv2D(
                1,
                kernel.shape[:2],
                strides=stride,
                padding=padding,
                dilation_rate=dilation,
                use_bias=False,
            )
            layer.build((None, None, None, kernel.shape[2]))
        layer.set_weights([kernel[:, :, :, np.newaxis]])
        return np.asarray(layer(images))[:, :, :, 0]


def test_conv2d_matches_a_keras_conv2d_filter_over_the_sweep(keras):
    """Shapes, 1 or 3 channels, kernel sizes, strides, dilations and the three paddings.

    Keras takes "valid" and "same" and refuses a stride above 1 together with a dilation above
    1. "full" is compared with Keras' valid convolution of the image padded by d·(k − 1) zeros
    (the definition); a refused stride with its stride-1 output at every stride-th cell, the
    image padded first by TensorFlow's rule for the real stride (our ``padding_amounts``).
    """
    rng = np.random.default_rng(5)
    keras_filter = _KerasFilters(keras)
    checked = {"keras": 0, "full": 0, "strided": 0}
    for channels, kernel_shape, stride, dilation, padding, shape in itertools.product(
        CONV_CHANNELS, CONV_KERNELS, CONV_STRIDES, CONV_DILATIONS, ops.CONV_PADDINGS, CONV_SHAPES
    ):
        steps, spread = _pair(stride), _pair(dilation)
        spans = [d * (k - 1) + 1 for k, d in zip(kernel_shape, spread, strict=True)]
        if padding == "valid" and (spans[0] > shape[0] or spans[1] > shape[1]):
            continue  # no output; the error is tested below
        images = rng.normal(size=(2, *shape, channels)).astype(np.float32)
        kernel = rng.normal(size=(*kernel_shape, channels)).astype(np.float32)
        if padding != "full" and not (max(steps) > 1 and max(spread) > 1):
            reference = keras_filter(images, kernel, stride, dilation, padding)
            checked["keras"] += 1
        else:
            if padding == "full":
                top = bottom = spread[0] * (kernel_shape[0] - 1)
                left = right = spread[1] * (kernel_shape[1] - 1)
                checked["full"] += 1
            else:
                top, bottom, left, right = ops.padding_amounts(
                    shape, kernel_shape, stride, padding, dilation
                )
                checked["strided"] += 1
            padded = np.pad(images, [(0, 0), (top, bottom), (left, right), (0, 0)])
            unstrided = keras_filter(padded, kernel, 1, dilation, "valid")
            reference = unstrided[:, :: steps[0], :: steps[1]]
        context = (
            f"shape={shape} channels={channels} kernel={kernel_shape} stride={stride} "
            f"dilation={dilation} {padding}"
        )
        for image, expected in zip(images, reference, strict=True):
            ours = ops.conv2d(image, kernel, stride, padding, dilation)
            assert ours.shape == expected.shape, context
            assert ours.dtype == np.float32, context
            np.testing.assert_allclose(ours, expected, atol=1e-4, err_msg=context)
            if channels == 1:
                grey = ops.conv2d(image[:, :, 0], kernel[:, :, 0], stride, padding, dilation)
                np.testing.assert_allclose(grey, expected, atol=1e-4, err_msg=context + " 2-D")
        assert (
            ops.output_shape(shape, kernel_shape, stride, padding, "kernel", dilation)
            == (reference.shape[1:])
        )
    # The sweep really ran, through every kind of reference.
    assert checked["keras"] > 200 and checked["full"] > 100 and checked["strided"] > 20


def test_full_padding_is_zero_padding_by_the_dilated_span_then_valid():
    rng = np.random.default_rng(6)
    image = rng.normal(size=(6, 5, 2))
    kernel = rng.normal(size=(3, 2, 2))
    for dilation in (1, 2, (3, 1)):
        rows, cols = _pair(dilation)
        padded = ops.pad2d(image, 2 * rows, 2 * rows, cols, cols)
        for stride in (1, 2):
            np.testing.assert_allclose(
                ops.conv2d(image, kernel, stride, "full", dilation),
                ops.conv2d(padded, kernel, stride, "valid", dilation),
            )


def test_conv2d_hand_worked_channels_and_dilation():
    image = np.arange(16.0).reshape(4, 4)
    # Two channels, the second the negative of the first: a kernel of ones on both cancels.
    colour = np.stack([image, -image], axis=-1)
    assert np.all(ops.conv2d(colour, np.ones((2, 2, 2))) == 0)
    # Only the second channel weighted: minus the 2×2 sums.
    second_only = np.stack([np.zeros((2, 2)), np.ones((2, 2))], axis=-1)
    np.testing.assert_array_equal(
        ops.conv2d(colour, second_only), -ops.conv2d(image, np.ones((2, 2)))
    )
    # Dilation 2 of a 2×2 kernel of ones on the 4×4 ramp: the corners of each 3×3 window.
    np.testing.assert_array_equal(
        ops.conv2d(image, np.ones((2, 2)), dilation=2), [[0 + 2 + 8 + 10, 24], [36, 40]]
    )
    # Dilation (1, 3) of a 1×2 kernel [1, -1]: column 0 minus column 3.
    np.testing.assert_array_equal(
        ops.conv2d(image, np.array([[1.0, -1.0]]), dilation=(1, 3)), [[-3], [-3], [-3], [-3]]
    )
    # "same" with a dilated 3×3 identity-like kernel at stride 1 pads 2 on each side: the
    # centre weight alone returns the image.
    centre = np.zeros((3, 3))
    centre[1, 1] = 1.0
    np.testing.assert_array_equal(ops.conv2d(image, centre, padding="same", dilation=2), image)


def test_output_size_and_formula_account_for_dilation():
    assert ops.effective_kernel(5, 2) == 9
    assert ops.output_size(28, 5, 1, "valid", 2) == 20
    assert ops.output_size(28, 5, 1, "full", 2) == 36
    assert ops.output_size(28, 5, 3, "same", 2) == 10
    assert ops.same_padding(28, 5, 1, 2) == (4, 4)
    assert ops.axis_padding(28, 5, 1, "full", 2) == (8, 8)
    assert ops.output_size_formula(28, 5, 1, "valid", 2) == (
        "⌊(28 − 9) / 1⌋ + 1 = 20, with the dilated kernel 2·(5 − 1) + 1 = 9"
    )
    assert ops.output_size_formula(28, 5, 1, "full", 2) == (
        "⌊(28 + 9 − 2) / 1⌋ + 1 = 36, with the dilated kernel 2·(5 − 1) + 1 = 9"
    )
    assert ops.output_size_formula(28, 5, 3, "same", 2) == "⌈28 / 3⌉ = 10"
    assert ops.output_size_formula(4, 3, 1, "valid", 2).startswith(
        "⌊(4 − 5) / 1⌋ + 1 = 0 (no output)"
    )
    # The formula's result is output_size's, and the shape of conv2d's output.
    rng = np.random.default_rng(7)
    for n, kernel, stride, dilation, padding in itertools.product(
        (5, 9), (1, 2, 3), (1, 2, 3), (1, 2, 3), ops.CONV_PADDINGS
    ):
        if padding == "valid" and ops.effective_kernel(kernel, dilation) > n:
            continue
        size = ops.output_size(n, kernel, stride, padding, dilation)
        assert f"= {size}" in ops.output_size_formula(n, kernel, stride, padding, dilation)
        out = ops.conv2d(
            rng.random((n, 3)), np.ones((kernel, 1)), (stride, 1), padding, (dilation, 1)
        )
        assert out.shape[0] == size


def test_conv_step_is_the_output_cell_everywhere():
    rng = np.random.default_rng(8)
    image = rng.integers(-3, 4, size=(7, 6)).astype(float)
    kernel = rng.integers(-2, 3, size=(3, 2)).astype(float)
    checked = 0
    for stride, padding, dilation in itertools.product((1, 2), ops.CONV_PADDINGS, (1, 2)):
        output = ops.conv2d(image, kernel, stride, padding, dilation)
        for i, j in np.ndindex(output.shape):
            step = ops.conv_step(image, kernel, i, j, stride, padding, dilation)
            assert step.total == pytest.approx(output[i, j])
            # Inside cells read the image, the others are padding zeros.
            for (a, b), inside in np.ndenumerate(step.inside):
                if inside:
                    assert step.values[a, b] == image[step.rows[a], step.cols[b]]
                else:
                    assert step.values[a, b] == 0
            checked += 1
    assert checked > 300


def test_parameter_count_matches_a_keras_conv2d_layer(keras):
    for kernel_shape, channels, filters in [((5, 5), 1, 6), ((5, 5), 6, 16), ((3, 3), 3, 8)]:
        layer = keras.layers.Conv2D(filters, kernel_shape)
        layer.build((None, 32, 32, channels))
        assert ops.parameter_count(kernel_shape, channels, filters) == layer.count_params()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: ops.conv2d(np.zeros((4, 4)), np.ones((3, 3)), dilation=2),
            "The 3×3 kernel dilated by 2×2 (it spans 5×5) does not fit in a 4×4 image with "
            "'valid' padding, so there is no output; choose a smaller kernel or dilation or "
            "'same' padding.",
        ),
        (
            lambda: ops.conv2d(np.zeros((4, 4)), np.ones((2, 2)), dilation=0),
            "The dilation must be at least 1 in each direction, got 0×0: a dilation of 1 puts "
            "the weights next to each other",
        ),
        (
            lambda: ops.conv2d(np.zeros((4, 4, 3)), np.ones((2, 2))),
            "An image with 3 channels needs a kernel of shape (rows, cols, 3), one slice per "
            "channel, got shape (2, 2).",
        ),
        (
            lambda: ops.conv2d(np.zeros((4, 4, 3)), np.ones((2, 2, 2))),
            "needs a kernel of shape (rows, cols, 3)",
        ),
        (
            lambda: ops.conv2d(np.zeros((4, 4)), np.ones((2, 2, 1))),
            "The kernel must be a 2-D array (rows, cols) for a grey (H, W) image",
        ),
        (lambda: ops.conv2d(np.zeros((4, 4)), np.ones((0, 2))), "The kernel is empty"),
        (lambda: ops.conv2d(np.zeros((4, 4)), np.ones((2, 2)), stride=0), "The stride must be"),
        (
            lambda: ops.output_size(4, 3, 1, "valid", 2),
            "A window of 3 cells dilated by 2 (they span 5 cells) does not fit in 4 cells",
        ),
        (lambda: ops.effective_kernel(3, 0), "The dilation must be at least 1, got 0"),
        (
            lambda: ops.conv_step(np.zeros((4, 4)), np.ones((2, 2)), 3, 0),
            r"Output cell (3, 0) does not exist: the output has 3 rows",
        ),
        (lambda: ops.parameter_count((3, 3), 0, 4), "at least one channel and one filter"),
    ],
)
def test_conv_bad_arguments_raise_value_errors_a_student_can_read(call, message):
    with pytest.raises(ValueError) as caught:
        call()
    assert message in str(caught.value)


def test_conv2d_is_fast_on_a_512_image():
    """The convolution page convolves a 512×512 image on every rerun (``python -m
    bench.page_rerun --page convolution`` measures the whole rerun; this guards against a
    per-pixel loop)."""
    import time

    image = np.random.default_rng(9).random((512, 512)).astype(np.float32)
    kernel = np.ones((7, 7), dtype=np.float32) / 49
    start = time.perf_counter()
    ops.conv2d(image, kernel, 1, "same", 2)
    assert time.perf_counter() - start < 1.0
