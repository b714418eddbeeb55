"""cnnviz.layer_table: the layer tables, checked against keras' own shapes and counts."""

import ast
import re

import pytest

from cnnviz import layer_table, models, ops

MODEL_KEYS = list(models.MODEL_SPECS)


@pytest.fixture(scope="module", params=MODEL_KEYS)
def built(request):
    return request.param, models.MODEL_SPECS[request.param].builder()


def test_shapes_and_counts_are_keras_own(built):
    _, model = built
    rows = layer_table.layer_rows(model)
    assert [row.name for row in rows] == [layer.name for layer in model.layers]
    for row, layer in zip(rows, model.layers, strict=True):
        assert row.output_shape == tuple(layer.output.shape[1:])
        assert row.parameters == layer.count_params()
    assert layer_table.total_parameters(rows) == model.count_params()


def test_every_formula_evaluates_to_its_own_result(built):
    # "(5·5·1 + 1)·6 = 156": the left side, computed, is the right side and keras' count.
    _, model = built
    for row in layer_table.layer_rows(model):
        if row.parameters:
            left, right = row.parameter_formula.split(" = ")
            value = eval(
                compile(ast.parse(left.replace("·", "*").replace(",", ""), mode="eval"), "", "eval")
            )
            assert value == int(right.replace(",", "")) == row.parameters
        else:
            assert row.parameter_formula == "0 (no weights)"
        if row.kernel != layer_table.NOT_APPLICABLE:
            # The output-size formula ends in this layer's real output side.
            assert row.output_formula.endswith(f"= {row.output_shape[0]}")


def test_the_seed_lenets_numbers():
    rows = {row.name: row for row in layer_table.layer_rows(models.lenet5())}
    assert rows["C1"].parameter_formula == "(5·5·1 + 1)·6 = 156"
    assert rows["C1"].output_formula == "⌈32 / 1⌉ = 32"
    assert (rows["C1"].kernel, rows["C1"].stride, rows["C1"].padding) == ("5×5", "1", "same")
    assert rows["C3"].output_formula == "⌊(16 − 5) / 1⌋ + 1 = 12"
    assert rows["flatten"].output_formula == "6·6·16 = 576"
    assert rows["C5"].parameter_formula == "(576 + 1)·120 = 69,240"


def test_the_original_lenets_c5_is_a_convolution_over_the_whole_map():
    rows = {row.name: row for row in layer_table.layer_rows(models.lenet5_original())}
    assert rows["C5"].output_formula == "⌊(5 − 5) / 1⌋ + 1 = 1"
    assert rows["C5"].parameter_formula == "(5·5·16 + 1)·120 = 48,120"


def test_alexnets_numbers():
    rows = {row.name: row for row in layer_table.layer_rows(models.alexnet_mnist())}
    assert rows["conv1"].output_formula == "⌊(64 − 11) / 4⌋ + 1 = 14"
    assert rows["conv1"].stride == "4"
    assert rows["pool3"].output_formula == "⌈2 / 2⌉ = 1"
    assert rows["resize"].output_formula == "28×28 → 64×64 (bilinear)"
    assert "only while training" in rows["dropout1"].output_formula


def test_non_square_layers_show_both_axes():
    import keras
    from keras import layers

    model = keras.Sequential(
        [keras.Input((10, 7, 1)), layers.Conv2D(2, (3, 5), strides=(1, 2), name="wide")]
    )
    (row,) = layer_table.layer_rows(model)
    assert row.kernel == "3×5" and row.stride == "1×2"
    assert row.output_formula == (
        f"rows {ops.output_size_formula(10, 3, 1, 'valid')}; "
        f"columns {ops.output_size_formula(7, 5, 2, 'valid')}"
    )
    assert row.output_shape == tuple(model.layers[0].output.shape[1:]) == (8, 2, 2)


def test_unknown_layers_are_refused_by_name():
    import keras
    from keras import layers

    model = keras.Sequential([keras.Input((4, 4, 1)), layers.BatchNormalization(name="bn")])
    with pytest.raises(ValueError, match="BatchNormalization layers \\(bn\\)"):
        layer_table.layer_rows(model)


@pytest.mark.parametrize("key", MODEL_KEYS)
def test_the_code_shown_is_the_builder_that_runs(key):
    source = layer_table.model_source(key)
    builder = models.MODEL_SPECS[key].builder
    assert source.startswith(f"def {builder.__name__}(")
    # Every layer name the model has appears in the code shown.
    for layer in builder().layers:
        assert re.search(rf'name="{layer.name}"', source), layer.name
    with pytest.raises(ValueError, match="Unknown model"):
        layer_table.model_source("vgg")


@pytest.mark.parametrize(
    ("n", "kernel", "stride", "padding"),
    [
        (2, 3, 1, "same"),
        (6, 5, 1, "same"),
        (32, 5, 1, "same"),
        (7, 3, 2, "same"),
        (9, 3, 1, "valid"),
    ],
)
def test_padding_share_counts_the_padded_cells_of_every_window(n, kernel, stride, padding):
    # Independent count: pad with NaN and count the NaNs of every window.
    import numpy as np

    image = np.ones((n, n))
    top, bottom, left, right = ops.padding_amounts(image.shape, kernel, stride, padding)
    padded = ops.pad2d(image, top, bottom, left, right, value=np.nan)
    outputs = ops.output_size(n, kernel, stride, padding)
    shares = [
        np.isnan(padded[i * stride : i * stride + kernel, j * stride : j * stride + kernel]).mean()
        for i in range(outputs)
        for j in range(outputs)
    ]
    assert layer_table.padding_share(n, kernel, stride, padding) == pytest.approx(np.mean(shares))


def test_receptive_fields_are_the_hand_computed_ones():
    lenet = {row.name: row for row in layer_table.layer_rows(models.lenet5())}
    # C1 5; S2 5 + (2 − 1)·1 = 6; C3 6 + (5 − 1)·2 = 14; S4 14 + (2 − 1)·2 = 16.
    assert [lenet[name].receptive_field for name in ("C1", "S2", "C3", "S4")] == [
        "5×5",
        "6×6",
        "14×14",
        "16×16",
    ]
    assert lenet["flatten"].receptive_field == layer_table.NOT_APPLICABLE
    alexnet = {row.name: row for row in layer_table.layer_rows(models.alexnet_mnist())}
    # conv1 11; pool1 11 + 2·4 = 19; conv2 19 + 4·8 = 51; pool2 51 + 2·8 = 67; conv3 67 + 2·16.
    # The 64 × 64 pixels 0–10 of conv1's first unit read the digit's 0–5; the unit at row 1
    # (pixels 4–14, centres 1.84–6.22 of the digit) reads its 1–7: up to 7 pixels.
    assert alexnet["conv1"].receptive_field == "11×11 (up to 7×7 of the digit)"
    # conv1's 11×11/4 never reads the 64 × 64 image's last row (63), so no unit reads the
    # digit's last one: 27 of its 28 rows at most.
    assert alexnet["conv3"].receptive_field == (
        "99×99 (up to 27×27 of the digit), wider than the image"
    )
    assert alexnet["pool2"].receptive_field.startswith("67×67")


def test_the_tables_digit_pixels_are_the_largest_the_draw_page_gives_any_unit():
    """One way to count a field in the digit: the table's figure is the largest count that the
    Draw page's sentence gives over every unit of the layer."""
    import re

    from cnnviz.receptive_field import receptive_fields, region_sentence

    model = models.alexnet_mnist()
    rows_by_layer = {row.name: row for row in layer_table.layer_rows(model)}
    checked = 0
    for field in receptive_fields(model):
        counts = set()
        for row in range(field.output_shape[0]):
            for col in range(field.output_shape[1]):
                sentence = region_sentence(field, row, col, (28, 28))
                found = re.search(r"\((\d+) × (\d+) pixels\)\.$", sentence)
                counts.add((int(found[1]), int(found[2])))
                checked += 1
        largest = (max(c[0] for c in counts), max(c[1] for c in counts))
        assert f"(up to {largest[0]}×{largest[1]} of the digit)" in (
            rows_by_layer[field.layer].receptive_field
        )
    assert checked > 200
