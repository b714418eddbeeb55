"""The models against the seed notebook: parameter counts, every output shape, the options."""

import dataclasses

import keras
import numpy as np
import pytest
from keras import layers

from bench.support.seed_notebook import seed_alexnet_mnist, seed_lenet5
from cnnviz.models import (
    MODEL_SPECS,
    TRAINING_LIMITS,
    TrainingConfig,
    alexnet_mnist,
    build_model,
    float32_copy,
    input_size,
    lenet5,
    lenet5_original,
    summary_table,
)

# The seed notebook's model.summary(), layer by layer (batch axis left out).
SEED_LENET_SHAPES = [
    (32, 32, 6),
    (16, 16, 6),
    (12, 12, 16),
    (6, 6, 16),
    (576,),
    (120,),
    (84,),
    (10,),
]
SEED_ALEXNET_SHAPES = [
    (64, 64, 1),
    (14, 14, 48),
    (6, 6, 48),
    (6, 6, 128),
    (2, 2, 128),
    (2, 2, 192),
    (2, 2, 192),
    (2, 2, 128),
    (1, 1, 128),
    (128,),
    (1024,),
    (1024,),
    (1024,),
    (1024,),
    (10,),
]
ORIGINAL_LENET_SHAPES = [
    (28, 28, 6),
    (14, 14, 6),
    (10, 10, 16),
    (5, 5, 16),
    (1, 1, 120),
    (120,),
    (84,),
    (10,),
]


def layer_shapes(model: keras.Model) -> list[tuple]:
    return [tuple(layer.output.shape[1:]) for layer in model.layers]


def test_lenet5_matches_the_seed_layer_by_layer():
    model, seed = lenet5(), seed_lenet5()
    assert model.count_params() == seed.count_params() == 82_826
    assert layer_shapes(model) == layer_shapes(seed) == SEED_LENET_SHAPES
    assert [type(layer) for layer in model.layers] == [type(layer) for layer in seed.layers]
    assert [layer.count_params() for layer in model.layers] == [
        layer.count_params() for layer in seed.layers
    ]
    assert input_size(model) == (32, 32)


def test_lenet5_computes_what_the_seed_computes_with_the_same_weights():
    model, seed = lenet5(), seed_lenet5()
    seed.set_weights(model.get_weights())
    images = np.random.default_rng(0).random((4, 32, 32, 1), dtype=np.float32)
    np.testing.assert_allclose(model(images), seed(images), atol=1e-6)


def test_alexnet_matches_the_seed():
    model, seed = alexnet_mnist(), seed_alexnet_mnist()
    assert model.count_params() == seed.count_params() == 2_126_186
    assert layer_shapes(model) == layer_shapes(seed) == SEED_ALEXNET_SHAPES
    assert [type(layer) for layer in model.layers] == [type(layer) for layer in seed.layers]
    assert [layer.count_params() for layer in model.layers] == [
        layer.count_params() for layer in seed.layers
    ]
    assert isinstance(model.layers[0], layers.Resizing)
    assert input_size(model) == (28, 28)
    assert sum(isinstance(layer, layers.Conv2D) for layer in model.layers) == 5
    assert sum(isinstance(layer, layers.Dense) for layer in model.layers) == 3
    dropouts = [layer.rate for layer in model.layers if isinstance(layer, layers.Dropout)]
    assert dropouts == [0.5, 0.5]


def test_original_lenet5_uses_valid_convolutions():
    model = lenet5_original()
    assert model.count_params() == 61_706
    assert layer_shapes(model) == ORIGINAL_LENET_SHAPES
    assert all(
        layer.padding == "valid" for layer in model.layers if isinstance(layer, layers.Conv2D)
    )


@pytest.mark.parametrize("builder", [lenet5, lenet5_original, alexnet_mnist])
def test_options_swap_activation_and_pooling_but_not_the_parameter_count(builder):
    default = builder()
    other = builder(activation="relu" if builder is not alexnet_mnist else "tanh", pooling="max")
    assert other.count_params() == default.count_params()
    pools = [layer for layer in other.layers if "Pooling" in type(layer).__name__]
    assert pools and all(isinstance(layer, layers.MaxPooling2D) for layer in pools)
    averaged = builder(pooling="average")
    assert all(
        isinstance(layer, layers.AveragePooling2D)
        for layer in averaged.layers
        if "Pooling" in type(layer).__name__
    )
    convs = [layer for layer in other.layers if isinstance(layer, layers.Conv2D)]
    expected = "relu" if builder is not alexnet_mnist else "tanh"
    assert all(layer.activation.__name__ == expected for layer in convs)


def test_builders_reject_unknown_options():
    with pytest.raises(ValueError, match="activation"):
        lenet5(activation="sigmoidal")
    with pytest.raises(ValueError, match="pooling"):
        alexnet_mnist(pooling="min")


def test_summary_table_matches_keras():
    rows = summary_table(lenet5())
    assert [row["Output shape"] for row in rows] == [
        "×".join(map(str, shape)) for shape in SEED_LENET_SHAPES
    ]
    assert sum(row["Parameters"] for row in rows) == 82_826
    assert rows[0] == {
        "Layer": "C1",
        "Type": "Conv2D",
        "Output shape": "32×32×6",
        "Parameters": 156,
    }
    assert set(rows[-1]) == {"Layer", "Type", "Output shape", "Parameters"}


def test_config_defaults_are_the_seed_recipe():
    lenet = TrainingConfig()
    assert (lenet.model, lenet.optimizer, lenet.learning_rate, lenet.batch_size) == (
        "lenet",
        "adam",
        1e-3,
        32,
    )
    assert (lenet.resolved_activation, lenet.resolved_pooling, lenet.resolved_epochs) == (
        "tanh",
        "average",
        5,
    )
    alexnet = TrainingConfig(model="alexnet")
    assert (alexnet.resolved_activation, alexnet.resolved_pooling) == ("relu", "max")
    assert alexnet.resolved_epochs == 3
    assert (
        TrainingConfig(model="alexnet", epochs=1, pooling="average").resolved_pooling == "average"
    )
    assert {spec.shipped_file for spec in MODEL_SPECS.values()} == {
        "lenet5.keras",
        "alexnet.keras",
        None,  # LeCun's original layout is taught, not shipped
    }


def test_each_spec_is_filed_under_its_own_key_and_builds_the_input_size_of_its_recipe():
    for key, spec in MODEL_SPECS.items():
        assert spec.key == key
        assert input_size(spec.builder()) == spec.recipe.input_size, key


def test_the_config_validates_with_the_training_limits_the_form_reads():
    for name, limit in TRAINING_LIMITS.items():
        if name != "learning_rate":  # a whole number: its low bound is a value it accepts
            TrainingConfig(**{name: int(limit.low)})
            with pytest.raises(ValueError, match=name):
                TrainingConfig(**{name: int(limit.low) - 1})
        TrainingConfig(**{name: limit.high})
        with pytest.raises(ValueError):
            TrainingConfig(**{name: limit.high + 1})
        assert limit.low <= limit.form_low < limit.high  # the form asks for more, never less
    with pytest.raises(ValueError, match="learning rate"):
        TrainingConfig(learning_rate=TRAINING_LIMITS["learning_rate"].low)  # its bound is open


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"model": "resnet"}, "Unknown model"),
        ({"activation": "sigmoid"}, "activation"),
        ({"pooling": "min"}, "pooling"),
        ({"optimizer": "adagrad"}, "optimizer"),
        ({"learning_rate": 0.0}, "learning rate"),
        ({"learning_rate": float("nan")}, "learning rate"),
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 32.0}, "batch_size"),
        ({"epochs": 0}, "epochs"),
        ({"subset": 60_001}, "subset"),
        ({"augment": "yes"}, "augment"),
        ({"seed": -1}, "seed"),
        ({"precision": "float16"}, "precision"),
    ],
)
def test_config_rejects_bad_values(changes, message):
    with pytest.raises(ValueError, match=message):
        TrainingConfig(**changes)


def test_config_is_frozen_and_hashable():
    config = TrainingConfig(subset=512)
    with pytest.raises(AttributeError):
        config.epochs = 2  # type: ignore[misc]
    assert hash(config) == hash(TrainingConfig(subset=512))
    assert config.as_dict()["subset"] == 512


def test_build_model_compiles_with_the_config():
    model = build_model(TrainingConfig(optimizer="sgd", learning_rate=0.05, activation="relu"))
    assert isinstance(model.optimizer, keras.optimizers.SGD)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.05)
    assert model.layers[0].activation.__name__ == "relu"
    # The same seed gives the same initial weights (repeatable classroom experiments).
    again = build_model(TrainingConfig(optimizer="sgd", learning_rate=0.05, activation="relu"))
    np.testing.assert_array_equal(model.get_weights()[0], again.get_weights()[0])


def test_mixed_precision_computes_in_bfloat16_but_keeps_float32_weights_and_output():
    float32 = build_model(TrainingConfig(model="alexnet"))
    mixed = build_model(TrainingConfig(model="alexnet", precision="mixed_bfloat16"))
    assert keras.config.dtype_policy().name == "float32"  # the global policy was put back
    conv1 = mixed.get_layer("conv1")
    assert (conv1.compute_dtype, conv1.variable_dtype) == ("bfloat16", "float32")
    assert mixed.get_layer("output").compute_dtype == "float32"
    assert {layer.compute_dtype for layer in float32.layers} == {"float32"}
    # The same seed gives the same float32 starting weights in both precisions.
    for mixed_weights, float32_weights in zip(
        mixed.get_weights(), float32.get_weights(), strict=True
    ):
        assert mixed_weights.dtype == np.float32
        np.testing.assert_array_equal(mixed_weights, float32_weights)
    images = np.random.default_rng(0).random((4, 28, 28, 1), dtype=np.float32)
    probabilities = mixed(images)
    assert probabilities.dtype == "float32"
    # bfloat16 rounding moves the probabilities a little, and no more than that.
    np.testing.assert_allclose(probabilities, float32(images), atol=0.02)


def test_float32_copy_of_a_mixed_model_is_the_float32_model_with_its_weights():
    mixed = build_model(TrainingConfig(model="lenet", precision="mixed_bfloat16"))
    mixed.set_weights([weights * 1.5 for weights in mixed.get_weights()])  # "trained" weights
    copy = float32_copy(mixed)
    assert {layer.compute_dtype for layer in copy.layers} == {"float32"}
    assert getattr(copy, "optimizer", None) is None
    reference = build_model(TrainingConfig(model="lenet"))
    reference.set_weights(mixed.get_weights())
    images = np.random.default_rng(1).random((4, 32, 32, 1), dtype=np.float32)
    np.testing.assert_allclose(copy(images), reference(images), rtol=1e-6, atol=1e-7)


def test_a_third_model_declared_once_reaches_the_cli_the_registry_the_form_and_the_tabs(
    monkeypatch, tmp_path
):
    from cnnviz import inference, layer_table, train, training_form, training_lesson
    from cnnviz.models import ModelSpec, Recipe

    fake = ModelSpec(
        key="fake",
        label="A fake net",
        name="A fake net",
        builder=lenet5,
        recipe=Recipe(activation="relu", pooling="max", epochs=2, input_size=(32, 32)),
        lesson="fake",
        live_label="Fake",
        shipped_file="fake.keras",
    )
    # The two edits a third model takes: its declaration and its lesson text.
    monkeypatch.setitem(MODEL_SPECS, "fake", fake)
    monkeypatch.setitem(
        training_lesson.MODEL_LESSONS, "fake", training_lesson.ModelLesson("Fake", "A fake.")
    )

    assert train.parse_args(["fake"]).model == "fake"  # the CLI's choices
    assert train.default_output("fake").name == "fake.keras"
    assert TrainingConfig(model="fake").resolved_epochs == 2
    registry = inference.load_registry(tmp_path)
    assert list(registry) == ["lenet", "alexnet", "fake"]
    assert "python -m cnnviz.train fake" in registry["fake"].error
    assert layer_table.model_source("fake").startswith("def lenet5(")
    runs = training_form.model_runs()
    assert runs["fake"] == ("fake",) and runs["both"] == ("lenet", "alexnet", "fake")
    assert training_form.run_label("both") == "All 3, one after the other"
    assert [spec.key for spec in training_lesson.lesson_tabs()["fake"]] == ["fake"]


def test_a_spec_whose_lesson_text_is_missing_is_named(monkeypatch):
    from cnnviz import training_lesson

    monkeypatch.setitem(
        MODEL_SPECS, "fake", dataclasses.replace(MODEL_SPECS["alexnet"], key="fake", lesson="none")
    )
    with pytest.raises(ValueError, match="Model 'fake' names the lesson 'none'"):
        training_lesson.lesson_tabs()
