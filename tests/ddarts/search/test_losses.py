import pytest
import torch

from ddarts.search.losses import ablation_loss_gradient, ablation_losses, zero_one_loss


def test_zero_one_loss_is_minus_mean_squared_distance_to_half():
    w = torch.tensor([[0.5, 1.0], [0.0, 0.75]])
    # distances²: 0, .25, .25, .0625 → mean .140625
    assert zero_one_loss(w).item() == pytest.approx(-0.140625)


def test_ablation_loss_on_a_hand_checkable_case():
    mc = torch.tensor([1.0, 2.0, 3.0, 6.0])  # mean 3
    assert ablation_losses(mc).tolist() == pytest.approx([-2 / 3, -1 / 3, 0.0, 1.0])


def test_ablation_loss_is_zero_when_the_mean_contribution_is_zero():
    mc = torch.tensor([1.0, -1.0, 0.5, -0.5])
    assert ablation_losses(mc).tolist() == [0.0, 0.0, 0.0, 0.0]
    grad = ablation_loss_gradient(mc, torch.ones(4, 14, 7), torch.ones(4, 14, 7))
    assert torch.count_nonzero(grad) == 0


def test_ablation_gradient_formula_matches_autograd_on_a_toy_function():
    # MC_j = f(a) - h_j(a) with f, h_j smooth functions of a 4-cell "α"; compare the closed form to autograd.
    torch.manual_seed(0)
    n = 4
    a = torch.randn(n, 14, 7, dtype=torch.float64, requires_grad=True)
    coef_f = torch.randn(n, 14, 7, dtype=torch.float64)
    coef_h = torch.randn(n, n, 14, 7, dtype=torch.float64)
    mask = 1 - torch.eye(n, dtype=torch.float64).view(n, n, 1, 1)  # h_j does not depend on cell j
    f = (coef_f * torch.tanh(a)).sum() + 3.0
    h = (mask * coef_h * torch.sin(a).unsqueeze(0)).sum(dim=(1, 2, 3))
    mc = f - h
    lab = ablation_losses(mc)
    expected = torch.stack([torch.autograd.grad(lab[i], a, retain_graph=True)[0][i] for i in range(n)])
    g = torch.autograd.grad(f, a, retain_graph=True)[0]
    s = sum(torch.autograd.grad(h[j], a, retain_graph=True)[0] for j in range(n))
    got = ablation_loss_gradient(mc.detach(), g, s)
    torch.testing.assert_close(got, expected)


def test_the_floor_bounds_the_denominator_and_its_gradient_matches_autograd():
    mc = torch.tensor([0.03, -0.05, 0.01, -0.03])  # mean -0.01: Eq. 7 divides by it
    assert ablation_losses(mc).abs().max() == pytest.approx(4.0)  # 0.04 / 0.01
    floored = ablation_losses(mc, eps=0.5)
    torch.testing.assert_close(floored, (mc - mc.mean()) / -0.5)
    torch.testing.assert_close(ablation_losses(mc * 100, eps=0.5), ablation_losses(mc * 100))  # |mean| = 1 > eps
    assert ablation_losses(torch.tensor([1.0, -1.0]), eps=0.5).tolist() == [0.0, 0.0]  # m = 0 stays special

    torch.manual_seed(1)
    n = 4
    a = torch.randn(n, 14, 7, dtype=torch.float64, requires_grad=True)
    mask = 1 - torch.eye(n, dtype=torch.float64).view(n, n, 1, 1)
    f = (torch.randn(n, 14, 7, dtype=torch.float64) * torch.tanh(a)).sum() * 1e-3
    h = (mask * torch.randn(n, n, 14, 7, dtype=torch.float64) * torch.sin(a).unsqueeze(0)).sum(dim=(1, 2, 3)) * 1e-3
    mc = f - h
    assert 0 < mc.mean().abs() < 0.5
    lab = ablation_losses(mc, eps=0.5)
    expected = torch.stack([torch.autograd.grad(lab[i], a, retain_graph=True)[0][i] for i in range(n)])
    g = torch.autograd.grad(f, a, retain_graph=True)[0]
    s = sum(torch.autograd.grad(h[j], a, retain_graph=True)[0] for j in range(n))
    torch.testing.assert_close(ablation_loss_gradient(mc.detach(), g, s, eps=0.5), expected)
