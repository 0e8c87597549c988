from pathlib import Path

import pytest
import torch
from torch import nn

from ddarts.genotype import Genotype, load_genotype
from ddarts.nets.count import (
    NetworkStats,
    count_macs,
    count_parameters,
    describe_network,
    network_stats,
)
from ddarts.nets.network import build_network

DARTS_V2 = Path(__file__).resolve().parents[2] / "data" / "reference-genotypes" / "DARTS_V2.txt"
CELL = (("sep_conv_3x3", 2, 0), ("skip_connect", 2, 1), ("max_pool_3x3", 3, 2), ("dil_conv_5x5", 4, 1),
        ("avg_pool_3x3", 5, 0))


def test_darts_v2_matches_the_reference_implementation():
    # DARTS reports 3.3M parameters for this cell pair at C = 36, 20 cells, without the auxiliary head;
    # the reference code's count is 3,349,342 and its auxiliary head adds 476,426.
    stats = describe_network(load_genotype(DARTS_V2))
    assert stats.params_without_aux == 3_349_342
    assert round(stats.params_without_aux / 1e6, 2) == 3.35
    assert stats.params == 3_349_342 + 476_426
    assert stats.macs == 528_359_040
    assert stats.input_size == (1, 3, 32, 32)


def test_macs_are_half_the_flops_of_convolutions_and_linear_layers():
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(),
                        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 5))
    # conv: 8*8 outputs x 4 channels x 3*3*3 multiply-adds; linear: 4 x 5.
    assert count_macs(net, (1, 3, 8, 8)) == 8 * 8 * 4 * 27 + 4 * 5


def test_counting_restores_training_mode():
    net = build_network(Genotype(cells=(CELL,) * 3, reductions=(1, 2)), init_channels=4).train()
    count_macs(net, (1, 3, 32, 32))
    assert net.training


def test_auxiliary_head_parameters_are_separated():
    net = build_network(Genotype(cells=(CELL,) * 3, reductions=(1, 2)), init_channels=4, num_classes=10)
    stats = network_stats(net)
    assert stats.params == count_parameters(net)
    assert stats.params - stats.params_without_aux == count_parameters(net.auxiliary_head)
    no_aux = build_network(Genotype(cells=(CELL,) * 3, reductions=(1, 2)), init_channels=4, auxiliary=False)
    assert count_parameters(no_aux) == stats.params_without_aux


def test_imagenet_counts_at_224():
    stats = describe_network(Genotype(cells=(CELL,) * 5, reductions=(1, 3)), init_channels=4, num_classes=20,
                             input_kind="imagenet")
    assert stats.input_size == (1, 3, 224, 224)
    assert 0 < stats.params_without_aux < stats.params
    net = build_network(Genotype(cells=(CELL,) * 5, reductions=(1, 3)), init_channels=4, num_classes=20,
                        input_kind="imagenet")
    assert stats.macs == count_macs(net, (1, 3, 224, 224))
    assert stats.macs > count_macs(net, (1, 3, 112, 112))


def test_describe_grows_with_layers():
    g = Genotype(cells=(CELL,) * 6, reductions=(2, 4))
    shallow = describe_network(g, init_channels=4)
    deep = describe_network(g, layers=12, init_channels=4)
    assert deep.params_without_aux > shallow.params_without_aux
    assert deep == network_stats(build_network(g, layers=12, init_channels=4))


def test_stats_json():
    stats = NetworkStats(params=3, params_without_aux=2, macs=5, input_size=(1, 3, 32, 32))
    assert stats.to_json() == {"params": 3, "params_without_aux": 2, "macs": 5, "input_size": [1, 3, 32, 32]}


def test_counting_needs_no_gradients():
    net = build_network(Genotype(cells=(CELL,) * 3, reductions=(1, 2)), init_channels=4)
    count_macs(net, (1, 3, 32, 32))
    assert all(p.grad is None for p in net.parameters())
    assert torch.is_grad_enabled()


@pytest.mark.parametrize("kind", ["cifar", "imagenet"])
def test_classes_change_only_the_classifiers(kind):
    g = Genotype(cells=(CELL,) * 3, reductions=(1, 2))
    ten = describe_network(g, init_channels=4, num_classes=10, input_kind=kind)
    hundred = describe_network(g, init_channels=4, num_classes=100, input_kind=kind)
    classifier_in = build_network(g, init_channels=4, input_kind=kind).classifier.in_features
    assert hundred.params_without_aux - ten.params_without_aux == 90 * (classifier_in + 1)
    assert hundred.params - ten.params == 90 * (classifier_in + 1) + 90 * (768 + 1)


def test_layout_without_room_for_the_auxiliary_head_is_counted_without_it():
    g = Genotype(cells=(CELL,) * 4, reductions=(0, 1, 2))
    stats = describe_network(g, init_channels=4)
    assert stats.params == stats.params_without_aux
    assert stats.params == count_parameters(build_network(g, init_channels=4, auxiliary=False))
