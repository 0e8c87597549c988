"""Custom image folders as datasets: one sub-folder per class, any image size.

`train/` and `val/` (or `test/`) sub-folders are used when present; otherwise each class is split with a fixed
seed (a fifth to test). Mean and std are measured on the training images, so the test split and an export are
normalised exactly as training was. Small folders are decoded once into a uint8 tensor (batched augmentation
on the device, like CIFAR); large ones are streamed by loader workers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from ddarts.data.catalogue import DatasetInfo, ImageData, dataset_progress, stem_for
from ddarts.data.sources import FolderData
from ddarts.errors import DataError

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm"})
TEST_SHARE = 0.2
SPLIT_SEED = 0
IN_MEMORY_BYTES = 1 << 30
"""A folder whose decoded training images fit in this many bytes is held in memory; larger ones stream."""
STATS_SAMPLE = 2000
"""A streamed folder's mean/std are measured on this many training images (seeded choice)."""
LAYOUT = "expected DIR/<class>/<image> (or DIR/train/<class>/... with DIR/val/ or DIR/test/)"


def _mixed(samples: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """A fixed shuffle: files are listed class by class, and the search splits its data by position."""
    return [samples[i] for i in np.random.default_rng(SPLIT_SEED).permutation(len(samples))]


@dataclass(frozen=True)
class FolderScan:
    root: Path
    classes: tuple[str, ...]
    train: list[tuple[str, int]]
    test: list[tuple[str, int]]


def _images_in(folder: Path) -> list[str]:
    return sorted(str(p) for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def _class_dirs(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def _check_classes(root: Path, per_class: dict[str, list[str]]) -> None:
    if len(per_class) < 2:
        raise DataError(f"image folder {root} has {len(per_class)} class folder(s); need at least 2 ({LAYOUT})")
    empty = [name for name, files in per_class.items() if not files]
    if empty:
        raise DataError(f"image folder {root}: class folder {empty[0]!r} holds no images "
                        f"(suffixes: {', '.join(sorted(IMAGE_SUFFIXES))})")


def scan_folder(data_dir: str) -> FolderScan:
    """Classes and (path, label) lists of both splits; raises DataError naming what is wrong."""
    root = Path(data_dir).expanduser()
    if not root.is_dir():
        raise DataError(f"image folder {root} does not exist; {LAYOUT}")
    held_out = next((root / name for name in ("val", "test") if (root / name).is_dir()), None)
    if (root / "train").is_dir() and held_out is not None:
        train = {d.name: _images_in(d) for d in _class_dirs(root / "train")}
        _check_classes(root / "train", train)
        classes = tuple(train)
        test_dirs = {d.name: _images_in(d) for d in _class_dirs(held_out)}
        unknown = sorted(set(test_dirs) - set(classes))
        if unknown:
            raise DataError(f"{held_out} has class {unknown[0]!r}, which {root / 'train'} does not have")
        index = {name: i for i, name in enumerate(classes)}
        return FolderScan(root, classes, _mixed([(f, index[c]) for c, files in train.items() for f in files]),
                          [(f, index[c]) for c, files in test_dirs.items() for f in files])
    per_class = {d.name: _images_in(d) for d in _class_dirs(root)}
    _check_classes(root, per_class)
    rng = np.random.default_rng(SPLIT_SEED)
    train_list, test_list = [], []
    for label, files in enumerate(per_class.values()):
        order = rng.permutation(len(files))
        n_test = int(round(len(files) * TEST_SHARE)) if len(files) > 1 else 0
        test_list += [(files[i], label) for i in sorted(order[:n_test])]
        train_list += [(files[i], label) for i in sorted(order[n_test:])]
    return FolderScan(root, tuple(per_class), _mixed(train_list), test_list)


def _open_rgb(path: str):
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return image.convert("RGB")
    except (OSError, ValueError, UnidentifiedImageError, Image.DecompressionBombError):
        return None


def _decode(samples: list[tuple[str, int]], size: int | None,
            report: Callable[[int], None]) -> tuple[torch.Tensor, torch.Tensor, int, int]:
    """uint8 N x 3 x S x S images, their labels, the number of unreadable files and S (the first image's side
    when `size` is None)."""
    from PIL import Image

    arrays, labels, skipped = [], [], 0
    for k, (path, label) in enumerate(samples):
        image = _open_rgb(path)
        if image is None:
            skipped += 1
            continue
        if size is None:
            size = max(image.size)
        if image.size != (size, size):
            image = image.resize((size, size), Image.Resampling.BILINEAR)
        arrays.append(np.asarray(image, dtype=np.uint8))
        labels.append(label)
        if k % 256 == 0:
            report(k)
    if not arrays:
        return torch.zeros(0, 3, size or 1, size or 1, dtype=torch.uint8), torch.zeros(0, dtype=torch.int64), skipped, size or 1
    images = torch.from_numpy(np.ascontiguousarray(np.stack(arrays).transpose(0, 3, 1, 2)))
    return images, torch.as_tensor(labels, dtype=torch.int64), skipped, int(size)


def channel_stats(images: torch.Tensor) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """Per-channel mean and population std of uint8 N x 3 x H x W images, on the 0..1 scale."""
    x = images.to(torch.float64).div_(255.0).transpose(0, 1).reshape(3, -1)
    mean = tuple(round(float(v), 4) for v in x.mean(dim=1))
    std = tuple(round(max(float(v), 1e-3), 4) for v in x.std(dim=1, correction=0))
    return mean, std  # type: ignore[return-value]


def _first_side(samples: list[tuple[str, int]]) -> int:
    for path, _ in samples:
        image = _open_rgb(path)
        if image is not None:
            return max(image.size)
    raise DataError("no readable image in the training split")


def load_folder(data_dir: str, split: str = "train", *, image_size: int | None = None, num_workers: int = 4,
                progress: Callable | None = None, in_memory_bytes: int = IN_MEMORY_BYTES) -> ImageData | FolderData:
    """One split of a custom image folder, resized to `image_size` px (default: the first image's side)."""
    scan = scan_folder(data_dir)
    if image_size is not None and image_size < 8:
        raise DataError(f"image_size must be >= 8, got {image_size}")

    def report(stage: str, done: int, total: int, message: str) -> None:
        if progress is not None:
            progress(dataset_progress("folder", stage, done, total, message))

    side = image_size or _first_side(scan.train)
    if len(scan.train) * 3 * side * side <= in_memory_bytes:
        train_x, train_y, skipped, side = _decode(
            scan.train, side, lambda k: report("load", k, len(scan.train), f"decoding {scan.root}"))
        if train_x.shape[0] == 0:
            raise DataError(f"image folder {scan.root}: none of the {len(scan.train)} training images is readable")
        missing = set(range(len(scan.classes))) - set(train_y.tolist())
        if missing:
            raise DataError(f"image folder {scan.root}: class {scan.classes[min(missing)]!r} has no readable image")
        mean, std = channel_stats(train_x)
        if split == "train":
            info = DatasetInfo("folder", len(scan.classes), side, mean, std, stem_for(side), scan.classes, skipped)
            return ImageData(train_x, train_y, info)
        test_x, test_y, skipped, _ = _decode(scan.test, side, lambda k: None)
        if test_x.shape[0] == 0:
            raise DataError(f"image folder {scan.root} has no readable test images; add a val/ or test/ folder "
                            f"or more images per class")
        info = DatasetInfo("folder", len(scan.classes), side, mean, std, stem_for(side), scan.classes, skipped)
        return ImageData(test_x, test_y, info)
    return _streamed(scan, split, side, num_workers, report)


def _streamed(scan: FolderScan, split: str, side: int, num_workers: int, report: Callable) -> FolderData:
    from PIL import Image, UnidentifiedImageError

    samples = scan.train if split == "train" else scan.test
    readable, skipped = [], 0
    for k, (path, label) in enumerate(samples):  # header check only: cheap, catches non-images
        try:
            with Image.open(path):
                readable.append((path, label))
        except (OSError, ValueError, UnidentifiedImageError):
            skipped += 1
        if k % 1024 == 0:
            report("load", k, len(samples), f"checking {scan.root}")
    if not readable:
        raise DataError(f"image folder {scan.root}: no readable {split} images")
    chosen = np.random.default_rng(SPLIT_SEED).permutation(len(scan.train))[:STATS_SAMPLE]
    sample_x, _, _, _ = _decode([scan.train[i] for i in sorted(chosen)], side, lambda k: None)
    mean, std = channel_stats(sample_x)
    info = DatasetInfo("folder", len(scan.classes), side, mean, std, stem_for(side), scan.classes, skipped)
    return FolderData(readable, list(scan.classes), split, info, num_workers)


def from_tensors(images: torch.Tensor, labels: torch.Tensor | np.ndarray | list[int], *,
                 classes: tuple[str, ...] | list[str] | None = None,
                 mean: tuple[float, float, float] | None = None,
                 std: tuple[float, float, float] | None = None, name: str = "custom") -> ImageData:
    """Square uint8 images (N x 3 x S x S, N x S x S x 3 or N x S x S grey) and integer labels as a dataset;
    mean/std are measured on these images unless given (give the training split's for a test split)."""
    if not isinstance(images, torch.Tensor) or images.dtype != torch.uint8:
        raise DataError(f"images must be a uint8 torch tensor, got {getattr(images, 'dtype', type(images).__name__)}")
    if images.dim() == 3:
        images = images[:, None].expand(-1, 3, -1, -1)
    elif images.dim() == 4 and images.shape[1] not in (1, 3) and images.shape[3] in (1, 3):
        images = images.permute(0, 3, 1, 2)
    if images.dim() != 4 or images.shape[1] not in (1, 3) or images.shape[2] != images.shape[3]:
        raise DataError(f"images must be N x 3 x S x S (square), got {tuple(images.shape)}")
    if images.shape[1] == 1:
        images = images.expand(-1, 3, -1, -1)
    y = torch.as_tensor(np.asarray(labels), dtype=torch.int64).reshape(-1)
    if y.numel() != images.shape[0]:
        raise DataError(f"{images.shape[0]} images but {y.numel()} labels")
    if y.numel() and int(y.min()) < 0:
        raise DataError("labels must be >= 0")
    n_classes = len(classes) if classes is not None else int(y.max()) + 1 if y.numel() else 0
    if n_classes < 2:
        raise DataError(f"need at least 2 classes, got {n_classes}")
    if y.numel() and int(y.max()) >= n_classes:
        raise DataError(f"label {int(y.max())} is out of range for {n_classes} classes")
    images = images.contiguous()
    measured = channel_stats(images) if mean is None or std is None else (mean, std)
    side = int(images.shape[2])
    names = tuple(classes) if classes is not None else tuple(str(i) for i in range(n_classes))
    info = DatasetInfo(name, n_classes, side, tuple(measured[0]), tuple(measured[1]),  # type: ignore[arg-type]
                       stem_for(side), names)
    return ImageData(images, y, info)


def from_dataset(dataset: torch.utils.data.Dataset, *, image_size: int | None = None,
                 classes: tuple[str, ...] | list[str] | None = None, **stats) -> ImageData:
    """A map-style torch Dataset of (image, label) pairs, images as PIL images or uint8/float tensors (C x H x W,
    floats in 0..1), decoded once into memory at `image_size` px (default: the first image's side)."""
    import torch.nn.functional as F

    rows, labels = [], []
    for k in range(len(dataset)):  # type: ignore[arg-type]
        image, label = dataset[k]
        if not isinstance(image, torch.Tensor):
            image = torch.from_numpy(np.array(image.convert("RGB"), dtype=np.uint8)).permute(2, 0, 1)
        elif image.is_floating_point():
            image = (image.clamp(0, 1) * 255).round().to(torch.uint8)
        if image.dim() == 2:
            image = image[None]
        image = image.expand(3, -1, -1) if image.shape[0] == 1 else image
        size = image_size = image_size or max(image.shape[1:])
        if tuple(image.shape[1:]) != (size, size):
            image = F.interpolate(image[None].float(), size=(size, size), mode="bilinear",
                                  align_corners=False)[0].round().clamp(0, 255).to(torch.uint8)
        rows.append(image)
        labels.append(int(label))
    if not rows:
        raise DataError("the dataset is empty")
    return from_tensors(torch.stack(rows), labels, classes=classes or getattr(dataset, "classes", None), **stats)
