"""Data sets of the paper's protocols, and the short-text corpus shipped with the package.

Rows are interleaved by class (row i belongs to class i % n_classes), as in the paper's tables,
where X0, X1, X2, ... are one sample of each group in turn.
"""

from __future__ import annotations

from importlib import resources

import numpy as np
from sklearn.utils import check_random_state


def _interleave(groups: list[np.ndarray]) -> np.ndarray:
    """Stack equally long groups so that row i comes from group i % len(groups)."""
    return np.stack(groups, axis=1).reshape(-1, *groups[0].shape[1:])


def paper_onehot(n_per_class: int = 125, n_classes: int = 4, noise: float = 0.1,
                 random_state=0) -> tuple[np.ndarray, np.ndarray]:
    """The paper's synthetic set: one-hot vectors of `n_classes` groups plus U[0, noise] noise.

    Defaults give 500 x 4 with noise 0.1 (section 5.1); `noise=1.0` is the "x10 noise" variant.
    Returns (X float32 (n, n_classes), y int (n,)).
    """
    rng = check_random_state(random_state)
    y = np.tile(np.arange(n_classes), n_per_class)
    X = np.eye(n_classes, dtype=np.float64)[y] + rng.uniform(0.0, noise, (len(y), n_classes))
    return X.astype(np.float32), y


def iris_augmented(copies: int = 4, noise: float = 0.1, standardize: bool = False,
                   random_state=0) -> tuple[np.ndarray, np.ndarray]:
    """Fisher's Iris, each flower `copies` times with U[0, noise] noise added (section 5.2).

    Defaults give the paper's 600 x 4 set in raw centimetres; `standardize=True` scales each
    feature to zero mean and unit variance. Returns (X float32, y int).
    """
    from sklearn.datasets import load_iris

    rng = check_random_state(random_state)
    iris = load_iris()
    groups = []
    for cls in range(3):
        rows = np.repeat(iris.data[iris.target == cls], copies, axis=0)
        groups.append(rows + rng.uniform(0.0, noise, rows.shape))
    X = _interleave(groups)
    if standardize:
        X = (X - X.mean(0)) / X.std(0)
    y = np.tile(np.arange(3), len(X) // 3)
    return X.astype(np.float32), y


def short_texts():
    """The short-text corpus written for nudgecluster, with its sentence embeddings.

    Every text has two labels - `topic` (food, travel, tech, sports) and `tone` (positive,
    negative) - so the same data has two right clusterings. Returns (frame, embeddings): a pandas
    DataFrame with columns id, text, topic, tone, and a float32 array (n, 384) of L2-normalised
    all-MiniLM-L6-v2 embeddings, row for row.
    """
    import pandas as pd

    folder = resources.files("nudgecluster") / "data"
    with resources.as_file(folder / "short_texts.csv") as path:
        frame = pd.read_csv(path)
    with resources.as_file(folder / "short_texts_minilm.npy") as path:
        embeddings = np.load(path)
    return frame, embeddings
