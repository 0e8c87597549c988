"""The exact α gradient of L_T^i (paper Eq. 9), L_AB included, without n full backward passes.

∂L_AB^i/∂α_i needs G = ∂L/∂w and S = Σ_j ∂L_{\\j}/∂w (w: the op weights). Computed naively, each of the n
ablated losses is backpropagated through the whole network: n full backward passes. Here the forward pass is
cut at every cell output, and the network is walked backwards one cell at a time:

- ablation j changes nothing below cell j, nor the op outputs of cell j's eight edges fed by its inputs. From
  the first reduction cell on, these are tapped in the full pass and only mixed again with the ablation's
  weights (9.5% of the ablated edges at 8 cells); the rest of cell j and cells j+1..n−1 run anew and are
  backpropagated only as far as the taps and the recorded outputs they read; what reaches them is kept as
  a seed there;
- the seeds of all ablations are summed and carried down through the full pass in one shared backward walk,
  next to the walk that carries ∂L/∂(cell output) for G;
- the walk visits cell k once no ablation needs its graph any more (right after ablation k where that reuses
  cell k's taps, before it otherwise) and frees it, so one ablated graph and the not-yet-visited part of the
  full pass are alive at any time: the peak memory stays near that of the plain α step.

Memory against time, measured at the bench shape (8 cells, C = 8, batch 16): reusing taps from cell 0 on
would save 13% of the ablated edges but keep a full-resolution cell's graph alive next to a whole ablated
network (peak +10% over L_F); reusing cell j + 1's edges from its unchanged first input as well, 18%, at
+30%. From the first reduction on it is +6%.

Two walks are needed because L_AB weighs G and S differently for each cell; they are combined only once every
marginal contribution is known (`ablation_loss_gradient`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

import torch

from ddarts.nets.supernet import EdgeOutputs, Supernet, frozen_bn_statistics, mix


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
    taps: list[EdgeOutputs] = []
    reuse_from = model.reductions[0]  # see the module docstring: memory against time
    for k in range(n):
        a, b = _inputs(k)
        taps.append({})
        with autocast():
            out = model.cells[k](record[a], record[b], leaves[k], taps=taps[k] if k >= reuse_from else None)
        outputs.append(out)
        record.append(out.detach().requires_grad_())
    with autocast():
        logits = model.head(record[n])
    loss = ce(logits, y)
    (top,) = torch.autograd.grad(scale(loss), [record[n]])

    full_seeds: dict[int, torch.Tensor] = {n: top}
    ablated_seeds: dict[int, torch.Tensor] = {}
    # per cell: its input edges as ablation k mixed them, on the full graph, and the S-seeds that reached them
    injected: list[tuple[list[torch.Tensor], list[torch.Tensor]]] = [([], []) for _ in range(n)]
    grad_full: list[torch.Tensor | None] = [None] * n
    grad_ablated = [torch.zeros_like(w) for w in leaves]
    ablated: list[torch.Tensor | None] = [None] * n

    def ablate(j: int, reuse: bool) -> None:
        """L_{\\j}: cell j with random weights, cells above with α; what reaches cell j's taps (`reuse`) or the
        recorded outputs it reads is kept for the walk."""
        a, b = _inputs(j)
        known, mixed = None, {}
        if reuse:  # the input edges' op outputs are the full pass's; only their mix changes. The mix hangs on
            with autocast():  # the full graph for the walk; the ablation sees it as a leaf, so it stops there
                mixed = {row: mix(ys, random_weights[j][row]) for row, ys in taps[j].items()}
            known = {row: m.detach().requires_grad_() for row, m in mixed.items()}
        with frozen_bn_statistics(model), autocast():
            s0, s1 = record[b], model.cells[j](record[a], record[b], random_weights[j], known=known)
            for i in range(j + 1, n):
                s0, s1 = s1, model.cells[i](s0, s1, leaves[i])
            loss_j = ce(model.head(s1), y)
        ablated[j] = loss_j.detach()
        if reuse:  # cell j reads no recorded output itself; cell j + 1 reads cell j − 1's
            read = {b} if j + 1 < n else set()
        else:
            read = {a, b}
        seeds_at = sorted(i for i in read if i >= 1)
        rows = list(mixed)
        grads = torch.autograd.grad(scale(loss_j), leaves[j + 1:] + [record[i] for i in seeds_at]
                                    + [known[row] for row in rows])  # type: ignore[index]
        for i, g in zip(range(j + 1, n), grads):
            grad_ablated[i] += g
        for i, g in zip(seeds_at, grads[n - j - 1:]):
            _add(ablated_seeds, i, g)
        injected[j] = ([mixed[row] for row in rows], list(grads[n - j - 1 + len(seeds_at):]))

    def walk(k: int, roots: list[torch.Tensor], seeds: list[torch.Tensor], retain: bool) -> list:
        """Backpropagate `seeds` on `roots` (cell k's output, its input edges as an ablation mixed them) into
        its op weights and (as new seeds) its recorded inputs."""
        seeds_at = sorted({i for i in _inputs(k) if i >= 1})
        grads = torch.autograd.grad(roots, [leaves[k]] + [record[i] for i in seeds_at], seeds,
                                    retain_graph=retain, allow_unused=True)
        return [grads[0]] + [(i, g) for i, g in zip(seeds_at, grads[1:]) if g is not None]

    def visit(k: int) -> None:
        """Both walks through cell k, the ablations' first: the second frees the graph as it goes, so cell k
        with nothing to carry for the ablations (the top one, without reuse) is walked at L_F's peak."""
        roots, seeds = injected[k]
        seed_s = ablated_seeds.pop(k + 1, None)
        if seed_s is not None:
            roots, seeds = [outputs[k]] + roots, [seed_s] + seeds  # type: ignore[list-item]
        if roots:
            first, *rest = walk(k, roots, seeds, retain=True)
            if first is not None:
                grad_ablated[k] += first
            for i, g in rest:
                _add(ablated_seeds, i, g)
        first, *rest = walk(k, [outputs[k]], [full_seeds.pop(k + 1)], retain=False)  # type: ignore[list-item]
        grad_full[k] = first
        for i, g in rest:
            _add(full_seeds, i, g)
        outputs[k] = None  # its graph is spent; drop the last references to its activations
        taps[k], injected[k] = {}, ([], [])

    for k in reversed(range(n)):
        if k >= reuse_from:  # cell k's graph is walked after ablation k, which reuses its op outputs
            ablate(k, reuse=True)
            visit(k)
        else:  # freed first: the largest cells' graphs are not kept alive next to an ablated network
            visit(k)
            ablate(k, reuse=False)
    return ExactPass(logits=logits, loss=loss.detach(), ablated=torch.stack(ablated),  # type: ignore[arg-type]
                     grad_full=torch.stack(grad_full),  # type: ignore[arg-type]
                     grad_ablated_sum=torch.stack(grad_ablated))
