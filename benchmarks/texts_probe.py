"""How much can 20 labels tell about the short texts? A supervised yardstick for steering.

The oracle benchmark (benchmarks/feedback.py) steers the short-text corpus to its topic or its
tone labelling with 2 corrected points a round. This script asks what a supervised linear model
learns from the same embeddings (standardised per feature, as the benchmark gives them) when it
is handed n labelled texts chosen at random: logistic regression, accuracy on all 416 texts,
mean over 20 draws of the labelled texts (draws that miss a class are redrawn).

    python benchmarks/texts_probe.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, str(Path(__file__).resolve().parent))
from feedback import _standardize  # noqa: E402  the benchmark's own preprocessing

import nudgecluster as nc  # noqa: E402

LABELLED = (4, 10, 20, 40, 100, 300)
DRAWS = 20


def probe(X: np.ndarray, y: np.ndarray, n: int, draws: int = DRAWS) -> float:
    rng = np.random.default_rng(0)
    scores = []
    while len(scores) < draws:
        chosen = rng.choice(len(y), size=n, replace=False)
        if len(np.unique(y[chosen])) < len(np.unique(y)):
            continue
        model = LogisticRegression(C=10.0, max_iter=5000).fit(X[chosen], y[chosen])
        scores.append(float((model.predict(X) == y).mean()))
    return float(np.mean(scores))


def main() -> None:
    frame, embeddings = nc.datasets.short_texts()
    X = _standardize(embeddings)
    print("| labelled texts | " + " | ".join(str(n) for n in LABELLED) + " |")
    print("|---|" + "---:|" * len(LABELLED))
    for scheme in ("topic", "tone"):
        y = frame[scheme].astype("category").cat.codes.to_numpy()
        cells = [f"{probe(X, y, n):.3f}" for n in LABELLED]
        print(f"| {scheme} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
