"""Loss terms of DEC and of the two feedback modes.

- `kl_divergence`: DEC's KL(P || Q).
- `tmatrix_loss`: the paper's feedback (Dudarin & Yarushkina, 2020). It has no closed-form loss; the
  paper defines it by its gradients, in which (p_ij - q_ij) becomes (t_ij * p_ij - q_ij). The
  surrogate below has exactly those gradients (see DESIGN.md section 1 and tests/test_math.py).
- `constrain_targets`, `weighted_kl_divergence`, `centroid_pull`, `must_link_loss`,
  `cannot_link_loss`: the "robust" mode - constraints rewrite the target distribution instead of
  scaling it, points told "in cluster j" are pulled to mu_j, and pairs of points are tied or
  separated through their soft assignments (as in deep constrained clustering).
"""

from __future__ import annotations

import torch

from .nn import squared_distances

_EPS = 1e-10


def kl_divergence(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """KL(P || Q) summed over clusters, averaged over the rows of the batch."""
    return (p * (torch.log(p.clamp_min(_EPS)) - torch.log(q.clamp_min(_EPS)))).sum(1).mean()


def weighted_kl_divergence(p: torch.Tensor, q: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """KL(P || Q) per row, weighted by `weight` (n,), averaged over the rows of the batch."""
    per_row = (p * (torch.log(p.clamp_min(_EPS)) - torch.log(q.clamp_min(_EPS)))).sum(1)
    return (weight * per_row).mean()


def tmatrix_loss(
    z: torch.Tensor,
    centers: torch.Tensor,
    p: torch.Tensor,
    q: torch.Tensor,
    t: torch.Tensor,
    alpha: float = 1.0,
) -> torch.Tensor:
    """Surrogate whose gradients are the paper's feedback gradients.

        L_T = mean_i sum_j stopgrad(t_ij p_ij - q_ij) * (alpha + 1) / 2 * log(1 + |z_i - mu_j|^2 / alpha)

    Its gradient w.r.t. z_i is (alpha+1)/alpha * sum_j (1 + d_ij/alpha)^-1 (t_ij p_ij - q_ij)(z_i - mu_j)
    and the mirror image for mu_j. With T = 1 this is the gradient of `kl_divergence(p, q)`; the value
    itself is not a divergence and is only meaningful through its gradient. `q` must be the soft
    assignment of `z` to `centers` (it enters only through the detached coefficient).
    """
    coefficient = (t * p - q).detach()
    log_kernel = torch.log1p(squared_distances(z, centers) / alpha)
    return (coefficient * ((alpha + 1.0) / 2.0) * log_kernel).sum(1).mean()


def centroid_pull(z: torch.Tensor, centers: torch.Tensor, target: torch.Tensor,
                  weight: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """Weighted mean of (alpha+1)/2 * log(1 + |z_i - mu_t(i)|^2 / alpha): pulls each z_i to its target.

    This is -log of the unnormalised Student's t kernel; unlike -log q it cannot be lowered by
    moving away from the other centroids, only by approaching the target one.
    """
    sq = ((z - centers[target]) ** 2).sum(1)
    return (weight * ((alpha + 1.0) / 2.0) * torch.log1p(sq / alpha)).mean()


def constrain_targets(
    p: torch.Tensor, include: torch.Tensor, exclude: torch.Tensor
) -> torch.Tensor:
    """The target distribution with the user's constraints written into it.

    `include` (n,) holds the cluster a row must be in, or -1; such a row's target becomes the unit
    vector e_j. `exclude` (n, k) is True where a row must not be in a cluster; those entries are
    zeroed and the row renormalised (to uniform over the allowed clusters if nothing is left).
    """
    p = p.masked_fill(exclude, 0.0)
    row_sum = p.sum(1, keepdim=True)
    allowed = (~exclude).to(p.dtype)
    fallback = allowed / allowed.sum(1, keepdim=True).clamp_min(1.0)
    p = torch.where(row_sum > _EPS, p / row_sum.clamp_min(_EPS), fallback)
    included = include >= 0
    if included.any():
        one_hot = torch.zeros_like(p)
        one_hot[included, include[included]] = 1.0
        p = torch.where(included[:, None], one_hot, p)
    return p


def co_assignment(q_a: torch.Tensor, q_b: torch.Tensor) -> torch.Tensor:
    """Probability that two points fall in the same cluster, sum_j q_aj q_bj, one value per pair."""
    return (q_a * q_b).sum(1)


def must_link_loss(q_a: torch.Tensor, q_b: torch.Tensor) -> torch.Tensor:
    """-log sum_j q_aj q_bj averaged over pairs: small when both points share a confident cluster."""
    return -torch.log(co_assignment(q_a, q_b).clamp_min(_EPS)).mean()


def cannot_link_loss(q_a: torch.Tensor, q_b: torch.Tensor) -> torch.Tensor:
    """-log(1 - sum_j q_aj q_bj) averaged over pairs: small when the points sit in different clusters."""
    return -torch.log((1.0 - co_assignment(q_a, q_b)).clamp_min(_EPS)).mean()
