"""The 2-D picture of the latent space: in the box, one scale for both axes, steady between frames."""

from __future__ import annotations

import numpy as np
import pytest

from nudgecluster.projection import Projector, pca_basis, procrustes_rotation


def blobs(n=600, m=6, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=5.0, size=(3, m))
    z = centres[rng.integers(0, 3, size=n)] + rng.normal(size=(n, m))
    return z.astype(np.float32)


def test_output_is_float32_in_the_box_with_one_scale():
    z = blobs()
    z[:, 0] *= 4  # an elongated cloud must stay elongated: one scale for both axes
    xy = Projector()(z)
    assert xy.dtype == np.float32 and xy.shape == (len(z), 2)
    assert np.abs(xy).max() <= 1.0
    assert np.abs(xy).max() > 0.85  # fills the box
    width, height = np.ptp(xy, axis=0)
    assert width > 2 * height


def test_pca_keeps_the_two_directions_of_largest_spread():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(2000, 5)) * np.array([10.0, 0.1, 5.0, 0.1, 0.1])
    mean, basis = pca_basis(z)
    assert basis.shape == (5, 2)
    assert abs(basis[0, 0]) > 0.99 and abs(basis[2, 1]) > 0.99


def test_reflected_latent_space_does_not_flip_the_picture():
    z = blobs()
    projector = Projector()
    first = projector(z)
    # Same geometry, mirrored and rotated in latent space: the picture must not change.
    q, _ = np.linalg.qr(np.random.default_rng(3).normal(size=(z.shape[1], z.shape[1])))
    second = projector((-z) @ q.astype(np.float32))
    assert np.abs(second - first).max() < 1e-3


def test_swapped_principal_axes_do_not_turn_the_picture():
    rng = np.random.default_rng(6)
    z = rng.normal(size=(1000, 4)).astype(np.float32)
    before = z * np.array([1.1, 1.0, 0.1, 0.1], dtype=np.float32)
    after = z * np.array([1.0, 1.1, 0.1, 0.1], dtype=np.float32)  # the two leading axes swap
    projector = Projector()
    first = projector(before)
    second = projector(after)
    assert np.abs(second - first).max() < 0.15
    fresh = Projector()(after)
    assert np.abs(fresh - first).max() > 0.5  # an unaligned PCA would have turned the picture


def test_small_drift_moves_points_a_little_and_keeps_the_scale():
    z = blobs()
    projector = Projector()
    first = projector(z)
    second = projector(z * 1.05 + 0.01)
    # 5 % growth shows as 5 % growth, not renormalised away
    ratio = np.ptp(second, axis=0) / np.ptp(first, axis=0)
    assert np.allclose(ratio, 1.05, atol=0.01)


def test_points_leaving_the_box_trigger_a_refit_that_keeps_them_inside():
    z = blobs()
    projector = Projector()
    projector(z)
    far = projector(z * 10)
    assert np.abs(far).max() <= 1.0 and np.abs(far).max() > 0.85
    shrunk = projector(z * 0.1)  # a collapsed cloud is enlarged again rather than a dot
    assert np.abs(shrunk).max() > 0.85


def test_two_dimensional_latent_space_is_shown_as_it_is():
    rng = np.random.default_rng(2)
    z = rng.normal(size=(500, 2)).astype(np.float32) * np.array([3.0, 1.0], dtype=np.float32)
    projector = Projector()
    xy = projector(z)
    # an affine map with the same slope on both axes: no rotation, no stretch
    slope_x, _ = np.polyfit(z[:, 0], xy[:, 0], 1)
    slope_y, _ = np.polyfit(z[:, 1], xy[:, 1], 1)
    assert np.isclose(slope_x, slope_y, rtol=1e-4)
    assert np.allclose(xy[:, 0], np.polyval(np.polyfit(z[:, 0], xy[:, 0], 1), z[:, 0]), atol=1e-5)
    rotated = z @ np.array([[0, 1], [-1, 0]], dtype=np.float32)
    # A real rotation of a 2-D latent space is shown, not aligned away.
    xy2 = projector(rotated)
    assert np.allclose(xy2[:, 0], -xy[:, 1], atol=1e-3) or np.abs(xy2 - xy).max() > 0.5


def test_one_dimensional_latent_space_is_drawn_on_a_line():
    xy = Projector()(np.linspace(-3, 5, 50, dtype=np.float32)[:, None])
    assert np.all(xy[:, 1] == 0) and np.isclose(np.abs(xy[:, 0]).max(), 0.9)


def test_nan_raises_and_leaves_the_previous_frame_in_place():
    z = blobs()
    projector = Projector()
    first = projector(z)
    bad = z.copy()
    bad[5, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        projector(bad)
    assert np.abs(projector(z) - first).max() < 1e-5


def test_a_different_number_of_points_starts_over():
    projector = Projector()
    projector(blobs(n=300))
    xy = projector(blobs(n=200, seed=5))
    assert xy.shape == (200, 2)


def test_procrustes_recovers_a_rotation():
    rng = np.random.default_rng(4)
    a = rng.normal(size=(100, 2))
    angle = 0.7
    r = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    assert np.allclose(procrustes_rotation(a @ r, a), r.T, atol=1e-8)


def test_tsne_on_request_is_in_the_box():
    z = blobs(n=120)
    projector = Projector("tsne", perplexity=10, max_iter=250)
    xy = projector(z)
    assert xy.shape == (120, 2) and np.abs(xy).max() <= 1.0
    assert not projector.is_live


def test_umap_without_the_extra_says_how_to_install_it():
    pytest.importorskip("sklearn")
    try:
        import umap  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="nudgecluster\\[projection\\]"):
            Projector("umap")  # at once, not after the first training epoch
    else:
        xy = Projector("umap", n_neighbors=5)(blobs(n=80))
        assert np.abs(xy).max() <= 1.0


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="pca"):
        Projector("mds")
