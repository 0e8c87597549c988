"""DOT sources for cells and networks, and rendering them with the installed engine."""

from __future__ import annotations

import os
import stat
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ddarts.genotype import diagram
from ddarts.errors import DdartsError, GenotypeError
from ddarts.genotype.core import DartsGenotype, Genotype
from ddarts.genotype.diagram import OP_COLOURS, cell_dot, find_dot, network_dot, render

LIVE_CELL = (("sep_conv_3x3", 2, 0), ("skip_connect", 2, 1), ("dil_conv_5x5", 3, 2), ("max_pool_3x3", 4, 0),
             ("avg_pool_3x3", 5, 3))
DEAD_CELL = (("sep_conv_5x5", 2, 0), ("dil_conv_3x3", 4, 3), ("skip_connect", 5, 4))  # node 3 gets nothing


@pytest.fixture
def genotype() -> Genotype:
    return Genotype(cells=[LIVE_CELL, DEAD_CELL, LIVE_CELL, LIVE_CELL], reductions=(1, 2))


def edge_line(dot: str, src: str, dst: str, op: str) -> str:
    matches = [line for line in dot.splitlines() if f"{src} -> {dst} " in line and f'label="{op}"' in line]
    assert len(matches) == 1, (src, dst, op, dot)
    return matches[0]


def node_line(dot: str, node: str) -> str:
    return next(line for line in dot.splitlines() if line.strip().startswith(f"{node} ["))


def write_script(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def svg_text(svg: bytes) -> str:
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    return " ".join(t.strip() for t in root.itertext() if t.strip())


def test_cell_dot_structure(genotype):
    dot = cell_dot(genotype, 0)
    assert dot.startswith("digraph") and "rankdir=LR" in dot
    assert 'label="cell 0 (normal)"' in dot
    for label in ("c_{k-2}", "c_{k-1}", "c_{k}", 'label="0"', 'label="3"'):
        assert label in dot
    sep = edge_line(dot, "c_k_2", "n2", "sep_conv_3x3")
    assert f'color="{OP_COLOURS["sep_conv_3x3"]}"' in sep and "dashed" not in sep
    assert f'color="{OP_COLOURS["avg_pool_3x3"]}"' in edge_line(dot, "n3", "n5", "avg_pool_3x3")
    for node in ("n2", "n3", "n4", "n5"):
        assert f"{node} -> c_k" in dot


def test_dead_nodes_and_edges_are_grey_and_dashed(genotype):
    dot = cell_dot(genotype, 1)
    assert 'label="cell 1 (reduction)"' in dot
    for src, dst, op in (("n3", "n4", "dil_conv_3x3"), ("n4", "n5", "skip_connect")):
        line = edge_line(dot, src, dst, op)
        assert 'style="dashed"' in line and diagram.DEAD_COLOUR in line
    live = edge_line(dot, "c_k_2", "n2", "sep_conv_5x5")
    assert 'style="dashed"' not in live
    for node in ("n3", "n4", "n5"):
        assert "dashed" in node_line(dot, node)
    assert "dashed" not in node_line(dot, "n2")
    assert "n2 -> c_k" in dot and "n4 -> c_k" not in dot


def test_cell_without_live_nodes_says_so():
    g = Genotype(cells=[LIVE_CELL, (("sep_conv_3x3", 4, 3),), LIVE_CELL], reductions=(1,))
    assert "cell 1 (reduction): no live node" in cell_dot(g, 1)


def test_cell_title_and_escaping(genotype):
    dot = cell_dot(genotype, 2, title='epoch 3 "edge"\nthreshold 0.85')
    assert 'label="epoch 3 \\"edge\\"\\nthreshold 0.85"' in dot


def test_cell_index_out_of_range(genotype):
    with pytest.raises(GenotypeError, match="cell index 4 out of range: the genotype has 4 cells"):
        cell_dot(genotype, 4)
    with pytest.raises(GenotypeError, match="out of range"):
        cell_dot(genotype, -1)


def test_darts_genotype_is_stacked():
    pair = DartsGenotype(normal=LIVE_CELL, reduce=DEAD_CELL)
    assert 'label="cell 6 (reduction)"' in cell_dot(pair, 6)
    assert network_dot(pair).count("reduction") == 2


def test_network_dot(genotype):
    dot = network_dot(genotype)
    assert "rankdir=LR" in dot
    assert 'label="cell 0\\nnormal\\n5 ops"' in dot
    assert 'label="cell 1\\nreduction\\n1 ops"' in dot
    assert "stem -> cell0;" in dot and "cell3 -> head;" in dot
    for i in range(4):
        assert f"cell{i} [" in dot
    reduction_box = node_line(dot, "cell1")
    assert diagram.REDUCTION_FILL in reduction_box and diagram.REDUCTION_FILL not in node_line(dot, "cell0")


needs_engine = pytest.mark.skipif(find_dot() is None, reason="no Graphviz engine installed")


@needs_engine
def test_render_cell_to_svg(genotype):
    text = svg_text(render(cell_dot(genotype, 0)))
    for op in ("sep_conv_3x3", "skip_connect", "dil_conv_5x5", "max_pool_3x3", "avg_pool_3x3", "cell 0 (normal)"):
        assert op in text


@needs_engine
def test_render_network_to_svg(genotype):
    text = svg_text(render(network_dot(genotype), niceness=5))  # as the app renders: below normal priority
    assert "reduction" in text and "cell 3" in text and "stem" in text


@needs_engine
def test_render_reports_dot_syntax_errors():
    with pytest.raises(DdartsError, match="failed to render"):
        render("digraph { a -> ")


def test_render_rejects_a_bad_format():
    with pytest.raises(DdartsError, match="invalid output format"):
        render("digraph {}", fmt="svg -o /tmp/x")


@pytest.mark.skipif(sys.platform == "win32", reason="uses a shell script as a fake engine")
def test_find_dot_prefers_dot_on_path(tmp_path, monkeypatch):
    fake = write_script(tmp_path, "dot", 'cat >/dev/null; printf "<svg>%s</svg>" "$1"')
    monkeypatch.setenv("PATH", str(tmp_path) + os.pathsep + os.environ.get("PATH", ""))
    assert find_dot() == [str(fake)]
    assert render("digraph {}", fmt="png") == b"<svg>-Tpng</svg>"


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="POSIX priorities")
def test_a_render_below_normal_priority_runs_the_engine_lowered(tmp_path, monkeypatch):
    write_script(tmp_path, "dot", 'cat >/dev/null; printf "<svg>%s</svg>" "$(nice)"')  # `nice` prints its niceness
    monkeypatch.setenv("PATH", str(tmp_path) + os.pathsep + os.environ.get("PATH", ""))
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    assert render("digraph {}", niceness=4) == f"<svg>{min(19, mine + 4)}</svg>".encode()


@pytest.mark.skipif(sys.platform == "win32", reason="uses a shell script as a fake engine")
def test_graphviz_pure_next_to_the_interpreter(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    pure = write_script(bin_dir, "graphviz-pure", "exit 0")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(sys, "executable", str(bin_dir / "python"))
    assert find_dot() == [str(pure), "-Kdot"]


@pytest.mark.skipif(sys.platform == "win32", reason="uses a shell script as a fake engine")
def test_render_failure_carries_stderr(tmp_path, monkeypatch):
    write_script(tmp_path, "dot", 'cat >/dev/null; echo "syntax error in line 1" >&2; exit 1')
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(DdartsError, match="syntax error in line 1"):
        render("digraph {}")


def test_no_engine(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    assert find_dot() is None
    with pytest.raises(DdartsError, match="no Graphviz engine found"):
        render("digraph {}")
