"""ImageNet-style folders, exercised on a tiny fake folder of PNGs."""

import numpy as np
import pytest
import torch
from PIL import Image

from ddarts.data.batches import BatchStream
from ddarts.data.load import load_dataset
from ddarts.data.sources import FolderData
from ddarts.errors import DataError


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("imagenet")
    rng = np.random.default_rng(0)
    for split in ("train", "val"):
        for cls in ("n01", "n02"):
            (root / split / cls).mkdir(parents=True)
            for i in range(4):
                pixels = rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)
                Image.fromarray(pixels).save(root / split / cls / f"img{i}.png")
    return root


def test_load_folder_splits(folder):
    train = load_dataset("imagenet", str(folder), "train", image_size=24, num_workers=0)
    val = load_dataset("imagenet", str(folder), "test", image_size=24, num_workers=0)
    assert isinstance(train, FolderData) and len(train) == len(val) == 8
    assert train.classes == ["n01", "n02"] and train.info.num_classes == 2 and train.info.image_size == 24
    assert train.labels.tolist() == [0, 0, 0, 0, 1, 1, 1, 1]


def test_folder_stream_shapes_and_resume(folder):
    data = load_dataset("imagenet", str(folder), "train", image_size=24, num_workers=0)
    make = lambda: BatchStream(data, None, 3, seed=4, augment=True, device="cpu", cutout=4)
    stream = make()
    assert len(stream) == 2
    reference = [next(stream) for _ in range(5)]
    x, y = reference[0]
    assert x.shape == (3, 3, 24, 24) and x.dtype == torch.float32 and y.dtype == torch.int64
    resumed = make()
    next(resumed), next(resumed), next(resumed)
    state = resumed.state_dict()
    again = make()
    again.load_state_dict(state)
    for (xa, ya), (xb, yb) in zip([next(again), next(again)], reference[3:]):
        assert torch.equal(xa, xb) and torch.equal(ya, yb)


def test_folder_batches_do_not_depend_on_worker_count(folder):
    zero = load_dataset("imagenet", str(folder), "train", image_size=16, num_workers=0)
    one = load_dataset("imagenet", str(folder), "train", image_size=16, num_workers=1)
    a = list(BatchStream(zero, None, 4, seed=1, augment=True, device="cpu").pass_batches(0))
    b = list(BatchStream(one, None, 4, seed=1, augment=True, device="cpu").pass_batches(0))
    assert all(torch.equal(p[0], q[0]) for p, q in zip(a, b)) and len(a) == 2


def test_eval_transform_is_deterministic_centre_crop(folder):
    data = load_dataset("imagenet", str(folder), "test", image_size=16, num_workers=0)
    stream = BatchStream(data, None, 8, seed=0, augment=False, device="cpu", drop_last=False, shuffle=False)
    (x1, y1), = stream.pass_batches(0)
    (x2, _), = stream.pass_batches(3)
    assert torch.equal(x1, x2) and x1.shape == (8, 3, 16, 16) and y1.tolist() == [0] * 4 + [1] * 4


def test_missing_or_empty_folder_names_path_and_layout(tmp_path):
    with pytest.raises(DataError, match=r"train/<class>/<image>") as info:
        load_dataset("imagenet", str(tmp_path / "nowhere"))
    assert str(tmp_path / "nowhere" / "train") in str(info.value)
    (tmp_path / "empty" / "val").mkdir(parents=True)
    with pytest.raises(DataError, match="no usable images"):
        load_dataset("imagenet", str(tmp_path / "empty"), "test")
