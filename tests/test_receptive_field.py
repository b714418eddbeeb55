"""cnnviz.receptive_field: hand-computed fields of both shipped models, and gradients.

A unit's receptive field is exactly where its gradient with respect to the input can be
non-zero: the tests check that the gradient is zero outside each region and reaches every one
of its four borders (exactly where every path carries gradient, within one jump after a max
pooling, which passes gradient to one cell of each window).
"""

import numpy as np
import pytest

from cnnviz import ops
from cnnviz.receptive_field import (
    LayerSpec,
    fields_from_specs,
    resized_box_to_source,
)

# By hand, per layer: (size, jump, start), the same on both axes. LeNet-5 (seed) on 32 × 32:
# C1 5×5 "same" pads 2 (start −2); S2 2/2 adds (2 − 1)·1; C3 5×5 valid adds (5 − 1)·2; S4 (2 − 1)·4.
LENET_FIELDS = {
    "C1": (5, 1, -2),
    "S2": (6, 2, -2),
    "C3": (14, 2, -2),
    "S4": (16, 4, -2),
}
# AlexNet-for-MNIST in its 64 × 64 resized input: conv1 11/4 valid; pool1 3/2 adds 2·4;
# conv2 5×5 "same" on 6×6 pads 2 (start −2·8) and adds 4·8; pool2 3/2 adds 2·8; conv3-5 3×3
# "same" on 2×2 pad 1 each (start −16 each) and add 2·16; pool3 3/2 "same" on 2×2 pads
# nothing before (the odd cell goes after) and adds 2·16.
ALEXNET_FIELDS = {
    "conv1": (11, 4, 0),
    "pool1": (19, 8, 0),
    "conv2": (51, 8, -16),
    "pool2": (67, 16, -16),
    "conv3": (99, 16, -32),
    "conv4": (131, 16, -48),
    "conv5": (163, 16, -64),
    "pool3": (195, 32, -64),
}


@pytest.fixture(scope="module")
def shipped():
    pytest.importorskip("tensorflow")
    from cnnviz import inference

    registry = inference.load_registry()
    assert all(status.ok for status in registry.values()), [s.error for s in registry.values()]
    return {name: status.model for name, status in registry.items()}


# --- the numeric core, without TensorFlow -------------------------------------------------------


def _alexnet_specs():
    conv, pool = "convolution", "pooling"
    return [
        LayerSpec("resize", "resizing", size=(64, 64)),
        LayerSpec("conv1", conv, kernel=(11, 11), stride=(4, 4)),
        LayerSpec("relu", "elementwise"),
        LayerSpec("pool1", pool, kernel=(3, 3), stride=(2, 2)),
        LayerSpec("conv2", conv, kernel=(5, 5), padding="same"),
        LayerSpec("pool2", pool, kernel=(3, 3), stride=(2, 2)),
        LayerSpec("conv3", conv, kernel=(3, 3), padding="same"),
        LayerSpec("conv4", conv, kernel=(3, 3), padding="same"),
        LayerSpec("conv5", conv, kernel=(3, 3), padding="same"),
        LayerSpec("pool3", pool, kernel=(3, 3), stride=(2, 2), padding="same"),
        LayerSpec("flatten", "mixing"),
        LayerSpec("after", conv, kernel=(3, 3)),  # after the mixing layer: not a field
    ]


def test_alexnet_specs_give_the_hand_computed_fields_in_the_resized_input():
    fields = fields_from_specs((28, 28), _alexnet_specs())
    assert [field.layer for field in fields] == list(ALEXNET_FIELDS)
    for field in fields:
        size, jump, start = ALEXNET_FIELDS[field.layer]
        assert (field.size, field.jump, field.start) == ((size,) * 2, (jump,) * 2, (start,) * 2)
        assert field.input_shape == (64, 64) and field.model_input_shape == (28, 28)
        assert field.resized
    shapes = [field.output_shape[0] for field in fields]
    assert shapes == [14, 6, 6, 2, 2, 2, 2, 1]  # the seed's output shapes
    assert not fields[0].larger_than_input and fields[4].larger_than_input  # conv3: 99 > 64


def test_region_is_clipped_at_every_layer_not_only_at_the_input():
    conv1, pool1, conv2, *_ = fields_from_specs((28, 28), _alexnet_specs())
    # conv1's 14 windows of 11 at stride 4 cover rows 0 … 62 of 64: row 63 is never read.
    assert conv1.region(13, 13) == (52, 52, 63, 63)
    assert conv1.box(13, 13) == (52, 52, 63, 63)
    # pool1 (3/2 on 14) never reads conv1's last unit, so its last unit ends at 10·4 + 10 + 1.
    assert pool1.region(5, 5) == (40, 40, 59, 59)
    # conv2's last unit hangs over the padding: the hull box says 75, the real cells end at 59.
    assert conv2.box(5, 5) == (24, 24, 75, 75)
    assert conv2.region(5, 5) == (24, 24, 59, 59)
    # Mapped back to the 28 × 28 digit through the bilinear resize.
    assert conv2.model_input_region(5, 5) == (10, 10, 27, 27)


def test_lenet_specs_with_a_zero_padding_and_a_dilation():
    specs = [
        LayerSpec("pad", "zero_padding", padding=(1, 2, 3, 0)),
        LayerSpec("conv", "convolution", kernel=(3, 2), dilation=(2, 3)),
        LayerSpec("dropout", "elementwise"),
        LayerSpec("pool", "pooling", kernel=(2, 2), stride=(2, 2), padding="same"),
    ]
    conv, pool = fields_from_specs((10, 8), specs)
    # Padded to 13 × 11; the 3×2 kernel dilated (2, 3) spans 5×4: 9 × 8 outputs.
    assert conv.output_shape == (9, 8)
    assert (conv.size, conv.jump, conv.start) == ((5, 4), (1, 1), (-1, -3))
    assert conv.region(0, 0) == (0, 0, 4, 1)
    assert conv.region(8, 7) == (7, 4, 10, 8)
    assert pool.output_shape == (5, 4)
    assert (pool.size, pool.jump, pool.start) == ((6, 5), (2, 2), (-1, -3))
    # The same walk on explicit numbers: ops' sizes agree with the fields' maps.
    assert ops.output_shape((13, 11), (3, 2), 1, "valid", "kernel", (2, 3)) == conv.output_shape


def test_resized_box_to_source_matches_tensorflows_bilinear_weights():
    """The source pixels with a non-zero weight in tf.image.resize are exactly the box's."""
    tf = pytest.importorskip("tensorflow")
    for source, resized in [(28, 64), (28, 32), (64, 28), (5, 12)]:
        # Resize each one-hot source row: weights[i, s] is source pixel s's weight in row i.
        basis = np.eye(source, dtype=np.float32)[np.newaxis, :, np.newaxis, :]  # (1, s, 1, s)
        weights = tf.image.resize(basis, (resized, 1), method="bilinear").numpy()[0, :, 0, :]
        for top in range(resized):
            for bottom in (top + 1, min(top + 4, resized), resized):
                read = np.flatnonzero(np.abs(weights[top:bottom]).sum(axis=0) > 0)
                box = resized_box_to_source((top, 0, bottom, 1), (resized, 1), (source, 1))
                assert (box[0], box[2]) == (read.min(), read.max() + 1), (source, resized, top)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: fields_from_specs(
                (8, 8),
                [
                    LayerSpec("c", "convolution", kernel=(3, 3)),
                    LayerSpec("r", "resizing", size=(4, 4)),
                ],
            ),
            "Layer 'r' resizes after a convolution, pooling or padding",
        ),
        (
            lambda: fields_from_specs((4, 4), [LayerSpec("c", "convolution", kernel=(5, 5))]),
            "A window of 5 cells does not fit in 4 cells",
        ),
        (
            lambda: fields_from_specs((8, 8), [LayerSpec("c", "convolution")])[0].region(8, 0),
            "Layer 'c' has no unit (8, 0): its map has 8 rows and 8 columns",
        ),
        (
            lambda: resized_box_to_source((3, 0, 3, 1), (8, 8), (4, 4)),
            "is not a non-empty part of a 8×8 image",
        ),
    ],
)
def test_bad_arguments_say_what_is_wrong(call, message):
    with pytest.raises(ValueError) as caught:
        call()
    assert message in str(caught.value)


# --- the shipped models ------------------------------------------------------------------------


def test_shipped_models_have_the_hand_computed_fields(shipped):
    from cnnviz.receptive_field import receptive_fields

    for name, expected in [("lenet", LENET_FIELDS), ("alexnet", ALEXNET_FIELDS)]:
        fields = receptive_fields(shipped[name])
        assert [field.layer for field in fields] == list(expected)
        for field in fields:
            size, jump, start = expected[field.layer]
            assert (field.size, field.jump, field.start) == ((size,) * 2, (jump,) * 2, (start,) * 2)
            assert field.output_shape == tuple(
                shipped[name].get_layer(field.layer).output.shape[1:3]
            )
    lenet_fields = receptive_fields(shipped["lenet"])
    assert all(not field.resized and field.input_shape == (32, 32) for field in lenet_fields)


def test_input_region_of_the_shipped_models(shipped):
    from cnnviz.receptive_field import input_region

    lenet, alexnet = shipped["lenet"], shipped["alexnet"]
    assert input_region(lenet, "C1", 0, 0) == (0, 0, 3, 3)  # 5×5 centred on (0, 0), clipped
    assert input_region(lenet, "S4", 3, 2) == (10, 6, 26, 22)
    # conv1's unit (0, 1) reads columns 4 … 14 of 64; bilinear 28 → 64 reads the digit's
    # columns around (c + 0.5)·28/64 − 0.5: 1.47 for c = 4 (1 and 2), 5.84 for 14 (5 and 6).
    assert input_region(alexnet, "conv1", 0, 1, resized=True) == (0, 4, 11, 15)  # 64 × 64
    assert input_region(alexnet, "conv1", 0, 1) == (0, 1, 6, 7)  # the 28 × 28 digit
    # AlexNet's deepest units see the whole digit but its last row and column.
    assert input_region(alexnet, "pool3", 0, 0) == (0, 0, 27, 27)
    with pytest.raises(ValueError, match="no convolution or pooling layer 'fc1'"):
        input_region(alexnet, "fc1", 0, 0)


def _units(field):
    """The corners and the centre of a layer's map."""
    rows, cols = field.output_shape
    return {(0, 0), (0, cols - 1), (rows - 1, 0), (rows - 1, cols - 1), (rows // 2, cols // 2)}


def _gradient_support(model_input, layer_output, row, col, images):
    """Where the summed gradient of unit (row, col) (all channels) w.r.t. the input is not 0."""
    import keras
    import tensorflow as tf

    sub_model = keras.Model(model_input, layer_output)
    batch = tf.constant(images)
    with tf.GradientTape() as tape:
        tape.watch(batch)
        unit = tf.reduce_sum(sub_model(batch, training=False)[:, row, col, :])
    gradient = tape.gradient(unit, batch).numpy()  # (N, H, W, 1)
    return np.abs(gradient).sum(axis=(0, 3)) > 0  # (H, W)


def _check_region_against_gradient(support, region, context, slack=0):
    """Zero gradient outside ``region``; within ``slack`` pixels of each of its borders, some.

    ``slack`` is 0 where every path carries gradient (tanh, average pooling: the box is then
    exactly the gradient's); a max pooling passes gradient to its window's largest cell only,
    so a border may be missed by up to one jump of the layer.
    """
    top, left, bottom, right = region
    inside = np.zeros_like(support)
    inside[top:bottom, left:right] = True
    assert not np.any(support & ~inside), f"{context}: a gradient outside {region}"
    rows, cols = np.nonzero(support)
    reached = (rows.min(), cols.min(), rows.max() + 1, cols.max() + 1)
    gaps = [reached[0] - top, reached[1] - left, bottom - reached[2], right - reached[3]]
    assert max(gaps) <= slack, f"{context}: gradient box {reached} inside {region}"


def _slack(model, field, pixels_per_field_pixel=1.0):
    """0 for a model without max pooling, else one jump of the field (in input pixels)."""
    has_max_pooling = any(type(layer).__name__ == "MaxPooling2D" for layer in model.layers)
    return int(np.ceil(max(field.jump) * pixels_per_field_pixel)) + 1 if has_max_pooling else 0


def test_each_units_gradient_is_zero_outside_its_region_and_reaches_near_its_borders(shipped):
    from cnnviz.receptive_field import receptive_fields

    rng = np.random.default_rng(0)
    checked = 0
    for name, model in shipped.items():
        images = rng.random((8, *model.inputs[0].shape[1:])).astype(np.float32)
        for field in receptive_fields(model):
            scale = field.model_input_shape[0] / field.input_shape[0]
            for row, col in _units(field):
                support = _gradient_support(
                    model.inputs[0], model.get_layer(field.layer).output, row, col, images
                )
                region = field.model_input_region(row, col)
                context = f"{name} {field.layer} {row, col}"
                _check_region_against_gradient(
                    support, region, context, _slack(model, field, scale)
                )
                checked += 1
    assert checked > 40


def test_alexnet_regions_in_the_resized_input_against_gradients(shipped):
    """The 64 × 64 boxes, checked on the gradient with respect to the Resizing layer's output."""
    import keras

    from cnnviz.receptive_field import receptive_fields

    model = shipped["alexnet"]
    resize = model.get_layer("resize")
    resized_input = keras.Input(resize.output.shape[1:])
    # The layers after the resize, applied to a 64 × 64 input of their own.
    outputs, current = {}, resized_input
    for layer in model.layers[model.layers.index(resize) + 1 :]:
        if type(layer).__name__ == "Flatten":
            break
        current = layer(current)
        outputs[layer.name] = current
    images = np.random.default_rng(1).random((8, 64, 64, 1)).astype(np.float32)
    checked = 0
    for field in receptive_fields(model):
        for row, col in _units(field):
            support = _gradient_support(resized_input, outputs[field.layer], row, col, images)
            if not support.any():
                continue  # a ReLU unit dead on all eight images: no gradient anywhere to check
            context = f"{field.layer} {row, col}"
            _check_region_against_gradient(
                support, field.region(row, col), context, _slack(model, field)
            )
            checked += 1
    assert checked > 20
