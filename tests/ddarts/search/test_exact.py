"""The exact L_T mode: its gradient is the derivative of L_T^i, and it changes the search."""

import copy

import pytest
import torch
import torch.nn.functional as F

from ddarts.search.config import SearchConfig
from ddarts.search.engine import SearchEngine
from ddarts.search.losses import ablation_losses, zero_one_loss


@pytest.fixture
def float64():
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def _engine(cells=3, **overrides):
    torch.manual_seed(1)
    cfg = SearchConfig(dataset="digits", cells=cells, init_channels=2, batch_size=4, device="cpu", **overrides)
    return SearchEngine(cfg, num_classes=5, device=torch.device("cpu"))


def _batch(seed=3):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(4, 3, 8, 8, generator=g), torch.randint(0, 5, (4,), generator=g)


def _l_t(model, x, y, random_weights, cfg, i):
    """L_T^i from scratch (Eq. 6, 7, 9), no autograd: the function the finite differences probe."""
    with torch.no_grad():
        weights = model.op_weights()
        loss = F.cross_entropy(model(x, weights), y)
        ablated = []
        for j in range(cfg.cells):
            mixed = list(weights)
            mixed[j] = random_weights[j]
            ablated.append(F.cross_entropy(model(x, mixed), y))
        lab = ablation_losses(loss - torch.stack(ablated), cfg.ablation_eps)
        return (loss + cfg.w01 * zero_one_loss(weights[i]) + cfg.w_abl * lab[i]).item()


@pytest.mark.parametrize("w_abl", [0.5, -0.5])
def test_exact_gradient_equals_finite_differences_of_each_cells_loss(float64, w_abl):
    engine = _engine(w_abl=w_abl)
    with torch.no_grad():
        for a in engine.alphas:
            a.normal_(0, 0.5)
    reference = copy.deepcopy(engine.model)
    rng = torch.Generator()
    rng.set_state(engine.ablation_rng.get_state())
    random_weights = torch.rand(3, 14, 7, generator=rng)
    x, y = _batch()
    engine.alpha_step(x, y)
    cfg, h = engine.config, 1e-5
    picks = torch.Generator().manual_seed(0)
    for i, alpha in enumerate(reference.alphas):
        for _ in range(3):
            e, o = (int(torch.randint(0, 14, (1,), generator=picks)), int(torch.randint(0, 7, (1,), generator=picks)))
            with torch.no_grad():
                alpha[e, o] += h
            up = _l_t(reference, x, y, random_weights, cfg, i)
            with torch.no_grad():
                alpha[e, o] -= 2 * h
            down = _l_t(reference, x, y, random_weights, cfg, i)
            with torch.no_grad():
                alpha[e, o] += h
            numeric = (up - down) / (2 * h)
            assert engine.alphas[i].grad[e, o].item() == pytest.approx(numeric, rel=1e-5, abs=1e-8), (i, e, o)


def _three_steps(engine):
    for k in range(3):
        engine.step(_batch(10 + k), _batch(20 + k))
    return engine


def test_default_ablation_search_ends_with_other_alphas_than_the_fair_one():
    default = SearchConfig()
    assert (default.loss, default.ablation_grad) == ("ablation", "exact")
    lt = _three_steps(_engine(cells=4))
    lf = _three_steps(_engine(cells=4, loss="fair"))
    diff = max((a - b).abs().max().item() for a, b in zip(lt.alphas, lf.alphas))
    assert diff > 1e-4


def test_constant_mode_is_the_fair_search_bit_for_bit():
    constant = _three_steps(_engine(cells=4, ablation_grad="constant"))
    fair = _three_steps(_engine(cells=4, loss="fair"))
    got = constant.model.state_dict()
    for key, value in fair.model.state_dict().items():
        assert torch.equal(got[key], value), key


def test_the_public_codes_sign_reverses_only_the_ablation_term(float64):
    x, y = _batch()
    grads = {}
    for w_abl in (0.5, 0.0, -0.5):
        engine = _engine(w_abl=w_abl)
        engine.alpha_step(x, y)
        grads[w_abl] = torch.stack([a.grad for a in engine.alphas])
    torch.testing.assert_close(grads[0.5] - grads[0.0], grads[0.0] - grads[-0.5])
    assert not torch.allclose(grads[0.5], grads[0.0])


def test_the_floor_bounds_the_ablation_gradient(float64):
    x, y = _batch()
    free, floored = _engine(), _engine(ablation_eps=1e3)
    _, _, _, mc, lab_free, _ = free.alpha_step(x, y)
    _, _, _, _, lab_floored, _ = floored.alpha_step(x, y)
    torch.testing.assert_close(lab_floored, (mc - mc.mean()) / (torch.sign(mc.mean()) * 1e3))
    fair = _engine(loss="fair")
    fair.alpha_step(x, y)
    for f, g, a in zip(floored.alphas, free.alphas, fair.alphas):  # a huge floor leaves about L_F's gradient
        assert (f.grad - a.grad).abs().max() < 1e-2 * (g.grad - a.grad).abs().max()
