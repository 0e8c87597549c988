"""Checks of a training configuration that need the genotype: made before anything is written or loaded."""

from __future__ import annotations

import math

from ddarts.config import ConfigError
from ddarts.genotype.core import Genotype
from ddarts.nets.network import INPUT_RESOLUTION, auxiliary_position

MAX_IMAGE_SIZE = 1024
_STEM_DIVISOR = {"cifar": 1, "imagenet": 8}
_AUX_STRIDE = {"cifar": 3, "imagenet": 2}


def _problem(genotype: Genotype, input_kind: str, size: int, auxiliary: bool) -> str | None:
    """Why a `size` px input does not fit the network, or None. Mirrors the network's ceil-halving layout."""
    divisor = _STEM_DIVISOR[input_kind]
    reductions = sorted(genotype.reductions)
    for k, position in enumerate(reductions):  # a reduction (and FactorizedReduce after it) needs 2x2 or more
        if math.ceil(size / (divisor * 2 ** k)) < 2:
            return f"the feature map is 1x1 before the reduction cell {position}"
    if auxiliary:
        aux = auxiliary_position(genotype)
        before = sum(1 for r in reductions if r <= aux)
        stride = _AUX_STRIDE[input_kind]

        spatial = math.ceil(size / (divisor * 2 ** before))
        if spatial < 5 + stride:  # the head's 5x5 pool and 2x2 conv need this much
            return (f"the auxiliary head needs a {5 + stride}x{5 + stride} feature map at cell {aux}, "
                    f"this input gives {spatial}x{spatial}")
    return None


def check_input_size(genotype: Genotype, input_kind: str, image_size: int | None, auxiliary: bool) -> None:
    """ConfigError naming the smallest image size that works, or the flag that avoids the problem."""
    if input_kind not in _STEM_DIVISOR:
        return
    size = image_size or INPUT_RESOLUTION[input_kind]
    problem = _problem(genotype, input_kind, size, auxiliary)
    if problem is None:
        return
    works = next((px for px in range(8, MAX_IMAGE_SIZE + 1) if _problem(genotype, input_kind, px, auxiliary) is None),
                 None)
    hint = f"the smallest size that works is {works} px (--image-size {works})" if works else "no size works"
    if auxiliary and _problem(genotype, input_kind, size, False) is None:
        hint += ", or train without the auxiliary head (--auxiliary-weight 0)"
    raise ConfigError("image_size", f"a {size} px input does not fit this {genotype.n_cells}-cell network: "
                                    f"{problem}; {hint}")
