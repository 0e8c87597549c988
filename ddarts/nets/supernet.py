"""The D-DARTS search supernet: n individually parameterised cells chained into one proxy network.

Every cell owns its own α (14 edges × 7 ops) instead of sharing a normal and a reduce α as in DARTS.
The forward pass can record the inputs of every cell, so that the marginal-contribution passes can
restart from the cell they ablate instead of recomputing the cells before it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ddarts.space.ops import (
    EDGES,
    N_NODES,
    PRIMITIVES,
    FactorizedReduce,
    ReLUConvBN,
    build_op,
    is_pooling,
    reduction_positions,
)

STEM_MULTIPLIER = 3


def mix_weights(alpha: torch.Tensor, mixing: str) -> torch.Tensor:
    """Op weights of one cell: independent sigmoids (FairDARTS) or a softmax per edge (DARTS)."""
    if mixing == "sigmoid":
        return torch.sigmoid(alpha)
    if mixing == "softmax":
        return F.softmax(alpha, dim=-1)
    raise ValueError(f"unknown mixing {mixing!r}")


class MixedOp(nn.Module):
    """All candidate ops on one edge, summed with the edge's op weights.

    Ops that begin with a ReLU take the edge input's ReLU from the cell, which computes it once per state
    instead of once per op and edge; the sum accumulates in place, one fused multiply-add per op.
    """

    def __init__(self, channels: int, stride: int):
        super().__init__()
        ops = []
        for name in PRIMITIVES:
            op = build_op(name, channels, stride, affine=False)
            if is_pooling(name):
                op = nn.Sequential(op, nn.BatchNorm2d(channels, affine=False))
            ops.append(op)
        self.ops = nn.ModuleList(ops)
        self.relu_first = tuple(hasattr(op, "forward_relu") for op in ops)

    def forward(self, x: torch.Tensor, weights: torch.Tensor, relu_x: torch.Tensor | None = None) -> torch.Tensor:
        if relu_x is None:
            relu_x = F.relu(x)
        out = None
        for k, op in enumerate(self.ops):
            y = op.forward_relu(relu_x) if self.relu_first[k] else op(x)
            if out is None:
                out = weights[k] * y  # a fresh tensor, so the in-place sums below touch nothing shared
            else:
                out.addcmul_(weights[k], y)
        return out

    def op_outputs(self, x: torch.Tensor, relu_x: torch.Tensor) -> list[torch.Tensor]:
        """Every op's output on its own, for a caller that mixes them again with other weights."""
        return [op.forward_relu(relu_x) if self.relu_first[k] else op(x) for k, op in enumerate(self.ops)]


def mix(outputs: Sequence[torch.Tensor], weights: torch.Tensor) -> torch.Tensor:
    """Σ_k weights[k]·outputs[k] into a fresh tensor, leaving `outputs` untouched."""
    out = weights[0] * outputs[0]
    for k in range(1, len(outputs)):
        out.addcmul_(weights[k], outputs[k])
    return out


EdgeOutputs = dict[int, list[torch.Tensor]]
"""α row → the op outputs of that edge, for edges fed by one of a cell's two inputs."""


class SearchCell(nn.Module):
    def __init__(self, c_pp: int, c_p: int, c: int, reduction: bool, reduction_prev: bool):
        super().__init__()
        self.reduction = reduction
        self.preprocess0 = FactorizedReduce(c_pp, c, affine=False) if reduction_prev else ReLUConvBN(c_pp, c, 1, 1, 0, affine=False)
        self.preprocess1 = ReLUConvBN(c_p, c, 1, 1, 0, affine=False)
        self.edges = nn.ModuleList(
            MixedOp(c, 2 if reduction and frm < 2 else 1) for _to, frm in EDGES
        )
        self.out_channels = N_NODES * c

    def forward(self, s0: torch.Tensor | None, s1: torch.Tensor | None, weights: torch.Tensor,
                taps: EdgeOutputs | None = None, known: dict[int, torch.Tensor] | None = None) -> torch.Tensor:
        """The cell's output. `taps`, if given, receives the op outputs of every edge fed by s0 or s1.

        `known` gives, for every edge fed by s0, by s1 or by both, its mixed output (say, such taps mixed with
        other weights) instead; those inputs are then not preprocessed and may be None. An ablation
        recomputes a cell whose inputs, and so these edges' op outputs, are unchanged.
        """
        known = known or {}
        have = {EDGES[row][1] for row in known}
        states: list[torch.Tensor | None] = [None if 0 in have else self.preprocess0(s0),
                                             None if 1 in have else self.preprocess1(s1)]
        relus = [None if s is None else F.relu(s) for s in states]
        row = 0
        for i in range(N_NODES):
            node = None
            for frm in range(len(states)):
                if row in known:
                    term = known[row].clone() if node is None else known[row]  # node sums in place
                elif taps is not None and frm < 2:
                    taps[row] = self.edges[row].op_outputs(states[frm], relus[frm])
                    term = mix(taps[row], weights[row])
                else:
                    term = self.edges[row](states[frm], weights[row], relus[frm])
                node = term if node is None else node.add_(term)  # node is the first edge's fresh sum
                row += 1
            states.append(node)
            if i + 1 < N_NODES:  # the last node feeds no edge
                relus.append(F.relu(node))
        return torch.cat(states[2:], dim=1)


def downsampling_stem(channels: int) -> list[nn.Module]:
    """Large inputs: three stride-2 convolutions (input / 8, as the ImageNet networks' stem) ending in channels // 2,
    before the CIFAR-style stem convolution, so a large image costs the cells what a CIFAR one does."""
    half = channels // 2
    return [nn.Conv2d(3, half, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(half), nn.ReLU(),
            nn.Conv2d(half, half, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(half), nn.ReLU(),
            nn.Conv2d(half, half, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(half), nn.ReLU()]


class Supernet(nn.Module):
    """Stem, n searched cells with reductions at n//3 and 2n//3, global pooling, linear classifier."""

    def __init__(self, n_cells: int, init_channels: int, num_classes: int, mixing: str = "sigmoid",
                 stem: str = "cifar"):
        super().__init__()
        self.n_cells = n_cells
        self.mixing = mixing
        self.reductions = reduction_positions(n_cells)
        c_curr = STEM_MULTIPLIER * init_channels
        if stem not in ("cifar", "imagenet"):
            raise ValueError(f"unknown stem {stem!r}")
        first = downsampling_stem(c_curr) if stem == "imagenet" else []
        # The stem's last BatchNorm is affine, as in the DARTS reference search network: no α acts on it, so
        # unlike the BatchNorms inside the mixed ops it cannot rescale an op against its architecture weight.
        self.stem = nn.Sequential(
            *first,
            nn.Conv2d(c_curr // 2 if first else 3, c_curr, 3, padding=1, bias=False),
            nn.BatchNorm2d(c_curr, affine=True),
        )
        c_pp, c_p, c = c_curr, c_curr, init_channels
        cells = []
        reduction_prev = False
        for i in range(n_cells):
            reduction = i in self.reductions
            if reduction:
                c *= 2
            cell = SearchCell(c_pp, c_p, c, reduction, reduction_prev)
            cells.append(cell)
            reduction_prev = reduction
            c_pp, c_p = c_p, cell.out_channels
        self.cells = nn.ModuleList(cells)
        self.classifier = nn.Linear(c_p, num_classes)
        # One α per cell, each its own Parameter so that each cell gets its own optimizer.
        self.alphas = nn.ParameterList(
            nn.Parameter(torch.zeros(len(EDGES), len(PRIMITIVES))) for _ in range(n_cells)
        )

    # ------------------------------------------------------------------ parameters
    def stem_affine_keys(self) -> tuple[str, str]:
        """State-dict keys of the stem BatchNorm's weight and bias, which searches before it was affine lack."""
        last = len(self.stem) - 1
        return f"stem.{last}.weight", f"stem.{last}.bias"

    def weight_parameters(self) -> list[nn.Parameter]:
        alpha_ids = {id(a) for a in self.alphas}
        return [p for p in self.parameters() if id(p) not in alpha_ids]

    def alpha_parameters(self) -> list[nn.Parameter]:
        return list(self.alphas)

    def op_weights(self) -> list[torch.Tensor]:
        return [mix_weights(a, self.mixing) for a in self.alphas]

    # ------------------------------------------------------------------ forward passes
    def forward(self, x: torch.Tensor, weights: Sequence[torch.Tensor] | None = None,
                record: list[torch.Tensor] | None = None) -> torch.Tensor:
        """Logits; `record` (if given) receives the stem output and every cell's output, in order."""
        if weights is None:
            weights = self.op_weights()
        s = self.stem(x)
        s0 = s1 = s
        if record is not None:
            record.append(s)
        for i, cell in enumerate(self.cells):
            s0, s1 = s1, cell(s0, s1, weights[i])
            if record is not None:
                record.append(s1)
        return self.head(s1)

    def head(self, s: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(F.adaptive_avg_pool2d(s, 1), 1))

    def forward_from(self, j: int, record: Sequence[torch.Tensor], weights: Sequence[torch.Tensor]) -> torch.Tensor:
        """Logits when cells j.. are recomputed with `weights`, reusing the recorded outputs of cells < j.

        record[0] is the stem output and record[k + 1] the output of cell k, as filled by `forward`.
        """
        s0 = record[j - 1] if j >= 1 else record[0]
        s1 = record[j]
        for i in range(j, self.n_cells):
            s0, s1 = s1, self.cells[i](s0, s1, weights[i])
        return self.head(s1)


def upgrade_state_dict(state: dict[str, torch.Tensor], stem_affine: tuple[str, str]) -> bool:
    """Give a state dict from before the affine stem its stem weight 1 and bias 0 (`stem_affine`: their keys),
    which compute exactly what the non-affine BatchNorm computed; True if it was such a state dict. Partial or
    foreign dicts are left for `load_state_dict` to reject."""
    running_mean = stem_affine[0].rsplit(".", 1)[0] + ".running_mean"
    if any(key in state for key in stem_affine) or running_mean not in state:
        return False
    state[stem_affine[0]] = torch.ones_like(state[running_mean])
    state[stem_affine[1]] = torch.zeros_like(state[running_mean])
    return True


def batchnorms(module: nn.Module) -> Iterator[nn.modules.batchnorm._BatchNorm]:
    for m in module.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            yield m


@contextlib.contextmanager
def frozen_bn_statistics(module: nn.Module) -> Iterator[None]:
    """Batch statistics without touching running statistics: ablation passes must not perturb the supernet."""
    bns = [bn for bn in batchnorms(module) if bn.track_running_stats]
    for bn in bns:
        bn.track_running_stats = False
    try:
        yield
    finally:
        for bn in bns:
            bn.track_running_stats = True
