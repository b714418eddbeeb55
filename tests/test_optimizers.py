"""FusedAdam computes keras' Adam: checked against keras itself and against numpy's Adam."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from cnnviz.models import TrainingConfig, build_model
from cnnviz.optimizers import FusedAdam


def numpy_adam(weights, gradients, learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """Adam as keras documents it (epsilon outside the square root), one weight array."""
    m, v = np.zeros_like(weights), np.zeros_like(weights)
    for step, gradient in enumerate(gradients, start=1):
        m += (gradient - m) * (1 - beta_1)
        v += (gradient**2 - v) * (1 - beta_2)
        alpha = learning_rate * np.sqrt(1 - beta_2**step) / (1 - beta_1**step)
        weights = weights - alpha * m / (np.sqrt(v) + epsilon)
    return weights


def test_fused_adam_matches_adam_written_in_numpy():
    rng = np.random.default_rng(0)
    start = rng.normal(size=(5, 3)).astype(np.float64)
    gradients = [rng.normal(size=(5, 3)) for _ in range(4)]
    variable = keras.Variable(start.astype(np.float32))
    optimizer = FusedAdam(learning_rate=0.01)
    for gradient in gradients:
        optimizer.apply_gradients([(tf.constant(gradient, tf.float32), variable)])
    expected = numpy_adam(start, gradients, learning_rate=0.01)
    np.testing.assert_allclose(variable.numpy(), expected, rtol=1e-5, atol=1e-6)
    assert not np.allclose(variable.numpy(), start, atol=1e-3)  # it moved: not a vacuous match
    assert int(optimizer.iterations) == len(gradients)


@pytest.mark.slow
def test_fused_adam_trains_lenet_as_keras_adam_does():
    rng = np.random.default_rng(1)
    x = rng.random((96, 32, 32, 1), dtype=np.float32)
    y = rng.integers(0, 10, 96).astype(np.int32)
    models = {}
    for name, optimizer in (("keras", keras.optimizers.Adam()), ("fused", FusedAdam())):
        model = build_model(TrainingConfig(model="lenet"), jit_compile=False)  # same seed, weights
        model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
        model.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0)
        models[name] = model
    start = build_model(TrainingConfig(model="lenet")).get_weights()
    pairs = zip(models["keras"].get_weights(), models["fused"].get_weights(), start, strict=True)
    for keras_weights, fused_weights, start_weights in pairs:
        np.testing.assert_allclose(fused_weights, keras_weights, rtol=1e-4, atol=1e-6)
        assert not np.array_equal(fused_weights, start_weights)


def test_the_update_is_one_fused_kernel_per_weight():
    """Without this, a FusedAdam that quietly ran keras' update would pass the tests above."""
    variables = [
        keras.Variable(np.ones((4, 4), np.float32)),
        keras.Variable(np.zeros(4, np.float32)),
    ]
    optimizer = FusedAdam()
    optimizer.build(variables)

    @tf.function
    def apply(gradients):
        optimizer.apply_gradients(zip(gradients, variables, strict=True))

    gradients = [tf.ones((4, 4)), tf.ones(4)]
    graph = apply.get_concrete_function(gradients).graph
    operation_types = [operation.type for operation in graph.get_operations()]
    assert operation_types.count("ResourceApplyAdam") == len(variables)
    assert "Sqrt" not in operation_types  # no element-wise update left beside the kernel


def test_amsgrad_falls_back_to_keras_update():
    gradients = [np.full(3, value, np.float32) for value in (1.0, -2.0, 0.5)]
    results = []
    for optimizer in (keras.optimizers.Adam(amsgrad=True), FusedAdam(amsgrad=True)):
        variable = keras.Variable(np.zeros(3, np.float32))
        for gradient in gradients:
            optimizer.apply_gradients([(tf.constant(gradient), variable)])
        results.append(variable.numpy())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-6)


@pytest.mark.slow
def test_build_model_uses_it_and_a_compiled_save_loads_back(tmp_path):
    model = build_model(TrainingConfig(model="lenet", learning_rate=0.002))
    assert isinstance(model.optimizer, FusedAdam)
    images = np.zeros((4, 32, 32, 1), np.float32)
    model.fit(images, np.arange(4), epochs=1, verbose=0)  # builds the optimizer's slots
    assert float(model.optimizer.learning_rate) == pytest.approx(0.002)
    path = tmp_path / "compiled.keras"
    model.save(path)  # with the optimizer: the class is registered, so it loads by name
    loaded = keras.models.load_model(path)
    assert isinstance(loaded.optimizer, FusedAdam)
    assert float(loaded.optimizer.learning_rate) == pytest.approx(0.002)
    assert int(loaded.optimizer.iterations) == 1  # its state came back too
