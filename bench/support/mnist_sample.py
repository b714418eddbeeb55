"""The small MNIST sample the repository ships for the tests (``tests/data/mnist-sample/``).

The tests must pass on a machine with no copy of MNIST and no network, so the repository carries
the first 2,048 training and 1,000 test images in MNIST's original gzip-compressed IDX files
(the README beside them credits the source). ``tests/conftest.py`` writes them once into an
``.npz`` in keras' layout and points ``CNNVIZ_MNIST`` at it when no full MNIST is found; the
app then reads it through its usual chain, in-process and in the servers the e2e tests start.
"""

from __future__ import annotations

import gzip
import os
import struct
from pathlib import Path

import numpy as np

from cnnviz.data import Mnist

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "tests" / "data" / "mnist-sample"
SAMPLE_FILES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}
# An IDX file opens with two zero bytes, the element type (0x08: unsigned byte) and its axes.
IDX_UNSIGNED_BYTE = 0x08


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read a gzip-compressed IDX file of unsigned bytes (MNIST's own format) into an array.

    Raises
    ------
    ValueError
        If the file is not an IDX file of unsigned bytes or its size disagrees with its header.
    """
    raw = gzip.decompress(Path(path).read_bytes())
    (magic,) = struct.unpack(">I", raw[:4])
    axes = magic & 0xFF
    if magic >> 8 != IDX_UNSIGNED_BYTE or axes == 0:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes (magic {magic:#010x})")
    shape = struct.unpack(f">{axes}I", raw[4 : 4 + 4 * axes])
    body = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * axes)
    if body.size != np.prod(shape):
        raise ValueError(f"{path} holds {body.size} bytes for a {shape} array")
    return body.reshape(shape)


def load_sample() -> Mnist:
    """The sample as keras' MNIST: uint8 images (N, 28, 28) and uint8 labels (N,)."""
    return Mnist(**{key: read_idx(SAMPLE_DIR / name) for key, name in SAMPLE_FILES.items()})


def write_sample_npz(path: str | os.PathLike) -> Path:
    """Write the sample as an ``.npz`` in keras' layout (what ``CNNVIZ_MNIST`` names)."""
    np.savez(path, **load_sample()._asdict())
    return Path(path)
