"""Where MNIST comes from.

The app looks for MNIST through one clear chain, first match wins:

1. the file named by the environment variable ``CNNVIZ_MNIST``;
2. ``data/mnist.npz`` inside the project;
3. keras' own cache (``~/.keras/datasets/mnist.npz``, or under ``$KERAS_HOME``), downloading it
   there when the machine is online.

All three hold keras' own format: an ``.npz`` with ``x_train``, ``y_train``, ``x_test`` and
``y_test``. When none works, :class:`MnistNotFoundError` says what to do.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

import numpy as np

from cnnviz import DATA_DIR

MNIST_ENV_VAR = "CNNVIZ_MNIST"
LOCAL_MNIST_PATH = DATA_DIR / "mnist.npz"
MNIST_KEYS = ("x_train", "y_train", "x_test", "y_test")
MNIST_IMAGE_SHAPE = (28, 28)  # (height, width) of every MNIST digit
MNIST_CLASSES = 10  # the digits 0-9
MNIST_TRAIN_SIZE = 60_000  # images in the training split (the test split has 10,000)
# keras' own copy, and the checksum keras.datasets.mnist.load_data() verifies it against.
MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
MNIST_DOWNLOAD_BYTES = 11_490_434  # its size, for the progress bar if the server sends none
DOWNLOAD_CHUNK_BYTES = 256 * 1024  # about 44 progress updates for the whole file
DOWNLOAD_TIMEOUT_S = 30.0  # per network operation: an offline machine says so within this


class MnistNotFoundError(RuntimeError):
    """Raised when no MNIST source in the chain works; the message lists the options."""


class MnistDownloadError(MnistNotFoundError):
    """Raised when MNIST could not be downloaded: ``reason`` says why in one sentence, and the
    message adds the offline instructions."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"{reason}\n\n{how_to_get_mnist()}")


class Mnist(NamedTuple):
    """MNIST as keras ships it: uint8 images (N, 28, 28) in [0, 255] and uint8 labels (N,)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def keras_cache_path() -> Path:
    """Where ``keras.datasets.mnist.load_data()`` keeps its download."""
    keras_home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    return keras_home / "datasets" / "mnist.npz"


def how_to_get_mnist() -> str:
    """The instructions shown when MNIST cannot be found (plain text, also fine as Markdown)."""
    return (
        "MNIST was not found. cnnviz looks, in order, at:\n"
        f"1. the file named by the environment variable `{MNIST_ENV_VAR}`;\n"
        f"2. `{LOCAL_MNIST_PATH}`;\n"
        f"3. keras' cache `{keras_cache_path()}`.\n\n"
        "With internet access, press **Download MNIST** on the Live training page, or run\n"
        '`python -c "from cnnviz.data import load_mnist; load_mnist()"` once (both put it in '
        "keras' cache).\n\n"
        "Offline, copy keras' `mnist.npz` from another machine to `data/mnist.npz`, or start the "
        f"app with `{MNIST_ENV_VAR}=/path/to/mnist.npz streamlit run app.py`."
    )


def find_mnist_file() -> Path | None:
    """The first existing MNIST file of the chain (without downloading), or ``None``.

    Raises
    ------
    MnistNotFoundError
        If ``CNNVIZ_MNIST`` is set but names no file: a typo there should not silently fall
        back to another copy.
    """
    from_env = os.environ.get(MNIST_ENV_VAR)
    if from_env:
        path = Path(from_env).expanduser()
        if not path.is_file():
            raise MnistNotFoundError(
                f"{MNIST_ENV_VAR} is set to '{from_env}', but there is no file there.\n\n"
                + how_to_get_mnist()
            )
        return path
    for candidate in (LOCAL_MNIST_PATH, keras_cache_path()):
        if candidate.is_file():
            return candidate
    return None


def read_mnist_npz(path: str | os.PathLike) -> Mnist:
    """Read an MNIST ``.npz`` in keras' format and check its shapes.

    Raises
    ------
    MnistNotFoundError
        If the file is not a readable ``.npz`` with the four keras arrays.
    """
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [key for key in MNIST_KEYS if key not in npz.files]
            if missing:
                raise MnistNotFoundError(
                    f"'{path}' is not keras' mnist.npz: it lacks {', '.join(missing)}.\n\n"
                    + how_to_get_mnist()
                )
            arrays = {key: npz[key] for key in MNIST_KEYS}
    except (OSError, ValueError) as error:
        raise MnistNotFoundError(
            f"'{path}' could not be read as an .npz file ({error}).\n\n" + how_to_get_mnist()
        ) from error
    for split in ("train", "test"):
        images, labels = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if images.ndim != 3 or images.shape[1:] != MNIST_IMAGE_SHAPE or len(images) != len(labels):
            raise MnistNotFoundError(
                f"'{path}' has x_{split} of shape {images.shape} and y_{split} of shape "
                f"{labels.shape}; expected (N, 28, 28) images and N labels."
            )
    return Mnist(**arrays)


def load_mnist(allow_download: bool = True) -> Mnist:
    """Load MNIST through the chain described in the module docstring.

    Parameters
    ----------
    allow_download : bool
        Whether the last step may ask keras to download MNIST (this imports TensorFlow).

    Returns
    -------
    Mnist
        ``x_train`` (60000, 28, 28), ``y_train`` (60000,), ``x_test`` (10000, 28, 28),
        ``y_test`` (10000,), all uint8.

    Raises
    ------
    MnistNotFoundError
        When no source works; its message names every option.
    """
    path = find_mnist_file()
    if path is not None:
        return read_mnist_npz(path)
    if allow_download:
        try:
            from keras.datasets import mnist  # lazy: imports TensorFlow

            (x_train, y_train), (x_test, y_test) = mnist.load_data()
        except Exception as error:  # any network or file error means the same to a teacher
            raise MnistNotFoundError(
                f"keras could not download MNIST ({type(error).__name__}: {error}).\n\n"
                + how_to_get_mnist()
            ) from error
        return Mnist(x_train, y_train, x_test, y_test)
    raise MnistNotFoundError(how_to_get_mnist())


def download_mnist(
    progress: Callable[[int, int], None] | None = None,
    *,
    destination: str | os.PathLike | None = None,
    open_url: Callable[..., object] | None = None,
    expected_sha256: str | None = None,
) -> Path:
    """Download keras' ``mnist.npz`` (11 MB) into keras' cache, checked, then atomically in place.

    The file is written next to its destination under a temporary ``.part`` name of its own (two
    teachers may click at once), checked against keras' checksum and read as MNIST before it
    takes its place, so a reader never sees half a file and an interrupted download (a click
    elsewhere stops the page's script) leaves nothing behind.

    Parameters
    ----------
    progress : callable, optional
        Called after every chunk with the bytes received so far and the total expected.
    destination : path, optional
        Where to put it (default: keras' cache, the chain's third place).
    open_url : callable, optional
        ``urllib.request.urlopen`` or a stand-in with its signature (tests pass a fake).
    expected_sha256 : str, optional
        The file's SHA-256 (default: keras' published checksum, ``MNIST_SHA256``).

    Returns
    -------
    Path
        The downloaded file.

    Raises
    ------
    MnistDownloadError
        When the machine cannot reach the server (offline), the transfer breaks off, the file
        is damaged, or it cannot be written; the message ends with the offline instructions.
    """
    target = Path(destination) if destination is not None else keras_cache_path()
    opener = open_url if open_url is not None else urllib.request.urlopen
    partial = None
    digest = hashlib.sha256()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".part")
        partial = Path(name)
        with (
            os.fdopen(descriptor, "wb") as out,
            opener(MNIST_URL, timeout=DOWNLOAD_TIMEOUT_S) as response,
        ):
            total = int(response.headers.get("Content-Length") or MNIST_DOWNLOAD_BYTES)
            received = 0
            while chunk := response.read(DOWNLOAD_CHUNK_BYTES):
                out.write(chunk)
                digest.update(chunk)
                received += len(chunk)
                if progress is not None:
                    progress(received, max(total, received))
            if progress is not None and received != total:
                progress(received, received)  # the size was a guess: end with a full bar
        if digest.hexdigest() != (expected_sha256 or MNIST_SHA256):
            raise MnistDownloadError(
                "The downloaded file is damaged (its checksum is not MNIST's); try again."
            )
        read_mnist_npz(partial)
        os.replace(partial, target)
    except OSError as error:  # no network, DNS, timeouts, HTTP errors, a full disk
        detail = getattr(error, "reason", None) or error  # URLError wraps the socket's error
        raise MnistDownloadError(
            f"MNIST could not be downloaded from {urlsplit(MNIST_URL).hostname} ({detail}). "
            "Is this machine offline?"
        ) from error
    finally:
        if partial is not None:
            partial.unlink(missing_ok=True)  # after os.replace there is nothing left to remove
    return target


def mnist_available() -> bool:
    """Whether a MNIST file is reachable without downloading (cheap: checks paths only)."""
    try:
        return find_mnist_file() is not None
    except MnistNotFoundError:
        return False


def to_model_input(images: np.ndarray, size: tuple[int, int] = MNIST_IMAGE_SHAPE) -> np.ndarray:
    """MNIST-style images, scaled to [0, 1], as a batch a model takes: (N, height, width, 1).

    ``images`` is (N, 28, 28) or (28, 28), uint8 in [0, 255] (scaled by 1/255, as the seed
    does) or float in [0, 1] (kept). When ``size`` differs from 28 × 28 the batch is resized with
    ``tf.image.resize`` (bilinear), exactly as the seed prepares LeNet-5's 32 × 32 input; do it
    once for a whole data set, not per batch.
    """
    images = np.asarray(images)
    if images.ndim == 2:
        images = images[np.newaxis]
    if images.ndim != 3:
        raise ValueError(f"Expected images of shape (N, H, W) or (H, W), got {images.shape}.")
    if images.dtype == np.uint8:
        batch = images.astype(np.float32) / 255.0
    else:
        batch = images.astype(np.float32, copy=False)
    batch = batch[..., np.newaxis]  # (N, H, W, 1): one grey channel
    if tuple(size) == batch.shape[1:3]:
        return batch
    import tensorflow as tf  # lazy: only models whose input is not 28 × 28 need it

    return tf.image.resize(batch, size, method="bilinear").numpy()
