import pytest

from ddarts.errors import GenotypeError
from ddarts.genotype.core import DartsGenotype, Genotype
from ddarts.genotype.derive import (
    DeriveError,
    algorithm1,
    derivation_plan,
    derive,
    derive_genotype,
)
from ddarts.space.ops import PRIMITIVES, reduction_positions


def distinct_cells(n: int) -> tuple:
    """n cells that differ from each other, so a derived genotype shows which cell went where."""
    return tuple(((PRIMITIVES[k % 7], 2, 0), (PRIMITIVES[(k // 7) % 7], 2, 1), ("sep_conv_3x3", 3, 2))
                 for k in range(n))


# Worked by hand from the paper's pseudo-code (m = |C| div 3, m2 = 2|C| div 3, i from 0 to n-1).
# |C| = 8: m = 2, m2 = 5, moduli 2, 2, 2.
#   n = 14: n div 3 = 4, 2n div 3 = 9; i < 4: i mod 2; i = 5..8: i mod 2 + 3; i = 10..13: i mod 2 + 6.
#   n = 20: n div 3 = 6, 2n div 3 = 13.
# |C| = 5: m = 1, m2 = 3, all moduli 1.  n = 8: n div 3 = 2, 2n div 3 = 5.
# |C| = 6: m = 2, m2 = 4, moduli 2, 1, 1. n = 10: n div 3 = 3, 2n div 3 = 6.
# |C| = 7: m = 2, m2 = 4, moduli 2, 1, 2. n = 12: n div 3 = 4, 2n div 3 = 8; i = 9..11: i mod 2 + 5.
@pytest.mark.parametrize(("n_searched", "n", "expected"), [
    (8, 14, [0, 1, 0, 1, 2, 4, 3, 4, 3, 5, 6, 7, 6, 7]),
    (8, 20, [0, 1, 0, 1, 0, 1, 2, 4, 3, 4, 3, 4, 3, 5, 6, 7, 6, 7, 6, 7]),
    (5, 8, [0, 0, 1, 2, 2, 3, 4, 4]),
    (6, 10, [0, 1, 0, 2, 3, 3, 4, 5, 5, 5]),
    (7, 12, [0, 1, 0, 1, 2, 3, 3, 3, 4, 6, 5, 6]),
])
def test_algorithm1_hand_worked_cases(n_searched, n, expected):
    assert algorithm1(n_searched, n) == expected


@pytest.mark.parametrize("n_searched", [3, 4, 8, 11])
def test_same_depth_is_the_identity(n_searched):
    assert algorithm1(n_searched, n_searched) == list(range(n_searched))


@pytest.mark.parametrize("n_searched", range(5, 13))
def test_every_growth_keeps_the_layout(n_searched):
    m, m2 = reduction_positions(n_searched)
    for n in range(n_searched + 1, 45):
        plan = algorithm1(n_searched, n)
        assert len(plan) == n
        for i, c in enumerate(plan):
            if i < n // 3:
                assert 0 <= c < m
            elif i == n // 3:
                assert c == m
            elif i < 2 * n // 3:
                assert m < c < m2
            elif i == 2 * n // 3:
                assert c == m2
            else:
                assert m2 < c < n_searched


@pytest.mark.parametrize(("n_searched", "n", "message"), [
    (4, 10, "at least 5 searched cells"),
    (3, 7, "at least 5 searched cells"),
    (8, 2, "too few"),
    (2, 2, "too few"),
    (8, 6, "fewer than the 8 searched cells"),
    (8, 14.0, "expected an integer"),
    (8, True, "expected an integer"),
    ("8", 14, "expected an integer"),
    (0, 5, "not a cell count"),
])
def test_undefined_inputs_are_rejected_clearly(n_searched, n, message):
    with pytest.raises(DeriveError, match=message):
        algorithm1(n_searched, n)


def test_derive_error_is_a_genotype_error():
    assert issubclass(DeriveError, GenotypeError)


@pytest.mark.parametrize("n_searched", [5, 6, 8, 9])
def test_plan_with_the_standard_reductions_is_algorithm1(n_searched):
    for n in (n_searched, n_searched + 1, 14, 20, 31):
        if n >= n_searched:
            assert derivation_plan(n_searched, n, reduction_positions(n_searched)) == algorithm1(n_searched, n)


def test_plan_maps_legacy_reductions():
    # reductions [2, 6] of 8: stretches {0, 1}, {3, 4, 5}, {7}; n = 14: n div 3 = 4, 2n div 3 = 9.
    # i < 4: i mod 2; i = 5..8: i mod 3 + 3; i = 10..13: i mod 1 + 7.
    assert derivation_plan(8, 14, (2, 6)) == [0, 1, 0, 1, 2, 5, 3, 4, 5, 6, 7, 7, 7, 7]


@pytest.mark.parametrize(("reductions", "message"), [
    ((0, 5), "no normal cell"),
    ((2, 3), "no normal cell"),
    ((2, 7), "no normal cell"),
    ((2,), "exactly two"),
    ((1, 3, 5), "exactly two"),
])
def test_plan_rejects_layouts_without_stretches(reductions, message):
    with pytest.raises(DeriveError, match=message):
        derivation_plan(8, 14, reductions)


def test_derive_genotype_places_cells_and_reductions():
    source = Genotype(cells=distinct_cells(8), reductions=(2, 5), method="edge", threshold=0.85, source="run-a")
    derived = derive_genotype(source, 14)
    assert derived.n_cells == 14
    assert derived.reductions == (4, 9)
    assert derived.cells == tuple(source.cells[c] for c in [0, 1, 0, 1, 2, 4, 3, 4, 3, 5, 6, 7, 6, 7])
    assert (derived.method, derived.threshold, derived.source) == ("edge", 0.85, "run-a")


def test_derive_legacy_reductions_puts_the_stated_reduction_cells_at_the_new_positions():
    source = Genotype(cells=distinct_cells(8), reductions=(2, 6))
    derived = derive_genotype(source, 14)
    assert derived.reductions == (4, 9)
    assert derived.cells[4] == source.cells[2]
    assert derived.cells[9] == source.cells[6]


def test_same_depth_keeps_the_stated_reductions():
    source = Genotype(cells=distinct_cells(8), reductions=(2, 6))
    assert derive_genotype(source, 8) == source


def test_too_few_layers_for_a_genotype():
    with pytest.raises(DeriveError, match="fewer than the 8 searched cells"):
        derive_genotype(Genotype(cells=distinct_cells(8), reductions=(2, 5)), 7)


def test_darts_pair_is_stacked():
    pair = DartsGenotype(normal=(("sep_conv_3x3", 2, 0),), reduce=(("max_pool_3x3", 2, 1),))
    derivation = derive(pair, 8)
    assert derivation.genotype.reductions == (2, 5)
    assert derivation.plan == (0, 0, 1, 0, 0, 1, 0, 0)
    assert derivation.genotype.cells[2] == (("max_pool_3x3", 2, 1),)
    lines = derivation.describe().splitlines()
    assert lines[0] == "8 layers stacked from a DARTS-format normal/reduce pair (reductions at 2, 5)"
    assert lines[1:4] == ["  position  0 <- normal cell", "  position  1 <- normal cell",
                          "  position  2 <- reduce cell  reduction"]


def test_describe_marks_reductions():
    derivation = derive(Genotype(cells=distinct_cells(8), reductions=(2, 5)), 14)
    lines = derivation.describe().splitlines()
    assert lines[0].startswith("14 layers from 8 distinct searched cells (searched reductions at 2, 5; "
                               "derived reductions at 4, 9)")
    assert lines[1 + 4] == "  position  4 <- searched cell 2  reduction"
    assert lines[1 + 5] == "  position  5 <- searched cell 4"
