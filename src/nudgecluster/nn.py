"""Torch building blocks of DEC: the autoencoder, Student's t soft assignment, target distribution.

Nothing here knows about feedback, estimators or widgets; every function is pure tensor math so it
can be tested on its own (see tests/test_math.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

#: Hidden layer widths of the encoder, by architecture name. The latent layer comes after them.
ARCHITECTURES: dict[str, tuple[int, ...]] = {
    # Dudarin & Yarushkina (2020): d-50-50-20-k, with k = number of clusters.
    "paper": (50, 50, 20),
    # Xie et al. (2016): d-500-500-2000-10.
    "dec": (500, 500, 2000),
}

#: Latent dimension used when the caller gives none: None means "number of clusters".
DEFAULT_LATENT_DIM: dict[str, int | None] = {"paper": None, "dec": 10}


def _mlp(sizes: Sequence[int]) -> nn.Sequential:
    """Linear layers with ReLU between them and no activation after the last one."""
    layers: list[nn.Module] = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(fan_in, fan_out))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class Autoencoder(nn.Module):
    """A fully connected encoder d-h1-...-m and its mirrored decoder m-...-h1-d."""

    def __init__(self, n_features: int, hidden_dims: Sequence[int], latent_dim: int):
        super().__init__()
        sizes = [int(n_features), *map(int, hidden_dims), int(latent_dim)]
        self.encoder = _mlp(sizes)
        self.decoder = _mlp(sizes[::-1])

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.encoder(x)
        return z, self.decoder(z)


def squared_distances(z: torch.Tensor, centers: torch.Tensor) -> torch.Tensor:
    """|z_i - mu_j|^2 for every point i and centre j, shape (n, k), without an (n, k, m) tensor."""
    d = (z * z).sum(1, keepdim=True) - 2.0 * z @ centers.T + (centers * centers).sum(1)
    return d.clamp_min(0.0)


def student_t_kernel(sq_dist: torch.Tensor, alpha: float) -> torch.Tensor:
    """The unnormalised Student's t similarity (1 + d / alpha)^(-(alpha + 1) / 2)."""
    return (1.0 + sq_dist / alpha).pow(-(alpha + 1.0) / 2.0)


def soft_assignment(z: torch.Tensor, centers: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """DEC's Q: q_ij proportional to (1 + |z_i - mu_j|^2 / alpha)^(-(alpha+1)/2), rows sum to 1."""
    kernel = student_t_kernel(squared_distances(z, centers), alpha)
    return kernel / kernel.sum(1, keepdim=True)


def target_distribution(q: torch.Tensor) -> torch.Tensor:
    """DEC's P: p_ij = (q_ij^2 / f_j) / sum_l (q_il^2 / f_l) with cluster frequencies f_j = sum_i q_ij.

    `q` must cover the whole data set: f_j is a sum over all points, which is why the estimator
    computes P once per update interval over every row (in chunks) and holds it fixed in between.
    """
    weight = q.pow(2) / q.sum(0).clamp_min(torch.finfo(q.dtype).tiny)
    return weight / weight.sum(1, keepdim=True)
