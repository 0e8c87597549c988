"""Candidate operations of the DARTS/FairDARTS search space, registered by name.

The registry is the single source of truth for which op names exist: genotype
validation, the supernet and the derived networks all look names up here.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

OpFactory = Callable[[int, int, bool], nn.Module]
"""Builds an op from (channels, stride, affine)."""

OPS: dict[str, OpFactory] = {}


def register_op(name: str) -> Callable[[OpFactory], OpFactory]:
    """Register an op factory under `name`; a second registration of the same name is a bug."""

    def decorator(factory: OpFactory) -> OpFactory:
        if name in OPS:
            raise ValueError(f"operation {name!r} is already registered")
        OPS[name] = factory
        return factory

    return decorator


def build_op(name: str, channels: int, stride: int, affine: bool) -> nn.Module:
    """Instantiate a registered op, with a message listing the known names on a typo."""
    try:
        factory = OPS[name]
    except KeyError:
        raise KeyError(f"unknown operation {name!r}; known operations: {', '.join(sorted(OPS))}") from None
    return factory(channels, stride, affine)


def is_pooling(name: str) -> bool:
    """Pooling ops get a BatchNorm appended inside the search supernet (FairDARTS convention)."""
    return name.endswith("pool_3x3")


class ReLUConvBN(nn.Module):
    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, padding: int, affine: bool = True):
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, bias=False),
            nn.BatchNorm2d(c_out, affine=affine),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


class DilConv(nn.Module):
    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, padding: int, dilation: int, affine: bool = True):
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_in, kernel, stride=stride, padding=padding, dilation=dilation, groups=c_in, bias=False),
            nn.Conv2d(c_in, c_out, 1, bias=False),
            nn.BatchNorm2d(c_out, affine=affine),
        )
        # With stride = dilation and "same" padding the kernel only ever reads every stride-th pixel, so it is
        # an ordinary convolution of the subsampled input: same numbers, and on a CPU oneDNN runs that one
        # 30-50x faster than the strided dilated depthwise convolution (the reduction cells' dil_conv ops).
        same = kernel % 2 == 1 and padding == dilation * (kernel - 1) // 2
        self.subsample = stride if stride == dilation > 1 and same else 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_relu(self.op[0](x))

    def forward_relu(self, r: torch.Tensor) -> torch.Tensor:
        """The op on an input that already went through ReLU: the supernet applies it once per cell state."""
        conv = self.op[1]
        if self.subsample:
            s = self.subsample
            r = F.conv2d(r[:, :, ::s, ::s], conv.weight, None, 1, conv.padding[0] // s, 1, conv.groups)
        else:
            r = conv(r)
        return self.op[3](self.op[2](r))


class SepConv(nn.Module):
    """Two stacked depthwise-separable convolutions; only the first one strides."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, padding: int, affine: bool = True):
        super().__init__()
        self.op = nn.Sequential(
            DilConv(c_in, c_in, kernel, stride, padding, 1, affine),
            DilConv(c_in, c_out, kernel, 1, padding, 1, affine),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)

    def forward_relu(self, r: torch.Tensor) -> torch.Tensor:
        return self.op[1](self.op[0].forward_relu(r))


class Identity(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


class FactorizedReduce(nn.Module):
    """Halves the resolution with two offset 1x1 stride-2 convs so no pixel is skipped."""

    def __init__(self, c_in: int, c_out: int, affine: bool = True):
        super().__init__()
        if c_out % 2:
            raise ValueError(f"FactorizedReduce needs an even channel count, got {c_out}")
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(c_out, affine=affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_relu(self.relu(x))

    def forward_relu(self, x: torch.Tensor) -> torch.Tensor:
        shifted = x[:, :, 1:, 1:]
        a = self.conv_1(x)
        b = self.conv_2(shifted)
        if b.shape[-2:] != a.shape[-2:]:  # odd input sizes: pad the shifted branch back to size
            b = nn.functional.pad(b, (0, a.shape[-1] - b.shape[-1], 0, a.shape[-2] - b.shape[-2]))
        return self.bn(torch.cat([a, b], dim=1))


@register_op("max_pool_3x3")
def _max_pool(c: int, stride: int, affine: bool) -> nn.Module:
    return nn.MaxPool2d(3, stride=stride, padding=1)


@register_op("avg_pool_3x3")
def _avg_pool(c: int, stride: int, affine: bool) -> nn.Module:
    return nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False)


@register_op("skip_connect")
def _skip(c: int, stride: int, affine: bool) -> nn.Module:
    return Identity() if stride == 1 else FactorizedReduce(c, c, affine=affine)


@register_op("sep_conv_3x3")
def _sep3(c: int, stride: int, affine: bool) -> nn.Module:
    return SepConv(c, c, 3, stride, 1, affine=affine)


@register_op("sep_conv_5x5")
def _sep5(c: int, stride: int, affine: bool) -> nn.Module:
    return SepConv(c, c, 5, stride, 2, affine=affine)


@register_op("dil_conv_3x3")
def _dil3(c: int, stride: int, affine: bool) -> nn.Module:
    return DilConv(c, c, 3, stride, 2, 2, affine=affine)


@register_op("dil_conv_5x5")
def _dil5(c: int, stride: int, affine: bool) -> nn.Module:
    return DilConv(c, c, 5, stride, 4, 2, affine=affine)


PRIMITIVES: tuple[str, ...] = (
    "max_pool_3x3",
    "avg_pool_3x3",
    "skip_connect",
    "sep_conv_3x3",
    "sep_conv_5x5",
    "dil_conv_3x3",
    "dil_conv_5x5",
)
"""The search space in α-column order (no `none` op, as in FairDARTS)."""

N_NODES = 4
"""Intermediate nodes per cell (node ids 2..5)."""

EDGES: tuple[tuple[int, int], ...] = tuple((to, frm) for to in range(2, 2 + N_NODES) for frm in range(to))
"""(to_node, from_node) for each of the 14 α rows, in row order."""


def reduction_positions(n_cells: int) -> tuple[int, int]:
    """Reduction cells sit at n//3 and 2n//3 (DARTS layout)."""
    return (n_cells // 3, 2 * n_cells // 3)
