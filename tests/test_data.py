"""The MNIST chain: env var, then data/mnist.npz, then keras' cache; one clear error otherwise."""

import hashlib
import io
import urllib.error

import numpy as np
import pytest

from cnnviz import data


def write_fake_mnist(path, train=6, test=4):
    """A tiny file in keras' format, with labels that tell us which file was read."""
    rng = np.random.default_rng(0)
    np.savez(
        path,
        x_train=rng.integers(0, 256, (train, 28, 28), dtype=np.uint8),
        y_train=np.arange(train, dtype=np.uint8) % 10,
        x_test=rng.integers(0, 256, (test, 28, 28), dtype=np.uint8),
        y_test=np.arange(test, dtype=np.uint8) % 10,
    )
    return path


@pytest.fixture
def no_sources(monkeypatch, tmp_path):
    """No env var, no local file, an empty keras cache."""
    monkeypatch.delenv(data.MNIST_ENV_VAR, raising=False)
    monkeypatch.setattr(data, "LOCAL_MNIST_PATH", tmp_path / "project" / "data" / "mnist.npz")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    return tmp_path


def test_env_var_wins_over_local_file(no_sources, monkeypatch):
    local = no_sources / "project" / "data" / "mnist.npz"
    local.parent.mkdir(parents=True)
    write_fake_mnist(local, train=3)
    from_env = write_fake_mnist(no_sources / "elsewhere.npz", train=7)
    monkeypatch.setenv(data.MNIST_ENV_VAR, str(from_env))

    mnist = data.load_mnist(allow_download=False)

    assert mnist.x_train.shape == (7, 28, 28)
    assert mnist.x_train.dtype == np.uint8


def test_local_file_then_keras_cache(no_sources):
    cache = data.keras_cache_path()
    cache.parent.mkdir(parents=True)
    write_fake_mnist(cache, train=5)
    assert data.load_mnist(allow_download=False).x_train.shape == (5, 28, 28)

    local = no_sources / "project" / "data" / "mnist.npz"
    local.parent.mkdir(parents=True)
    write_fake_mnist(local, train=2)
    assert data.load_mnist(allow_download=False).x_train.shape == (2, 28, 28)


def test_nothing_found_names_every_option(no_sources):
    assert not data.mnist_available()
    with pytest.raises(data.MnistNotFoundError) as error:
        data.load_mnist(allow_download=False)
    message = str(error.value)
    assert data.MNIST_ENV_VAR in message
    assert "data/mnist.npz" in message
    assert "keras" in message


def test_env_var_pointing_nowhere_is_an_error_not_a_fallback(no_sources, monkeypatch):
    local = no_sources / "project" / "data" / "mnist.npz"
    local.parent.mkdir(parents=True)
    write_fake_mnist(local)
    monkeypatch.setenv(data.MNIST_ENV_VAR, str(no_sources / "typo.npz"))

    with pytest.raises(data.MnistNotFoundError, match=r"typo\.npz"):
        data.load_mnist(allow_download=False)
    assert not data.mnist_available()


def test_a_file_that_is_not_mnist_is_explained(no_sources, monkeypatch):
    wrong = no_sources / "wrong.npz"
    np.savez(wrong, images=np.zeros((2, 28, 28)))
    monkeypatch.setenv(data.MNIST_ENV_VAR, str(wrong))
    with pytest.raises(data.MnistNotFoundError, match="lacks x_train"):
        data.load_mnist(allow_download=False)

    garbage = no_sources / "garbage.npz"
    garbage.write_bytes(b"not a zip file")
    monkeypatch.setenv(data.MNIST_ENV_VAR, str(garbage))
    with pytest.raises(data.MnistNotFoundError, match="could not be read"):
        data.load_mnist(allow_download=False)


def test_failed_download_becomes_the_clear_error(no_sources, monkeypatch):
    import keras

    def offline(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(data.MnistNotFoundError, match="could not download"):
        data.load_mnist(allow_download=True)


@pytest.mark.full_mnist
def test_real_mnist_has_keras_shapes():
    mnist = data.load_mnist(allow_download=False)
    assert mnist.x_train.shape == (60000, 28, 28)
    assert mnist.x_test.shape == (10000, 28, 28)
    assert set(np.unique(mnist.y_test)) == set(range(10))


def test_to_model_input_scales_and_resizes_like_the_seed():
    import tensorflow as tf

    images = np.random.default_rng(1).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    same_size = data.to_model_input(images)
    assert same_size.shape == (3, 28, 28, 1)
    np.testing.assert_allclose(same_size[..., 0], images / 255.0, atol=1e-7)

    # The seed: x / 255, add a channel, tf.image.resize to 32 × 32 (bilinear).
    expected = tf.image.resize(np.expand_dims(images.astype("float32") / 255.0, -1), [32, 32])
    np.testing.assert_allclose(data.to_model_input(images, (32, 32)), expected.numpy(), atol=1e-6)

    with pytest.raises(ValueError, match="shape"):
        data.to_model_input(np.zeros((2, 2, 28, 28)))


class FakeResponse(io.BytesIO):
    """What urlopen returns, for the bytes given: read in chunks, a Content-Length header."""

    def __init__(self, payload: bytes, send_length: bool = True):
        super().__init__(payload)
        self.headers = {"Content-Length": str(len(payload))} if send_length else {}


def fake_opener(payload: bytes, send_length: bool = True):
    calls = []

    def open_url(url, timeout):
        calls.append((url, timeout))
        return FakeResponse(payload, send_length)

    open_url.calls = calls
    return open_url


@pytest.fixture
def small_mnist_bytes(tmp_path):
    path = write_fake_mnist(tmp_path / "served.npz", train=6)
    payload = path.read_bytes()
    return payload, hashlib.sha256(payload).hexdigest()


@pytest.mark.parametrize("send_length", [True, False])
def test_download_puts_a_checked_mnist_in_keras_cache(no_sources, small_mnist_bytes, send_length):
    payload, checksum = small_mnist_bytes
    opener = fake_opener(payload, send_length)
    seen = []

    path = data.download_mnist(
        lambda done, total: seen.append((done, total)), open_url=opener, expected_sha256=checksum
    )

    assert path == data.keras_cache_path() and path.read_bytes() == payload
    assert opener.calls == [(data.MNIST_URL, data.DOWNLOAD_TIMEOUT_S)]
    assert seen[-1] == (len(payload), len(payload))  # the bar ends full, whatever the header
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert data.load_mnist(allow_download=False).x_train.shape == (6, 28, 28)  # the chain sees it
    assert list(path.parent.iterdir()) == [path]  # no .part left behind


def test_download_checks_keras_checksum_by_default(no_sources, small_mnist_bytes):
    payload, _ = small_mnist_bytes  # not keras' file: its checksum differs
    with pytest.raises(data.MnistDownloadError, match="damaged"):
        data.download_mnist(open_url=fake_opener(payload))
    assert not data.keras_cache_path().parent.exists() or not any(
        data.keras_cache_path().parent.iterdir()
    )


def test_offline_download_says_so_and_gives_the_offline_instructions(no_sources):
    def offline(url, timeout):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    with pytest.raises(data.MnistDownloadError) as error:
        data.download_mnist(open_url=offline)
    message = str(error.value)
    assert "Is this machine offline?" in message and "name resolution" in message
    assert data.how_to_get_mnist() in message
    assert isinstance(error.value, data.MnistNotFoundError)  # the pages' one except still holds
    assert not data.keras_cache_path().exists()


def test_an_interrupted_download_leaves_nothing_behind(no_sources, small_mnist_bytes):
    payload, checksum = small_mnist_bytes
    old = data.keras_cache_path()

    def click_elsewhere(done, total):
        raise KeyboardInterrupt  # as Streamlit's StopException: not an Exception

    with pytest.raises(KeyboardInterrupt):
        data.download_mnist(
            click_elsewhere, open_url=fake_opener(payload * 3), expected_sha256=checksum
        )
    assert not old.exists() and not any(old.parent.iterdir())
