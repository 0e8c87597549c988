"""Derived (evaluation) networks: a genotype built as a trainable CIFAR or ImageNet classifier.

Follows the DARTS evaluation networks (affine BatchNorm, auxiliary head, drop path) with D-DARTS'
per-cell genotypes: each position of the network has its own cell, so the channel count each cell
outputs (live output nodes x C) is tracked position by position. See docs/derive.md.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ddarts.errors import GenotypeError
from ddarts.genotype.core import DartsGenotype, Genotype
from ddarts.genotype.derive import derive_genotype
from ddarts.nets.cells import AuxiliaryHead, DerivedCell, cell_wiring

INPUT_KINDS = ("cifar", "imagenet")
INPUT_RESOLUTION = {"cifar": 32, "imagenet": 224}
"""The resolution each kind is designed for: counts and exports use it; the auxiliary head is sized for it."""
DEFAULT_LAYERS = {"cifar": 20, "imagenet": 14}
"""Depth a DARTS-format (normal/reduce pair) genotype is stacked to when no depth is given."""
STEM_MULTIPLIER = 3
AUX_PREFIX = "auxiliary_head."


def _positive_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise GenotypeError(f"{name}: expected a positive integer, got {value!r}")
    return value


def resolve_genotype(genotype: Genotype | DartsGenotype, layers: int | None = None,
                     input_kind: str = "cifar") -> Genotype:
    """The per-position genotype a network is built from.

    A DARTS pair is stacked to `layers` (default 20 for CIFAR, 14 for ImageNet); a D-DARTS genotype is
    used as searched, or grown to `layers` with Algorithm 1 (ddarts.genotype.derive) when `layers` differs.
    """
    if input_kind not in INPUT_KINDS:
        raise GenotypeError(f"input kind: {input_kind!r} is not one of {', '.join(INPUT_KINDS)}")
    if layers is not None:
        _positive_int(layers, "layers")
    if isinstance(genotype, DartsGenotype):
        resolved = genotype.stack(DEFAULT_LAYERS[input_kind] if layers is None else layers)
    elif isinstance(genotype, Genotype):
        resolved = genotype if layers is None or layers == genotype.n_cells else derive_genotype(genotype, layers)
    else:
        raise GenotypeError(f"expected a Genotype or DartsGenotype, got {type(genotype).__name__}")
    resolved.check_buildable()
    return resolved


def auxiliary_position(genotype: Genotype) -> int:
    """The cell the auxiliary head reads: the last reduction cell (2n div 3 in the standard layout).

    Legacy genotypes state other reductions ([2, 6] of 8); after the last reduction the feature map has
    the size the head was designed for (8x8 on CIFAR), wherever that reduction sits.
    """
    return max(genotype.reductions) if genotype.reductions else 2 * genotype.n_cells // 3


class DerivedNetwork(nn.Module):
    """Stem, one DerivedCell per genotype position, global pooling, linear classifier, optional aux head.

    forward(x) returns (logits, aux_logits); aux_logits is None unless training with the auxiliary head.
    The classifier pools adaptively: identical to the 7x7 ImageNet pool at 224x224 and to DARTS' global
    pool on CIFAR, while still accepting other input sizes.
    """

    def __init__(self, genotype: Genotype, init_channels: int = 36, num_classes: int = 10,
                 input_kind: str = "cifar", auxiliary: bool = True, drop_path_prob: float = 0.0,
                 image_size: int | None = None):
        super().__init__()
        c = _positive_int(init_channels, "init_channels")
        _positive_int(num_classes, "num_classes")
        if input_kind not in INPUT_KINDS:
            raise GenotypeError(f"input kind: {input_kind!r} is not one of {', '.join(INPUT_KINDS)}")
        self.genotype = genotype
        self.input_kind = input_kind
        self.num_classes = num_classes
        self.drop_path_prob = float(drop_path_prob)
        self.imagenet = input_kind == "imagenet"
        self.image_size = _positive_int(image_size, "image_size") if image_size is not None else INPUT_RESOLUTION[input_kind]
        spatial = self.image_size
        if self.imagenet:
            if c % 2:
                raise GenotypeError(f"init_channels: the ImageNet stem halves C, so it must be even, got {c}")
            self.stem0 = nn.Sequential(
                nn.Conv2d(3, c // 2, 3, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(c // 2),
                nn.ReLU(inplace=False),
                nn.Conv2d(c // 2, c, 3, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(c),
            )
            self.stem1 = nn.Sequential(
                nn.ReLU(inplace=False),
                nn.Conv2d(c, c, 3, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(c),
            )
            c_pp, c_p, reduction_prev = c, c, True
            spatial = math.ceil(math.ceil(math.ceil(spatial / 2) / 2) / 2)
        else:
            c_stem = STEM_MULTIPLIER * c
            self.stem = nn.Sequential(nn.Conv2d(3, c_stem, 3, padding=1, bias=False), nn.BatchNorm2d(c_stem))
            c_pp, c_p, reduction_prev = c_stem, c_stem, False

        self.aux_position = auxiliary_position(genotype)
        aux_channels, aux_spatial = 0, 0
        cells = []
        c_curr = c
        for i in range(genotype.n_cells):
            reduction = genotype.is_reduction(i)
            if reduction:
                c_curr *= 2
                spatial = math.ceil(spatial / 2)
            wiring = cell_wiring(genotype.live_edges(i), genotype.concat)
            cell = DerivedCell(wiring, c_pp, c_p, c_curr, reduction, reduction_prev)
            cells.append(cell)
            reduction_prev = reduction
            c_pp, c_p = c_p, cell.out_channels
            if i == self.aux_position:
                aux_channels, aux_spatial = c_p, spatial
        self.cells = nn.ModuleList(cells)
        self.auxiliary_head = (
            AuxiliaryHead(aux_channels, num_classes, self.imagenet, aux_spatial) if auxiliary else None
        )
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_p, num_classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        if self.imagenet:
            s0 = self.stem0(x)
            s1 = self.stem1(s0)
        else:
            s0 = s1 = self.stem(x)
        aux = None
        for i, cell in enumerate(self.cells):
            s0, s1 = s1, cell(s0, s1, self.drop_path_prob)
            if i == self.aux_position and self.auxiliary_head is not None and self.training:
                aux = self.auxiliary_head(s1)
        logits = self.classifier(torch.flatten(self.global_pooling(s1), 1))
        return logits, aux


def build_network(genotype: Genotype | DartsGenotype, *, init_channels: int = 36, num_classes: int = 10,
                  input_kind: str = "cifar", layers: int | None = None, auxiliary: bool = True,
                  drop_path_prob: float = 0.0, image_size: int | None = None) -> DerivedNetwork:
    """An evaluation network; `layers` stacks a DARTS pair or grows a D-DARTS genotype (Algorithm 1).

    `image_size` (default: 32 for cifar, 224 for imagenet) only sizes the auxiliary head; the classifier pools
    adaptively, so any input size runs."""
    resolved = resolve_genotype(genotype, layers, input_kind)
    return DerivedNetwork(resolved, init_channels=init_channels, num_classes=num_classes, input_kind=input_kind,
                          auxiliary=auxiliary, drop_path_prob=drop_path_prob, image_size=image_size)


def strip_auxiliary(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The weights without the auxiliary head, which only serves training."""
    return {k: v for k, v in state_dict.items() if not k.startswith(AUX_PREFIX)}
