"""The experiments of Dudarin & Yarushkina (2020), re-run with this package.

Section 5.1, one-hot vectors (4 groups x 125, U[0, 0.1] noise) in 2 clusters, from one first
clustering: (1) X1 into the other cluster, (2) X2 out of its cluster, (3) X1 and X2 swapped,
(4) x10 noise (U[0, 1]) with the two first wrongly placed points corrected. Section 5.2, Iris x4
(600 rows, 3 clusters): errors after the first clustering and after feedback on two wrongly
clustered points, chosen at random (seeded) like the paper's items 7 and 50.

Used by `benchmarks/paper.py` and `nudgecluster reproduce`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from .datasets import iris_augmented, paper_onehot
from .dec import DEC
from .metrics import cluster_accuracy, cluster_mapping

REFINE_EPOCHS = 100  # the paper: "Result of 100 epochs of clustering"


@dataclass
class Outcome:
    """One experiment on one seed."""

    experiment: str
    mode: str
    seed: int
    moved: bool  # did every named point end where it was told?
    group_share: float  # share of the named points' classes that followed them
    collateral: float  # share of the other classes' points that changed cluster
    errors_before: int | None = None
    errors_after: int | None = None
    acc_before: float | None = None
    acc_after: float | None = None


def _follow(labels_before, labels_after, y, named: dict[int, int | None], excluded=None):
    """Moved / group share / collateral for points told to go to a cluster (or out of one)."""
    moved, shares = [], []
    for i, target in named.items():
        cls = y == y[i]
        if target is None:  # "out of its cluster"
            moved.append(labels_after[i] != excluded[i])
            shares.append(np.mean(labels_after[cls] != excluded[i]))
        else:
            moved.append(labels_after[i] == target)
            shares.append(np.mean(labels_after[cls] == target))
    others = ~np.isin(y, [y[i] for i in named])
    collateral = float(np.mean(labels_after[others] != labels_before[others])) if others.any() \
        else 0.0
    return bool(all(moved)), float(np.mean(shares)), collateral


def _errors(y, labels) -> int:
    """Points outside the cluster that most of their class sits in (the paper's error count)."""
    mapping = cluster_mapping(y, labels)
    predicted = np.array([mapping.get(label, -1) for label in labels])
    return int(np.sum(predicted != y))


def onehot_experiments(seed: int, mode: str, epochs: int = REFINE_EPOCHS) -> list[Outcome]:
    X, y = paper_onehot(noise=0.1, random_state=seed)
    base = DEC(2, random_state=seed, feedback_mode=mode).fit(X)
    start = base.labels_.copy()
    out = []

    # (1) "X1 should be included in C1": into the cluster it is not in.
    m = copy.deepcopy(base)
    target = 1 - start[1]
    m.feedback.include([1], cluster=target)
    m.refine(epochs)
    out.append(Outcome("X1 into C1", mode, seed, *_follow(start, m.labels_, y, {1: target})))

    # (2) "X2 should be moved out of C1": out of the cluster it is in.
    m = copy.deepcopy(base)
    m.feedback.exclude([2], cluster=start[2])
    m.refine(epochs)
    out.append(Outcome("X2 out of C1", mode, seed,
                       *_follow(start, m.labels_, y, {2: None}, excluded=start)))

    # (3) swap X1 and X2; if the first clustering put them together, swap X1 with the first of
    # X0..X3 that sits in the other cluster (the paper's X1 and X2 were apart).
    partner = 2 if start[2] != start[1] else next(
        (j for j in range(4) if start[j] != start[1]), 2)
    m = copy.deepcopy(base)
    m.feedback.include([1], cluster=start[partner])
    m.feedback.include([partner], cluster=start[1])
    m.refine(epochs)
    out.append(Outcome(f"swap X1/X{partner}", mode, seed,
                       *_follow(start, m.labels_, y, {1: start[partner], partner: start[1]})))

    # (4) x10 noise: the two first points outside their class's majority cluster are corrected.
    X, y = paper_onehot(noise=1.0, random_state=seed)
    m = DEC(2, random_state=seed, feedback_mode=mode).fit(X)
    start = m.labels_.copy()
    home = {c: np.bincount(start[y == c], minlength=2).argmax() for c in range(4)}
    wrong = [i for i in range(len(y)) if start[i] != home[y[i]]][:2]
    before = sum(int(start[i] != home[y[i]]) for i in range(len(y)))
    for i in wrong:
        m.feedback.include([i], cluster=home[y[i]])
    m.refine(epochs)
    after = sum(int(m.labels_[i] != home[y[i]]) for i in range(len(y)))
    moved, share, collateral = _follow(start, m.labels_, y, {i: home[y[i]] for i in wrong}) \
        if wrong else (True, 1.0, 0.0)
    out.append(Outcome("x10 noise, 2 corrections", mode, seed, moved, share, collateral,
                       errors_before=before, errors_after=after))
    return out


def iris_experiment(seed: int, mode: str, epochs: int = REFINE_EPOCHS) -> Outcome:
    X, y = iris_augmented(random_state=seed)
    m = DEC(3, random_state=seed, feedback_mode=mode).fit(X)
    start = m.labels_.copy()
    mapping = cluster_mapping(y, start)
    cluster_of = {cls: c for c, cls in mapping.items()}
    wrong = np.flatnonzero(np.array([mapping.get(label, -1) for label in start]) != y)
    picks = np.random.default_rng(seed).choice(wrong, size=min(2, len(wrong)), replace=False)
    for i in picks:
        m.feedback.include([int(i)], cluster=cluster_of[y[i]])
    m.refine(epochs)
    named = {int(i): cluster_of[y[i]] for i in picks}
    moved, share, collateral = _follow(start, m.labels_, y, named) if named else (True, 1.0, 0.0)
    return Outcome("Iris x4, 2 points", mode, seed, moved, share, collateral,
                   errors_before=_errors(y, start), errors_after=_errors(y, m.labels_),
                   acc_before=cluster_accuracy(y, start), acc_after=cluster_accuracy(y, m.labels_))


def run(seeds=range(5), modes=("paper", "robust"), epochs: int = REFINE_EPOCHS,
        progress=None) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for mode in modes:
        for seed in seeds:
            outcomes += onehot_experiments(seed, mode, epochs)
            outcomes.append(iris_experiment(seed, mode, epochs))
            if progress:
                progress(mode, seed)
    return outcomes


PAPER_REPORTS = {
    "X1 into C1": "moved, whole class followed",
    "X2 out of C1": "moved, whole class followed (slower)",
    "swap X1/X2": "both moved, both classes followed",
    "x10 noise, 2 corrections": "only the wrong points moved",
    "Iris x4, 2 points": "26 -> 10 errors, ACC 0.983",
}


def table(outcomes: list[Outcome]) -> str:
    """One markdown table: medians over seeds per experiment and mode."""
    rows = ["| experiment | mode | seeds | named points moved | share of their classes that "
            "followed (median) | other points changed (median) | errors before -> after (median) "
            "| ACC before -> after (median) | paper reports |",
            "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    keys = []
    for o in outcomes:
        key = ("swap X1/X2" if o.experiment.startswith("swap") else o.experiment, o.mode)
        if key not in keys:
            keys.append(key)
    for name, mode in keys:
        group = [o for o in outcomes if o.mode == mode and
                 (o.experiment == name or (name == "swap X1/X2" and o.experiment.startswith("swap")))]
        moved = sum(o.moved for o in group)
        errors = acc = "-"
        if group[0].errors_before is not None:
            errors = (f"{np.median([o.errors_before for o in group]):g} -> "
                      f"{np.median([o.errors_after for o in group]):g}")
        if group[0].acc_before is not None:
            acc = (f"{np.median([o.acc_before for o in group]):.3f} -> "
                   f"{np.median([o.acc_after for o in group]):.3f}")
        rows.append(
            f"| {name} | {mode} | {len(group)} | {moved}/{len(group)} | "
            f"{np.median([o.group_share for o in group]):.2f} | "
            f"{np.median([o.collateral for o in group]):.3f} | {errors} | {acc} | "
            f"{PAPER_REPORTS.get(name, '')} |")
    return "\n".join(rows)
