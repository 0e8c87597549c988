"""Cells of a derived (evaluation) network, built from one cell's genotype edges.

A derived cell keeps only what can influence its output: dead nodes (no op from a live source), nodes
whose value never reaches the output, and an input preprocessing that no kept op reads are all
dropped, so every parameter of a derived network receives a gradient and parameter counts reflect
what is actually computed.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ddarts.errors import GenotypeError
from ddarts.space.ops import FactorizedReduce, Identity, ReLUConvBN, build_op

Edge = tuple[str, int, int]


class AuxiliaryHeadError(GenotypeError):
    """The feature map where the auxiliary head would sit is too small for it."""


@dataclass(frozen=True)
class CellWiring:
    """What a derived cell computes: its kept edges (node order), output nodes and used inputs."""

    edges: tuple[Edge, ...]
    outputs: tuple[int, ...]
    uses_input0: bool
    uses_input1: bool


def cell_wiring(live_edges: tuple[Edge, ...], concat: tuple[int, ...]) -> CellWiring:
    """Prune live edges backwards from the output so that nothing unused is built.

    `live_edges` already excludes dead nodes (Genotype.live_edges); a live node outside `concat` is kept
    only when a kept node reads it.
    """
    live_nodes = {to for _, to, _ in live_edges}
    outputs = tuple(sorted(n for n in concat if n in live_nodes))
    if not outputs:
        raise GenotypeError(f"no live output node among {list(concat)}: the cell has no output")
    needed = set(outputs)
    for node in sorted(live_nodes, reverse=True):
        if node in needed:
            needed.update(frm for _, to, frm in live_edges if to == node)
    kept = tuple(sorted((e for e in live_edges if e[1] in needed), key=lambda e: (e[1], e[2])))
    sources = {frm for _, _, frm in kept}
    return CellWiring(edges=kept, outputs=outputs, uses_input0=0 in sources, uses_input1=1 in sources)


def drop_path(x: torch.Tensor, drop_prob: float) -> torch.Tensor:
    """Zero whole samples with probability `drop_prob`, scaling survivors so the expectation is unchanged."""
    keep = 1.0 - drop_prob
    mask = torch.empty((x.shape[0], 1, 1, 1), dtype=x.dtype, device=x.device).bernoulli_(keep)
    return x * mask / keep


class DerivedCell(nn.Module):
    """One cell of an evaluation network: each kept node sums the ops of its kept incoming edges."""

    def __init__(self, wiring: CellWiring, c_pp: int, c_p: int, c: int, reduction: bool, reduction_prev: bool):
        super().__init__()
        self.reduction = reduction
        self.outputs = wiring.outputs
        self.out_channels = len(wiring.outputs) * c
        self.preprocess0: nn.Module | None = None
        if wiring.uses_input0:
            self.preprocess0 = FactorizedReduce(c_pp, c) if reduction_prev else ReLUConvBN(c_pp, c, 1, 1, 0)
        self.preprocess1: nn.Module | None = ReLUConvBN(c_p, c, 1, 1, 0) if wiring.uses_input1 else None
        self.ops = nn.ModuleList(
            build_op(op, c, 2 if reduction and frm < 2 else 1, affine=True) for op, _, frm in wiring.edges
        )
        self.targets = tuple(to for _, to, _ in wiring.edges)
        self.sources = tuple(frm for _, _, frm in wiring.edges)
        self.is_identity = tuple(isinstance(op, Identity) for op in self.ops)

    def forward(self, s0: torch.Tensor, s1: torch.Tensor, drop_prob: float = 0.0) -> torch.Tensor:
        states: dict[int, torch.Tensor] = {}
        if self.preprocess0 is not None:
            states[0] = self.preprocess0(s0)
        if self.preprocess1 is not None:
            states[1] = self.preprocess1(s1)
        for k, op in enumerate(self.ops):
            h = op(states[self.sources[k]])
            if self.training and drop_prob > 0.0 and not self.is_identity[k]:
                h = drop_path(h, drop_prob)
            to = self.targets[k]
            states[to] = h if to not in states else states[to] + h
        return torch.cat([states[n] for n in self.outputs], dim=1)


class AuxiliaryHead(nn.Module):
    """The DARTS auxiliary classifier, CIFAR (AvgPool stride 3, BN after the 768 conv) or ImageNet flavour."""

    def __init__(self, c_in: int, num_classes: int, imagenet: bool, spatial: int):
        super().__init__()
        stride = 2 if imagenet else 3
        out = (spatial - 5) // stride if spatial >= 5 else 0  # after the 5x5 pool and the 2x2 conv
        if out < 1:
            raise AuxiliaryHeadError(
                f"the auxiliary head needs a feature map of at least {5 + stride}x{5 + stride} where it sits, "
                f"this layout gives {spatial}x{spatial}; build without the auxiliary head"
            )
        layers: list[nn.Module] = [
            nn.ReLU(inplace=False),
            nn.AvgPool2d(5, stride=stride, padding=0, count_include_pad=False),
            nn.Conv2d(c_in, 128, 1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(inplace=False),
            nn.Conv2d(128, 768, 2, bias=False),
        ]
        if not imagenet:
            layers.append(nn.BatchNorm2d(768))
        layers.append(nn.ReLU(inplace=False))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(768 * out * out, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.features(x), 1))
