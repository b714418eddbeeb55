"""Batch shards and thread pools: the sharded steps compute what keras' own steps compute."""

import json
import os

import keras
import numpy as np
import pytest

from bench.support.fresh_python import run_fresh_python
from cnnviz import parallel
from cnnviz.models import TrainingConfig, build_model
from cnnviz.parallel import shard_bounds, shard_steps


def random_batches(count: int, batch_size: int, seed: int = 0):
    """``count`` batches of random 32 × 32 "images" with random digit labels."""
    rng = np.random.default_rng(seed)
    x = rng.random((count * batch_size, 32, 32, 1), dtype=np.float32)
    y = rng.integers(0, 10, count * batch_size).astype(np.int32)
    return x, y


def lenet(shards: int | None):
    """The seed's LeNet-5, compiled as the engine compiles it, weights from seed 0."""
    model = build_model(TrainingConfig(model="lenet"), jit_compile=False)
    if shards is not None:
        shard_steps(model, shards)
    return model


@pytest.mark.parametrize("batch_size, shards", [(32, 2), (32, 3), (7, 4), (3, 4), (1, 2)])
def test_shard_bounds_cover_the_batch_once(batch_size, shards):
    bounds = shard_bounds(batch_size, shards)
    assert bounds[0] == 0 and bounds[-1] == batch_size and len(bounds) == shards + 1
    sizes = np.diff(bounds)
    assert sizes.min() >= 0 and sizes.max() - sizes.min() <= 1


@pytest.mark.slow
@pytest.mark.parametrize("shards", [2, 3, 4])
@pytest.mark.parametrize("batch_size", [32, 3])  # 3 images in 4 shards leaves one empty
def test_sharded_training_moves_the_weights_as_keras_does(shards, batch_size):
    x, y = random_batches(count=3, batch_size=batch_size)
    plain, sharded = lenet(None), lenet(shards)
    np.testing.assert_array_equal(plain.get_weights()[0], sharded.get_weights()[0])  # same start
    logs = {}
    for name, model in (("plain", plain), ("sharded", sharded)):
        history = model.fit(x, y, batch_size=batch_size, epochs=2, shuffle=False, verbose=0)
        logs[name] = history.history
    pairs = zip(plain.get_weights(), sharded.get_weights(), strict=True)
    for plain_weights, sharded_weights in pairs:
        np.testing.assert_allclose(sharded_weights, plain_weights, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(logs["sharded"]["loss"], logs["plain"]["loss"], rtol=1e-5)
    np.testing.assert_allclose(logs["sharded"]["accuracy"], logs["plain"]["accuracy"])
    # The weights did move: the comparison above is not between two untouched models.
    assert not np.allclose(plain.get_weights()[0], lenet(None).get_weights()[0])


def test_sharded_step_is_installed_on_the_object_only():
    sharded, plain = lenet(2), lenet(None)
    assert "train_step" in vars(sharded) and "train_step" not in vars(plain)
    assert type(sharded) is type(plain)  # the saved .keras file names the same class
    assert "train_step" not in vars(lenet(1))  # one shard: keras' own step


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_bad_shard_counts_are_refused(bad):
    with pytest.raises(ValueError, match="positive integer"):
        shard_steps(lenet(None), bad)


def test_regularised_models_are_refused():
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(3, kernel_regularizer="l2", name="decayed"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="decayed"):
        shard_steps(model, 2)


def test_shard_counts_follow_cores_dropout_and_thread_settings(monkeypatch):
    monkeypatch.setattr(parallel, "cpu_cores", lambda: 2)
    monkeypatch.setenv(parallel.INTRA_OP_ENV_VAR, "1")
    lenet_model = build_model(TrainingConfig(model="lenet"))
    alexnet_model = build_model(TrainingConfig(model="alexnet"))
    assert parallel.training_shards(lenet_model) == 2
    assert parallel.training_shards(alexnet_model) == 1  # dropout serialises the shards
    monkeypatch.setattr(parallel, "cpu_cores", lambda: 64)
    assert parallel.training_shards(lenet_model) == parallel.MAX_SHARDS
    # Someone asked TensorFlow to split operations itself: don't shard on top of that.
    monkeypatch.setenv(parallel.INTRA_OP_ENV_VAR, "0")
    assert parallel.training_shards(lenet_model) == 1


def test_thread_defaults_only_where_measured_and_never_over_the_environment(monkeypatch):
    assert parallel.thread_defaults(1) == {
        parallel.INTRA_OP_ENV_VAR: "1",
        parallel.INTER_OP_ENV_VAR: "1",
    }
    assert parallel.thread_defaults(parallel.MEASURED_MAX_CORES + 1) == {}
    monkeypatch.delenv(parallel.INTRA_OP_ENV_VAR, raising=False)
    monkeypatch.setenv(parallel.INTER_OP_ENV_VAR, "7")
    monkeypatch.setattr(parallel, "cpu_cores", lambda: 2)
    parallel.set_thread_defaults()
    assert os.environ[parallel.INTRA_OP_ENV_VAR] == "1"
    assert os.environ[parallel.INTER_OP_ENV_VAR] == "7"


def test_importing_cnnviz_sets_the_thread_defaults_before_tensorflow_starts():
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in (parallel.INTRA_OP_ENV_VAR, parallel.INTER_OP_ENV_VAR)
    }
    code = (
        "import json, os, sys, cnnviz; "
        "assert 'tensorflow' not in sys.modules; "
        "print(json.dumps({name: value for name, value in os.environ.items() "
        "if name.startswith('TF_NUM_')}))"
    )
    printed = run_fresh_python(code, env=environment)
    assert json.loads(printed) == parallel.thread_defaults(parallel.cpu_cores())


@pytest.mark.parametrize(
    ("cpuinfo", "expected"),
    [
        ("processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512_bf16 avx512_vnni\n", True),
        ("processor\t: 0\nflags\t\t: fpu sse2 avx2 amx_bf16 amx_tile\n", True),
        ("processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512_vnni\n", False),
        ("processor\t: 0\nFeatures\t: fp asimd bf16 i8mm\n", True),  # Arm
        ("processor\t: 0\nFeatures\t: fp asimd\n", False),
        ("processor\t: 0\n", None),  # no flags at all: cannot tell
    ],
)
def test_native_bfloat16_reads_the_cpu_flags(cpuinfo, expected):
    assert parallel.native_bfloat16(cpuinfo) is expected
