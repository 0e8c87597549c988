import math

import numpy as np
import pytest

from ddarts.errors import GenotypeError
from ddarts.genotype.parse import (
    OpShares,
    op_shares,
    op_weights,
    parse_alphas,
    parse_cell,
    weight_histogram,
)
from ddarts.space.ops import EDGES, PRIMITIVES

MAX, AVG, SKIP, SEP3, SEP5, DIL3, DIL5 = PRIMITIVES


def logit(p: float) -> float:
    return math.log(p / (1 - p))


def crafted_cell() -> np.ndarray:
    """σ(α) = 0.01 everywhere except the weights listed here (row = (to, from), column = op)."""
    wanted = {
        (2, 0): {SEP3: 0.95, SKIP: 0.9},
        (2, 1): {MAX: 0.6},
        (3, 0): {DIL3: 0.7},
        (3, 1): {SEP5: 0.99},
        (3, 2): {AVG: 0.97, DIL5: 0.5},
        (4, 0): {SKIP: 0.88},
        (4, 2): {SEP3: 0.88},  # three-way tie at node 4: the lower from_node wins
        (4, 3): {DIL5: 0.88},
        (5, 0): {MAX: 0.3},
        (5, 2): {SEP5: 0.86, SEP3: 0.86},  # tie inside an edge: the lower op column wins
        (5, 3): {DIL3: 0.4},
        (5, 4): {SKIP: 0.95},
    }
    alpha = np.full((14, 7), logit(0.01), dtype=np.float32)
    for (to, frm), ops in wanted.items():
        for op, p in ops.items():
            alpha[EDGES.index((to, frm)), PRIMITIVES.index(op)] = logit(p)
    return alpha


def test_darts_keeps_the_two_strongest_edges_per_node_with_their_strongest_op():
    # node 2: both inputs; node 3: 0.99 (from 1) and 0.97 (from 2) beat 0.7 (from 0);
    # node 4: 0.88 three times -> from 0 and 2; node 5: 0.95 (from 4) and 0.86 (from 2, sep3 by column order)
    assert parse_cell(crafted_cell(), "darts", 0.85) == (
        (SEP3, 2, 0), (MAX, 2, 1), (SEP5, 3, 1), (AVG, 3, 2), (SKIP, 4, 0), (SEP3, 4, 2), (SEP3, 5, 2), (SKIP, 5, 4),
    )


def test_sparse_keeps_the_same_edges_only_above_the_threshold():
    assert parse_cell(crafted_cell(), "sparse", 0.85) == (
        (SEP3, 2, 0), (SEP5, 3, 1), (AVG, 3, 2), (SKIP, 4, 0), (SEP3, 4, 2), (SEP3, 5, 2), (SKIP, 5, 4),
    )
    assert parse_cell(crafted_cell(), "sparse", 0.9) == ((SEP3, 2, 0), (SEP5, 3, 1), (AVG, 3, 2), (SKIP, 5, 4))


def test_edge_keeps_up_to_two_ops_per_edge_above_the_threshold():
    assert parse_cell(crafted_cell(), "edge", 0.85) == (
        (SKIP, 2, 0), (SEP3, 2, 0), (SEP5, 3, 1), (AVG, 3, 2), (SKIP, 4, 0), (SEP3, 4, 2), (DIL5, 4, 3),
        (SEP3, 5, 2), (SEP5, 5, 2), (SKIP, 5, 4),
    )
    assert parse_cell(crafted_cell(), "edge", 0.96) == ((SEP5, 3, 1), (AVG, 3, 2))


def test_edge_caps_an_edge_at_two_ops():
    alpha = np.full((14, 7), -5.0)
    alpha[EDGES.index((3, 1))] = [logit(0.99), -5, logit(0.95), logit(0.97), -5, logit(0.97), -5]
    # 0.99 (max_pool) and the first of the two 0.97s (sep_conv_3x3, lower column) survive
    assert parse_cell(alpha, "edge", 0.5) == ((MAX, 3, 1), (SEP3, 3, 1))


def test_softmax_mixing_ranks_edges_differently_from_sigmoid():
    alpha = np.zeros((14, 7))
    alpha[EDGES.index((3, 0)), [0, 1]] = 3.0    # σ 0.953 each, softmax 0.445 each
    alpha[EDGES.index((3, 1)), 4] = 2.5         # σ 0.924,       softmax 0.670
    alpha[EDGES.index((3, 2)), 6] = 2.7         # σ 0.937,       softmax 0.713
    node3 = lambda edges: [e for e in edges if e[1] == 3]  # noqa: E731
    assert node3(parse_cell(alpha, "darts", 0.0, "sigmoid")) == [(MAX, 3, 0), (DIL5, 3, 2)]
    assert node3(parse_cell(alpha, "darts", 0.0, "softmax")) == [(SEP5, 3, 1), (DIL5, 3, 2)]


def test_uniform_alpha_breaks_ties_towards_low_indices():
    assert parse_cell(np.zeros((14, 7)), "darts", 0.5) == (
        (MAX, 2, 0), (MAX, 2, 1), (MAX, 3, 0), (MAX, 3, 1), (MAX, 4, 0), (MAX, 4, 1), (MAX, 5, 0), (MAX, 5, 1),
    )
    assert len(parse_cell(np.zeros((14, 7)), "edge", 0.5)) == 28  # σ(0) = 0.5 passes a 0.5 threshold


def test_op_weights():
    a = np.array([[-1000.0, -2.0, 0.0, 2.0, 1000.0, 0.5, -0.5]])
    expected = np.array([0.0, 1 / (1 + math.exp(2)), 0.5, 1 / (1 + math.exp(-2)), 1.0,
                         1 / (1 + math.exp(-0.5)), 1 / (1 + math.exp(0.5))])
    np.testing.assert_allclose(op_weights(a), [expected], atol=1e-12)
    soft = op_weights(np.array([[1000.0, 1000.0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, math.log(6)]]), "softmax")
    np.testing.assert_allclose(soft[0], [0.5, 0.5, 0, 0, 0, 0, 0], atol=1e-12)
    np.testing.assert_allclose(soft[1], [1 / 12] * 6 + [0.5])
    with pytest.raises(GenotypeError, match="mixing: 'relu' is not one of sigmoid, softmax"):
        op_weights(a, "relu")


def test_parse_alphas_builds_a_genotype_and_keeps_dead_cells():
    alphas = np.stack([crafted_cell(), np.zeros((14, 7)), crafted_cell()]).astype(np.float32)
    g = parse_alphas(alphas, "sparse", 0.85, (1, 2), source="runs/a (epoch 3)")
    assert g.n_cells == 3 and g.reductions == (1, 2)
    assert g.method == "sparse" and g.threshold == 0.85 and g.source == "runs/a (epoch 3)"
    assert g.cells[0] == parse_cell(crafted_cell(), "sparse", 0.85)
    assert g.cells[1] == ()  # σ(0) = 0.5 < 0.85 everywhere: a dead cell, reported, not raised
    with pytest.raises(GenotypeError, match=r"cell\(s\) 1 \(reduction\)"):
        g.check_buildable()
    assert parse_alphas(alphas, "darts", 0.85, [2]).threshold is None


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: parse_cell(np.zeros((14, 8)), "darts", 0.5), "alphas: expected shape (14, 7), got (14, 8)"),
        (lambda: parse_alphas(np.zeros((14, 7)), "darts", 0.5, []), "expected shape (cells, 14, 7), got (14, 7)"),
        (lambda: parse_alphas(np.zeros((0, 14, 7)), "darts", 0.5, []), "got (0, 14, 7)"),
        (lambda: parse_cell(np.full((14, 7), np.nan), "edge", 0.5), "non-finite value nan at index (0, 0)"),
        (lambda: parse_cell(np.zeros((14, 7)), "fair", 0.5), "method: 'fair' is not one of darts, sparse, edge"),
        (lambda: parse_cell(np.zeros((14, 7)), "edge", 1.2), "threshold: expected a number in [0, 1], got 1.2"),
        (lambda: parse_cell(np.zeros((14, 7)), "edge", 0.5, "tanh"), "mixing: 'tanh'"),
        (lambda: parse_alphas(np.zeros((2, 14, 7)), "edge", 0.5, [2]), "reductions: 2 is not a cell index"),
        (lambda: op_shares(np.zeros((14, 7)), high=0.1, low=0.9), "low (0.9) must not exceed high (0.1)"),
        (lambda: weight_histogram(np.zeros((14, 7)), bins=0), "bins: expected an integer"),
        (lambda: weight_histogram(np.zeros((3, 7))), "expected shape (14, 7) or (cells, 14, 7)"),
        (lambda: op_shares([["a"] * 7] * 14), "alphas: not a numeric array"),
    ],
)
def test_bad_input_is_rejected_clearly(call, message):
    with pytest.raises(GenotypeError) as info:
        call()
    assert message in str(info.value)


def test_op_shares_overall_and_per_cell():
    decided = np.full((14, 7), 10.0)                      # σ > 0.9 everywhere
    half_low = np.zeros((14, 7))
    half_low.flat[:49] = -10.0                            # 49 of 98 entries σ < 0.1, the rest 0.5
    shares = op_shares(np.stack([decided, half_low]))
    assert shares == OpShares(dominant=0.5, low=0.25, dominant_per_cell=(1.0, 0.0), low_per_cell=(0.0, 0.5))
    one = op_shares(half_low, high=0.4, low=0.4)
    assert one.dominant_per_cell == (0.5,) and one.low_per_cell == (0.5,)


def test_weight_histogram_covers_zero_to_one():
    alphas = np.zeros((2, 14, 7))
    alphas[0, 0, :3] = [1000.0, -1000.0, logit(0.26)]
    counts, edges = weight_histogram(alphas, bins=4)
    np.testing.assert_allclose(edges, [0, 0.25, 0.5, 0.75, 1.0])
    # σ = 1.0 lands in the closed last bin, 0.0 in the first, 0.26 in the second, the 193 zeros (0.5) in the third
    assert counts.tolist() == [1, 1, 193, 1]
    cell_counts, _ = weight_histogram(alphas[1])
    assert cell_counts.sum() == 98 and cell_counts[10] == 98
