"""Batched DARTS CIFAR augmentation on uint8 tensors: padded random crop, horizontal flip, normalise, cutout.

Random parameters are drawn on the CPU from a caller-supplied generator (a few integers per image) and
applied with index arithmetic on the images' device, so a batch is the same bit for bit on CPU and GPU and
depends only on the generator's seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class CropFlip:
    """Per-image parameters: crop offsets into the zero-padded image and whether to mirror it."""

    dy: torch.Tensor  # int64, N, in [0, 2 * padding]
    dx: torch.Tensor
    flip: torch.Tensor  # bool, N


def draw_crop_flip(n: int, padding: int, generator: torch.Generator) -> CropFlip:
    dy = torch.randint(0, 2 * padding + 1, (n,), generator=generator)
    dx = torch.randint(0, 2 * padding + 1, (n,), generator=generator)
    flip = torch.randint(0, 2, (n,), generator=generator).bool()
    return CropFlip(dy, dx, flip)


def crop_flip(images: torch.Tensor, params: CropFlip, padding: int = 4) -> torch.Tensor:
    """Crop each image of N x C x H x W at its offset after zero-padding by `padding` px, mirrored where asked.

    Output pixel (r, c) of image n reads padded pixel (r + dy[n], c' + dx[n]) with c' = W-1-c when flipped;
    two gathers do the whole batch at once.
    """
    n, ch, h, w = images.shape
    device = images.device
    padded = torch.nn.functional.pad(images, (padding, padding, padding, padding))
    rows = params.dy.to(device)[:, None] + torch.arange(h, device=device)[None, :]  # N x H
    cols_base = torch.arange(w, device=device)
    cols_flip = cols_base.flip(0)
    flip = params.flip.to(device)[:, None]
    cols = torch.where(flip, cols_flip[None, :], cols_base[None, :]) + params.dx.to(device)[:, None]  # N x W
    wide = padded.shape[-1]
    picked_rows = padded.gather(2, rows[:, None, :, None].expand(n, ch, h, wide))
    return picked_rows.gather(3, cols[:, None, None, :].expand(n, ch, h, w))


def normalize(images: torch.Tensor, mean: tuple[float, ...], std: tuple[float, ...]) -> torch.Tensor:
    """uint8 (0..255) to float32 standardised per channel."""
    device = images.device
    scale = torch.tensor([1.0 / (255.0 * s) for s in std], device=device, dtype=torch.float32)[None, :, None, None]
    shift = torch.tensor([m / s for m, s in zip(mean, std)], device=device, dtype=torch.float32)[None, :, None, None]
    return images.to(torch.float32) * scale - shift


def draw_cutout(n: int, height: int, width: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Square centres, uniform over the image (a square may hang over the border, as in DARTS)."""
    cy = torch.randint(0, height, (n,), generator=generator)
    cx = torch.randint(0, width, (n,), generator=generator)
    return cy, cx


def cutout(images: torch.Tensor, centres: tuple[torch.Tensor, torch.Tensor], length: int) -> torch.Tensor:
    """Zero one `length`-sided square per image (after normalisation), clipped at the border."""
    n, _, h, w = images.shape
    device = images.device
    cy, cx = (c.to(device)[:, None] for c in centres)
    half = length // 2
    r = torch.arange(h, device=device)[None, :]
    c = torch.arange(w, device=device)[None, :]
    in_rows = (r >= cy - half) & (r < cy + length - half)  # N x H
    in_cols = (c >= cx - half) & (c < cx + length - half)  # N x W
    mask = in_rows[:, :, None] & in_cols[:, None, :]
    return images.masked_fill(mask[:, None, :, :], 0.0)
