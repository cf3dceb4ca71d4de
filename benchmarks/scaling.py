"""Scaling: seconds per clustering epoch and peak memory from 10,000 to 1,000,000 rows.

The paper's network (d-50-50-20-10) on d = 50 features, 10 clusters, the estimator's defaults
otherwise (batch 64, update_interval 10). Data: a mixture of 10 Gaussians in 50 dimensions.
Each size is fitted in its own process, so its peak memory is its own:

- s/epoch        wall clock of the clustering phase divided by its epochs; this includes the
                 whole-set encode each epoch and the whole-set target distribution every 10
- us/row         the same per row: flat when time is linear in N
- peak RSS       the process's peak resident set size during `fit` (Linux's high-water mark
                 VmHWM, reset just before): Python, torch, the data and all the fit allocated
- fit adds       how far that peak rose above the resident set just before `fit`, which is
                 taken after imports, data loading and a warm-up

At the largest size the fit is run a second time from a read-only np.memmap of the same file
(`np.load(..., mmap_mode="r")`), which the estimator streams in mini-batches without loading it.
Its resident set includes the file pages the kernel keeps cached while they are read; those are
clean and reclaimable, unlike the in-memory copy.

    python benchmarks/scaling.py --quick   # 10k, 30k, 100k rows (~2 min)
    python benchmarks/scaling.py           # 10k, 100k, 1M rows (~10 min on 2 shared cores)

The smaller sizes run three times, spread over the run, and report medians; "median epoch" is
the median over those runs of each run's median epoch, which a burst of background load on a
shared machine moves least. Results also go to benchmarks/results/scaling.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _measure import PeakRSS, warm_up

ROOT = Path(__file__).resolve().parents[1]
D = 50
K = 10


def make_data(n: int, path: Path, seed: int = 0) -> None:
    """A mixture of K Gaussians in D dimensions, written block by block (never all in memory
    as float64)."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=3.0, size=(K, D)).astype(np.float32)
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, D))
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        y = rng.integers(0, K, stop - start)
        out[start:stop] = centers[y] + rng.normal(size=(stop - start, D)).astype(np.float32)
    out.flush()
    del out


def run_child(path: str, streamed: bool, epochs: int, threads: int, n_init: int) -> dict:
    import torch

    torch.set_num_threads(threads)
    import nudgecluster as nc

    X = np.load(path, mmap_mode="r") if streamed else np.load(path)
    warm_up(torch, X)
    stamps = {"pretrain": [], "cluster": []}
    starts = {}
    for name in ("_pretrain", "_cluster"):
        original = getattr(nc.DEC, name)

        def timed(self, *a, _original=original, _name=name, **k):
            starts[_name] = time.perf_counter()
            return _original(self, *a, **k)

        setattr(nc.DEC, name, timed)
    model = nc.DEC(K, architecture="paper", pretrain_epochs=1, epochs=epochs, tol=0.0,
                   n_init=n_init, random_state=0)
    start = time.perf_counter()
    with PeakRSS() as memory:
        model.fit(X, callback=lambda p: stamps[p.phase].append(time.perf_counter()))
    fit_s = time.perf_counter() - start
    return {
        "n": int(X.shape[0]), "streamed": streamed, "epochs": len(stamps["cluster"]),
        "cluster_s_per_epoch": (stamps["cluster"][-1] - starts["_cluster"])
        / len(stamps["cluster"]),
        "cluster_epoch_s": np.diff([starts["_cluster"], *stamps["cluster"]]).tolist(),
        "pretrain_s_per_epoch": (stamps["pretrain"][-1] - starts["_pretrain"])
        / len(stamps["pretrain"]),
        "fit_s": fit_s,
        "peak_rss_bytes": memory.peak,
        "fit_rss_delta_bytes": memory.added,
        "data_bytes": int(X.nbytes),
    }


def spawn(path: Path, streamed: bool, epochs: int, args) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads),
               PYTHONPATH=str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    command = [sys.executable, __file__, "--child", str(path), "--epochs", str(epochs),
               "--threads", str(args.threads), "--n-init", str(args.n_init)]
    if streamed:
        command.append("--streamed")
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
        raise SystemExit(f"fit on {path.name} failed (exit {done.returncode})")
    run = json.loads(done.stdout.strip().splitlines()[-1])
    mode = "memmap" if streamed else "in memory"
    print(f"  {run['n']:>9,} rows {mode:9s}  {run['cluster_s_per_epoch']:7.2f} s/epoch  "
          f"peak RSS {run['peak_rss_bytes'] / 2**20:6.0f} MiB  fit adds "
          f"{run['fit_rss_delta_bytes'] / 2**20:5.0f} MiB", flush=True)
    return run


def epochs_for(n: int) -> int:
    """Enough epochs that small sizes are timed over a second or more, at least 3."""
    return int(min(20, max(3, 2_000_000 // n)))


def machine(threads: int) -> dict:
    import platform

    import torch

    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "torch": torch.__version__, "threads": threads}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k, 30k and 100k rows")
    parser.add_argument("--sizes", type=int, nargs="+")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--n-init", type=int, default=3,
                        help="k-means restarts for the initial centroids (not timed per epoch)")
    parser.add_argument("--no-memmap", action="store_true", help="skip the streamed run")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--streamed", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--epochs", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(args.child, args.streamed, args.epochs, args.threads,
                                   args.n_init)))
        return

    sizes = sorted(args.sizes or ([10_000, 30_000, 100_000] if args.quick
                                  else [10_000, 100_000, 1_000_000]))
    largest, smaller = sizes[-1], sizes[:-1]
    print(f"d={D}, k={K}, paper network, batch 64, {args.threads} thread(s); sizes {sizes}",
          flush=True)
    started = time.perf_counter()
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for n in sizes:
            paths[n] = Path(tmp) / f"gauss_{n}x{D}.npy"
            make_data(n, paths[n])
        # The smaller sizes run three times - before, between and after the two runs of the
        # largest - so that a change in the machine's background load is seen at every size.
        for n in smaller:
            runs.append(spawn(paths[n], False, epochs_for(n), args))
        runs.append(spawn(paths[largest], False, epochs_for(largest), args))
        for n in smaller[::-1]:
            runs.append(spawn(paths[n], False, epochs_for(n), args))
        if not args.no_memmap:
            runs.append(spawn(paths[largest], True, epochs_for(largest), args))
        for n in smaller:
            runs.append(spawn(paths[n], False, epochs_for(n), args))

    table = []
    for n in sizes:
        mine = [r for r in runs if r["n"] == n and not r["streamed"]]
        table.append({
            "n": n, "streamed": False, "runs": len(mine), "epochs": mine[0]["epochs"],
            "cluster_s_per_epoch": statistics.median(r["cluster_s_per_epoch"] for r in mine),
            "median_epoch_s": statistics.median(statistics.median(r["cluster_epoch_s"])
                                                for r in mine),
            "pretrain_s_per_epoch": statistics.median(r["pretrain_s_per_epoch"] for r in mine),
            "peak_rss_mib": max(r["peak_rss_bytes"] for r in mine) / 2**20,
            "fit_adds_mib": max(r["fit_rss_delta_bytes"] for r in mine) / 2**20,
            "data_mib": mine[0]["data_bytes"] / 2**20,
        })
    for r in runs:
        if r["streamed"]:
            table.append({
                "n": r["n"], "streamed": True, "runs": 1, "epochs": r["epochs"],
                "cluster_s_per_epoch": r["cluster_s_per_epoch"],
                "median_epoch_s": statistics.median(r["cluster_epoch_s"]),
                "pretrain_s_per_epoch": r["pretrain_s_per_epoch"],
                "peak_rss_mib": r["peak_rss_bytes"] / 2**20,
                "fit_adds_mib": r["fit_rss_delta_bytes"] / 2**20,
                "data_mib": r["data_bytes"] / 2**20,
            })
    in_memory = [row for row in table if not row["streamed"]]
    per_row = [row["cluster_s_per_epoch"] / row["n"] * 1e6 for row in in_memory]
    spread = max(per_row) / min(per_row)
    per_row_median = [row["median_epoch_s"] / row["n"] * 1e6 for row in in_memory]
    spread_median = max(per_row_median) / min(per_row_median)

    print("\n| rows | data | s/epoch | us/row | median epoch s | pretrain s/epoch "
          "| peak RSS MiB | fit adds MiB |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in table:
        source = "memmap" if row["streamed"] else "in memory"
        print(f"| {row['n']:,} | {source} | {row['cluster_s_per_epoch']:.2f} | "
              f"{row['cluster_s_per_epoch'] / row['n'] * 1e6:.1f} | "
              f"{row['median_epoch_s']:.2f} | "
              f"{row['pretrain_s_per_epoch']:.2f} | {row['peak_rss_mib']:.0f} | "
              f"{row['fit_adds_mib']:.0f} |")
    wall = time.perf_counter() - started
    print(f"\nseconds per epoch per row, largest / smallest over sizes: {spread:.2f} "
          f"(median epochs: {spread_median:.2f}; linear within 30% when <= 1.30)   "
          f"({wall:.0f} s in all)")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / ("scaling-quick.json" if args.quick else "scaling.json")).write_text(json.dumps(
        {"machine": machine(args.threads), "table": table, "runs": runs,
         "per_row_spread": spread, "per_row_spread_median_epoch": spread_median,
         "wall_s": wall}, indent=1))


if __name__ == "__main__":
    main()
