"""Latent space (N x m) -> 2-D picture for the widget, steady from one training epoch to the next.

The widget redraws the latent space after every epoch, and a person follows points as they move.
So the picture must not flip, spin or jump in scale between frames:

* PCA of the latent space by default. The basis comes from the m x m covariance of a fixed subsample
  (m is small; the subsample keeps the cost flat in N), the projection is one (N x m)(m x 2) product.
* Each frame is aligned to the previous one by orthogonal Procrustes (rotation or reflection), so a
  sign flip of a principal axis or a swap of two near-equal axes does not show.
* Output lies in [-1, 1] with one scale for both axes (distances keep their meaning). The scale and
  centre are fixed after the first frame and only change when points would leave the box or the cloud
  has shrunk to a small part of it.
* A 2-D latent space is shown as it is (no rotation); UMAP (optional extra ``umap-learn``) and t-SNE
  (scikit-learn) are available on request, started from the previous picture to stay comparable.
"""

from __future__ import annotations

import contextlib
import functools
from typing import Literal

import numpy as np

__all__ = ["Projector", "procrustes_rotation", "pca_basis"]

Method = Literal["pca", "umap", "tsne"]

_UMAP_MISSING = ("projection='umap' needs the optional dependency umap-learn: "
                 "pip install 'nudgecluster[projection]'")
#: Rows used to estimate the PCA basis; more does not change a 2-D picture of a small-m space.
_BASIS_SAMPLE = 20_000
#: Half-width of the box the points are fitted into at a rescale; leaves a margin inside [-1, 1].
_FILL = 0.9
#: Rescale when the cloud has shrunk below this share of the box (hysteresis against jitter).
_SHRINK_LIMIT = 0.35


@functools.lru_cache(maxsize=1)
def _blas_controller():
    try:
        from threadpoolctl import ThreadpoolController  # a dependency of scikit-learn

        return ThreadpoolController().select(user_api="blas")
    except Exception:  # noqa: BLE001 - no control: run with the library's own setting
        return None


def _one_blas_thread():
    """The products here are thin (N x m times m x 2) and memory-bound: one BLAS thread is as fast
    as many on an idle machine, and avoids a 50x slowdown from spinning threads on a busy one
    (measured: 3 ms vs 220 ms at 1M points with a training run on the other cores)."""
    controller = _blas_controller()
    return controller.limit(limits=1) if controller is not None else contextlib.nullcontext()


def pca_basis(sample: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (m,) and the two leading principal directions (m, 2) of ``sample`` (n x m).

    The covariance is m x m, so an exact eigen-decomposition is cheaper than any randomized method.
    Signs are fixed so that the largest loading of each direction is positive (deterministic).
    """
    sample = np.asarray(sample, dtype=np.float64)
    mean = sample.mean(axis=0)
    centred = sample - mean
    cov = centred.T @ centred / max(len(sample) - 1, 1)
    if not np.all(np.isfinite(cov)):
        raise ValueError("embedding contains NaN or infinite values")
    _, eigvec = np.linalg.eigh(cov)
    basis = eigvec[:, ::-1][:, :2].copy()
    if basis.shape[1] < 2:  # m == 1: a flat second axis
        basis = np.hstack([basis, np.zeros((basis.shape[0], 1))])
    for j in range(basis.shape[1]):
        k = np.argmax(np.abs(basis[:, j]))
        if basis[k, j] < 0:
            basis[:, j] *= -1
    return mean, basis


def procrustes_rotation(current: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """The orthogonal 2 x 2 matrix R minimising ||current @ R - previous|| (both centred, N x 2).

    Reflections are allowed on purpose: a principal axis whose sign flipped between two frames is
    exactly what this must undo.
    """
    m = (np.asarray(current).T @ np.asarray(previous)).astype(np.float64)
    u, _, vt = np.linalg.svd(m)
    return u @ vt


class Projector:
    """Stateful projection of successive latent frames of the same N points to [-1, 1]^2.

    Call it with each new embedding; it returns float32 (N, 2) coordinates aligned to the previous
    call. ``reset()`` forgets the previous frame (for a new data set or a change of method).
    """

    def __init__(self, method: Method = "pca", random_state: int | None = 0, **method_kwargs):
        if method not in ("pca", "umap", "tsne"):
            raise ValueError(f"projection method must be 'pca', 'umap' or 'tsne', not {method!r}")
        if method == "umap":
            import importlib.util

            if importlib.util.find_spec("umap") is None:
                raise ImportError(_UMAP_MISSING)
        self.method = method
        self.random_state = random_state
        self.method_kwargs = method_kwargs
        self.reset()

    def reset(self) -> None:
        self._previous: np.ndarray | None = None  # aligned, centred, unscaled coordinates (N, 2)
        self._sample: np.ndarray | None = None  # fixed row subsample for the PCA basis
        self._centre = np.zeros(2)
        self._scale: float | None = None

    @property
    def is_live(self) -> bool:
        """Whether one frame is cheap enough to recompute after every training epoch."""
        return self.method == "pca"

    def __call__(self, embedding: np.ndarray) -> np.ndarray:
        z = np.asarray(embedding)
        if z.ndim != 2 or len(z) == 0:
            raise ValueError(f"embedding must be a non-empty 2-D array, got shape {z.shape}")
        if not np.issubdtype(z.dtype, np.floating):
            z = z.astype(np.float32)
        if self._previous is not None and len(self._previous) != len(z):
            self.reset()  # a different set of points: nothing to align to

        if self.method == "pca":
            with _one_blas_thread():
                xy = self._pca(z)
        elif self.method == "tsne":
            xy = self._tsne(z)
        else:
            xy = self._umap(z)

        shown_as_is = self.method == "pca" and z.shape[1] <= 2
        if self._previous is not None and not shown_as_is:
            rows = self._sample if self._sample is not None else slice(None)
            with _one_blas_thread():
                rotation = procrustes_rotation(xy[rows], self._previous[rows])
                xy = xy @ rotation.astype(np.float32)
        out = self._normalise(xy)  # raises on NaN / inf before any state changes
        self._previous = xy
        return out

    # -- methods ---------------------------------------------------------------------------------

    def _pca(self, z: np.ndarray) -> np.ndarray:
        n, m = z.shape
        if m <= 2:
            # Shown as it is: the latent axes already are the picture. Only the centre moves.
            xy = z.astype(np.float32, copy=False)
            if m == 1:
                xy = np.hstack([xy, np.zeros_like(xy)])
            centre = np.array([xy[:, 0].mean(dtype=np.float64), xy[:, 1].mean(dtype=np.float64)])
            return xy - centre.astype(np.float32)
        if self._sample is None or len(self._sample) > n:
            rng = np.random.default_rng(self.random_state)
            size = min(n, _BASIS_SAMPLE)
            self._sample = np.sort(rng.choice(n, size=size, replace=False)) if size < n else None
        sample = z if self._sample is None else z[self._sample]
        mean, basis = pca_basis(sample)
        basis32 = basis.astype(np.float32)
        # (z - mean) @ basis without materialising the centred N x m copy.
        return z @ basis32 - (mean @ basis).astype(np.float32)

    def _tsne(self, z: np.ndarray) -> np.ndarray:
        from sklearn.manifold import TSNE

        init = "pca" if self._previous is None else self._init_from_previous()
        kwargs = {"perplexity": min(30.0, max(2.0, (len(z) - 1) / 3)), "init": init}
        kwargs.update(self.method_kwargs)
        xy = TSNE(n_components=2, random_state=self.random_state, **kwargs).fit_transform(z)
        return (xy - xy.mean(axis=0)).astype(np.float32)

    def _umap(self, z: np.ndarray) -> np.ndarray:
        try:
            import umap  # noqa: PLC0415 - optional extra
        except ImportError as err:
            raise ImportError(_UMAP_MISSING) from err
        kwargs = {"init": "spectral" if self._previous is None else self._init_from_previous()}
        kwargs.update(self.method_kwargs)
        xy = umap.UMAP(n_components=2, random_state=self.random_state, **kwargs).fit_transform(z)
        return (xy - xy.mean(axis=0)).astype(np.float32)

    def _init_from_previous(self) -> np.ndarray:
        prev = self._previous.astype(np.float64)
        # t-SNE and UMAP expect a small initial spread; keep the shape, not the size.
        return prev / (prev[:, 0].std() or 1.0) * 1e-4 if self.method == "tsne" else prev

    # -- display box -----------------------------------------------------------------------------

    def _normalise(self, xy: np.ndarray) -> np.ndarray:
        # Column by column: numpy's axis-0 reduction over a narrow (N, 2) array is ~30x slower.
        lo = np.array([xy[:, 0].min(), xy[:, 1].min()], dtype=np.float64)
        hi = np.array([xy[:, 0].max(), xy[:, 1].max()], dtype=np.float64)
        if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
            raise ValueError("embedding contains NaN or infinite values")
        if self._scale is not None:
            half = np.max(np.maximum(np.abs(lo - self._centre), np.abs(hi - self._centre)))
            extent = half * self._scale
            if extent > 1.0 or extent < _SHRINK_LIMIT:
                self._scale = None  # points would leave the box, or the cloud got small: refit
        if self._scale is None:
            self._centre = (lo + hi) / 2
            half = float(np.max(hi - lo)) / 2
            self._scale = _FILL / half if half > 0 else 1.0
        out = xy - self._centre.astype(np.float32)
        out *= np.float32(self._scale)
        np.clip(out, -1.0, 1.0, out=out)  # guards against float rounding at the edge only
        return out
