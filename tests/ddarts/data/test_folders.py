"""Custom image folders: layout, seeded split, measured mean/std, skipped files, clear errors, tensors and Datasets."""

from __future__ import annotations

import pytest
import torch

from ddarts.data.batches import BatchStream
from ddarts.data.catalogue import ImageData, split_indices
from ddarts.data.folders import channel_stats, from_dataset, from_tensors, load_folder, scan_folder
from ddarts.data.load import load_dataset
from ddarts.data.sources import FolderData
from ddarts.errors import DataError


def test_small_folder_is_held_in_memory_with_measured_stats_and_a_seeded_split(tmp_path, image_folder):
    root = image_folder(tmp_path / "imgs", 20)
    (root / "b" / "broken.png").write_bytes(b"not an image")
    train = load_dataset("folder", str(root), "train")
    test = load_dataset("folder", str(root), "test")
    assert isinstance(train, ImageData) and train.images.shape[1:] == (3, 20, 20)
    assert len(train) + len(test) == 15 and len(test) == 3  # a fifth of each class, the broken file skipped
    info = train.info
    assert info.classes == ("a", "b", "c") and info.num_classes == 3 and info.input_kind == "cifar"
    assert info.skipped == 1 and test.info.mean == info.mean  # the test split uses the training statistics
    mean, std = channel_stats(train.images)
    assert info.mean == mean and info.std == std
    x = train.images.double() / 255
    assert abs(info.mean[0] - x[:, 0].mean().item()) < 1e-4 and abs(info.std[1] - x[:, 1].std(correction=0).item()) < 1e-4
    assert scan_folder(str(root)).test == scan_folder(str(root)).test  # the split is fixed


def test_image_size_resizes_and_large_images_get_the_imagenet_stem(tmp_path, image_folder):
    root = image_folder(tmp_path / "big", 72)
    data = load_folder(str(root), "train")
    assert data.info.image_size == 72 and data.info.input_kind == "imagenet"
    small = load_folder(str(root), "train", image_size=24)
    assert small.images.shape[-1] == 24 and small.info.input_kind == "cifar"


def test_train_and_val_folders_are_used_when_present(tmp_path, image_folder):
    image_folder(tmp_path / "d" / "train", 16, per_class=3)
    image_folder(tmp_path / "d" / "val", 16, per_class=2, seed=1)
    train, test = (load_folder(str(tmp_path / "d"), split) for split in ("train", "val"))
    assert len(train) == 9 and len(test) == 6


def test_large_folders_stream_through_loader_workers(tmp_path, image_folder):
    root = image_folder(tmp_path / "imgs", 20)
    data = load_folder(str(root), "train", in_memory_bytes=0, num_workers=0)
    assert isinstance(data, FolderData) and len(data) == 12 and data.info.classes == ("a", "b", "c")
    assert data.info.mean == load_folder(str(root), "train").info.mean
    x, y = next(BatchStream(data, None, 4, seed=0, augment=True, device="cpu"))
    assert x.shape == (4, 3, 20, 20) and x.dtype == torch.float32 and y.shape == (4,)


@pytest.mark.parametrize("setup,message", [
    (lambda r, make: make(r, 8, classes=("only",)), "need at least 2"),
    (lambda r, make: (make(r, 8, classes=("a", "b")), (r / "empty").mkdir()), "'empty' holds no images"),
    (lambda r, make: None, "does not exist"),
])
def test_bad_folders_get_one_clear_error(tmp_path, image_folder, setup, message):
    setup(tmp_path / "f", image_folder)
    with pytest.raises(DataError, match=message):
        load_folder(str(tmp_path / "f"), "train")


def test_tensors_and_torch_datasets_become_datasets():
    images = torch.randint(0, 256, (6, 12, 12, 3), dtype=torch.uint8)
    data = from_tensors(images, [0, 1, 0, 1, 2, 2], classes=["x", "y", "z"])
    assert data.images.shape == (6, 3, 12, 12) and data.info.classes == ("x", "y", "z")
    with pytest.raises(DataError, match="out of range"):
        from_tensors(images, [0, 1, 0, 1, 2, 3], classes=["x", "y", "z"])
    pairs = [(torch.rand(3, 10, 10), k % 2) for k in range(4)]
    via_dataset = from_dataset(pairs, image_size=16, mean=(0.5,) * 3, std=(0.25,) * 3)
    assert via_dataset.images.shape == (4, 3, 16, 16) and via_dataset.info.mean == (0.5,) * 3


def test_training_images_are_mixed_so_the_search_split_sees_every_class(tmp_path, image_folder):
    data = load_folder(str(image_folder(tmp_path / "imgs", 8, per_class=10)), "train")
    weights, alphas = split_indices(len(data), 0.5)
    assert set(data.labels[weights].tolist()) == set(data.labels[alphas].tolist()) == {0, 1, 2}
