"""Batched crop/flip/cutout: checked against a per-image reference written with plain slicing."""

import torch

from ddarts.data.augment import (
    CropFlip,
    crop_flip,
    cutout,
    draw_crop_flip,
    draw_cutout,
    normalize,
)


def _images(n=5, h=8, w=8):
    return torch.arange(n * 3 * h * w, dtype=torch.int64).remainder(251).add(1).to(torch.uint8).reshape(n, 3, h, w)


def test_zero_offset_is_a_shift_by_the_padding():
    x = _images()
    n = x.shape[0]
    out = crop_flip(x, CropFlip(torch.zeros(n, dtype=torch.long), torch.zeros(n, dtype=torch.long),
                                torch.zeros(n, dtype=torch.bool)), padding=2)
    assert torch.equal(out[:, :, 2:, 2:], x[:, :, :-2, :-2])
    assert (out[:, :, :2, :] == 0).all() and (out[:, :, :, :2] == 0).all()  # zero padding shows at the border


def test_centre_offset_without_flip_is_identity_and_flip_mirrors():
    x = _images()
    n = x.shape[0]
    centre = torch.full((n,), 4, dtype=torch.long)
    same = crop_flip(x, CropFlip(centre, centre, torch.zeros(n, dtype=torch.bool)), padding=4)
    assert torch.equal(same, x)
    mirrored = crop_flip(x, CropFlip(centre, centre, torch.ones(n, dtype=torch.bool)), padding=4)
    assert torch.equal(mirrored, x.flip(3))


def test_random_crop_flip_matches_per_image_reference():
    x = _images(n=16)
    g = torch.Generator().manual_seed(7)
    params = draw_crop_flip(16, 4, g)
    assert params.dy.min() >= 0 and params.dy.max() <= 8 and params.flip.any() and not params.flip.all()
    out = crop_flip(x, params, padding=4)
    padded = torch.nn.functional.pad(x, (4, 4, 4, 4))
    for i in range(16):
        dy, dx = int(params.dy[i]), int(params.dx[i])
        ref = padded[i, :, dy:dy + 8, dx:dx + 8]
        if params.flip[i]:
            ref = ref.flip(2)
        assert torch.equal(out[i], ref), i


def test_normalize_uses_mean_and_std():
    x = torch.tensor([0, 255], dtype=torch.uint8).reshape(1, 1, 1, 2).expand(1, 3, 1, 2)
    out = normalize(x, (0.5, 0.25, 0.0), (0.5, 0.25, 1.0))
    assert out.dtype == torch.float32
    assert torch.allclose(out[0, :, 0, 0], torch.tensor([-1.0, -1.0, 0.0]))
    assert torch.allclose(out[0, :, 0, 1], torch.tensor([1.0, 3.0, 1.0]))


def test_cutout_zeroes_one_clipped_square_per_image():
    x = torch.ones(3, 2, 32, 32)
    centres = (torch.tensor([16, 0, 31]), torch.tensor([16, 0, 5]))
    out = cutout(x, centres, 16)
    zeros = (out[:, 0] == 0)
    assert zeros[0].sum() == 256 and zeros[0, 8:24, 8:24].all()
    assert zeros[1].sum() == 64 and zeros[1, :8, :8].all()  # clipped at the top-left corner
    assert zeros[2].sum() == 9 * 13 and zeros[2, 23:, :13].all()
    assert torch.equal(out[:, 0], out[:, 1])  # same square on every channel
    cy, cx = draw_cutout(100, 32, 32, torch.Generator().manual_seed(0))
    assert 0 <= int(cy.min()) and int(cy.max()) < 32 and 0 <= int(cx.min()) and int(cx.max()) < 32
