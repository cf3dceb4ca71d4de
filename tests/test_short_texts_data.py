"""Checks on the bundled ``short_texts`` corpus and its MiniLM embeddings.

The files are produced by ``benchmarks/data/make_short_texts.py``; these tests
need no model run.  They check the files agree with each other, that the two
labellings (topic x tone) are fully crossed and balanced, and that both
labellings can be read off the embeddings by a linear probe.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

DATA_DIR = Path(__file__).resolve().parents[1] / "src" / "nudgecluster" / "data"
CSV_PATH = DATA_DIR / "short_texts.csv"
NPY_PATH = DATA_DIR / "short_texts_minilm.npy"

TOPICS = {"food", "travel", "tech", "sports"}
TONES = {"positive", "negative"}
MIN_PER_CELL = 52


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    assert CSV_PATH.is_file(), f"missing {CSV_PATH}"
    return pd.read_csv(CSV_PATH, encoding="utf-8")


@pytest.fixture(scope="module")
def emb() -> np.ndarray:
    assert NPY_PATH.is_file(), f"missing {NPY_PATH}"
    return np.load(NPY_PATH)


def test_files_exist_and_match_in_length(df, emb):
    assert list(df.columns) == ["id", "text", "topic", "tone"]
    assert emb.dtype == np.float32
    assert emb.shape == (len(df), 384)


def test_ids_are_row_numbers(df):
    assert df["id"].tolist() == list(range(len(df)))


def test_labels_are_fully_crossed_and_balanced(df):
    assert set(df["topic"]) == TOPICS
    assert set(df["tone"]) == TONES
    counts = df.groupby(["topic", "tone"]).size()
    assert len(counts) == len(TOPICS) * len(TONES)
    assert counts.nunique() == 1, counts.to_dict()
    assert counts.iloc[0] >= MIN_PER_CELL


def test_rows_are_interleaved_not_sorted(df):
    # a shuffled file switches label often; a sorted one switches only a few times
    switches = (df["topic"] != df["topic"].shift()).sum()
    assert switches > len(df) // 2


def test_texts_are_unique_and_short(df):
    texts = df["text"].astype(str)
    assert texts.str.strip().str.len().gt(0).all()
    normalised = texts.str.lower().str.split().str.join(" ")
    dupes = normalised[normalised.duplicated(keep=False)]
    assert dupes.empty, dupes.tolist()
    words = texts.str.split().str.len()
    assert words.between(8, 30).all(), texts[~words.between(8, 30)].tolist()


def test_embeddings_finite_and_unit_norm(emb):
    assert np.isfinite(emb).all()
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-4)


def _cv_accuracy(X: np.ndarray, y: np.ndarray) -> float:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    return float(cross_val_score(LogisticRegression(max_iter=2000), X, y, cv=cv).mean())


def _hungarian_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    from scipy.optimize import linear_sum_assignment

    _, t = np.unique(y_true, return_inverse=True)
    _, p = np.unique(y_pred, return_inverse=True)
    cm = np.zeros((p.max() + 1, t.max() + 1), dtype=np.int64)
    np.add.at(cm, (p, t), 1)
    r, c = linear_sum_assignment(-cm)
    return float(cm[r, c].sum() / len(y_true))


@pytest.mark.parametrize("label", ["topic", "tone"])
def test_both_labellings_are_linearly_present(df, emb, label):
    acc = _cv_accuracy(emb, df[label].to_numpy())
    print(f"5-fold CV logistic regression accuracy for {label}: {acc:.3f}")
    assert acc >= 0.85


def test_report_kmeans_agreement(df, emb):
    """Report only: which labelling does plain k-means find by itself?"""
    from sklearn.cluster import KMeans

    for label, k in (("topic", 4), ("tone", 2)):
        pred = KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(emb)
        acc = _hungarian_accuracy(df[label].to_numpy(), pred)
        print(f"k-means (k={k}) Hungarian accuracy vs {label}: {acc:.3f}")
        assert 0.0 <= acc <= 1.0
