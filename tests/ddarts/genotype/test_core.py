import dataclasses
import json

import pytest

from ddarts.errors import DdartsError, GenotypeError
from ddarts.genotype import load_genotype, parse_legacy
from ddarts.genotype.core import FORMAT_VERSION, DartsGenotype, Genotype, as_genotype

CELL = (("sep_conv_3x3", 2, 0), ("skip_connect", 2, 1), ("max_pool_3x3", 3, 2), ("dil_conv_5x5", 4, 3),
        ("avg_pool_3x3", 5, 0))
# node 3 gets nothing, so node 4 (fed only by 3) is dead too; node 5 lives through input 0
DEAD_CHAIN = (("sep_conv_3x3", 2, 0), ("skip_connect", 4, 3), ("max_pool_3x3", 5, 4), ("sep_conv_5x5", 5, 2))


def three_cells(**changes):
    values = dict(cells=[list(CELL), list(CELL), list(CELL)], reductions=[1])
    values.update(changes)
    return Genotype(**values)


def test_lists_are_normalised_to_tuples_and_the_object_is_frozen():
    g = three_cells(concat=[5, 2, 3, 4], threshold=1)
    assert g.cells[0] == CELL and isinstance(g.cells, tuple) and isinstance(g.cells[0][0], tuple)
    assert g.reductions == (1,) and g.concat == (2, 3, 4, 5) and g.threshold == 1.0
    assert g.n_cells == 3 and g.is_reduction(1) and not g.is_reduction(0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        g.method = "edge"
    assert hash(g) == hash(three_cells(threshold=1.0)) and g == three_cells(threshold=1.0)


@pytest.mark.parametrize(
    "cells, message",
    [
        ([[("conv_7x7", 2, 0)]], "cell 0, edge 0: unknown operation 'conv_7x7'; known operations: avg_pool_3x3"),
        ([[("sep_conv_3x3", 6, 0)]], "to_node 6 out of range 2..5"),
        ([[("sep_conv_3x3", 1, 0)]], "to_node 1 out of range 2..5"),
        ([[("sep_conv_3x3", 3, -1)]], "from_node -1 out of range 0..5"),
        ([[("sep_conv_3x3", 3, 3)]], "from_node 3 >= to_node 3"),
        ([[("sep_conv_3x3", 2, 0), ("sep_conv_3x3", 3, 4)]], "cell 0, edge 1 ['sep_conv_3x3', 3, 4]: from_node 4"),
        ([[("sep_conv_3x3", 2, 0), ("sep_conv_3x3", 2, 0)]], "edge 1 ['sep_conv_3x3', 2, 0]: duplicate edge"),
        ([[("sep_conv_3x3", 2)]], "expected (op, to_node, from_node)"),
        ([[("sep_conv_3x3", 2, "0")]], "from_node must be an integer, got '0'"),
        ([[("sep_conv_3x3", True, 0)]], "to_node must be an integer"),
        ([[("sep_conv_3x3", 2, 0)], "abc"], "cell 1: expected a list, got str"),
        ([], "at least one cell"),
    ],
)
def test_structural_errors_name_the_cell_and_edge(cells, message):
    with pytest.raises(GenotypeError) as info:
        Genotype(cells=cells, reductions=[])
    assert message in str(info.value)


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(reductions=[3]), "reductions: 3 is not a cell index (0..2)"),
        (dict(reductions=[-1]), "reductions: -1 is not a cell index"),
        (dict(reductions=[1, 1]), "reductions: duplicated cell index in [1, 1]"),
        (dict(concat=[2, 6]), "concat: 6 is not an intermediate node"),
        (dict(concat=[]), "concat: must name at least one"),
        (dict(concat=[2, 2]), "concat: duplicated node"),
        (dict(method="fair"), "method: 'fair' is not one of darts, sparse, edge"),
        (dict(threshold=1.5), "threshold: expected a number in [0, 1], got 1.5"),
        (dict(source=3), "source: expected text"),
    ],
)
def test_other_fields_are_validated(changes, message):
    with pytest.raises(GenotypeError) as info:
        three_cells(**changes)
    assert message in str(info.value)


def test_genotype_error_is_a_ddarts_error():
    with pytest.raises(DdartsError):
        three_cells(reductions=[9])


def test_dead_nodes_propagate_and_their_edges_are_dropped():
    g = Genotype(cells=[DEAD_CHAIN], reductions=[])
    assert g.live_nodes(0) == (2, 5)
    assert g.live_edges(0) == (("sep_conv_3x3", 2, 0), ("sep_conv_5x5", 5, 2))
    g.check_buildable()  # two live nodes are enough
    summary = g.summary()
    assert "node 3 <- -  [dead]" in summary
    assert "node 4 <- -  (dropped, dead input: skip_connect(3))  [dead]" in summary


def test_check_buildable_lists_every_dead_cell():
    dead = [("sep_conv_3x3", 3, 2), ("skip_connect", 4, 3)]  # nothing leaves the inputs
    g = Genotype(cells=[list(CELL), dead, dead, list(CELL)], reductions=[2])
    assert g.live_nodes(1) == () and g.live_edges(1) == ()
    with pytest.raises(GenotypeError, match=r"cell\(s\) 1 \(normal\), 2 \(reduction\)"):
        g.check_buildable()


def test_a_cell_whose_only_live_nodes_are_outside_concat_is_not_buildable():
    g = Genotype(cells=[[("sep_conv_3x3", 2, 0)]], reductions=[], concat=[5])
    with pytest.raises(GenotypeError, match=r"cell\(s\) 0"):
        g.check_buildable()


def test_json_round_trip_is_exact():
    g = three_cells(method="edge", threshold=0.85, source="runs/a")
    data = g.to_json()
    assert data == json.loads(json.dumps(data))
    assert data["format_version"] == FORMAT_VERSION == 1
    assert data["cells"][0][0] == ["sep_conv_3x3", 2, 0]
    assert list(data) == ["format_version", "cells", "reductions", "concat", "method", "threshold", "source"]
    assert Genotype.from_json(data) == g


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d.pop("format_version"), "format_version: missing"),
        (lambda d: d.update(format_version=2), "format_version: 2 is not supported"),
        (lambda d: d.update(format_version="1"), "format_version: '1' is not supported"),
        (lambda d: d.update(format_version=True), "format_version: True is not supported"),
        (lambda d: d.pop("cells"), "cells: missing"),
        (lambda d: d.update(cells="abc"), "cells: expected a list, got str"),
        (lambda d: d.update(reductions={"a": 1}), "reductions: expected a list, got dict"),
        (lambda d: d.update(colour="red"), "colour: unknown field"),
        (lambda d: d.update(threshold="high"), "threshold: expected a number"),
    ],
)
def test_from_json_rejects_bad_documents(mutate, message):
    data = three_cells().to_json()
    mutate(data)
    with pytest.raises(GenotypeError) as info:
        Genotype.from_json(data)
    assert message in str(info.value)


def test_from_json_rejects_non_objects_and_checks_buildability_on_request():
    with pytest.raises(GenotypeError, match="expected a JSON object, got list"):
        Genotype.from_json([1, 2])
    data = Genotype(cells=[[("sep_conv_3x3", 3, 2)]], reductions=[]).to_json()
    with pytest.raises(GenotypeError, match="not buildable"):
        Genotype.from_json(data)
    assert Genotype.from_json(data, require_buildable=False).live_nodes(0) == ()


def test_save_and_load_back(tmp_path):
    g = three_cells(method="sparse", threshold=0.8, source="x")
    target = tmp_path / "sub" / "g.json"
    g.save(target)
    assert json.loads(target.read_text())["method"] == "sparse"
    assert load_genotype(target) == g
    assert [p.name for p in target.parent.iterdir()] == ["g.json"]  # no temp file left behind


def test_load_sets_the_source_when_the_file_has_none(tmp_path):
    target = tmp_path / "g.json"
    three_cells().save(target)
    assert load_genotype(target).source == str(target)


def test_load_errors_name_the_file(tmp_path):
    missing = tmp_path / "nope.json"
    with pytest.raises(GenotypeError, match="nope.json: no such genotype file"):
        load_genotype(missing)
    with pytest.raises(GenotypeError, match="is a folder, not a genotype file"):
        load_genotype(tmp_path)
    bad = tmp_path / "bad.json"
    bad.write_text('{"format_version": 1, "cells": [')
    with pytest.raises(GenotypeError, match=r"bad.json: invalid JSON: .* line 1"):
        load_genotype(bad)
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(GenotypeError, match="bin.txt: not UTF-8 text"):
        load_genotype(binary)
    huge = tmp_path / "huge.txt"
    huge.write_text("[" * 1_000_001)
    with pytest.raises(GenotypeError, match="too large"):
        load_genotype(huge)
    dead = tmp_path / "dead.json"
    Genotype(cells=[[("sep_conv_3x3", 3, 2)]], reductions=[]).save(dead)
    with pytest.raises(GenotypeError, match="dead.json: not buildable"):
        load_genotype(dead)
    assert load_genotype(dead, require_buildable=False).n_cells == 1


def darts_pair(**changes):
    values = dict(normal=[("sep_conv_3x3", 2, 0), ("sep_conv_3x3", 2, 1)],
                  reduce=[("max_pool_3x3", 2, 0), ("max_pool_3x3", 2, 1)])
    values.update(changes)
    return DartsGenotype(**values)


def test_darts_pair_stacks_with_reductions_at_thirds():
    pair = darts_pair(source="v2.txt")
    g = pair.stack(20)
    assert g.n_cells == 20 and g.reductions == (6, 13) and g.source == "v2.txt"
    assert g.cells[6] == pair.reduce and g.cells[13] == pair.reduce and g.cells[0] == pair.normal
    assert pair.stack(8).reductions == (2, 5)
    assert as_genotype(pair) == g and as_genotype(pair, 8) == pair.stack(8)


def test_darts_pair_errors():
    with pytest.raises(GenotypeError, match="layers: .* >= 3, got 2"):
        darts_pair().stack(2)
    with pytest.raises(GenotypeError, match="normal_concat \\[2, 3\\] differs from reduce_concat"):
        darts_pair(normal_concat=[2, 3]).stack(8)
    with pytest.raises(GenotypeError, match="reduce cell, edge 0: unknown operation 'none'"):
        darts_pair(reduce=[("none", 2, 0)])
    with pytest.raises(GenotypeError, match="not buildable: no live output node in the normal cell"):
        darts_pair(normal=[("sep_conv_3x3", 3, 2)]).check_buildable()


def test_as_genotype_keeps_a_genotype_and_refuses_to_restack_it():
    g = three_cells()
    assert as_genotype(g) is g and as_genotype(g, 3) is g
    with pytest.raises(GenotypeError, match="use derive_genotype"):
        as_genotype(g, 8)
    with pytest.raises(GenotypeError, match="expected a Genotype or DartsGenotype"):
        as_genotype({"cells": []})


def test_summary_describes_cells():
    g = three_cells(method="edge", threshold=0.85, source="runs/x")
    text = g.summary()
    assert text.splitlines()[0] == "3 cells, reductions at 1; output concatenates nodes 2, 3, 4, 5"
    assert "parse method: edge, threshold 0.85" in text and "source: runs/x" in text
    assert "cell 1 (reduction): 5 ops, live nodes 2, 3, 4, 5" in text
    assert "  node 2 <- sep_conv_3x3(0), skip_connect(1)" in text
    assert "DARTS-format" in darts_pair().summary()


def test_parse_legacy_is_exposed_here():
    g = parse_legacy("Genotype_nested(genes=[[('skip_connect', 2, 1)]], reductions=[], concat=range(2, 6))")
    assert g == Genotype(cells=[[("skip_connect", 2, 1)]], reductions=[])


def test_numpy_integers_are_accepted_and_stored_as_python_ints():
    import numpy as np

    g = Genotype(cells=[[("sep_conv_3x3", np.int64(2), np.int32(0))]], reductions=np.array([0]),
                 concat=np.arange(2, 6), threshold=np.float32(0.5))
    assert g.cells[0][0] == ("sep_conv_3x3", 2, 0) and type(g.cells[0][0][1]) is int
    assert type(g.reductions[0]) is int and type(g.concat[0]) is int and type(g.threshold) is float
    assert json.loads(json.dumps(g.to_json()))["cells"] == [[["sep_conv_3x3", 2, 0]]]
