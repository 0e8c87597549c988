"""The engine's fast paths must give exactly the gradients of the paper's per-cell losses."""

import copy

import pytest
import torch
import torch.nn.functional as F

from ddarts.nets.supernet import batchnorms
from ddarts.search.config import SearchConfig
from ddarts.search.engine import SearchEngine
from ddarts.search.losses import ablation_losses, zero_one_loss


@pytest.fixture
def float64():
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def _engine(loss="ablation", grad="constant", mixing="sigmoid", w_abl=0.5, eps=0.0):
    torch.manual_seed(1)
    cfg = SearchConfig(dataset="digits", cells=4, init_channels=2, batch_size=4, loss=loss, ablation_grad=grad,
                       mixing=mixing, w01=7.0, w_abl=w_abl, ablation_eps=eps, device="cpu")
    engine = SearchEngine(cfg, num_classes=5, device=torch.device("cpu"))
    with torch.no_grad():  # α away from 0 so every term has a non-trivial gradient
        for a in engine.alphas:
            a.normal_(0, 0.5)
    return engine


def _batch():
    g = torch.Generator().manual_seed(3)
    return torch.randn(4, 3, 8, 8, generator=g), torch.randint(0, 5, (4,), generator=g)


def _ablated_loss_from_scratch(model, x, y, j, random_weights, weights):
    mixed = list(weights)
    mixed[j] = random_weights[j]
    return F.cross_entropy(model(x, mixed), y)


@pytest.mark.parametrize("loss,mixing", [("fair", "sigmoid"), ("ablation", "sigmoid"), ("ablation", "softmax")])
def test_one_backward_equals_a_backward_of_each_cells_own_loss(float64, loss, mixing):
    engine = _engine(loss, "constant", mixing)
    reference = copy.deepcopy(engine.model)
    x, y = _batch()
    engine.alpha_step(x, y)
    got = [a.grad.clone() for a in engine.alphas]

    # Reference: what the paper describes, one criterion L_T^i per cell, each backpropagated on its own.
    w01, w_abl = engine.config.w01, engine.config.w_abl
    for i in range(4):
        reference.zero_grad(set_to_none=True)
        weights = reference.op_weights()
        loss_ce = F.cross_entropy(reference(x, weights), y)
        l_ab_constant = 0.37  # in `constant` mode L_AB^i only shifts the value
        l_t = loss_ce + w01 * zero_one_loss(weights[i]) + w_abl * l_ab_constant
        (grad_i,) = torch.autograd.grad(l_t, [reference.alphas[i]])
        torch.testing.assert_close(got[i], grad_i, rtol=1e-9, atol=1e-12)
        assert torch.count_nonzero(grad_i) > 0


def test_exact_ablation_gradient_matches_brute_force_autograd(float64):
    engine = _engine("ablation", "exact")
    reference = copy.deepcopy(engine.model)
    rng = torch.Generator()
    rng.set_state(engine.ablation_rng.get_state())
    random_weights = torch.rand(4, 14, 7, generator=rng)
    x, y = _batch()
    engine.alpha_step(x, y)
    got = [a.grad.clone() for a in engine.alphas]

    # Brute force: every ablated network recomputed from the input, all with autograd, L_AB as a function of α.
    w01, w_abl = engine.config.w01, engine.config.w_abl
    bn_state = {k: v.clone() for k, v in reference.state_dict().items()}
    weights = reference.op_weights()
    loss_full = F.cross_entropy(reference(x, weights), y)
    ablated = []
    for j in range(4):
        ablated.append(_ablated_loss_from_scratch(reference, x, y, j, random_weights, weights))
    mc = loss_full - torch.stack(ablated)
    lab = ablation_losses(mc)
    for i in range(4):
        l_t = loss_full + w01 * zero_one_loss(weights[i]) + w_abl * lab[i]
        (grad_i,) = torch.autograd.grad(l_t, [reference.alphas[i]], retain_graph=True)
        torch.testing.assert_close(got[i], grad_i, rtol=1e-7, atol=1e-10)
    # and L_AB really contributes: the exact gradient differs from the `constant` one
    none_engine = _engine("ablation", "constant")
    none_engine.alpha_step(x, y)
    assert not torch.allclose(none_engine.alphas[0].grad, got[0])
    del bn_state


def test_marginal_contributions_reuse_activations_and_leave_bn_statistics_alone(float64):
    engine = _engine("ablation", "constant")
    reference = copy.deepcopy(engine.model)
    rng = torch.Generator()
    rng.set_state(engine.ablation_rng.get_state())
    random_weights = torch.rand(4, 14, 7, generator=rng)
    x, y = _batch()
    _, _, _, mc, lab, l_t = engine.alpha_step(x, y)

    with torch.no_grad():
        weights = [w.detach() for w in reference.op_weights()]
        loss_full = F.cross_entropy(reference(x, weights), y)  # the one forward that may update statistics
        stats_after_one_forward = {k: v.clone() for k, v in reference.state_dict().items() if "running" in k}
        expected = torch.stack([
            loss_full - _ablated_loss_from_scratch(reference, x, y, j, random_weights, weights) for j in range(4)
        ])
    torch.testing.assert_close(mc, expected)
    torch.testing.assert_close(lab, ablation_losses(expected))
    state = engine.model.state_dict()
    for key, value in stats_after_one_forward.items():
        torch.testing.assert_close(state[key], value, msg=key)
    assert all(bn.track_running_stats for bn in batchnorms(engine.model))
    assert l_t.shape == (4,)


def test_weight_step_updates_weights_only_and_full_step_packs_metrics():
    engine = _engine("ablation", "constant")
    alphas_before = [a.detach().clone() for a in engine.alphas]
    weights_before = [p.detach().clone() for p in engine.weights]
    x, y = _batch()
    engine.weight_step(x.float(), y)
    assert all(torch.equal(a, b) for a, b in zip(engine.alphas, alphas_before))
    assert any(not torch.equal(p, b) for p, b in zip(engine.weights, weights_before))
    packed = engine.step((x.float(), y), (x.float(), y))
    values = engine.layout.unpack(packed.tolist())
    assert len(values["mc"]) == 4 and len(values["l_t"]) == 4
    assert 0.0 <= values["train_acc"] <= 1.0
    assert any(not torch.equal(a, b) for a, b in zip(engine.alphas, alphas_before))
