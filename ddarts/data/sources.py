"""Where images come from: the CIFAR archives (downloaded by us, with progress) and ImageNet-style folders.

CIFAR is fetched here rather than by torchvision so the download can report progress to the GUI and the
CLI without printing, and so a failed download leaves nothing behind in the data folder.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from ddarts.data.catalogue import DATASET_INFO, DatasetInfo, ImageData, dataset_progress
from ddarts.errors import DataError

CHUNK = 1 << 20
DOWNLOAD_TIMEOUT_S = 30.0


def _cifar_class(name: str) -> type:
    from torchvision import datasets

    return datasets.CIFAR10 if name == "cifar10" else datasets.CIFAR100


def _offline_help(name: str, folder: Path) -> str:
    return (f"expected the {name} files in {folder}{os.sep}. Either point --data at a folder that holds "
            f"`{folder.name}/` (the extracted archive), or use --dataset digits, which works offline")


def load_cifar(name: str, data_dir: str, split: str, *, download: bool = True,
               progress: Callable | None = None) -> ImageData:
    """Load a CIFAR split from `data_dir`, downloading and extracting the archive first when it is missing."""
    cls = _cifar_class(name)
    root = Path(data_dir).expanduser()
    folder = root / cls.base_folder
    if not folder.is_dir():
        if not download:
            raise DataError(f"{name} not found: {_offline_help(name, folder)}")
        _download_cifar(name, cls, root, progress)
    if progress is not None:
        progress(dataset_progress(name, "load", 0, 0, f"reading {folder}"))
    try:
        ds = cls(str(root), train=(split == "train"), download=False)
    except RuntimeError as exc:
        raise DataError(f"{name} files in {folder} are incomplete or corrupted ({exc}); delete the folder to "
                        f"download them again, or {_offline_help(name, folder)}") from None
    images = torch.from_numpy(np.ascontiguousarray(np.asarray(ds.data, dtype=np.uint8).transpose(0, 3, 1, 2)))
    labels = torch.as_tensor(np.asarray(ds.targets, dtype=np.int64))
    return ImageData(images, labels, DATASET_INFO[name])


def _download_cifar(name: str, cls: type, root: Path, progress: Callable | None) -> None:
    """Download, verify and extract into `root`; on any failure remove everything this call created."""
    folder = root / cls.base_folder
    created = [p for p in (root, *root.parents) if not p.exists()]
    work: Path | None = None
    try:
        root.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{name}-download-", dir=root))
        archive = work / cls.filename
        digest = _fetch(name, cls.url, archive, progress)
        if digest != cls.tgz_md5:
            raise DataError(f"{name}: the downloaded archive {cls.filename} from {cls.url} has MD5 {digest}, "
                            f"expected {cls.tgz_md5} (a truncated or altered download); nothing was kept. "
                            f"Retry, or {_offline_help(name, folder)}")
        if progress is not None:
            progress(dataset_progress(name, "extract", 0, 1, f"extracting {cls.filename}"))
        from torchvision.datasets.utils import extract_archive

        extract_archive(str(archive), str(work / "extracted"))
        extracted = work / "extracted" / cls.base_folder
        if not extracted.is_dir():
            raise DataError(f"{name}: the archive {cls.filename} holds no `{cls.base_folder}/` folder")
        os.replace(extracted, folder)
        if progress is not None:
            progress(dataset_progress(name, "extract", 1, 1, f"extracted to {folder}"))
    except BaseException:
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
            work = None
        for path in created:  # deepest first: undo the folders made for this download
            try:
                path.rmdir()
            except OSError:
                break
        raise
    finally:
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)


def _fetch(name: str, url: str, target: Path, progress: Callable | None) -> str:
    """Stream `url` into `target` in chunks, reporting bytes; returns the MD5 hex digest of what was written."""
    md5 = hashlib.md5()
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response, open(target, "wb") as out:
            length = response.headers.get("Content-Length") if getattr(response, "headers", None) else None
            total = int(length) if length and str(length).isdigit() else 0
            done = 0
            if progress is not None:
                progress(dataset_progress(name, "download", 0, total, f"downloading {url}"))
            while True:
                chunk = response.read(CHUNK)
                if not chunk:
                    break
                out.write(chunk)
                md5.update(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(dataset_progress(name, "download", done, total, f"downloading {url}"))
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        folder = target.parent.parent / _cifar_class(name).base_folder
        reason = getattr(exc, "reason", exc)
        raise DataError(f"{name} is not in {target.parent.parent} and downloading {url} failed ({reason}): "
                        f"{_offline_help(name, folder)}") from None
    return md5.hexdigest()


# ---------------------------------------------------------------------------------------------- image folders
class FolderData:
    """An image-folder split streamed by DataLoader workers with the DARTS ImageNet transforms.

    `samples` are (path, class index) pairs; ImageNet folders and large custom folders both read this way.
    """

    def __init__(self, samples: list[tuple[str, int]], classes: list[str], split: str, info: DatasetInfo,
                 num_workers: int = 4):
        self.samples = samples
        self.split = split
        self.info = info
        self.num_workers = num_workers
        self.classes: list[str] = list(classes)
        self.labels = torch.as_tensor([target for _, target in samples], dtype=torch.int64)

    @staticmethod
    def loader(path: str):
        from PIL import Image

        with open(path, "rb") as handle:
            return Image.open(handle).convert("RGB")

    @classmethod
    def open(cls, data_dir: str, split: str, *, image_size: int | None = None, num_workers: int = 4) -> "FolderData":
        from torchvision.datasets import ImageFolder

        sub = "train" if split == "train" else "val"
        root = Path(data_dir).expanduser() / sub
        layout = (f"expected an ImageNet-style folder: {Path(data_dir) / 'train'}/<class>/<image> and "
                  f"{Path(data_dir) / 'val'}/<class>/<image>")
        if not root.is_dir():
            raise DataError(f"imagenet {split} folder {root} does not exist; {layout}")
        try:
            folder = ImageFolder(str(root))
        except (FileNotFoundError, RuntimeError) as exc:
            raise DataError(f"imagenet {split} folder {root} holds no usable images ({exc}); {layout}") from None
        base = DATASET_INFO["imagenet"]
        size = image_size if image_size is not None else base.image_size
        if size < 8:
            raise DataError(f"imagenet image_size must be >= 8, got {size}")
        info = DatasetInfo("imagenet", len(folder.classes), size, base.mean, base.std, base.input_kind)
        return cls(list(folder.samples), list(folder.classes), split, info, num_workers)

    def __len__(self) -> int:
        return len(self.samples)

    def transform(self, augment: bool):
        """DARTS ImageNet transforms: random-resized crop, flip and colour jitter to train; resize + centre crop
        (256/224 of the crop size) to evaluate."""
        from torchvision import transforms

        size = self.info.image_size
        normalize = transforms.Normalize(self.info.mean, self.info.std)
        if augment:
            steps = [transforms.RandomResizedCrop(size), transforms.RandomHorizontalFlip(),
                     transforms.ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.2)]
        else:
            steps = [transforms.Resize(round(size * 256 / 224)), transforms.CenterCrop(size)]
        return transforms.Compose([*steps, transforms.ToTensor(), normalize])


class SeededFolderView(torch.utils.data.Dataset):
    """Items are (index, seed) pairs: each image's random transform is seeded by its batch position, so a
    batch does not depend on which worker built it or on where the stream was resumed."""

    def __init__(self, data: FolderData, augment: bool):
        self.data = data
        self.transform = data.transform(augment)

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, item: tuple[int, int]) -> tuple[torch.Tensor, int]:
        index, seed = item
        path, target = self.data.samples[index]
        image = self.data.loader(path)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            tensor = self.transform(image)
        return tensor, target
