"""Training scales with the data: nothing holds n x n, and a memory-mapped X is streamed.

benchmarks/scaling.py measures time and memory up to a million rows; these tests guard the
properties that make that possible, on data small enough to run in seconds.
"""

import tracemalloc

import numpy as np
import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

import nudgecluster as nc


def _blobs(n, d, k=3, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=4.0, size=(k, d))
    y = rng.integers(0, k, n)
    return (centers[y] + rng.normal(size=(n, d))).astype(np.float32), y


class _LargestTensor(TorchDispatchMode):
    """Records the most elements any torch operation produces (forward, backward, optimizer)."""

    def __init__(self):
        super().__init__()
        self.largest = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in out if isinstance(out, (tuple, list)) else (out,):
            if isinstance(t, torch.Tensor):
                self.largest = max(self.largest, t.numel())
        return out


def test_fit_and_refine_never_hold_an_n_by_n_array():
    n, d = 2000, 8
    X, _ = _blobs(n, d)
    model = nc.DEC(3, pretrain_epochs=1, epochs=2, update_interval=1, batch_size=256,
                   n_init=1, random_state=0)
    with _LargestTensor():  # first use imports and compiles code: keep that out of the count
        nc.DEC(3, pretrain_epochs=1, epochs=1, n_init=1, random_state=0).fit(X[:100])
    tracemalloc.start()
    try:
        with _LargestTensor() as torch_ops:
            model.fit(X)
            model.feedback.include([0, 1], cluster=2)
            model.refine(epochs=2)
        _, numpy_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Q, P and the embedding are n x k / n x m; an n x n matrix would be 4,000,000 entries.
    assert torch_ops.largest <= n * 64, torch_ops.largest
    assert numpy_peak < n * n, numpy_peak  # an n x n float32 array alone is 4 * n * n bytes
    assert model.labels_.shape == (n,)


def test_encoding_a_wide_network_works_in_bounded_chunks():
    """The whole-set encode (labels, P) goes through the widest layer a block of rows at a time."""
    n = 6000
    X, _ = _blobs(n, 16)
    model = nc.DEC(3, architecture=(64, 2000), pretrain_epochs=0, epochs=0, n_init=1,
                   random_state=0).fit(X)
    with _LargestTensor() as torch_ops:
        z = model.transform(X)
    assert z.shape == (n, 3)
    assert torch_ops.largest < n * 2000  # the 2000-wide layer never sees all rows at once
    np.testing.assert_allclose(z, model.embedding_, rtol=1e-5, atol=1e-5)


class _CountingMemmap(np.memmap):
    """A memmap that records how many rows each read through indexing asks for."""

    reads: list

    def __getitem__(self, key):
        out = super().__getitem__(key)
        if isinstance(out, np.ndarray) and out.ndim == 2 and type(self).reads is not None:
            type(self).reads.append(out.shape[0])
        return out


def _memmap(tmp_path, X, dtype):
    path = tmp_path / "X.dat"
    disk = np.memmap(path, dtype=dtype, mode="w+", shape=X.shape)
    disk[:] = X
    disk.flush()
    del disk
    return np.memmap(path, dtype=dtype, mode="r", shape=X.shape)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fit_streams_a_memmap_and_learns_what_it_learns_in_memory(tmp_path, dtype):
    X, y = _blobs(1500, 6)
    params = dict(pretrain_epochs=2, epochs=3, batch_size=128, n_init=2, random_state=0)
    in_memory = nc.DEC(3, **params).fit(X.astype(dtype))

    mapped = _memmap(tmp_path, X, dtype).view(_CountingMemmap)
    _CountingMemmap.reads = []
    try:
        streamed = nc.DEC(3, **params).fit(mapped)
        reads = list(_CountingMemmap.reads)
    finally:
        _CountingMemmap.reads = None

    # Every mini-batch of every epoch is read from the file (5 epochs of 11 full batches).
    assert reads, "fit never read from the memory map: it was converted to an in-memory array"
    assert reads.count(128) >= 5 * (len(X) // 128)
    # Same batches in the same order: streaming changes where rows come from, not the result.
    np.testing.assert_array_equal(streamed.labels_, in_memory.labels_)
    np.testing.assert_allclose(streamed.cluster_centers_, in_memory.cluster_centers_,
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(streamed.transform(mapped), streamed.embedding_,
                               rtol=1e-5, atol=1e-5)
    assert nc.metrics.cluster_accuracy(y, streamed.labels_) > 0.9


def test_memmap_with_nan_names_the_row(tmp_path):
    X, _ = _blobs(300, 4)
    X[123, 2] = np.nan
    mapped = _memmap(tmp_path, X, np.float32)
    with pytest.raises(ValueError, match=r"row\(s\) 123"):
        nc.DEC(3, pretrain_epochs=0, epochs=0).fit(mapped)
