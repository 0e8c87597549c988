"""The exact α gradient of L_T^i (paper Eq. 9), L_AB included, at about the cost of one more backward pass.

∂L_AB^i/∂α_i needs G = ∂L/∂w and S = Σ_j ∂L_{\\j}/∂w (w: the op weights). Computed naively, each of the n
ablated losses is backpropagated through the whole network: n full backward passes. Here the forward pass is
cut at every cell output, and the network is walked backwards one cell at a time:

- ablation j restarts from the recorded outputs of cells j−2 and j−1 and is backpropagated only through its
  own cells j..n−1; what reaches its two inputs is kept as a seed on those recorded outputs;
- the seeds of all ablations are summed and carried down through cells < j of the full pass in one shared
  backward walk, next to the walk that carries ∂L/∂(cell output) for G;
- the walk visits cell k only after every ablation that starts above k has run, and frees cell k's graph right
  after, so at most one ablated graph plus the not-yet-visited part of the full pass is alive at any time: the
  peak memory stays that of the plain α step.

Two walks are needed because L_AB weighs G and S differently for each cell; they are combined only once every
marginal contribution is known (`ablation_loss_gradient`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

import torch

from ddarts.nets.supernet import Supernet, frozen_bn_statistics


@dataclass(frozen=True)
class ExactPass:
    """One α-split batch seen by the exact mode; gradients are w.r.t. the op weights, scaled like the loss."""

    logits: torch.Tensor
    loss: torch.Tensor
    ablated: torch.Tensor
    grad_full: torch.Tensor
    grad_ablated_sum: torch.Tensor


def _inputs(k: int) -> tuple[int, int]:
    """Record indices of cell k's two inputs: record[0] is the stem output, record[i + 1] cell i's output."""
    return (k - 1 if k >= 1 else 0), k


def _add(seeds: dict[int, torch.Tensor], index: int, grad: torch.Tensor) -> None:
    seeds[index] = grad if index not in seeds else seeds[index] + grad


def exact_pass(model: Supernet, x: torch.Tensor, y: torch.Tensor, op_weights: Sequence[torch.Tensor],
               random_weights: torch.Tensor, autocast: Callable[[], AbstractContextManager],
               ce: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
               scale: Callable[[torch.Tensor], torch.Tensor]) -> ExactPass:
    """L, every L_{\\j}, G and S for the current α; updates BatchNorm running statistics once, as a forward."""
    n = model.n_cells
    leaves = [w.detach().requires_grad_() for w in op_weights]
    with torch.no_grad(), autocast():  # no α below the first cell: nothing to backpropagate into the stem
        record: list[torch.Tensor] = [model.stem(x)]
    outputs: list[torch.Tensor | None] = []
    for k in range(n):
        a, b = _inputs(k)
        with autocast():
            out = model.cells[k](record[a], record[b], leaves[k])
        outputs.append(out)
        record.append(out.detach().requires_grad_())
    with autocast():
        logits = model.head(record[n])
    loss = ce(logits, y)
    (top,) = torch.autograd.grad(scale(loss), [record[n]])

    full_seeds: dict[int, torch.Tensor] = {n: top}
    ablated_seeds: dict[int, torch.Tensor] = {}
    grad_full: list[torch.Tensor | None] = [None] * n
    grad_ablated = [torch.zeros_like(w) for w in leaves]
    ablated: list[torch.Tensor | None] = [None] * n

    def ablate(j: int) -> None:
        mixed = list(leaves)
        mixed[j] = random_weights[j]
        a, b = _inputs(j)
        with frozen_bn_statistics(model), autocast():
            s0, s1 = record[a], record[b]
            for i in range(j, n):
                s0, s1 = s1, model.cells[i](s0, s1, mixed[i])
            loss_j = ce(model.head(s1), y)
        ablated[j] = loss_j.detach()
        seeds_at = sorted({i for i in (a, b) if i >= 1})
        grads = torch.autograd.grad(scale(loss_j), leaves[j + 1:] + [record[i] for i in seeds_at])
        for i, g in zip(range(j + 1, n), grads):
            grad_ablated[i] += g
        for i, g in zip(seeds_at, grads[n - j - 1:]):
            _add(ablated_seeds, i, g)

    def walk(k: int, seed: torch.Tensor, retain: bool) -> list[torch.Tensor]:
        """Backpropagate `seed` on cell k's output into its op weights and (as new seeds) its inputs."""
        seeds_at = sorted({i for i in _inputs(k) if i >= 1})
        grads = torch.autograd.grad(outputs[k], [leaves[k]] + [record[i] for i in seeds_at], seed,
                                    retain_graph=retain)
        return [grads[0]] + [(i, g) for i, g in zip(seeds_at, grads[1:])]  # type: ignore[list-item]

    for k in reversed(range(n)):
        if k + 1 < n:
            ablate(k + 1)  # its seeds land on the outputs of cells k − 1 and k
        seed_s = ablated_seeds.pop(k + 1, None)
        first, *rest = walk(k, full_seeds.pop(k + 1), retain=seed_s is not None)
        grad_full[k] = first
        for i, g in rest:
            _add(full_seeds, i, g)
        if seed_s is not None:
            first, *rest = walk(k, seed_s, retain=False)
            grad_ablated[k] += first
            for i, g in rest:
                _add(ablated_seeds, i, g)
        outputs[k] = None  # its graph is spent; drop the last reference to its activations
    ablate(0)
    return ExactPass(logits=logits, loss=loss.detach(), ablated=torch.stack(ablated),  # type: ignore[arg-type]
                     grad_full=torch.stack(grad_full),  # type: ignore[arg-type]
                     grad_ablated_sum=torch.stack(grad_ablated))
