import pytest
import torch
import torch.nn.functional as F

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


def test_a_dilated_conv_with_stride_equal_to_dilation_equals_the_direct_convolution():
    torch.manual_seed(0)
    for name in ("dil_conv_3x3", "dil_conv_5x5"):
        op = build_op(name, 4, 2, affine=False).double()
        assert op.subsample == 2
        conv = op.op[1]
        for size in (8, 7):  # odd sizes too
            x = torch.randn(2, 4, size, size, dtype=torch.float64, requires_grad=True)
            got = op(x)
            want = op.op[3](op.op[2](F.conv2d(F.relu(x), conv.weight, None, conv.stride, conv.padding,
                                              conv.dilation, conv.groups)))
            torch.testing.assert_close(got, want)
            g_got = torch.autograd.grad(got.square().sum(), (x, conv.weight))
            g_want = torch.autograd.grad(want.square().sum(), (x, conv.weight))
            for a, b in zip(g_got, g_want):
                torch.testing.assert_close(a, b)
    assert build_op("dil_conv_3x3", 4, 1, affine=False).subsample == 0
