"""The model registry and what it computes, on tiny models saved to a temporary directory."""

import threading

import numpy as np
import pytest

from cnnviz import inference

keras = pytest.importorskip("keras")
from keras import layers  # noqa: E402


def tiny_model(size: int = 28, classes: int = 10) -> "keras.Model":
    """Conv → max-pool → conv → average-pool → dense softmax: every kind the page shows."""
    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [
            keras.Input((size, size, 1)),
            layers.Conv2D(3, 5, activation="tanh", padding="same", name="C1"),
            layers.MaxPooling2D(2, name="S2"),
            layers.Conv2D(4, 3, activation="relu", name="C3"),
            layers.AveragePooling2D(2, name="S4"),
            layers.Flatten(),
            layers.Dense(classes, activation="softmax", name="output"),
        ]
    )


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory):
    """lenet: a good 32 × 32 model; alexnet: a good 28 × 28 one; broken and odd files."""
    directory = tmp_path_factory.mktemp("models")
    tiny_model(32).save(directory / "lenet5.keras")
    tiny_model(28).save(directory / "alexnet.keras")
    (directory / "corrupt.keras").write_bytes(b"this is not a keras file")
    tiny_model(28, classes=3).save(directory / "three_classes.keras")
    return directory


@pytest.fixture(scope="module")
def digit():
    rng = np.random.default_rng(0)
    return rng.random((28, 28)).astype(np.float32)


def test_registry_loads_the_shipped_names(models_dir):
    registry = inference.load_registry(models_dir)
    assert list(registry) == ["lenet", "alexnet"]
    assert all(status.ok and status.error is None for status in registry.values())
    assert registry["lenet"].label == "LeNet-5 (seed)"
    assert inference.input_size(registry["lenet"].model) == (32, 32)


def test_corrupt_file_gives_a_clear_error_and_the_others_still_load(models_dir):
    files = {"lenet": "lenet5.keras", "broken": "corrupt.keras", "alexnet": "alexnet.keras"}
    registry = inference.load_registry(models_dir, files)
    assert registry["lenet"].ok and registry["alexnet"].ok
    broken = registry["broken"]
    assert not broken.ok and broken.model is None
    assert "'corrupt.keras' could not be loaded" in broken.error
    assert "python -m cnnviz.train" in broken.error


def test_incompatible_and_missing_models_are_reported(models_dir):
    files = {"odd": "three_classes.keras", "lenet": "missing.keras"}
    registry = inference.load_registry(models_dir, files)
    assert "not a digit model" in registry["odd"].error
    assert "10 probabilities" in registry["odd"].error
    assert "not in the models directory" in registry["lenet"].error
    assert "python -m cnnviz.train lenet" in registry["lenet"].error


@pytest.mark.parametrize("file_name", ["../lenet5.keras", "/etc/passwd", "sub/x.keras", ".."])
def test_registry_never_reads_outside_its_directory(models_dir, file_name):
    with pytest.raises(ValueError, match="inside the models directory"):
        inference.load_registry(models_dir, {"evil": file_name})


def test_default_directory_is_the_apps_own():
    import inspect

    from cnnviz import MODELS_DIR

    default = inspect.signature(inference.load_registry).parameters["models_dir"].default
    assert default == MODELS_DIR


@pytest.mark.parametrize("name", ["lenet", "alexnet"])
def test_predict_matches_keras_predict(models_dir, digit, name):
    model = inference.load_registry(models_dir)[name].model
    probabilities = inference.predict_digit(model, digit)
    assert probabilities.shape == (10,) and probabilities.dtype == np.float32
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    size = inference.input_size(model)
    # The reference: keras' own predict on the input resized as the training data was.
    import tensorflow as tf

    reference = model.predict(
        tf.image.resize(digit[np.newaxis, :, :, np.newaxis], size, method="bilinear"), verbose=0
    )[0]
    np.testing.assert_allclose(probabilities, reference, atol=1e-5)


def test_predict_accepts_uint8_and_rejects_wrong_shapes(models_dir, digit):
    model = inference.load_registry(models_dir)["alexnet"].model
    as_uint8 = (digit * 255).round().astype(np.uint8)
    np.testing.assert_allclose(
        inference.predict_digit(model, as_uint8),
        inference.predict_digit(model, as_uint8 / 255.0),
        atol=1e-6,
    )
    with pytest.raises(ValueError, match="28×28"):
        inference.predict_digit(model, np.zeros((32, 32)))


def test_activation_maps_shapes_and_values(models_dir, digit):
    model = inference.load_registry(models_dir)["lenet"].model  # 32 × 32 input
    maps = inference.activation_maps(model, digit)
    assert [(layer.name, layer.kind, layer.layer_type) for layer in maps] == [
        ("C1", "convolution", "Conv2D"),
        ("S2", "pooling", "MaxPooling2D"),
        ("C3", "convolution", "Conv2D"),
        ("S4", "pooling", "AveragePooling2D"),
    ]
    assert [layer.maps.shape for layer in maps] == [
        (32, 32, 3),
        (16, 16, 3),
        (14, 14, 4),
        (7, 7, 4),
    ]
    # S2 is the 2 × 2 max of C1, recomputed in numpy.
    c1 = maps[0].maps
    expected_s2 = c1.reshape(16, 2, 16, 2, 3).max(axis=(1, 3))
    np.testing.assert_allclose(maps[1].maps, expected_s2, atol=1e-6)
    # C1 against keras: the first layer applied to the model's input.
    first = model.get_layer("C1")(inference.model_input(model, digit))
    np.testing.assert_allclose(c1, np.asarray(first)[0], atol=1e-5)
    # The sub-model is built once and reused.
    sub_model = inference._tools(model).activation_model
    again = inference.activation_maps(model, digit)
    assert inference._tools(model).activation_model is sub_model
    np.testing.assert_allclose(again[3].maps, maps[3].maps)


def test_first_layer_filters(models_dir):
    model = inference.load_registry(models_dir)["alexnet"].model
    filters = inference.first_layer_filters(model)
    kernel, bias = model.get_layer("C1").get_weights()  # (5, 5, 1, 3), (3,)
    assert filters.layer_name == "C1"
    assert filters.kernels.shape == (3, 5, 5)
    np.testing.assert_allclose(filters.kernels[2], kernel[:, :, 0, 2])
    np.testing.assert_allclose(filters.bias, bias)


def test_model_without_convolutions_is_refused(digit):
    dense = keras.Sequential([keras.Input((28, 28, 1)), layers.Flatten(), layers.Dense(10)])
    with pytest.raises(ValueError, match="no convolution"):
        inference.first_layer_filters(dense)
    with pytest.raises(ValueError, match="no convolution or pooling"):
        inference.activation_maps(dense, digit)


def test_concurrent_predictions_agree(models_dir, digit):
    model = inference.load_registry(models_dir)["alexnet"].model
    expected = inference.predict_digit(model, digit)
    results, errors = [], []

    def worker() -> None:
        try:
            for _ in range(5):
                results.append(inference.predict_digit(model, digit))
                inference.activation_maps(model, digit)
        except Exception as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(results) == 20
    for result in results:
        np.testing.assert_allclose(result, expected, atol=1e-6)
