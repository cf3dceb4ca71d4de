"""The math of DEC and of the paper's feedback, checked against naive formulas and autograd."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nudgecluster import losses
from nudgecluster.metrics import cluster_accuracy, cluster_mapping, scores
from nudgecluster.nn import soft_assignment, squared_distances, target_distribution


def _problem(n=12, k=3, m=4, seed=0):
    """Points and centres in float64, spread so that no q_ij underflows the loss's clamp."""
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, m, generator=g, dtype=torch.float64)
    mu = 1.5 * torch.randn(k, m, generator=g, dtype=torch.float64)
    return z, mu


def _naive_q(z, mu, alpha):
    d = ((z[:, None, :] - mu[None, :, :]) ** 2).sum(-1)
    kernel = (1.0 + d / alpha) ** (-(alpha + 1.0) / 2.0)
    return kernel / kernel.sum(1, keepdim=True)


def _grads(loss, *tensors):
    return torch.autograd.grad(loss, tensors)


# ---------------------------------------------------------------------------- soft assignment, P


@pytest.mark.parametrize("alpha", [1.0, 0.5, 2.0])
def test_soft_assignment_matches_the_students_t_formula(alpha):
    z, mu = _problem()
    q = soft_assignment(z, mu, alpha)
    torch.testing.assert_close(q, _naive_q(z, mu, alpha), rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(q.sum(1), torch.ones(len(z), dtype=q.dtype))


def test_squared_distances_match_the_direct_difference():
    z, mu = _problem(n=50, k=7, m=9, seed=3)
    direct = ((z[:, None, :] - mu[None, :, :]) ** 2).sum(-1)
    torch.testing.assert_close(squared_distances(z, mu), direct, rtol=1e-10, atol=1e-10)
    # A point sitting on a centre has distance exactly 0, never a tiny negative number.
    on_centre = squared_distances(mu[:1].clone(), mu)
    assert on_centre[0, 0] == 0.0 and (on_centre >= 0).all()


def test_soft_assignment_prefers_the_nearest_centre():
    mu = torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]], dtype=torch.float64)
    z = mu + 0.1
    assert soft_assignment(z, mu).argmax(1).tolist() == [0, 1, 2]


def test_target_distribution_matches_its_formula_and_sharpens_q():
    z, mu = _problem(n=40, seed=1)
    q = soft_assignment(z, mu)
    p = target_distribution(q)
    weight = q**2 / q.sum(0)
    torch.testing.assert_close(p, weight / weight.sum(1, keepdim=True))
    torch.testing.assert_close(p.sum(1), torch.ones(len(z), dtype=p.dtype))
    assert (p >= 0).all()
    # P is more confident than Q: that is what makes self-training pull clusters tighter.
    assert p.max(1).values.mean() > q.max(1).values.mean() + 0.05


def test_target_distribution_divides_by_cluster_frequency():
    # Rows 0 and 1 are undecided; cluster 1 is the rarer one over the whole set, so P leans to it.
    q = torch.tensor([[0.5, 0.5], [0.5, 0.5], [0.9, 0.1]], dtype=torch.float64)
    p = target_distribution(q)
    assert p[0, 1] > p[0, 0]


# ---------------------------------------------------------------------------- the T = 1 identity


@pytest.mark.parametrize("alpha", [1.0, 0.5, 2.0])
def test_tmatrix_loss_with_t_equal_one_has_the_gradient_of_kl(alpha):
    z0, mu0 = _problem(seed=2)
    p = target_distribution(soft_assignment(z0, mu0, alpha)).detach()

    z, mu = z0.clone().requires_grad_(), mu0.clone().requires_grad_()
    kl = losses.kl_divergence(p, soft_assignment(z, mu, alpha))
    gz_kl, gmu_kl = _grads(kl, z, mu)

    z, mu = z0.clone().requires_grad_(), mu0.clone().requires_grad_()
    q = soft_assignment(z, mu, alpha)
    surrogate = losses.tmatrix_loss(z, mu, p, q, torch.ones_like(p), alpha)
    gz_t, gmu_t = _grads(surrogate, z, mu)

    assert gz_kl.abs().max() > 1e-4  # a real, non-trivial gradient is being compared
    torch.testing.assert_close(gz_t, gz_kl, rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(gmu_t, gmu_kl, rtol=1e-9, atol=1e-12)


def _closed_form(z, mu, p, q, t, alpha):
    """DESIGN.md section 1 with (p - q) replaced by (t p - q), per point summed, divided by n."""
    diff = z[:, None, :] - mu[None, :, :]  # (n, k, m)
    inv = 1.0 / (1.0 + (diff**2).sum(-1) / alpha)  # (n, k)
    c = (alpha + 1.0) / alpha * inv * (t * p - q)  # (n, k)
    grad_z = (c[:, :, None] * diff).sum(1)
    grad_mu = -(c[:, :, None] * diff).sum(0)
    # The losses average over the rows of a batch, so their gradients carry a 1/n.
    return grad_z / len(z), grad_mu / len(z)


@pytest.mark.parametrize("alpha", [1.0, 2.0])
@pytest.mark.parametrize("with_feedback", [False, True])
def test_closed_form_gradients_match_autograd(alpha, with_feedback):
    z0, mu0 = _problem(seed=4)
    p = target_distribution(soft_assignment(z0, mu0, alpha)).detach()
    t = torch.ones_like(p)
    if with_feedback:
        t[0, 1], t[5, 2], t[7, 0] = 1000.0, -1000.0, 50.0

    z, mu = z0.clone().requires_grad_(), mu0.clone().requires_grad_()
    q = soft_assignment(z, mu, alpha)
    gz, gmu = _grads(losses.tmatrix_loss(z, mu, p, q, t, alpha), z, mu)
    want_z, want_mu = _closed_form(z0, mu0, p, q.detach(), t, alpha)
    torch.testing.assert_close(gz, want_z, rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(gmu, want_mu, rtol=1e-9, atol=1e-12)
    if not with_feedback:  # for T = 1 this is also the gradient of KL(P || Q)
        z, mu = z0.clone().requires_grad_(), mu0.clone().requires_grad_()
        gz_kl, _ = _grads(losses.kl_divergence(p, soft_assignment(z, mu, alpha)), z, mu)
        torch.testing.assert_close(gz_kl, want_z, rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------------------- feedback signs


def _distance_after_one_step(t_value, i=3, j=1, lr=1e-4):
    z0, mu0 = _problem(seed=5)
    p = target_distribution(soft_assignment(z0, mu0)).detach()
    t = torch.ones_like(p)
    t[i, j] = t_value
    z, mu = z0.clone().requires_grad_(), mu0.clone().requires_grad_()
    q = soft_assignment(z, mu)
    gz, gmu = _grads(losses.tmatrix_loss(z, mu, p, q, t), z, mu)
    before = (z0[i] - mu0[j]).norm()
    moved_point = (z0[i] - lr * gz[i] - mu0[j]).norm()
    moved_centre = (z0[i] - (mu0[j] - lr * gmu[j])).norm()
    return before, moved_point, moved_centre


def test_positive_feedback_pulls_the_point_and_its_centre_together():
    before, moved_point, moved_centre = _distance_after_one_step(+1000.0)
    assert moved_point < before
    assert moved_centre < before


def test_negative_feedback_pushes_the_point_and_its_centre_apart():
    before, moved_point, moved_centre = _distance_after_one_step(-1000.0)
    assert moved_point > before
    assert moved_centre > before


def test_the_point_is_pulled_harder_the_stronger_the_feedback():
    before, weak, _ = _distance_after_one_step(+10.0)
    _, strong, _ = _distance_after_one_step(+1000.0)
    assert before - strong > 10 * (before - weak) > 0


# ---------------------------------------------------------------------------- robust-mode terms


def test_constrained_targets_put_included_rows_on_their_cluster_and_zero_excluded_entries():
    p = torch.tensor([[0.7, 0.2, 0.1], [0.7, 0.2, 0.1], [0.7, 0.2, 0.1], [0.7, 0.2, 0.1]])
    include = torch.tensor([-1, 2, -1, -1])
    exclude = torch.zeros(4, 3, dtype=torch.bool)
    exclude[2, 0] = True
    exclude[3] = torch.tensor([True, True, False])
    out = losses.constrain_targets(p, include, exclude)
    torch.testing.assert_close(out[0], p[0])
    torch.testing.assert_close(out[1], torch.tensor([0.0, 0.0, 1.0]))
    torch.testing.assert_close(out[2], torch.tensor([0.0, 2 / 3, 1 / 3]))
    torch.testing.assert_close(out[3], torch.tensor([0.0, 0.0, 1.0]))


def test_pair_losses_reward_the_right_co_assignment():
    same = torch.tensor([[0.98, 0.01, 0.01]])
    other = torch.tensor([[0.01, 0.98, 0.01]])
    assert losses.must_link_loss(same, same) < losses.must_link_loss(same, other)
    assert losses.cannot_link_loss(same, other) < losses.cannot_link_loss(same, same)
    assert losses.must_link_loss(same, same) < 0.05
    assert losses.cannot_link_loss(same, other) < 0.05


# ---------------------------------------------------------------------------- cluster accuracy


def test_cluster_accuracy_ignores_how_clusters_are_numbered():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, size=200)
    pred = np.where(rng.random(200) < 0.8, y, rng.integers(0, 4, size=200))
    base = cluster_accuracy(y, pred)
    for permutation in ([1, 2, 3, 0], [3, 2, 1, 0], [0, 2, 1, 3]):
        assert cluster_accuracy(y, np.asarray(permutation)[pred]) == base
    assert 0.7 < base < 0.95


@pytest.mark.parametrize(
    "y_true, y_pred, expected",
    [
        ([0, 0, 1, 1, 2, 2], [2, 2, 0, 0, 1, 1], 1.0),
        ([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 1, 1], 5 / 6),
        ([0, 0, 1, 1], [0, 0, 0, 0], 0.5),  # one cluster can match only one class
        ([0, 0, 1, 1], [0, 1, 2, 3], 0.5),  # more clusters than classes
        (["cat", "cat", "dog"], [7, 7, 3], 1.0),  # any label type
    ],
)
def test_cluster_accuracy_on_known_examples(y_true, y_pred, expected):
    assert cluster_accuracy(y_true, y_pred) == pytest.approx(expected)


def test_cluster_accuracy_refuses_mismatched_or_empty_input():
    with pytest.raises(ValueError, match="differ in length: 3 != 2"):
        cluster_accuracy([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="at least one point"):
        cluster_accuracy([], [])


def test_cluster_mapping_and_scores():
    assert cluster_mapping([0, 0, 1, 1, 1], [5, 5, 9, 9, 5]) == {5: 0, 9: 1}
    out = scores([0, 0, 1, 1], [1, 1, 0, 0])
    assert out == {"acc": 1.0, "nmi": pytest.approx(1.0), "ari": pytest.approx(1.0)}
