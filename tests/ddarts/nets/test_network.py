import subprocess
import sys
from pathlib import Path

import pytest
import torch

from ddarts.errors import GenotypeError
from ddarts.genotype import DartsGenotype, Genotype, load_genotype
from ddarts.nets.cells import AuxiliaryHeadError, DerivedCell, cell_wiring, drop_path
from ddarts.nets.network import (
    DerivedNetwork,
    auxiliary_position,
    build_network,
    resolve_genotype,
)
from ddarts.space.ops import FactorizedReduce, Identity, ReLUConvBN

REFERENCE = Path(__file__).resolve().parents[2] / "data" / "reference-genotypes"
LEGACY = sorted(REFERENCE.glob("D-DARTS_*.txt"))

FULL_CELL = (("sep_conv_3x3", 2, 0), ("skip_connect", 2, 1), ("max_pool_3x3", 3, 0), ("dil_conv_3x3", 3, 2),
             ("avg_pool_3x3", 4, 1), ("sep_conv_5x5", 4, 3), ("dil_conv_5x5", 5, 4), ("skip_connect", 5, 0))


def genotype(n: int = 6) -> Genotype:
    cells = [FULL_CELL if k % 2 == 0 else FULL_CELL[:4] + (("sep_conv_3x3", 4, 2), ("max_pool_3x3", 5, 1))
             for k in range(n)]
    return Genotype(cells=cells, reductions=(n // 3, 2 * n // 3))


@pytest.mark.parametrize(("searched", "layers"), [(3, 3), (6, 6), (5, 9), (6, 14)])
def test_cifar_shapes(searched, layers):
    net = build_network(genotype(searched), layers=layers, init_channels=4, num_classes=7)
    x = torch.randn(2, 3, 32, 32)
    net.eval()
    logits, aux = net(x)
    assert logits.shape == (2, 7) and aux is None
    net.train()
    logits, aux = net(x)
    assert logits.shape == (2, 7) and aux.shape == (2, 7)


@pytest.mark.parametrize("layers", [5, 8])
def test_imagenet_shapes_at_64_pixels(layers):
    # 64x64 keeps the test small; the classifier pools adaptively, so any size of at least 32 works in eval.
    net = build_network(genotype(5), layers=layers, init_channels=4, num_classes=5, input_kind="imagenet").eval()
    logits, aux = net(torch.randn(2, 3, 64, 64))
    assert logits.shape == (2, 5) and aux is None
    assert isinstance(net.cells[0].preprocess0, FactorizedReduce)  # the stem counts as a reduction


def test_imagenet_auxiliary_head_at_224():
    net = build_network(genotype(5), init_channels=4, num_classes=5, input_kind="imagenet").train()
    logits, aux = net(torch.randn(2, 3, 224, 224))
    assert logits.shape == (2, 5) and aux.shape == (2, 5)


def test_cifar_stem_and_channel_doubling():
    net = build_network(genotype(), init_channels=4)
    assert net.stem[0].out_channels == 12
    assert [cell.reduction for cell in net.cells] == [False, False, True, False, True, False]
    widths = [cell.ops[0].op[0].op[1].in_channels for cell in net.cells]  # sep_conv_3x3 on node 0
    assert widths == [4, 4, 8, 8, 16, 16]


@pytest.mark.parametrize("input_kind,side", [("cifar", 32), ("imagenet", 224)])
def test_every_parameter_gets_a_gradient(input_kind, side):
    net = build_network(genotype(), layers=6, init_channels=4, num_classes=3, input_kind=input_kind).train()
    logits, aux = net(torch.randn(2, 3, side, side))
    (logits.square().sum() + aux.square().sum()).backward()
    missing = [name for name, p in net.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert missing == []


def test_drop_path_zeroes_whole_samples_and_keeps_the_expectation():
    torch.manual_seed(0)
    out = drop_path(torch.ones(4000, 2, 3, 3), 0.25)
    per_sample = out.flatten(1)
    kept = per_sample[per_sample != 0]
    assert torch.allclose(kept, torch.full_like(kept, 1.0 / 0.75))
    assert 0.2 < 1.0 - kept.numel() / per_sample.numel() < 0.3
    assert torch.all(per_sample.min(1).values == per_sample.max(1).values)
    assert abs(float(out.mean()) - 1.0) < 0.05


def test_drop_path_only_in_training_and_never_on_identity():
    net = build_network(genotype(3), init_channels=4, drop_path_prob=0.5)
    x = torch.randn(4, 3, 32, 32)
    net.eval()
    assert torch.equal(net(x)[0], net(x)[0])
    net.train()
    torch.manual_seed(1)
    a = net(x)[0]
    torch.manual_seed(2)
    b = net(x)[0]
    assert not torch.allclose(a, b)
    net.drop_path_prob = 0.0
    assert torch.allclose(net(x)[0], net(x)[0])
    cell = net.cells[0]
    assert [isinstance(op, Identity) for op in cell.ops] == list(cell.is_identity)
    assert any(cell.is_identity)


def test_dead_nodes_are_dropped_and_channels_follow():
    # node 3 has no incoming op, so it is dead and so is node 4 (fed only by node 3).
    dead = (("sep_conv_3x3", 2, 0), ("sep_conv_3x3", 4, 3), ("skip_connect", 5, 2))
    g = Genotype(cells=(dead, FULL_CELL, FULL_CELL), reductions=(1, 2))
    net = build_network(g, init_channels=4)
    first = net.cells[0]
    assert first.outputs == (2, 5)
    assert first.out_channels == 8
    assert len(first.ops) == 2
    assert first.preprocess1 is None  # no kept op reads input 1
    assert net.cells[1].preprocess1.op[1].in_channels == 8
    assert net.cells[2].preprocess0.conv_1.in_channels == 8  # after a reduction: FactorizedReduce
    assert net(torch.randn(2, 3, 32, 32))[0].shape == (2, 10)


def test_cell_wiring_drops_nodes_that_never_reach_the_output():
    edges = (("sep_conv_3x3", 2, 1), ("skip_connect", 3, 1), ("max_pool_3x3", 4, 2), ("avg_pool_3x3", 5, 1))
    wiring = cell_wiring(edges, (4, 5))
    assert wiring.outputs == (4, 5)
    assert wiring.edges == (("sep_conv_3x3", 2, 1), ("max_pool_3x3", 4, 2), ("avg_pool_3x3", 5, 1))
    assert (wiring.uses_input0, wiring.uses_input1) == (False, True)


def test_reduction_cell_strides_only_edges_from_the_inputs():
    wiring = cell_wiring(FULL_CELL, (2, 3, 4, 5))
    cell = DerivedCell(wiring, 8, 8, 4, reduction=True, reduction_prev=False)
    out = cell(torch.randn(1, 8, 16, 16), torch.randn(1, 8, 16, 16))
    assert out.shape == (1, 16, 8, 8)
    assert isinstance(cell.ops[1], FactorizedReduce)  # skip_connect from node 1 at stride 2
    assert isinstance(cell.preprocess0, ReLUConvBN)


@pytest.mark.parametrize("path", LEGACY, ids=lambda p: p.name)
def test_legacy_genotypes_build_with_their_stated_reductions(path):
    g = load_genotype(path)
    assert g.reductions == (2, 6)
    net = build_network(g, init_channels=4)
    assert [i for i, cell in enumerate(net.cells) if cell.reduction] == [2, 6]
    assert net.aux_position == 6
    logits, aux = net.train()(torch.randn(2, 3, 32, 32))
    assert logits.shape == (2, 10) and aux.shape == (2, 10)


def test_darts_pair_stacks_to_the_default_depths():
    pair = load_genotype(REFERENCE / "DARTS_V2.txt")
    assert isinstance(pair, DartsGenotype)
    assert resolve_genotype(pair).n_cells == 20
    assert resolve_genotype(pair, input_kind="imagenet").n_cells == 14
    assert resolve_genotype(pair, layers=8).reductions == (2, 5)


def test_a_searched_genotype_grows_with_algorithm1():
    g = genotype(6)
    assert resolve_genotype(g).n_cells == 6
    grown = resolve_genotype(g, layers=10)
    assert grown.n_cells == 10 and grown.reductions == (3, 6)


def test_auxiliary_position_is_the_last_reduction():
    assert auxiliary_position(genotype(9)) == 6
    assert auxiliary_position(Genotype(cells=(FULL_CELL,) * 4, reductions=())) == 2


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"init_channels": 0}, "init_channels"),
    ({"num_classes": 0}, "num_classes"),
    ({"input_kind": "mnist"}, "input kind"),
    ({"input_kind": "imagenet", "init_channels": 5}, "must be even"),
    ({"layers": 2}, "too few"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(GenotypeError, match=message):
        build_network(genotype(), **kwargs)


def test_unbuildable_genotype_is_rejected():
    dead_cell = (("sep_conv_3x3", 3, 2),)
    g = Genotype(cells=(FULL_CELL, dead_cell, FULL_CELL), reductions=(1, 2))
    with pytest.raises(GenotypeError, match="not buildable"):
        build_network(g)


def test_auxiliary_head_that_cannot_fit_is_explained():
    g = Genotype(cells=(FULL_CELL,) * 4, reductions=(0, 1, 2))  # 32 -> 4x4 after three reductions
    with pytest.raises(AuxiliaryHeadError, match="auxiliary head"):
        build_network(g, init_channels=4)
    assert build_network(g, init_channels=4, auxiliary=False).auxiliary_head is None


def test_network_is_a_derived_network():
    assert isinstance(build_network(genotype(), init_channels=4), DerivedNetwork)


def test_network_count_and_export_stay_free_of_qt():
    code = ("import sys, ddarts.nets.network, ddarts.nets.count, ddarts.export.formats, ddarts.commands.info, "
            "ddarts.commands.derive, ddarts.commands.export; "
            "sys.exit(any(m.startswith(('PySide6', 'pyqtgraph')) for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parents[3]).returncode == 0
