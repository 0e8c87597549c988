"""In-memory datasets: digits served as CIFAR-like images, the DARTS split, dataset facts."""

import subprocess
import sys

import numpy as np
import pytest
import torch

from ddarts.data.catalogue import (
    DATASET_INFO,
    DIGITS_MEAN,
    DIGITS_STD,
    ImageData,
    split_indices,
)
from ddarts.data.load import load_dataset
from ddarts.errors import DataError


def test_digits_shapes_dtypes_and_ranges():
    train = load_dataset("digits", "unused", "train")
    test = load_dataset("digits", "unused", "test")
    assert isinstance(train, ImageData)
    assert train.images.shape == (1437, 3, 32, 32) and test.images.shape == (360, 3, 32, 32)
    assert train.images.dtype == torch.uint8 and train.labels.dtype == torch.int64
    assert int(train.images.max()) == 255 and int(train.images.min()) == 0
    assert set(train.labels.tolist()) == set(range(10)) == set(test.labels.tolist())
    assert torch.equal(train.images[:, 0], train.images[:, 2])  # grey replicated to 3 channels
    assert train.info is DATASET_INFO["digits"] and train.info.num_classes == 10


def test_digits_split_is_fixed_and_disjoint():
    from sklearn.datasets import load_digits

    a, b = load_dataset("digits", "", "train"), load_dataset("digits", "", "train")
    assert torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels)
    test = load_dataset("digits", "", "test")
    both = torch.cat([a.images, test.images]).flatten(1)
    assert torch.unique(both, dim=0).shape[0] >= len(both) - 5  # the source has a few exact duplicates only
    order = np.random.default_rng(0).permutation(1797)
    assert torch.equal(a.labels, torch.from_numpy(load_digits().target[order[:1437]]).long())


def test_digits_normalisation_constants_match_the_train_split():
    x = load_dataset("digits", "", "train").images.double() / 255
    assert round(x.mean().item(), 4) == DIGITS_MEAN
    assert round(x.std(correction=0).item(), 4) == DIGITS_STD


def test_split_indices_first_part_and_rest():
    first, rest = split_indices(10, 0.5)
    assert first.tolist() == [0, 1, 2, 3, 4] and rest.tolist() == [5, 6, 7, 8, 9]
    first, rest = split_indices(7, 0.3)
    assert len(first) == 2 and len(rest) == 5 and first.dtype == np.int64
    with pytest.raises(ValueError, match="train_portion"):
        split_indices(10, 1.0)
    with pytest.raises(ValueError, match="at least 2"):
        split_indices(1, 0.5)


def test_unknown_dataset_and_split_are_clear_errors():
    with pytest.raises(DataError, match="unknown dataset 'mnist'"):
        load_dataset("mnist", "x")
    with pytest.raises(DataError, match="unknown split 'valid'"):
        load_dataset("digits", "x", "valid")


def test_progress_reports_ready():
    seen = []
    load_dataset("digits", "", "test", progress=seen.append)
    assert seen[-1].stage == "ready" and seen[-1].done == seen[-1].total == 360


def test_image_data_rejects_wrong_dtypes():
    with pytest.raises(ValueError, match="uint8"):
        ImageData(torch.zeros(2, 3, 4, 4), torch.zeros(2, dtype=torch.int64), DATASET_INFO["digits"])
    with pytest.raises(ValueError, match="int64"):
        ImageData(torch.zeros(2, 3, 4, 4, dtype=torch.uint8), torch.zeros(3, dtype=torch.int64), DATASET_INFO["digits"])


def test_digits_table_is_scikit_learns_without_importing_it(monkeypatch):
    from sklearn.datasets import load_digits

    import ddarts.data.load as load

    bunch = load_digits()
    expected = np.concatenate([bunch.data, bunch.target[:, None]], axis=1)
    np.testing.assert_array_equal(load._digits_table(), expected)
    monkeypatch.setattr(load.importlib.util, "find_spec", lambda name: None)  # another layout: the fallback
    np.testing.assert_array_equal(load._digits_table(), expected)
    probe = ("import sys; from ddarts.data.load import load_digits_split; load_digits_split(); "
             "print(sorted(m for m in ('sklearn', 'scipy', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
