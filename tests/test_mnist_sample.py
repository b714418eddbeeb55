"""The MNIST sample the tests fall back on (bench/support/mnist_sample.py): MNIST's first images."""

import gzip

import numpy as np
import pytest

from bench.support import mnist_sample
from cnnviz import data


def test_the_sample_reads_as_a_small_mnist():
    sample = mnist_sample.load_sample()
    assert [array.shape for array in sample] == [(2048, 28, 28), (2048,), (1000, 28, 28), (1000,)]
    assert all(array.dtype == np.uint8 for array in sample)
    assert set(np.unique(sample.y_train)) == set(range(10)) == set(np.unique(sample.y_test))
    assert sample.x_test.max() == 255 and sample.x_test.min() == 0


def test_the_sample_npz_is_what_the_app_reads(tmp_path):
    path = mnist_sample.write_sample_npz(tmp_path / "mnist.npz")
    read = data.read_mnist_npz(path)
    for ours, theirs in zip(read, mnist_sample.load_sample(), strict=True):
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.full_mnist
def test_the_sample_is_the_start_of_the_real_mnist():
    full, sample = data.load_mnist(allow_download=False), mnist_sample.load_sample()
    for name in data.MNIST_KEYS:
        part = getattr(sample, name)
        np.testing.assert_array_equal(part, getattr(full, name)[: len(part)], err_msg=name)


def test_read_idx_refuses_what_is_not_an_idx_file_of_bytes(tmp_path):
    floats = tmp_path / "floats.gz"  # magic 0x0D03: three axes of float32
    floats.write_bytes(gzip.compress(bytes([0, 0, 0x0D, 3]) + bytes(12)))
    with pytest.raises(ValueError, match="not an IDX file of unsigned bytes"):
        mnist_sample.read_idx(floats)
    short = tmp_path / "short.gz"  # the header promises 2 × 2 bytes, the body has 3
    short.write_bytes(gzip.compress(bytes([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3])))
    with pytest.raises(ValueError, match="holds 3 bytes for a"):
        mnist_sample.read_idx(short)
