"""Parameter and multiply-add counts of derived networks, comparable with published figures.

Published counts (DARTS, FairDARTS, D-DARTS) exclude the auxiliary head, and multiply-adds are measured
in eval mode on one image at the dataset's resolution (32x32 CIFAR, 224x224 ImageNet), counting
convolutions and linear layers; FlopCounterMode counts FLOPs, two per multiply-add.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from ddarts.genotype.core import DartsGenotype, Genotype
from ddarts.nets.cells import AuxiliaryHeadError
from ddarts.nets.network import DerivedNetwork, build_network


@dataclass(frozen=True)
class NetworkStats:
    params: int
    params_without_aux: int
    macs: int
    input_size: tuple[int, int, int, int]

    def to_json(self) -> dict:
        data = asdict(self)
        data["input_size"] = list(self.input_size)
        return data


def count_parameters(module: nn.Module | None) -> int:
    return 0 if module is None else sum(p.numel() for p in module.parameters())


def count_macs(net: nn.Module, input_size: tuple[int, int, int, int]) -> int:
    """Multiply-adds of one forward pass in eval mode; the network's mode is restored afterwards."""
    was_training = net.training
    net.eval()
    try:
        device = next(net.parameters()).device
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            net(torch.zeros(input_size, device=device))
        return int(counter.get_total_flops()) // 2
    finally:
        net.train(was_training)


def network_stats(net: DerivedNetwork) -> NetworkStats:
    side = net.image_size
    input_size = (1, 3, side, side)
    params = count_parameters(net)
    return NetworkStats(
        params=params,
        params_without_aux=params - count_parameters(net.auxiliary_head),
        macs=count_macs(net, input_size),
        input_size=input_size,
    )


def describe_network(genotype: Genotype | DartsGenotype, *, layers: int | None = None, init_channels: int = 36,
                     num_classes: int = 10, input_kind: str = "cifar") -> NetworkStats:
    """Counts of the network build_network makes from these arguments, auxiliary head included in `params`.

    A layout with no room for the auxiliary head (e.g. three reductions on CIFAR) is counted without it.
    """
    return network_stats(build_counted_network(genotype, layers=layers, init_channels=init_channels,
                                               num_classes=num_classes, input_kind=input_kind))


def build_counted_network(genotype: Genotype | DartsGenotype, **kwargs) -> DerivedNetwork:
    """build_network with its auxiliary head where the layout has room for one."""
    try:
        return build_network(genotype, auxiliary=True, **kwargs)
    except AuxiliaryHeadError:
        return build_network(genotype, auxiliary=False, **kwargs)
