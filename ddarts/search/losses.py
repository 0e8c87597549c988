"""The D-DARTS loss terms (paper Eq. 3, 6, 7, 9), written to stay on the device without synchronising."""

from __future__ import annotations

import torch


def zero_one_loss(weights: torch.Tensor) -> torch.Tensor:
    """FairDARTS' L_01 (Eq. 3): −mean((w − ½)²); pushes every op weight towards 0 or 1."""
    return -torch.mean((weights - 0.5) ** 2)


def _denominator(mean: torch.Tensor, eps: float) -> tuple[torch.Tensor, torch.Tensor]:
    """mean(MC), or ±eps when |mean(MC)| < eps (same sign), and whether the floor is active.

    A zero mean stays special (Eq. 7: L_AB = 0); the returned denominator is then 1 only to keep the
    division finite, and the callers mask that case out. `torch.where` keeps all of it on the device.
    """
    floored = (mean.abs() < eps) & (mean != 0)
    denom = torch.where(floored, torch.sign(mean) * eps, mean)
    return torch.where(mean == 0, torch.ones_like(mean), denom), floored


def ablation_losses(mc: torch.Tensor, eps: float = 0.0) -> torch.Tensor:
    """L_AB^i = (MC_i − mean(MC)) / mean(MC), and 0 for every cell when mean(MC) = 0 (Eq. 7).

    With eps > 0 the denominator's magnitude is at least eps: near mean(MC) = 0, Eq. 7's 1/mean(MC)
    factor would make L_AB, and its gradient, as large as the noise in MC allows.
    """
    mean = mc.mean()
    denom, _ = _denominator(mean, eps)
    return torch.where(mean == 0, torch.zeros_like(mc), (mc - mean) / denom)


def ablation_loss_gradient(mc: torch.Tensor, grad_full: torch.Tensor, grad_ablated_sum: torch.Tensor,
                           eps: float = 0.0) -> torch.Tensor:
    """Exact ∂L_AB^i/∂w_i for every cell i (w: α or the op weights), from G and S.

    With MC_j = L − L_{\\j}, G = ∂L/∂w and H_j = ∂L_{\\j}/∂w (H_j is zero on cell j, whose weights are not
    used when it is ablated), ∂MC_j/∂w_i = G_i − H_{j,i}, so with m = mean(MC) and S = Σ_j H_j:
        ∂L_AB^i/∂w_i = (G_i · m − MC_i · (n·G_i − S_i) / n) / m².
    Where the eps floor is active the denominator is the constant ±eps:
        ∂L_AB^i/∂w_i = (G_i − ∂m/∂w_i) / (±eps).
    Shapes: mc (n,), grad_full and grad_ablated_sum (n, 14, 7). Zero when m = 0, as L_AB is then constant.
    """
    n = mc.shape[0]
    mean = mc.mean()
    denom, floored = _denominator(mean, eps)
    mc_b = mc.view(n, 1, 1)
    d_mean = (n * grad_full - grad_ablated_sum) / n
    plain = (grad_full * denom - mc_b * d_mean) / (denom * denom)
    grad = torch.where(floored, (grad_full - d_mean) / denom, plain)
    return torch.where(mean == 0, torch.zeros_like(grad), grad)
