import torch

from ddarts.nets.supernet import Supernet, batchnorms, frozen_bn_statistics, mix, mix_weights


def _net(mixing="sigmoid"):
    torch.manual_seed(0)
    return Supernet(n_cells=5, init_channels=4, num_classes=10, mixing=mixing)


def test_layout_shapes_and_per_cell_alphas():
    net = _net()
    assert net.reductions == (1, 3)
    assert [c.reduction for c in net.cells] == [False, True, False, True, False]
    assert len(net.alphas) == 5 and all(a.shape == (14, 7) for a in net.alphas)
    assert all(torch.count_nonzero(a) == 0 for a in net.alphas)
    assert net.stem[1].affine  # as the reference search network; every BatchNorm after it is non-affine
    assert all(not bn.affine for bn in batchnorms(net) if bn is not net.stem[1])
    assert net(torch.randn(3, 3, 16, 16)).shape == (3, 10)


def test_every_alpha_and_every_weight_gets_a_gradient():
    net = _net()
    net(torch.randn(3, 3, 16, 16)).logsumexp(1).sum().backward()
    for name, p in net.named_parameters():
        assert p.grad is not None and torch.count_nonzero(p.grad) > 0, name


def test_mixing_modes():
    a = torch.randn(14, 7)
    assert torch.allclose(mix_weights(a, "sigmoid"), torch.sigmoid(a))
    assert torch.allclose(mix_weights(a, "softmax").sum(-1), torch.ones(14))


def test_forward_from_reuses_recorded_cells_and_matches_a_full_forward():
    net = _net()
    x = torch.randn(4, 3, 16, 16)
    weights = [w.detach() for w in net.op_weights()]
    record = []
    with torch.no_grad():
        full = net(x, weights, record)
        assert len(record) == 6
        for j in range(5):
            torch.testing.assert_close(net.forward_from(j, record, weights), full)
        changed = list(weights)
        changed[3] = torch.rand(14, 7)
        torch.testing.assert_close(net.forward_from(3, record, changed), net(x, changed))


def test_frozen_bn_statistics_keeps_running_statistics():
    net = _net()
    before = {k: v.clone() for k, v in net.state_dict().items() if "running" in k or "num_batches" in k}
    with torch.no_grad(), frozen_bn_statistics(net):
        net(torch.randn(4, 3, 16, 16))
    after = net.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert all(bn.track_running_stats for bn in batchnorms(net))
    with torch.no_grad():
        net(torch.randn(4, 3, 16, 16))
    after = net.state_dict()
    assert not all(torch.equal(before[k], after[k]) for k in before)


def _plain_cell(cell, s0, s1, weights):
    """The cell as the method defines it: every op's own forward (its own ReLU), summed out of place."""
    states = [cell.preprocess0(s0), cell.preprocess1(s1)]
    row = 0
    for _ in range(4):
        node = 0
        for frm in range(len(states)):
            edge = cell.edges[row]
            node = node + sum(weights[row][k] * op(states[frm]) for k, op in enumerate(edge.ops))
            row += 1
        states.append(node)
    return torch.cat(states[2:], dim=1)


def test_shared_relu_and_in_place_mixing_equal_the_plain_weighted_sum_with_gradients():
    torch.manual_seed(0)
    net = Supernet(n_cells=3, init_channels=4, num_classes=10).double()  # cells 1 and 2 reduce
    stem = torch.randn(2, 12, 8, 8, dtype=torch.float64)
    inputs = (stem, stem * 0.5)
    for cell in net.cells[:2]:  # a normal cell, then a reduction cell after it
        weights = torch.rand(14, 7, dtype=torch.float64, requires_grad=True)
        x0, x1 = (t.detach().clone().requires_grad_() for t in inputs)
        got = cell(x0, x1, weights)
        grads = torch.autograd.grad(got.square().sum(), (x0, x1, weights))
        want = _plain_cell(cell, x0, x1, weights)
        expected = torch.autograd.grad(want.square().sum(), (x0, x1, weights))
        torch.testing.assert_close(got, want)
        for g, e in zip(grads, expected):
            torch.testing.assert_close(g, e)
        inputs = (inputs[0], got.detach())

def test_the_supernet_gives_the_same_numbers_in_channels_last():
    net = _net()
    x = torch.randn(4, 3, 16, 16)
    want = net(x)
    net = net.to(memory_format=torch.channels_last)
    got = net(x.contiguous(memory_format=torch.channels_last))
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)


def test_a_cell_takes_its_input_edges_mixed_from_taps_as_if_it_recomputed_them():
    net = _net()
    cell = net.cells[1]  # a reduction cell: its input edges have stride 2
    s0, s1 = torch.randn(2, 12, 8, 8), torch.randn(2, 16, 8, 8)
    weights, other = torch.rand(14, 7), torch.rand(14, 7)
    taps = {}
    with torch.no_grad():
        torch.testing.assert_close(cell(s0, s1, weights, taps=taps), cell(s0, s1, weights))
        assert sorted(taps) == [0, 1, 2, 3, 5, 6, 9, 10]  # the rows fed by s0 or s1
        assert all(len(ys) == 7 for ys in taps.values())
        known = {row: mix(ys, other[row]) for row, ys in taps.items()}
        kept = {row: t.clone() for row, t in known.items()}
        torch.testing.assert_close(cell(None, None, other, known=known), cell(s0, s1, other))
        assert all(torch.equal(known[row], kept[row]) for row in known)  # the cell's in-place sums leave them
