"""What the cell diagram and the network overview show, without Qt: which genotype, which cell, and the words
above the picture. The genotype question itself is answered by `RunState.genotype_for`."""

from __future__ import annotations

from dataclasses import dataclass

from ddarts.genotype.core import DartsGenotype, Edge, Genotype, as_genotype
from ddarts.runs import RunState
from ddarts.runs.choice import GenotypeChoice


@dataclass(frozen=True)
class CellView:
    """What the diagram shows: one cell of one genotype, and where that genotype came from."""

    genotype: Genotype
    cell: int
    epoch: int | None  # 0-based epoch of the α / stored genotype; None for a final or file genotype
    origin: str  # "live", "alpha", "stored" or "final"
    method: str | None
    step: int | None = None  # global step of live α

    @property
    def edges(self) -> tuple[Edge, ...]:
        return tuple(self.genotype.cells[self.cell])

    @property
    def is_reduction(self) -> bool:
        return self.genotype.is_reduction(self.cell)

    @property
    def key(self) -> tuple:
        """Equal keys draw equal pictures: the parsed edges and the cell kind."""
        return (self.edges, self.is_reduction)


def per_cell(genotype: Genotype | DartsGenotype) -> Genotype:
    """A DARTS pair (from a legacy file) is drawn as the network it stacks into."""
    return as_genotype(genotype) if isinstance(genotype, DartsGenotype) else genotype


def cell_view(state: RunState, epoch: int | None, method: str, threshold: float, selected: int,
              live: bool = False) -> CellView | None:
    """The selected cell of the genotype for `epoch` (None: final), or of the newest α when `live` and the
    search reported α since its last epoch end; raises GenotypeError/ValueError on unusable α."""
    if live and state.live_alpha is not None:
        choice = state.genotype_for(None, method, threshold)
    elif epoch is None and not state.final_genotypes:
        return None
    else:
        choice = state.genotype_for(epoch, method, threshold) if epoch is not None else state.genotype_for(
            None, method, threshold, final_first=True)
    if choice is None:
        return None
    genotype = per_cell(choice.genotype)
    cell = min(max(selected, 0), genotype.n_cells - 1)
    return CellView(genotype, cell, choice.epoch, choice.origin, choice.method, choice.step)


def cell_header(view: CellView, asked_method: str) -> str:
    """'Cell 2 (normal) · epoch 3 · 4 ops (1 dead)', naming a stored parse that differs from the asked one."""
    kind = "reduction" if view.is_reduction else "normal"
    when = f"epoch {view.epoch + 1}" if view.epoch is not None else "final"
    if view.origin == "live":
        when += f" (live, step {view.step})"
    live = len(view.genotype.live_edges(view.cell))
    dead = len(view.edges) - live
    ops = f"{live} op" + ("" if live == 1 else "s") + (f" ({dead} dead)" if dead else "")
    parts = [f"Cell {view.cell} ({kind})", when, ops]
    if view.origin != "alpha" and view.method and view.method != asked_method:
        parts.append(f"stored {view.method} parse")
    return " · ".join(parts)


def network_caption(choice: GenotypeChoice) -> str:
    """Where the overview's genotype came from: 'edge parse at 0.85 · epoch 3', 'final darts parse', ..."""
    if choice.origin in ("alpha", "live"):
        at = "" if choice.method == "darts" or choice.threshold is None else f" at {choice.threshold:.2f}"
        live = f" (live, step {choice.step})" if choice.origin == "live" else ""
        return f"{choice.method} parse{at} · epoch {choice.epoch + 1}{live}"
    if choice.origin == "stored":
        return f"stored {choice.method} parse · epoch {choice.epoch + 1}"
    return f"final {choice.method} parse"


def network_header(genotype: Genotype, caption: str) -> str:
    reductions = ", ".join(str(r) for r in genotype.reductions) or "none"
    return f"Network · {genotype.n_cells} cells (reductions {reductions}) · {caption}"


def dead_cell_message(view: CellView, threshold: float) -> str:
    """Why a cell draws nothing, and whether that is expected."""
    text = f"Cell {view.cell} has no live node"
    if view.origin in ("alpha", "live") and view.method != "darts":
        return (f"{text} at threshold {threshold:.2f} ({view.method} parse): no op weight "
                f"reaches the threshold yet.\n\nThis is normal early in a search, while every σ(α) "
                f"is still near 0.5. Pick a later epoch or lower the threshold.")
    return f"{text}: every intermediate node lost all its inputs, so the cell computes nothing."
