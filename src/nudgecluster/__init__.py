"""nudgecluster: steer a deep clustering by hand.

    import nudgecluster as nc
    model = nc.DEC(n_clusters=3, random_state=0).fit(X)
    model.feedback.include([7], cluster=2)
    model.refine(epochs=100)
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from . import datasets, metrics
from .dec import DEC, Progress
from .feedback import Constraint, Feedback, FeedbackConflictError

try:
    __version__ = version("nudgecluster")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = [
    "DEC",
    "ClusterWidget",
    "Constraint",
    "Feedback",
    "FeedbackConflictError",
    "Progress",
    "datasets",
    "metrics",
]


def __getattr__(name: str):
    # The widget pulls in anywidget and ipywidgets; the estimator alone must not need them.
    if name == "ClusterWidget":
        from .widget import ClusterWidget

        return ClusterWidget
    raise AttributeError(f"module 'nudgecluster' has no attribute {name!r}")
