import pytest
import torch

from ddarts.space.ops import (
    EDGES,
    OPS,
    PRIMITIVES,
    build_op,
    reduction_positions,
    register_op,
)


@pytest.mark.parametrize("name", PRIMITIVES)
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("affine", [False, True])
def test_every_op_keeps_channels_and_strides(name, stride, affine):
    op = build_op(name, 6, stride, affine)
    x = torch.randn(2, 6, 9, 9)
    y = op(x)
    expected = 9 if stride == 1 else 5
    assert y.shape == (2, 6, expected, expected)


def test_registry_lists_the_seven_primitives_and_rejects_unknown_and_duplicate_names():
    assert set(PRIMITIVES) <= set(OPS)
    assert len(PRIMITIVES) == 7
    with pytest.raises(KeyError, match="unknown operation 'conv_9x9'.*sep_conv_3x3"):
        build_op("conv_9x9", 4, 1, False)
    with pytest.raises(ValueError, match="already registered"):
        register_op("skip_connect")(lambda c, s, a: None)


def test_edges_and_reduction_layout():
    assert len(EDGES) == 14
    assert EDGES[0] == (2, 0) and EDGES[-1] == (5, 4)
    assert all(frm < to for to, frm in EDGES)
    assert reduction_positions(8) == (2, 5)
    assert reduction_positions(14) == (4, 9)
