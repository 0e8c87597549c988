"""The dataset catalogue (the one list of dataset names, their classes, input kind and mean/std) and the
in-memory form of a split.

Datasets are whole in-memory uint8 tensors (CIFAR, digits, small image folders) or streamed image folders
(ImageNet, large folders).

Keeping a small dataset as one uint8 tensor lets `BatchStream` crop, flip and normalise whole
batches on the target device, which is both faster than per-image PIL transforms and exactly
reproducible from a (pass, position) pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ddarts.data.progress import DatasetProgress

SPLITS = ("train", "test")


INPUT_KINDS = ("cifar", "imagenet")
"""Network stems: "cifar" keeps the resolution (small inputs), "imagenet" divides it by 8 (large inputs)."""
SMALL_INPUT_LIMIT = 64
"""Inputs smaller than this many pixels get the CIFAR stem, others the ImageNet stem (`stem_for`)."""


def stem_for(image_size: int) -> str:
    """The stem a network gets for square inputs of `image_size` px when none is asked for."""
    return "cifar" if image_size < SMALL_INPUT_LIMIT else "imagenet"


@dataclass(frozen=True)
class DatasetInfo:
    """What a network and its users must know of the data: classes, input size and kind, normalisation."""

    name: str
    num_classes: int
    image_size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    input_kind: str = "cifar"
    classes: tuple[str, ...] = ()
    skipped: int = 0  # unreadable files left out of an image folder

    def to_dict(self) -> dict:
        return {"name": self.name, "num_classes": self.num_classes, "image_size": self.image_size,
                "mean": list(self.mean), "std": list(self.std), "input_kind": self.input_kind,
                "classes": list(self.classes), "skipped": self.skipped}

    @classmethod
    def from_dict(cls, data: dict) -> "DatasetInfo":
        return cls(str(data["name"]), int(data["num_classes"]), int(data["image_size"]),
                   tuple(float(v) for v in data["mean"]), tuple(float(v) for v in data["std"]),  # type: ignore[arg-type]
                   str(data.get("input_kind", "cifar")), tuple(str(c) for c in data.get("classes", ())),
                   int(data.get("skipped", 0)))


DIGITS_MEAN = 0.3054
DIGITS_STD = 0.3236
# Computed once from the digits "train" split as served by `load_dataset` (pixel values / 255, all channels and
# pixels pooled, population std):
#   x = load_dataset("digits", "", "train").images.double() / 255
#   round(x.mean().item(), 4), round(x.std(correction=0).item(), 4)   ->   0.3054, 0.3236
# tests/ddarts/test_data.py recomputes them.

DATASET_INFO: dict[str, DatasetInfo] = {
    "cifar10": DatasetInfo("cifar10", 10, 32, (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
    "cifar100": DatasetInfo("cifar100", 100, 32, (0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762)),
    "imagenet": DatasetInfo("imagenet", 1000, 224, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225), "imagenet"),
    "digits": DatasetInfo("digits", 10, 32, (DIGITS_MEAN,) * 3, (DIGITS_STD,) * 3),
}
"""Datasets whose facts are fixed; a folder's are measured when it is read."""

DATASET_LABELS: dict[str, str] = {
    "cifar100": "CIFAR-100",
    "cifar10": "CIFAR-10",
    "imagenet": "ImageNet (folder)",
    "folder": "Image folder (one sub-folder per class)",
    "digits": "Built-in digits (offline, 8×8)",
}
"""Every dataset name `--dataset` accepts, in the order forms list them, with a label for people."""
DATASETS: tuple[str, ...] = tuple(DATASET_LABELS)
DATASET_HELP = ("cifar10, cifar100 (downloaded), imagenet (a folder with train/<class>/... and val/<class>/...), "
                "folder (any image folder, one sub-folder per class) or digits (built in, offline)")

DIGITS_TRAIN_SIZE = 1437
"""The digits split: a seed-0 permutation of the 1797 images, the first 1437 train, the last 360 test."""


@dataclass
class ImageData:
    """A whole split in memory; images stay uint8 and are converted per batch."""

    images: torch.Tensor  # uint8, N x 3 x H x W
    labels: torch.Tensor  # int64, N
    info: DatasetInfo

    def __post_init__(self) -> None:
        if self.images.dtype != torch.uint8 or self.images.dim() != 4 or self.images.shape[1] != 3:
            raise ValueError(f"images must be uint8 N x 3 x H x W, got {self.images.dtype} {tuple(self.images.shape)}")
        if self.labels.dtype != torch.int64 or self.labels.shape != (self.images.shape[0],):
            raise ValueError(f"labels must be int64 of length {self.images.shape[0]}, got "
                             f"{self.labels.dtype} {tuple(self.labels.shape)}")

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def on(self, device: torch.device | str) -> tuple[torch.Tensor, torch.Tensor]:
        """(images, labels) on `device`, copied once and shared by every stream over this split."""
        device = torch.device(device)
        if device.type == "cpu":
            return self.images, self.labels
        cache: dict[torch.device, tuple[torch.Tensor, torch.Tensor]] = self.__dict__.setdefault("_device_copies", {})
        if device not in cache:
            cache[device] = (self.images.to(device), self.labels.to(device))
        return cache[device]


def split_indices(n: int, train_portion: float) -> tuple[np.ndarray, np.ndarray]:
    """The first `train_portion` of the indices and the rest, unshuffled, as DARTS splits its search data."""
    if not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"need at least 2 samples to split, got n={n!r}")
    if not 0.0 < train_portion < 1.0:
        raise ValueError(f"train_portion must be in (0, 1), got {train_portion!r}")
    cut = int(np.floor(n * train_portion))
    cut = min(max(cut, 1), n - 1)
    indices = np.arange(n, dtype=np.int64)
    return indices[:cut], indices[cut:]


def dataset_progress(dataset: str, stage: str, done: int, total: int, message: str = "") -> DatasetProgress:
    return DatasetProgress(dataset, stage, done, total, message)
