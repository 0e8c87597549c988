"""Graphviz DOT for cells and networks, and rendering through whichever dot engine is installed.

Qt-free so the CLI and scripts can draw too; the GUI calls `render` off its main thread. The engine is
a system Graphviz `dot` when there is one, else the `graphviz-pure` binary that ships as a Python
wheel, so diagrams work on a machine without a Graphviz install.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from ddarts import priority
from ddarts.errors import DdartsError, GenotypeError
from ddarts.genotype.core import DartsGenotype, Genotype, as_genotype
from ddarts.space.ops import N_NODES

OP_COLOURS: dict[str, str] = {
    "max_pool_3x3": "#1f77b4",
    "avg_pool_3x3": "#17becf",
    "skip_connect": "#8c564b",
    "sep_conv_3x3": "#d62728",
    "sep_conv_5x5": "#ff7f0e",
    "dil_conv_3x3": "#2ca02c",
    "dil_conv_5x5": "#9467bd",
}
"""Fixed per-op colours (colour-blind-friendly tab10 hues) so an op looks the same in every diagram."""
DEAD_COLOUR = "#b0b0b0"
FALLBACK_COLOUR = "#000000"
REDUCTION_FILL = "#fde0c5"
NORMAL_FILL = "#dbe9f6"
INPUT_FILL = "#e8e8e8"
OUTPUT_FILL = "#fff3b0"

_FORMAT = re.compile(r"[A-Za-z0-9_:]+")


def _quote(text: str) -> str:
    """A DOT double-quoted string; newlines become centred line breaks."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _attrs(**attrs: str) -> str:
    return "[" + ", ".join(f"{key}={_quote(value)}" for key, value in attrs.items()) + "]"


def _node_id(node: int) -> str:
    return {0: "c_k_2", 1: "c_k_1"}.get(node, f"n{node}")


def _as_genotype(genotype: Genotype | DartsGenotype) -> Genotype:
    return genotype if isinstance(genotype, Genotype) else as_genotype(genotype)


def cell_dot(genotype: Genotype | DartsGenotype, i: int, *, title: str | None = None) -> str:
    """DOT source of cell `i`: inputs, intermediate nodes 0..3 (ids 2..5), output; dead parts grey and dashed."""
    g = _as_genotype(genotype)
    if not isinstance(i, int) or not 0 <= i < g.n_cells:
        raise GenotypeError(f"cell index {i!r} out of range: the genotype has {g.n_cells} cells")
    reduction = g.is_reduction(i)
    live_nodes = set(g.live_nodes(i))
    live_edges = set(g.live_edges(i))
    if title is None:
        title = f"cell {i} ({'reduction' if reduction else 'normal'})"
        if not live_nodes:
            title += ": no live node"
    lines = [
        f"digraph cell_{i} {{",
        "  rankdir=LR;",
        f"  graph {_attrs(label=title, labelloc='t', fontname='Helvetica', fontsize='16')};",
        f"  node {_attrs(shape='box', style='rounded,filled', fontname='Helvetica', fontsize='12')};",
        f"  edge {_attrs(fontname='Helvetica', fontsize='10')};",
        "  { rank=same; " + f"c_k_2 {_attrs(label='c_{k-2}', fillcolor=INPUT_FILL)}; "
        + f"c_k_1 {_attrs(label='c_{k-1}', fillcolor=INPUT_FILL)}; }}",
    ]
    for node in range(2, 2 + N_NODES):
        if node in live_nodes:
            lines.append(f"  {_node_id(node)} {_attrs(label=str(node - 2), fillcolor=NORMAL_FILL)};")
        else:
            dead = _attrs(label=str(node - 2), fillcolor="white", color=DEAD_COLOUR, fontcolor=DEAD_COLOUR,
                          style="rounded,dashed")
            lines.append(f"  {_node_id(node)} {dead};")
    lines.append(f"  c_k {_attrs(label='c_{k}', fillcolor=OUTPUT_FILL)};")
    for edge in g.cells[i]:
        op, to_node, from_node = edge
        if edge in live_edges:
            colour = OP_COLOURS.get(op, FALLBACK_COLOUR)
            attrs = _attrs(label=op, color=colour, fontcolor=colour, penwidth="1.6")
        else:
            attrs = _attrs(label=op, color=DEAD_COLOUR, fontcolor=DEAD_COLOUR, style="dashed")
        lines.append(f"  {_node_id(from_node)} -> {_node_id(to_node)} {attrs};")
    for node in g.concat:
        if node in live_nodes:
            lines.append(f"  {_node_id(node)} -> c_k {_attrs(color='#555555', arrowsize='0.6')};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def network_dot(genotype: Genotype | DartsGenotype) -> str:
    """DOT source of the whole network as a chain of cells; reductions highlighted, live op count per cell."""
    g = _as_genotype(genotype)
    lines = [
        "digraph network {",
        "  rankdir=LR;",
        f"  graph {_attrs(fontname='Helvetica', nodesep='0.25', ranksep='0.3')};",
        f"  node {_attrs(shape='box', style='rounded,filled', fontname='Helvetica', fontsize='11')};",
        f"  edge {_attrs(arrowsize='0.6')};",
        f"  stem {_attrs(label='stem', fillcolor=INPUT_FILL)};",
    ]
    previous = "stem"
    for i in range(g.n_cells):
        ops = len(g.live_edges(i))
        if g.is_reduction(i):
            attrs = _attrs(label=f"cell {i}\nreduction\n{ops} ops", fillcolor=REDUCTION_FILL, color="#d95f02",
                           penwidth="2")
        else:
            attrs = _attrs(label=f"cell {i}\nnormal\n{ops} ops", fillcolor=NORMAL_FILL)
        lines.append(f"  cell{i} {attrs};")
        lines.append(f"  {previous} -> cell{i};")
        previous = f"cell{i}"
    head = _attrs(label="pool\nclassifier", fillcolor=OUTPUT_FILL)
    lines.append(f"  head {head};")
    lines.append(f"  {previous} -> head;")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def find_dot() -> list[str] | None:
    """The command that renders DOT from stdin: system `dot` on PATH, else graphviz-pure, else None."""
    dot = shutil.which("dot")
    if dot:
        return [dot]
    # the copy installed with this interpreter first: a PATH shim may belong to another environment
    name = "graphviz-pure.exe" if sys.platform == "win32" else "graphviz-pure"
    beside = Path(sys.executable).parent / name
    if _executable(beside):
        return [str(beside), "-Kdot"]
    on_path = shutil.which("graphviz-pure")
    if on_path:
        return [on_path, "-Kdot"]
    return None


def render(dot_source: str, fmt: str = "svg", timeout: float = 30, *, niceness: int = 0) -> bytes:
    """Render DOT to `fmt` (svg, png, pdf...) in a subprocess; DdartsError with the engine's message on failure.

    `niceness` > 0 runs the engine below normal priority (the desktop app's renders give way to its window)."""
    if not _FORMAT.fullmatch(fmt):
        raise DdartsError(f"invalid output format {fmt!r}")
    command = find_dot()
    if command is None:
        raise DdartsError(
            "no Graphviz engine found: install Graphviz (the `dot` command) or the pip package graphviz-pure"
        )
    flags = subprocess.CREATE_NO_WINDOW if sys.platform == "win32" else 0  # no console flash under the GUI
    try:
        engine = subprocess.Popen([*command, f"-T{fmt}"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, creationflags=flags | priority.creation_flags(niceness))
    except OSError as exc:
        raise DdartsError(f"cannot run {command[0]}: {exc.strerror or exc}") from exc
    priority.lower(engine.pid, niceness)
    try:
        out, err = engine.communicate(dot_source.encode("utf-8"), timeout=timeout)
    except subprocess.TimeoutExpired:
        engine.kill()
        engine.communicate()
        raise DdartsError(f"{command[0]} took longer than {timeout} s to render the diagram") from None
    if engine.returncode != 0:
        message = err.decode("utf-8", "replace").strip() or f"exit status {engine.returncode}"
        raise DdartsError(f"{command[0]} failed to render the diagram: {message}")
    if not out:
        raise DdartsError(f"{command[0]} produced no output")
    return out
