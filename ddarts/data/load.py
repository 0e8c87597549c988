"""One entry point for every dataset: `load_dataset(name, data_dir, split)`."""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from ddarts.data.catalogue import (
    DATASET_INFO,
    DATASETS,
    DIGITS_TRAIN_SIZE,
    SPLITS,
    ImageData,
    dataset_progress,
)
from ddarts.data.folders import load_folder
from ddarts.data.progress import DatasetProgress
from ddarts.data.sources import FolderData, load_cifar
from ddarts.errors import DataError


def _check_split(name: str, split: str) -> str:
    if name in ("imagenet", "folder") and split == "val":
        return "test"
    if split not in SPLITS:
        raise DataError(f"unknown split {split!r} for dataset {name!r}; expected one of {', '.join(SPLITS)}")
    return split


def _digits_table() -> np.ndarray:
    """The 1797 × 65 digits table (8 × 8 pixels in 0..16, then the label) that scikit-learn ships.

    Read straight from its file when it is where scikit-learn keeps it: importing `sklearn.datasets` pulls in
    SciPy and more (about 2 s), and in the app that import runs beside the GUI thread at a search's start.
    """
    spec = importlib.util.find_spec("sklearn")
    origin = Path(spec.origin) if spec is not None and spec.origin else None
    table = origin.parent / "datasets" / "data" / "digits.csv.gz" if origin is not None else None
    if table is not None and table.is_file():
        with gzip.open(table, "rt") as handle:
            data = np.loadtxt(handle, delimiter=",")
        if data.shape == (1797, 65):
            return data
    from sklearn.datasets import load_digits  # another layout: let scikit-learn read it

    bunch = load_digits()
    return np.concatenate([bunch.data, bunch.target[:, None]], axis=1)


def load_digits_split(split: str = "train") -> ImageData:
    """scikit-learn's bundled 8x8 digits as 3x32x32 uint8 images: a dataset that needs no download."""
    split = _check_split("digits", split)
    table = _digits_table()
    pixels = torch.from_numpy(table[:, :64].reshape(-1, 8, 8).astype(np.float32)) * (255.0 / 16.0)
    big = torch.nn.functional.interpolate(pixels[:, None], size=(32, 32), mode="bilinear", align_corners=False)
    images = big.round().clamp(0, 255).to(torch.uint8).expand(-1, 3, -1, -1).contiguous()
    labels = torch.from_numpy(table[:, 64].astype(np.int64))
    order = np.random.default_rng(0).permutation(len(labels))
    chosen = torch.from_numpy(order[:DIGITS_TRAIN_SIZE] if split == "train" else order[DIGITS_TRAIN_SIZE:])
    return ImageData(images[chosen].contiguous(), labels[chosen].contiguous(), DATASET_INFO["digits"])


def load_dataset(
    name: str,
    data_dir: str,
    split: str = "train",
    *,
    download: bool = True,
    progress: Callable[[DatasetProgress], None] | None = None,
    image_size: int | None = None,
    num_workers: int = 4,
) -> ImageData | FolderData:
    """Load one split. CIFAR is downloaded into `data_dir` when missing (with progress reports, nothing printed);
    digits needs no files; imagenet reads `data_dir/train/<class>/*` or `data_dir/val/<class>/*`; folder reads any
    image folder (ddarts.data.folders).

    `image_size` (imagenet, folder) overrides the 224 px crop or the folder's image side; `num_workers` sets the
    loader processes of streamed folders.
    """
    if name not in DATASETS:
        raise DataError(f"unknown dataset {name!r}; expected one of {', '.join(DATASETS)}")
    split = _check_split(name, split)
    if name == "digits":
        data = load_digits_split(split)
    elif name in ("cifar10", "cifar100"):
        data = load_cifar(name, data_dir, split, download=download, progress=progress)
    elif name == "folder":
        data = load_folder(data_dir, split, image_size=image_size, num_workers=num_workers, progress=progress)
    else:
        data = FolderData.open(data_dir, split, image_size=image_size, num_workers=num_workers)
    if progress is not None:
        info = data.info
        extra = f" of {info.image_size} px in {info.num_classes} classes" if name == "folder" else ""
        skipped = f", {info.skipped} unreadable skipped" if info.skipped else ""
        progress(dataset_progress(name, "ready", len(data), len(data),
                                  f"{name} {split}: {len(data)} images{extra}{skipped}"))
    return data
