"""Kernel-side cost of one live ClusterWidget update, at 10k, 100k and 1M points.

One update is what happens after a training epoch when the picture is refreshed: project the
latent space (m = 10) to 2-D with PCA, align it to the previous frame (Procrustes), normalise,
convert labels and confidence, count cluster sizes, set the traits, serialise them and hand the
message to the comm (here a stand-in that JSON-encodes the message and touches every buffer, as
the kernel would before the socket). Training itself is not included.

    python benchmarks/widget_update.py            # 10k, 100k, 1M
    python benchmarks/widget_update.py --sizes 100000 --repeats 30

Target: median <= 20 ms at 100k points.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

import numpy as np
from sklearn.base import BaseEstimator

from nudgecluster.dec import Progress
from nudgecluster.feedback import Feedback
from nudgecluster.projection import Projector
from nudgecluster.widget import ClusterWidget


class _Comm:
    """What the kernel comm does with a message before the socket: JSON text plus raw buffers."""

    kernel = object()
    comm_id = "benchmark"

    def __init__(self):
        self.bytes_sent = 0

    def send(self, data=None, metadata=None, buffers=None):
        text = json.dumps(data)
        self.bytes_sent = len(text) + sum(memoryview(b).nbytes for b in buffers or [])

    def close(self, *a, **k):
        pass

    def on_msg(self, *a, **k):
        pass

    def on_close(self, *a, **k):
        pass


class _FittedStub(BaseEstimator):
    """Enough of a fitted DEC for the widget to show it (the benchmark skips training)."""

    def __init__(self, embedding, labels, k):
        self.embedding_ = embedding
        self.labels_ = labels
        self.cluster_centers_ = np.stack([embedding[labels == j].mean(0) for j in range(k)])
        self.alpha = 1.0
        self.n_clusters_ = k
        self.epochs = 10
        self.random_state = 0
        self.feedback = Feedback(len(labels), k)

    def fit(self, X):  # noqa: ARG002 - makes it look like an estimator to sklearn's checks
        return self

    def __sklearn_is_fitted__(self):
        return True

    def stop(self):
        pass


def latent_frames(n: int, m: int, k: int, count: int, seed: int = 0):
    """A drifting latent space: k blobs in m dimensions, moving a little every epoch."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(k, m)).astype(np.float32)
    labels = rng.integers(0, k, size=n)
    z = centres[labels] + rng.normal(size=(n, m)).astype(np.float32)
    frames = []
    for _ in range(count):
        drift = rng.normal(scale=0.05, size=(k, m)).astype(np.float32)
        z = z + drift[labels]
        confidence = rng.uniform(1 / k, 1, size=n).astype(np.float32)
        frames.append((z, labels, confidence))
    return frames, labels


def measure(n: int, m: int, k: int, repeats: int) -> dict[str, float]:
    frames, labels = latent_frames(n, m, k, repeats + 2)
    # Projection alone (with alignment and normalisation).
    projector = Projector("pca")
    project_ms = []
    for i, (z, _, _) in enumerate(frames):
        start = time.perf_counter()
        projector(z)
        if i >= 2:
            project_ms.append((time.perf_counter() - start) * 1e3)

    # The whole update through the widget: frame, traits, serialisation, comm.
    features = np.zeros((n, 1), dtype=np.float32)
    stub = _FittedStub(frames[0][0], labels, k)
    widget = ClusterWidget(features, model=stub, max_updates_per_second=1e9)
    assert widget.status == "idle", widget.message  # shown as fitted, nothing running
    comm = _Comm()
    widget.comm = comm
    session = widget._session
    update_ms = []
    for i, (z, lab, conf) in enumerate(frames):
        progress = Progress("refine", i + 1, len(frames), 0.1, 0.01, embedding=z, labels=lab,
                            confidence=conf)
        start = time.perf_counter()
        session._on_progress(progress)
        if i >= 2:
            update_ms.append((time.perf_counter() - start) * 1e3)
    widget.comm = None
    widget.close()
    return {
        "project": statistics.median(project_ms),
        "update": statistics.median(update_ms),
        "update_p90": float(np.percentile(update_ms, 90)),
        "bytes": comm.bytes_sent,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--latent-dim", type=int, default=10)
    parser.add_argument("--clusters", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()

    print(f"ClusterWidget live update, m={args.latent_dim}, k={args.clusters}, "
          f"median of {args.repeats} (numpy {np.__version__}, {platform.machine()}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} before start)")
    print(f"{'points':>10} | {'projection ms':>13} | {'update ms':>9} | {'update p90 ms':>13} | "
          f"{'message MB':>10}")
    print(f"{'-' * 10}-+-{'-' * 13}-+-{'-' * 9}-+-{'-' * 13}-+-{'-' * 10}")
    for n in args.sizes:
        repeats = args.repeats if n <= 100_000 else max(5, args.repeats // 2)
        r = measure(n, args.latent_dim, args.clusters, repeats)
        print(f"{n:>10,} | {r['project']:>13.2f} | {r['update']:>9.2f} | {r['update_p90']:>13.2f} | "
              f"{r['bytes'] / 1e6:>10.2f}")


if __name__ == "__main__":
    main()
