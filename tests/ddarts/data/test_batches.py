"""BatchStream: determinism, resume equivalence, pass structure, augmentation on real digit images."""

import numpy as np
import pytest
import torch

from ddarts.data.augment import normalize
from ddarts.data.batches import BatchStream, derive_seed
from ddarts.data.catalogue import split_indices
from ddarts.data.load import load_dataset
from ddarts.errors import DataError


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", "", "train")


def _take(stream, k):
    return [next(stream) for _ in range(k)]


def _same(a, b):
    return all(torch.equal(x1, x2) and torch.equal(y1, y2) for (x1, y1), (x2, y2) in zip(a, b))


def test_same_seed_same_batches_other_seed_other_batches(digits):
    idx, _ = split_indices(len(digits), 0.5)
    make = lambda seed: BatchStream(digits, idx, 32, seed=seed, augment=True, device="cpu", cutout=16)
    assert _same(_take(make(3), 5), _take(make(3), 5))
    assert not torch.equal(next(make(3))[0], next(make(4))[0])


def test_resume_from_state_dict_is_bit_identical(digits):
    idx, _ = split_indices(len(digits), 0.5)
    make = lambda: BatchStream(digits, idx, 64, seed=9, augment=True, device="cpu", cutout=8)
    full = make()
    assert len(full) == 718 // 64
    reference = _take(full, 30)  # crosses two pass boundaries
    for k in (0, 7, len(full), 25):
        first = make()
        _take(first, k)
        state = first.state_dict()
        resumed = make()
        resumed.load_state_dict(dict(state))
        assert resumed.state_dict() == state
        assert _same(_take(resumed, 30 - k), reference[k:]), k


def test_state_counts_passes_and_positions(digits):
    stream = BatchStream(digits, np.arange(100), 30, seed=0, augment=False, device="cpu")
    assert len(stream) == 3
    _take(stream, 4)
    assert stream.state_dict() == {"pass": 1, "position": 1}
    with pytest.raises(ValueError, match="bad batch stream state"):
        stream.load_state_dict({"pass": 0, "position": 4})


def test_each_pass_is_a_new_permutation_of_the_subset(digits):
    idx = np.arange(40, 100)
    stream = BatchStream(digits, idx, 20, seed=1, augment=False, device="cpu")
    label_of = {i: int(digits.labels[i]) for i in idx}
    passes = []
    for _ in range(2):
        labels = torch.cat([next(stream)[1] for _ in range(len(stream))])
        passes.append(labels)
        assert sorted(labels.tolist()) == sorted(label_of.values())
    orders = [torch.cat([b[0] for b in stream.pass_batches(p)]) for p in (0, 1)]
    assert not torch.equal(orders[0], orders[1])


def test_evaluation_stream_only_normalises_in_order_and_keeps_the_tail(digits):
    stream = BatchStream(digits, np.arange(50), 16, seed=0, augment=False, device="cpu", drop_last=False,
                         shuffle=False)
    batches = list(stream.pass_batches(0))
    assert [b[0].shape[0] for b in batches] == [16, 16, 16, 2]
    x = torch.cat([b[0] for b in batches])
    assert torch.equal(x, normalize(digits.images[:50], digits.info.mean, digits.info.std))
    assert torch.equal(torch.cat([b[1] for b in batches]), digits.labels[:50])


def test_augmented_images_are_shifted_possibly_mirrored_originals(digits):
    stream = BatchStream(digits, np.arange(64), 64, seed=5, augment=True, device="cpu", shuffle=False)
    x, _ = next(stream)
    reference = normalize(torch.nn.functional.pad(digits.images[:64], (4, 4, 4, 4)), digits.info.mean,
                          digits.info.std)
    flips = 0
    for i in range(64):
        found = None
        for dy in range(9):
            for dx in range(9):
                window = reference[i, :, dy:dy + 32, dx:dx + 32]
                if torch.equal(window, x[i]):
                    found = "plain"
                elif torch.equal(window.flip(2), x[i]):
                    found = "flip"
        assert found is not None, i
        flips += found == "flip"
    assert 10 < flips < 54


def test_channels_last_and_batch_size_errors(digits):
    x, _ = next(BatchStream(digits, None, 8, seed=0, augment=True, device="cpu", channels_last=True))
    assert x.is_contiguous(memory_format=torch.channels_last)
    with pytest.raises(DataError, match="5 images are fewer than one batch of 8"):
        BatchStream(digits, np.arange(5), 8, seed=0, augment=False, device="cpu")
    with pytest.raises(ValueError, match="out of range"):
        BatchStream(digits, np.array([0, 5000]), 1, seed=0, augment=False, device="cpu")


def test_derive_seed_separates_nearby_tuples():
    seeds = {derive_seed(s, p, b) for s in range(3) for p in range(3) for b in range(3)}
    assert len(seeds) == 27 and all(0 <= s < 2**63 for s in seeds)
    assert derive_seed(1, 2) != derive_seed(2, 1)
