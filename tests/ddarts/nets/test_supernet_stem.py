"""The supernet's stem for large inputs: input / 8 before the cells, the CIFAR stem's layout otherwise unchanged."""

from __future__ import annotations

import pytest
import torch

from ddarts.nets.supernet import Supernet


def test_the_imagenet_stem_divides_the_input_by_eight_and_the_cifar_stem_keeps_it():
    x = torch.randn(2, 3, 72, 72)
    large, small = Supernet(3, 2, 5, stem="imagenet"), Supernet(3, 2, 5)
    assert large.stem(x).shape == (2, 6, 9, 9) and small.stem(x).shape == (2, 6, 72, 72)
    assert large(x).shape == small(x).shape == (2, 5)
    assert [k for k in small.state_dict() if k.startswith("stem.")][0] == "stem.0.weight"  # checkpoints still load
    with pytest.raises(ValueError, match="unknown stem"):
        Supernet(3, 2, 5, stem="tiny")
