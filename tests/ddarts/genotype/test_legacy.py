import dataclasses
import json
from pathlib import Path

import pytest

from ddarts.errors import GenotypeError
from ddarts.genotype import DartsGenotype, Genotype, load_genotype
from ddarts.genotype.legacy import parse_legacy_text, read_call

_ROOT = Path(__file__).resolve().parents[3]
REFERENCE = _ROOT / "tests" / "data" / "reference-genotypes"


def reference(name: str) -> Path:
    path = REFERENCE / name
    assert path.is_file(), f"reference genotype {name} missing from {REFERENCE}"
    return path


@pytest.mark.parametrize(
    "name, edge_counts, first, last",
    [
        ("D-DARTS_threshold_sparse_cifar10_0.85_50.txt", [8, 8, 8, 8, 8, 8, 8, 7],
         ("sep_conv_3x3", 2, 1), ("sep_conv_3x3", 5, 2)),
        ("D-DARTS_threshold_edge_cifar10_0.85_50.txt", [28, 28, 28, 26, 26, 28, 28, 10],
         ("dil_conv_3x3", 2, 0), ("sep_conv_3x3", 5, 2)),
        ("D-DARTS_threshold_sparse_abl0.5_fair7_cifar100_0.85_50.txt", [8, 8, 8, 8, 8, 8, 8, 7],
         ("sep_conv_3x3", 2, 1), ("sep_conv_3x3", 5, 3)),
        ("D-DARTS_threshold_edge_abl0.5_fair7_cifar100_0.85_50.txt", [26, 25, 28, 27, 27, 27, 27, 14],
         ("sep_conv_3x3", 2, 0), ("skip_connect", 5, 4)),
    ],
)
def test_reference_d_darts_files_import(name, edge_counts, first, last):
    path = reference(name)
    g = load_genotype(path)
    assert isinstance(g, Genotype)
    assert g.n_cells == 8
    assert [len(cell) for cell in g.cells] == edge_counts
    assert g.reductions == (2, 6)  # as stated in the file, not the search network's (2, 5)
    assert g.concat == (2, 3, 4, 5)
    assert g.cells[0][0] == first and g.cells[-1][-1] == last
    assert g.source == str(path) and g.method is None
    assert all(g.live_nodes(i) == (2, 3, 4, 5) for i in range(8))


def test_reference_darts_v2_imports_as_a_pair():
    g = load_genotype(reference("DARTS_V2.txt"))
    assert isinstance(g, DartsGenotype)
    assert len(g.normal) == len(g.reduce) == 8
    # gene k of a DARTS list goes to node 2 + k // 2
    assert g.normal[0] == ("sep_conv_3x3", 2, 0) and g.normal[-1] == ("dil_conv_3x3", 5, 2)
    assert g.reduce[0] == ("max_pool_3x3", 2, 0) and g.reduce[2] == ("skip_connect", 3, 2)
    assert g.reduce[-1] == ("max_pool_3x3", 5, 1)
    assert g.normal_concat == g.reduce_concat == (2, 3, 4, 5)
    stacked = g.stack(20)
    assert stacked.reductions == (6, 13) and stacked.cells[6] == g.reduce


def test_range_forms_and_tuples_are_accepted():
    g = parse_legacy_text(
        "Genotype(normal=(('sep_conv_3x3', 0), ('skip_connect', 1)), normal_concat=range(2, 3),\n"
        "         reduce=[['max_pool_3x3', 1], ['max_pool_3x3', 0]], reduce_concat=range(2, 6))"
    )
    assert g.normal == (("sep_conv_3x3", 2, 0), ("skip_connect", 2, 1))
    assert g.normal_concat == (2,) and g.reduce == (("max_pool_3x3", 2, 1), ("max_pool_3x3", 2, 0))
    assert read_call("Genotype_nested(genes=[], reductions=range(3))")[1]["reductions"] == [0, 1, 2]
    with pytest.raises(GenotypeError, match=r"reduce_concat: 0 is not an intermediate node"):
        parse_legacy_text("Genotype(normal=[], reduce=[], reduce_concat=range(6))")


def test_read_call_returns_plain_values():
    name, values = read_call("Genotype_nested(genes=[], reductions=[2, 6], concat=range(2, 6))")
    assert name == "Genotype_nested"
    assert values == {"genes": [], "reductions": [2, 6], "concat": [2, 3, 4, 5]}


@pytest.mark.parametrize(
    "text, message",
    [
        ("__import__('os').system('x')", "expected Genotype(...) or Genotype_nested(...) at line 1, col 1, "
                                         "found \"__import__('os').system\""),
        ("Genotype(normal=open('f').read(), reduce=[])", "unsupported call to \"open('f').read\" at line 1, col 17"),
        ("Genotype_nested(genes=open('f'), reductions=[])", "unsupported call to 'open' at line 1, col 23"),
        ("().__class__", "found 'Attribute'"),
        ("Genotype(normal=().__class__, reduce=[])", "unsupported attribute access .__class__ at line 1"),
        ("Genotype(normal=lambda: 1, reduce=[])", "unsupported Lambda expression"),
        ("Genotype(normal=[x for x in y], reduce=[])", "unsupported ListComp expression"),
        ("Genotype(normal=f'{x}', reduce=[])", "unsupported f-string"),
        ("Genotype_nested(genes=[], reductions=range(10**9))", "unsupported operator expression"),
        ("Genotype_nested(genes=[], reductions=range(1000000))", "range of 1000000 values"),
        ("Genotype_nested(genes=[], reductions=range(0, 5, 1))", "range(...) form"),
        ("Genotype_nested(genes=[], reductions=range(stop=3))", "range(...) form"),
        ("Genotype_nested(genes=[], reductions=[10**9])", "unsupported operator expression"),
        ("Genotype_nested(genes=[], reductions=[-1])", "unsupported operator expression"),
        ("Genotype_nested(genes=[], reductions=[99999999999])", "integer 1e+11 (too large)"),
        ("Genotype_nested(genes=cells, reductions=[])", "unsupported name 'cells' at line 1, col 23"),
        ("Genotype_nested(genes=[], reductions=[__builtins__])", "unsupported name '__builtins__'"),
        ("Genotype_nested(genes=[][0], reductions=[])", "unsupported Subscript expression"),
        ("Genotype_nested(genes={}, reductions=[])", "unsupported Dict expression"),
        ("Genotype_nested(genes=[], reductions=[1.5])", "unsupported float constant 1.5"),
        ("Genotype_nested(genes=[], reductions=[True])", "unsupported bool constant True"),
        ("Genotype_nested(genes=[], reductions=[None])", "unsupported NoneType constant"),
        ("Genotype_nested(genes=[], reductions=[b'x'])", "unsupported bytes constant"),
        ("Genotype_nested(**{'genes': []})", "unsupported **keyword unpacking"),
        ("Genotype_nested([], [])", "positional arguments are not supported"),
        ("Genotype_nested(genes=[], genes=[], reductions=[])", "keyword 'genes' given twice"),
        ("Genotype_nested(genes=[], reductions=[], cmd='rm')", "unknown keyword 'cmd'"),
        ("Genotype_nested(genes=[])", "missing keyword 'reductions'"),
        ("Genotype(normal=[])", "missing keyword 'reduce'"),
        ("eval('1')", "found 'eval'"),
        ("Genotype_nested(genes=[", "not a genotype expression"),
        ("x = 1", "not a genotype expression"),
        ("Genotype_nested(genes=[[[[[[[[[[1]]]]]]]]]], reductions=[])", "nesting deeper than 8 levels"),
        ("Genotype_nested(genes=" + "[" * 5000 + "]" * 5000 + ", reductions=[])", "not a genotype expression"),
        ("[1] * 10**9", "found 'BinOp'"),
    ],
)
def test_hostile_or_malformed_texts_are_rejected(text, message):
    with pytest.raises(GenotypeError) as info:
        parse_legacy_text(text)
    assert message in str(info.value)


def test_huge_input_is_rejected_before_parsing():
    text = "Genotype_nested(genes=[], reductions=[" + "1, " * 400_000 + "])"
    with pytest.raises(GenotypeError, match="too large"):
        parse_legacy_text(text)


@pytest.mark.parametrize(
    "text, message",
    [
        ("Genotype(normal=[('sep_conv_3x3', 0)] * 1, reduce=[])", "operator expression"),
        ("Genotype(normal=[('sep_conv_3x3', 0, 1)], reduce=[])", "normal[0]: expected (op, from_node)"),
        ("Genotype(normal=[('sep_conv_3x3', 0)] , reduce='abc')", "reduce: expected a list of (op, from_node)"),
        ("Genotype(normal=[('sep_conv_3x3', 0)] * 1, reduce=[])", "operator expression"),
        ("Genotype(normal=[('skip_connect', 0)] + [], reduce=[])", "operator expression"),
        ("Genotype(normal=[('sep_conv_3x3', 0)], reduce=[('max_pool_3x3', 3)])", "from_node 3 >= to_node 2"),
        ("Genotype(normal=[" + "('skip_connect', 0), " * 9 + "], reduce=[])", "9 genes"),
        ("Genotype_nested(genes=[[('sep_conv_3x3', 2, 0)]], reductions=[2, 6])", "reductions: 2 is not a cell"),
        ("Genotype_nested(genes='abc', reductions=[])", "genes: expected a list of cells"),
        ("Genotype_nested(genes=[[('conv', 2, 0)]], reductions=[])", "cell 0, edge 0: unknown operation 'conv'"),
    ],
)
def test_well_formed_but_invalid_genotypes_are_rejected(text, message):
    with pytest.raises(GenotypeError) as info:
        parse_legacy_text(text)
    assert message in str(info.value)


def test_load_genotype_prefixes_legacy_errors_with_the_file(tmp_path):
    bad = tmp_path / "evil.txt"
    bad.write_text("__import__('os').system('touch pwned')")
    with pytest.raises(GenotypeError, match=r"evil.txt: expected Genotype"):
        load_genotype(bad)
    assert not (tmp_path / "pwned").exists()


def test_the_documented_json_example_is_the_converted_reference_file():
    doc = (_ROOT / "docs" / "genotypes.md").read_text()
    example = json.loads(doc.split("```json\n", 1)[1].split("```", 1)[0])
    legacy = load_genotype(reference("D-DARTS_threshold_sparse_cifar10_0.85_50.txt"))
    assert Genotype.from_json(example) == dataclasses.replace(legacy, source=example["source"])
