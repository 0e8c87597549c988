"""The exact α gradient of L_T^i (paper Eq. 9), L_AB included, without n full backward passes.

∂L_AB^i/∂α_i needs G = ∂L/∂w and S = Σ_j ∂L_{\\j}/∂w (w: the op weights). Computed naively, each of the n
ablated losses is backpropagated through the whole network: n full backward passes. Here the forward pass is
cut at every cell output, and the network is walked backwards one cell at a time:

- ablation j changes nothing below cell j, and nothing that cell j or cell j + 1 computes from an unchanged
  input: the op outputs of cell j's eight input edges and of cell j + 1's four edges from its first input
  (the output of cell j − 1) are those of the full pass, tapped there and only mixed again with the
  ablation's weights (18% of the ablated edges at 8 cells). The rest, cells j..n−1, runs anew and is
  backpropagated only as far as those taps; what reaches them is kept as a seed on them;
- the seeds of all ablations are summed and carried down through the full pass in one shared backward walk,
  next to the walk that carries ∂L/∂(cell output) for G;
- the walk visits cell k only after ablations k and k − 1, the last to use its taps, have run, and frees cell
  k's graph right after, so one ablated graph plus the not-yet-visited part of the full pass is alive at any
  time: the peak memory stays about that of the plain α step.

Two walks are needed because L_AB weighs G and S differently for each cell; they are combined only once every
marginal contribution is known (`ablation_loss_gradient`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

import torch

from ddarts.nets.supernet import EdgeOutputs, Supernet, frozen_bn_statistics
from ddarts.space.ops import EDGES


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


def _add(seeds: dict, index, grad: torch.Tensor) -> None:
    seeds[index] = grad if index not in seeds else seeds[index] + grad


def _cut(taps: EdgeOutputs, keep: Callable[[int], bool]) -> EdgeOutputs:
    return {row: [t.detach().requires_grad_() for t in ys] for row, ys in taps.items() if keep(row)}


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
    taps: list[EdgeOutputs] = []
    for k in range(n):
        a, b = _inputs(k)
        taps.append({})
        with autocast():
            out = model.cells[k](record[a], record[b], leaves[k], taps=taps[k])
        outputs.append(out)
        record.append(out.detach().requires_grad_())
    with autocast():
        logits = model.head(record[n])
    loss = ce(logits, y)
    (top,) = torch.autograd.grad(scale(loss), [record[n]])

    full_seeds: dict[int, torch.Tensor] = {n: top}
    ablated_seeds: dict[int, torch.Tensor] = {}
    injected: list[dict[tuple[int, int], torch.Tensor]] = [{} for _ in range(n)]  # (row, op) → S-seed on a tap
    grad_full: list[torch.Tensor | None] = [None] * n
    grad_ablated = [torch.zeros_like(w) for w in leaves]
    ablated: list[torch.Tensor | None] = [None] * n

    def ablate(j: int) -> None:
        """L_{\\j}: cell j mixes its recorded input edges with random weights, cell j + 1 reuses the edges of
        its unchanged first input, cells above run anew; what reaches the reused op outputs is kept for the walk."""
        # Cut copies: a tap may feed another (skip_connect returns its input), and the full graph must stay whole.
        reused = {j: _cut(taps[j], lambda row: True)}
        if j + 1 < n:
            reused[j + 1] = _cut(taps[j + 1], lambda row: EDGES[row][1] == 0)
        with frozen_bn_statistics(model), autocast():
            s0, s1 = record[j], model.cells[j](None, None, random_weights[j], known=reused[j])
            for i in range(j + 1, n):
                s0, s1 = s1, model.cells[i](s0, s1, leaves[i], known=reused.get(i))
            loss_j = ce(model.head(s1), y)
        ablated[j] = loss_j.detach()
        tapped = [(i, (row, o)) for i, rows in reused.items() for row, ys in rows.items() for o in range(len(ys))]
        grads = torch.autograd.grad(scale(loss_j), leaves[j + 1:] + [reused[i][row][o] for i, (row, o) in tapped])
        for i, g in zip(range(j + 1, n), grads):
            grad_ablated[i] += g
        for (i, key), g in zip(tapped, grads[n - j - 1:]):
            _add(injected[i], key, g)

    def walk(k: int, roots: list[torch.Tensor], seeds: list[torch.Tensor], retain: bool) -> list:
        """Backpropagate `seeds` on `roots` (cell k's output, its tapped op outputs) into its op weights and
        (as new seeds) its recorded inputs."""
        seeds_at = sorted({i for i in _inputs(k) if i >= 1})
        grads = torch.autograd.grad(roots, [leaves[k]] + [record[i] for i in seeds_at], seeds,
                                    retain_graph=retain, allow_unused=True)
        return [grads[0]] + [(i, g) for i, g in zip(seeds_at, grads[1:]) if g is not None]

    def visit(k: int) -> None:
        first, *rest = walk(k, [outputs[k]], [full_seeds.pop(k + 1)], retain=True)  # type: ignore[list-item]
        grad_full[k] = first
        for i, g in rest:
            _add(full_seeds, i, g)
        roots = [taps[k][row][o] for row, o in injected[k]]
        seeds = list(injected[k].values())
        seed_s = ablated_seeds.pop(k + 1, None)
        if seed_s is not None:
            roots, seeds = [outputs[k]] + roots, [seed_s] + seeds  # type: ignore[list-item]
        first, *rest = walk(k, roots, seeds, retain=False)
        if first is not None:
            grad_ablated[k] += first
        for i, g in rest:
            _add(ablated_seeds, i, g)
        outputs[k] = None  # its graph is spent; drop the last references to its activations
        taps[k] = injected[k] = {}

    # Cell k's graph is walked once ablations k and k − 1, which reuse its op outputs, have run.
    for k in reversed(range(n)):
        ablate(k)
        if k + 1 < n:
            visit(k + 1)
    visit(0)
    return ExactPass(logits=logits, loss=loss.detach(), ablated=torch.stack(ablated),  # type: ignore[arg-type]
                     grad_full=torch.stack(grad_full),  # type: ignore[arg-type]
                     grad_ablated_sum=torch.stack(grad_ablated))
