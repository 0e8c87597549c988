"""The D-DARTS loss terms (paper Eq. 3, 6, 7, 9), written to stay on the device without synchronising."""

from __future__ import annotations

import torch


def zero_one_loss(weights: torch.Tensor) -> torch.Tensor:
    """FairDARTS' L_01 (Eq. 3): −mean((w − ½)²); pushes every op weight towards 0 or 1."""
    return -torch.mean((weights - 0.5) ** 2)


def ablation_losses(mc: torch.Tensor) -> torch.Tensor:
    """L_AB^i = (MC_i − mean(MC)) / mean(MC), and 0 for every cell when mean(MC) = 0 (Eq. 7).

    `torch.where` keeps the zero case on the device: no `if` on a tensor value, so no host sync.
    """
    mean = mc.mean()
    safe = torch.where(mean == 0, torch.ones_like(mean), mean)
    return torch.where(mean == 0, torch.zeros_like(mc), (mc - mean) / safe)


def ablation_loss_gradient(mc: torch.Tensor, grad_full: torch.Tensor, grad_ablated_sum: torch.Tensor) -> torch.Tensor:
    """Exact ∂L_AB^i/∂α_i for every cell i, from gradients gathered one ablated pass at a time.

    With MC_j = L − L_{\\j}, G = ∂L/∂α and H_j = ∂L_{\\j}/∂α (H_j is zero on cell j, whose α is not used
    when it is ablated), ∂MC_j/∂α_i = G_i − H_{j,i}, so with m = mean(MC) and S = Σ_j H_j:
        ∂L_AB^i/∂α_i = (G_i · m − MC_i · (n·G_i − S_i) / n) / m².
    Shapes: mc (n,), grad_full and grad_ablated_sum (n, 14, 7). Zero when m = 0, as L_AB is then constant.
    """
    n = mc.shape[0]
    mean = mc.mean()
    safe = torch.where(mean == 0, torch.ones_like(mean), mean)
    mc_b = mc.view(n, 1, 1)
    d_mean = (n * grad_full - grad_ablated_sum) / n
    grad = (grad_full * safe - mc_b * d_mean) / (safe * safe)
    return torch.where(mean == 0, torch.zeros_like(grad), grad)
