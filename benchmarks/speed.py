"""Speed against a peer: our DEC and ClustPy's DEC, side by side, on the same data and settings.

Both run the original DEC network d-500-500-2000-10 with ReLU (ClustPy's default activation is
LeakyReLU; we ask it for ReLU), Adam with learning rate 1e-3 for pretraining and clustering,
the same batch size, the same epochs, the same torch thread count (one by default: on a shared
machine a second thread mostly waits for the scheduler), k-means with n_init=10 for the initial
centroids, and the same seed. Measured per fit:

- pretraining seconds per epoch    autoencoder pretraining, wall clock, epoch by epoch
- clustering seconds per epoch     the DEC phase, wall clock. Ours includes what our estimator
                                   does every epoch and ClustPy does not: the initial encode, the
                                   whole-set target distribution every `update_interval` epochs
                                   and whatever the labels / progress of each epoch cost
- peak memory                      how far the fitting process's resident set rose above its
                                   level just before `fit` (after imports, data loading and a
                                   warm-up), from Linux's high-water mark VmHWM, reset at that
                                   point. RSS is what the OS really holds, torch's allocator
                                   included (tracemalloc sees no torch allocation)
- ACC                              Hungarian-matched accuracy (nudgecluster.metrics) of the DEC
                                   labels; for ClustPy `dec_labels_` (its `labels_` come from an
                                   extra k-means on the final embedding, reported as ACC-km)

Three fits per data set: ours at its defaults (float32), ours in mixed precision
(`precision="bfloat16"`, where the matrix products run in bfloat16) and ClustPy's (float32; it
has no such option). Each fit runs in its own process (so peak memory is per fit). The processes
of a round take turns epoch by epoch - only one computes at a time, and each stops its clock
while it waits - so all meet the same background load on a shared machine; which one starts
rotates from round to round, and the figures are medians over rounds.

Data: `digits` - scikit-learn's 8x8 digits (1797 x 64, scaled to [0, 1]) tiled to 70,000 rows
with fresh Gaussian noise (sd 0.1) on every copy; `synth784` - 70,000 x 784, a mixture of 10
Gaussians in 16 dimensions pushed through a fixed random tanh layer and a sigmoid (an MNIST-sized
stand-in). Both are standardised per feature; k-means on the raw features reaches about 0.70 ACC
on either.

    python benchmarks/speed.py --quick     # 4,000 rows, 2 + 4 epochs, one round per data set
    python benchmarks/speed.py             # 70,000 rows, 4 + 12 epochs, one round per data set

The last line printed is `ratio_vs_clustpy=<ours / ClustPy seconds per clustering epoch>`, the
geometric mean over the data sets, for our defaults (float32 like ClustPy); the line before it
gives the same for mixed precision, `ratio_vs_clustpy_bf16=`. Every epoch of every fit also goes to
benchmarks/results/speed.json (speed-quick.json with --quick).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _measure import PeakRSS, warm_up

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ("digits", "synth784")
#: nudgecluster at its defaults (float32), in mixed precision (precision="bfloat16"), ClustPy.
METHODS = ("nudgecluster", "nudgecluster-bf16", "clustpy")
LAYERS = (500, 500, 2000)
LATENT = 10


# ---------------------------------------------------------------------------- data
def standardize(X: np.ndarray) -> np.ndarray:
    """Zero mean, unit variance per feature, in place (an autoencoder on raw [0, 1] features with
    a large common mean spends its first epochs learning that mean and embeds everything alike)."""
    X -= X.mean(0, dtype=np.float64).astype(np.float32)
    X /= X.std(0, dtype=np.float64).astype(np.float32)
    return X


def make_digits(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    rng = np.random.default_rng(seed)
    pick = rng.permutation(np.arange(n) % len(digits.target))
    X = (digits.data[pick] / 16.0).astype(np.float32)
    X += rng.normal(0.0, 0.1, size=X.shape).astype(np.float32)
    return standardize(X), digits.target[pick].astype(np.int64)


def make_synth784(n: int, seed: int, separation: float = 0.65) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    latent, hidden, d = 16, 256, 784
    centers = rng.normal(size=(10, latent)).astype(np.float32) * separation
    w1 = (rng.normal(size=(latent, hidden)) / np.sqrt(latent)).astype(np.float32)
    w2 = (rng.normal(size=(hidden, d)) * 2.0 / np.sqrt(hidden)).astype(np.float32)
    y = rng.integers(0, 10, n)
    X = np.empty((n, d), dtype=np.float32)
    for start in range(0, n, 10_000):
        stop = min(n, start + 10_000)
        z = centers[y[start:stop]] + rng.normal(size=(stop - start, latent)).astype(np.float32)
        X[start:stop] = 1.0 / (1.0 + np.exp(-(np.tanh(z @ w1) @ w2)))
        X[start:stop] += rng.normal(0.0, 0.05, size=(stop - start, d)).astype(np.float32)
    return standardize(X), y.astype(np.int64)


MAKERS = {"digits": make_digits, "synth784": make_synth784}


# ---------------------------------------------------------------------------- one fit (child)
class Baton:
    """Turn-taking between the fitting processes of one data set: only the holder computes.

    The processes sit on a ring. Each passes the baton to the next unfinished one at every
    epoch boundary and waits to get it back, so the libraries run epoch for epoch in turn and
    meet the same background load; the clock is stopped while a process waits. Only the holder
    passes or finishes, so exactly one process computes at any time.
    """

    def __init__(self, turns, done, me: int, first: bool):
        self.first = first
        self._turns, self._done, self._me = turns, done, me

    def _next(self):
        n = len(self._turns)
        for step in range(1, n):
            other = (self._me + step) % n
            if not self._done[other].is_set():
                return other
        return None

    def take(self) -> None:
        self._turns[self._me].acquire()

    def pass_and_wait(self) -> None:
        other = self._next()
        if other is None:
            return
        self._turns[other].release()
        self._turns[self._me].acquire()

    def finish(self) -> None:
        self._done[self._me].set()
        other = self._next()
        if other is not None:
            self._turns[other].release()


class EpochTimes:
    """Wall-clock seconds of each epoch, per phase, excluding time spent waiting for the baton;
    also the process's own (non-waiting) time since the end of pretraining."""

    def __init__(self, baton: Baton):
        self.baton = baton
        self.seconds: dict[str, list[float]] = {"pretrain": [], "cluster": []}
        self._start = None
        self._waited = 0.0
        self._pretrain_end = None

    def start(self) -> None:
        self._start = time.perf_counter()

    def end_epoch(self, phase: str) -> None:
        now = time.perf_counter()
        self.seconds[phase].append(now - self._start)
        if phase == "pretrain":
            self._pretrain_end = (now, self._waited)
        self.baton.pass_and_wait()
        self._start = time.perf_counter()
        self._waited += self._start - now

    def since_pretraining(self) -> float:
        """Own seconds from the last pretraining epoch to now: k-means initialisation, the
        clustering epochs and whatever the library does to produce its final labels."""
        end, waited = self._pretrain_end
        return (time.perf_counter() - end) - (self._waited - waited)


class _ClustpyEpochs:
    """Stands in for the `tqdm` module inside ClustPy: its `trange` yields epoch numbers and
    stamps each epoch (ClustPy's loops are `for _ in tqdm.trange(n_epochs)`)."""

    def __init__(self, clock: EpochTimes, phase: str):
        self._clock, self._phase = clock, phase

    def trange(self, n, *args, **kwargs):
        return _ClockedRange(n, self._clock, self._phase)


class _ClockedRange:
    def __init__(self, n: int, clock: EpochTimes, phase: str):
        self._n, self._clock, self._phase = n, clock, phase

    def __iter__(self):
        self._clock.start()
        for i in range(self._n):
            yield i
            self._clock.end_epoch(self._phase)

    def set_postfix(self, *args, **kwargs):
        pass


def _fit_ours(X, settings, clock: EpochTimes):
    import nudgecluster as nc

    for name in ("_pretrain", "_cluster"):
        original = getattr(nc.DEC, name)

        def timed(self, *a, _original=original, **k):
            clock.start()
            return _original(self, *a, **k)

        setattr(nc.DEC, name, timed)

    model = nc.DEC(settings["n_clusters"], architecture="dec",
                   pretrain_epochs=settings["pretrain_epochs"], epochs=settings["epochs"],
                   batch_size=settings["batch_size"], learning_rate=1e-3, tol=0.0, n_init=10,
                   random_state=settings["seed"], precision=settings.get("precision", "float32"))
    model.fit(X, callback=lambda progress: clock.end_epoch(progress.phase))
    return model.labels_, None


def _fit_clustpy(X, settings, clock: EpochTimes):
    import clustpy.deep.dec as clustpy_dec
    import clustpy.deep.neural_networks._abstract_neural_network as clustpy_nn
    import torch
    from clustpy.deep import DEC
    from clustpy.deep.neural_networks import FeedforwardAutoencoder

    clustpy_nn.tqdm = _ClustpyEpochs(clock, "pretrain")
    clustpy_dec.tqdm = _ClustpyEpochs(clock, "cluster")
    network = (FeedforwardAutoencoder, {"layers": [X.shape[1], *LAYERS, LATENT],
                                        "activation_fn": torch.nn.ReLU})
    model = DEC(settings["n_clusters"], batch_size=settings["batch_size"],
                pretrain_epochs=settings["pretrain_epochs"],
                clustering_epochs=settings["epochs"], pretrain_optimizer_params={"lr": 1e-3},
                clustering_optimizer_params={"lr": 1e-3}, neural_network=network,
                embedding_size=LATENT, initial_clustering_params={"n_init": 10}, device="cpu",
                random_state=settings["seed"])
    model.fit(X)
    return model.dec_labels_, model.labels_


def run_child(method, dataset, data_dir, settings, baton: Baton, results) -> None:
    """One fit in its own process (spawned): own peak RSS, own torch state."""
    import contextlib
    import io
    import warnings

    import torch

    torch.set_num_threads(settings["threads"])
    import clustpy.deep  # noqa: F401  both sides pay the same imports before the baseline

    import nudgecluster as nc

    try:
        data = np.load(Path(data_dir) / f"{dataset}.npz")
        X, y = data["X"], data["y"]
        warm_up(torch, X)
        baton.take()
        clock = EpochTimes(baton)
        fit = _fit_clustpy if method == "clustpy" else _fit_ours
        if method == "nudgecluster-bf16":
            settings = dict(settings, precision="bfloat16")
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings(), \
                PeakRSS() as memory:
            warnings.simplefilter("ignore")
            labels, km_labels = fit(X, settings, clock)
        after_pretraining = clock.since_pretraining()
        total = time.perf_counter() - start
        peak = memory.added
        results.put({
            "method": method, "dataset": dataset, "n": int(X.shape[0]), "d": int(X.shape[1]),
            "seed": settings["seed"], "first": baton.first,
            "pretrain_epoch_s": clock.seconds["pretrain"],
            "cluster_epoch_s": clock.seconds["cluster"],
            "fit_s": total,
            "after_pretraining_s": after_pretraining,
            "peak_rss_delta_bytes": peak,
            "acc": nc.metrics.cluster_accuracy(y, labels),
            "acc_kmeans_relabel": (None if km_labels is None
                                   else nc.metrics.cluster_accuracy(y, km_labels)),
        })
    except BaseException as error:
        results.put({"method": method, "error": repr(error)})
        raise
    finally:
        baton.finish()


# ---------------------------------------------------------------------------- driver (parent)
def run_round(dataset: str, data_dir: str, settings: dict, first: str) -> list[dict]:
    """Fit every method on one data set, each in its own process, taking turns epoch by epoch."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    turns = [ctx.Semaphore(1 if m == first else 0) for m in METHODS]
    done = [ctx.Event() for _ in METHODS]
    results = ctx.Queue()
    processes = [
        ctx.Process(target=run_child, args=(
            m, dataset, data_dir, settings, Baton(turns, done, i, m == first), results))
        for i, m in enumerate(METHODS)
    ]
    for process in processes:
        process.start()
    runs = [results.get() for _ in processes]
    for process in processes:
        process.join()
    failed = [r for r in runs if "error" in r]
    if failed:
        raise SystemExit(f"{dataset}: {failed}")
    return runs


def summarise(runs: list[dict]) -> dict:
    def per_epoch(run, phase):
        seconds = run[f"{phase}_epoch_s"]
        return sum(seconds) / max(len(seconds), 1)

    return {
        "pretrain_s_per_epoch": statistics.median(per_epoch(r, "pretrain") for r in runs),
        "cluster_s_per_epoch": statistics.median(per_epoch(r, "cluster") for r in runs),
        "cluster_median_epoch_s": statistics.median(
            s for r in runs for s in r["cluster_epoch_s"]),
        "after_pretraining_s_per_epoch": statistics.median(
            r["after_pretraining_s"] / len(r["cluster_epoch_s"]) for r in runs),
        "peak_mib": statistics.median(r["peak_rss_delta_bytes"] for r in runs) / 2**20,
        "acc": statistics.median(r["acc"] for r in runs),
        "acc_kmeans_relabel": (None if runs[0]["acc_kmeans_relabel"] is None else
                               statistics.median(r["acc_kmeans_relabel"] for r in runs)),
        "runs": len(runs),
    }


def machine() -> dict:
    import platform

    import torch

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "torch": torch.__version__}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="4,000 rows per data set, 2 + 4 epochs, one round per data set")
    parser.add_argument("--n", type=int, help="rows per data set (default 70,000)")
    parser.add_argument("--datasets", nargs="+", choices=DATASETS, default=list(DATASETS))
    parser.add_argument("--pretrain-epochs", type=int)
    parser.add_argument("--epochs", type=int, help="clustering epochs")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--reps", type=int, help="interleaved rounds of fits per data set")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-clusters", type=int, default=10)
    args = parser.parse_args()

    n = args.n or (4_000 if args.quick else 70_000)
    settings = {
        "n": n, "batch_size": args.batch_size, "threads": args.threads, "seed": args.seed,
        "pretrain_epochs": args.pretrain_epochs or (2 if args.quick else 4),
        "epochs": args.epochs or (4 if args.quick else 12),
        "reps": args.reps or 1, "n_clusters": args.n_clusters,
    }
    # Children inherit these: k-means and any OpenMP region outside torch use the same threads.
    os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = str(args.threads)
    os.environ["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")
    sys.path.insert(0, str(ROOT / "src"))
    print(f"{n} rows, batch {settings['batch_size']}, {settings['pretrain_epochs']} pretraining + "
          f"{settings['epochs']} clustering epochs, {args.threads} threads, "
          f"{settings['reps']} interleaved round(s) per data set", flush=True)
    results: dict = {"settings": settings, "machine": machine(), "runs": [], "summary": {}}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as data_dir:
        for dataset in args.datasets:
            X, y = MAKERS[dataset](n, args.seed)
            np.savez(Path(data_dir) / f"{dataset}.npz", X=X, y=y)
            del X, y
        for dataset in args.datasets:
            for rep in range(settings["reps"]):
                first = METHODS[rep % len(METHODS)]
                runs = run_round(dataset, data_dir, dict(settings, seed=args.seed + rep), first)
                for run in sorted(runs, key=lambda r: METHODS.index(r["method"])):
                    results["runs"].append(run)
                    pre, clu = run["pretrain_epoch_s"], run["cluster_epoch_s"]
                    print(f"  {dataset:9s} {run['method']:13s} pretrain "
                          f"{sum(pre) / len(pre):6.2f} s/epoch  cluster "
                          f"{sum(clu) / len(clu):6.2f} s/epoch  peak "
                          f"{run['peak_rss_delta_bytes'] / 2**20:7.0f} MiB  "
                          f"ACC {run['acc']:.3f}", flush=True)

    print("\n| data | library | pretrain s/epoch | cluster s/epoch | median epoch s "
          "| after pretraining s/epoch | peak MiB | ACC | ACC-km |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for dataset in args.datasets:
        summary = {}
        for method in METHODS:
            runs = [r for r in results["runs"]
                    if r["dataset"] == dataset and r["method"] == method]
            summary[method] = s = summarise(runs)
            km = "" if s["acc_kmeans_relabel"] is None else f"{s['acc_kmeans_relabel']:.3f}"
            print(f"| {dataset} {n}x{runs[0]['d']} | {method} | {s['pretrain_s_per_epoch']:.2f} "
                  f"| {s['cluster_s_per_epoch']:.2f} | {s['cluster_median_epoch_s']:.2f} "
                  f"| {s['after_pretraining_s_per_epoch']:.2f} | {s['peak_mib']:.0f} "
                  f"| {s['acc']:.3f} | {km} |")
        theirs = summary["clustpy"]["cluster_s_per_epoch"]
        summary["ratio"] = summary["nudgecluster"]["cluster_s_per_epoch"] / theirs
        summary["ratio_bf16"] = summary["nudgecluster-bf16"]["cluster_s_per_epoch"] / theirs
        results["summary"][dataset] = summary
    geomean = {key: float(np.exp(np.mean([np.log(results["summary"][d][key])
                                          for d in args.datasets])))
               for key in ("ratio", "ratio_bf16")}
    overall = results["ratio_vs_clustpy"] = geomean["ratio"]
    results["ratio_vs_clustpy_bf16"] = geomean["ratio_bf16"]
    results["wall_s"] = time.perf_counter() - started
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / ("speed-quick.json" if args.quick else "speed.json")).write_text(
        json.dumps(results, indent=1))
    for key, label in (("ratio_bf16", "ours in bfloat16"), ("ratio", "ours")):
        print(f"\nclustering s/epoch, {label} / ClustPy: "
              + ", ".join(f"{d} {results['summary'][d][key]:.3f}" for d in args.datasets), end="")
    print(f"   ({results['wall_s']:.0f} s in all)")
    print(f"ratio_vs_clustpy_bf16={geomean['ratio_bf16']:.3f}")
    print(f"ratio_vs_clustpy={overall:.3f}")


if __name__ == "__main__":
    main()
