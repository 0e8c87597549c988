"""Deterministic, resumable batch streams.

Every random choice is seeded from the stream's position: pass p's order from (seed, p), batch b's
augmentation from (seed, p, b). The whole state is therefore (pass, position), and a stream rebuilt from
a checkpoint yields exactly the batches the interrupted one would have.
"""

from __future__ import annotations

import hashlib
import math
import struct
from typing import Iterator, Sequence

import numpy as np
import torch

from ddarts.data import augment as aug
from ddarts.data.catalogue import ImageData
from ddarts.data.sources import FolderData, SeededFolderView
from ddarts.errors import DataError

CROP_PADDING = 4


def derive_seed(*parts: int) -> int:
    """A 63-bit seed mixing integers, so nearby (seed, pass, batch) tuples give unrelated generators."""
    payload = struct.pack(f"<{len(parts)}q", *(int(p) & 0x7FFF_FFFF_FFFF_FFFF for p in parts))
    return int.from_bytes(hashlib.blake2b(payload, digest_size=8).digest(), "little") & 0x7FFF_FFFF_FFFF_FFFF


def _generator(*parts: int) -> torch.Generator:
    g = torch.Generator()
    g.manual_seed(derive_seed(*parts))
    return g


class BatchStream:
    """Deterministic, resumable stream of augmented batches over a subset, on a device.

    `data` is an `ImageData` (batched tensor augmentation) or a `FolderData` (DataLoader workers running the
    ImageNet transforms per image). `augment=False` only normalises (evaluation); `shuffle=False` keeps the
    subset's order (evaluation passes). `shard=(rank, world_size)` serves only that process's contiguous slice
    of every batch, with the augmentation the whole batch would get, so N processes together see exactly the
    batches of one (torchrun data parallelism).
    """

    def __init__(self, data: ImageData | FolderData, indices: Sequence[int] | np.ndarray | torch.Tensor | None,
                 batch_size: int, *, seed: int, augment: bool, device: torch.device | str, cutout: int = 0,
                 channels_last: bool = False, drop_last: bool = True, shuffle: bool = True,
                 shard: tuple[int, int] = (0, 1)):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        if cutout < 0:
            raise ValueError(f"cutout must be >= 0, got {cutout!r}")
        rank, world = shard
        if world < 1 or not 0 <= rank < world:
            raise ValueError(f"shard {shard!r} is not (rank, world_size) with 0 <= rank < world_size")
        if batch_size % world:
            raise ValueError(f"batch size {batch_size} does not split evenly over {world} processes")
        self.shard = (rank, world)
        if indices is None:
            indices = torch.arange(len(data), dtype=torch.int64)
        self.indices = torch.as_tensor(np.asarray(indices), dtype=torch.int64).reshape(-1)
        if self.indices.numel() and (int(self.indices.min()) < 0 or int(self.indices.max()) >= len(data)):
            raise ValueError(f"indices out of range for a dataset of {len(data)} samples")
        self.data = data
        self.batch_size = batch_size
        self.seed = int(seed)
        self.augment = augment
        self.device = torch.device(device)
        self.cutout = cutout
        self.channels_last = channels_last
        self.drop_last = drop_last
        self.shuffle = shuffle
        n = self.indices.numel()
        self._len = n // batch_size if drop_last else math.ceil(n / batch_size)
        if self._len == 0:
            raise DataError(f"{data.info.name}: {n} images are fewer than one batch of {batch_size}; "
                            f"use a smaller batch size")
        self._pass = 0
        self._position = 0
        self._order: tuple[int, torch.Tensor] | None = None
        self._folder_iter: Iterator | None = None
        self._folder_at: tuple[int, int] | None = None
        if isinstance(data, ImageData):
            self._images, self._labels = data.on(self.device)
        elif isinstance(data, FolderData):
            self._view = SeededFolderView(data, augment)
        else:
            raise TypeError(f"BatchStream needs ImageData or FolderData, got {type(data).__name__}")

    # ------------------------------------------------------------------ state
    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> "BatchStream":
        return self

    def state_dict(self) -> dict:
        return {"pass": self._pass, "position": self._position}

    def load_state_dict(self, state: dict) -> None:
        p, pos = state.get("pass"), state.get("position")
        if not isinstance(p, int) or not isinstance(pos, int) or p < 0 or not 0 <= pos <= self._len:
            raise ValueError(f"bad batch stream state {state!r} for a stream of {self._len} batches per pass")
        self._pass, self._position = (p + 1, 0) if pos == self._len else (p, pos)
        self._folder_iter = None

    def __next__(self) -> tuple[torch.Tensor, torch.Tensor]:
        if isinstance(self.data, FolderData):
            if self._folder_iter is None or self._folder_at != (self._pass, self._position):
                self._folder_iter = self._folder_batches(self._pass, self._position)
            batch = next(self._folder_iter)
        else:
            batch = self._tensor_batch(self._pass, self._position)
        self._position += 1
        if self._position == self._len:
            self._pass, self._position = self._pass + 1, 0
            self._folder_iter = None
        self._folder_at = (self._pass, self._position)
        return batch

    def pass_batches(self, pass_index: int, start: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """The batches of one pass from `start`, without touching the stream's own position."""
        if isinstance(self.data, FolderData):
            yield from self._folder_batches(pass_index, start)
            return
        for b in range(start, self._len):
            yield self._tensor_batch(pass_index, b)

    # ------------------------------------------------------------------ internals
    def _pass_order(self, pass_index: int) -> torch.Tensor:
        if self._order is None or self._order[0] != pass_index:
            if self.shuffle:
                perm = torch.randperm(self.indices.numel(), generator=_generator(self.seed, pass_index))
                self._order = (pass_index, self.indices[perm])
            else:
                self._order = (pass_index, self.indices)
        return self._order[1]

    def _batch_indices(self, pass_index: int, b: int) -> torch.Tensor:
        order = self._pass_order(pass_index)
        return order[b * self.batch_size:(b + 1) * self.batch_size]

    def _shard_slice(self, n: int) -> slice:
        """This process's rows of a batch of n (the last batch of a pass may be short)."""
        rank, world = self.shard
        per = -(-n // world)
        return slice(min(rank * per, n), min((rank + 1) * per, n))

    def _tensor_batch(self, pass_index: int, b: int) -> tuple[torch.Tensor, torch.Tensor]:
        full = self._batch_indices(pass_index, b)
        rows = self._shard_slice(full.numel())
        idx = full[rows].to(self.device)
        images = self._images.index_select(0, idx)
        labels = self._labels.index_select(0, idx)
        info = self.data.info
        if self.augment or self.cutout:
            g = _generator(self.seed, pass_index, b)
        if self.augment:  # drawn for the whole batch, so a shard gets exactly its rows' draws
            p = aug.draw_crop_flip(full.numel(), CROP_PADDING, g)
            images = aug.crop_flip(images, aug.CropFlip(p.dy[rows], p.dx[rows], p.flip[rows]), CROP_PADDING)
        x = aug.normalize(images, info.mean, info.std)
        if self.cutout:
            cy, cx = aug.draw_cutout(full.numel(), x.shape[2], x.shape[3], g)
            x = aug.cutout(x, (cy[rows], cx[rows]), self.cutout)
        return self._finish(x), labels

    def _finish(self, x: torch.Tensor) -> torch.Tensor:
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x.contiguous()

    def _folder_batches(self, pass_index: int, start: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        batches, sizes = [], []
        for b in range(start, self._len):
            full = [(int(i), derive_seed(self.seed, pass_index, b, k))
                    for k, i in enumerate(self._batch_indices(pass_index, b))]
            batches.append(full[self._shard_slice(len(full))])
            sizes.append(len(full))
        workers = self.data.num_workers
        loader = torch.utils.data.DataLoader(
            self._view, batch_sampler=batches, num_workers=workers, pin_memory=self.device.type == "cuda",
            persistent_workers=False, prefetch_factor=4 if workers else None,
        )
        for b, (x, y) in enumerate(loader, start):
            x = x.to(self.device, non_blocking=True)
            y = y.to(self.device, non_blocking=True)
            if self.cutout:
                n = sizes[b - start]
                rows = self._shard_slice(n)
                cy, cx = aug.draw_cutout(n, x.shape[2], x.shape[3], _generator(self.seed, pass_index, b))
                x = aug.cutout(x, (cy[rows], cx[rows]), self.cutout)
            yield self._finish(x), y
