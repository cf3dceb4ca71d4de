"""Clustering quality against known classes: Hungarian-matched accuracy, plus NMI and ARI."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score


def _contingency(y_true, y_pred) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y_true = np.asarray(y_true).ravel()
    y_pred = np.asarray(y_pred).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred differ in length: {len(y_true)} != {len(y_pred)}")
    classes, t = np.unique(y_true, return_inverse=True)
    clusters, p = np.unique(y_pred, return_inverse=True)
    table = np.zeros((len(clusters), len(classes)), dtype=np.int64)
    np.add.at(table, (p, t), 1)
    return table, classes, clusters


def cluster_mapping(y_true, y_pred) -> dict:
    """The one-to-one cluster -> class matching that maximises agreement (Hungarian method).

    Clusters left without a class (more clusters than classes) are absent from the mapping.
    """
    table, classes, clusters = _contingency(y_true, y_pred)
    rows, cols = linear_sum_assignment(table, maximize=True)
    clusters, classes = clusters.tolist(), classes.tolist()  # plain Python values, str included
    return {clusters[r]: classes[c] for r, c in zip(rows, cols)}


def misplaced(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    """The points outside their class's cluster, and the cluster each belongs in.

    Clusters are matched to classes as in `cluster_accuracy`. Points whose class got no cluster
    (fewer clusters than classes) are left out: there is no cluster to send them to. This is
    what a simulated oracle needs: `for i, j in zip(*misplaced(y, labels)): include([i], j)`.
    """
    y_true = np.asarray(y_true).ravel()
    y_pred = np.asarray(y_pred).ravel()
    mapping = cluster_mapping(y_true, y_pred)
    cluster_of = {cls: cluster for cluster, cls in mapping.items()}
    predicted = np.array([mapping.get(c, None) for c in y_pred.tolist()], dtype=object)
    wrong = np.flatnonzero(
        (predicted != y_true.astype(object)) & np.array([c in cluster_of for c in y_true.tolist()])
    )
    return wrong, np.array([cluster_of[c] for c in y_true[wrong].tolist()], dtype=np.int64)


def cluster_accuracy(y_true, y_pred) -> float:
    """Share of points whose cluster maps to their class under the best one-to-one matching."""
    table, _, _ = _contingency(y_true, y_pred)
    if table.sum() == 0:
        raise ValueError("cluster_accuracy needs at least one point")
    rows, cols = linear_sum_assignment(table, maximize=True)
    return float(table[rows, cols].sum() / table.sum())


def scores(y_true, y_pred) -> dict[str, float]:
    """ACC, NMI and ARI in one dict, the three numbers the benchmarks report."""
    return {
        "acc": cluster_accuracy(y_true, y_pred),
        "nmi": float(normalized_mutual_info_score(y_true, y_pred)),
        "ari": float(adjusted_rand_score(y_true, y_pred)),
    }
