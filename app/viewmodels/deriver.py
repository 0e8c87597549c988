"""What the deriver panel decides, without Qt: the source genotype, the defaults, the derivation, the counts.

The panel only mirrors this model in widgets. The source is the run on show, another run folder or a
genotype file (legacy formats too); every input error becomes one readable line (`message`). Depth,
width, classes and input kind follow the run and the source until the user sets them. Counting a
network builds it, so counts are requested by key and only the newest request's numbers are shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ddarts.data.catalogue import DATASET_INFO
from ddarts.errors import DdartsError
from ddarts.genotype.core import DartsGenotype, Genotype
from ddarts.genotype.derive import derive
from ddarts.runs.sources import genotype_from_source
from ddarts.nets.network import DEFAULT_LAYERS
from ddarts.runs import RunState
from ddarts.runs.choice import parse_settings

DEFAULT_CHANNELS = {"cifar": 36, "imagenet": 48}
DEFAULT_SEARCHED_LAYERS = 14
"""Depth a multi-cell searched genotype is grown to until the user picks another."""
EDITABLE = ("layers", "input_kind", "channels", "classes")


@dataclass(frozen=True)
class DeriverResult:
    """A derived network: which searched cell fills each position, and the genotype to build."""

    source: Genotype | DartsGenotype
    layers: int
    filled_by: tuple[int | str, ...]  # searched cell index per position; "N"/"R" for a DARTS pair
    genotype: Genotype  # one cell per derived position

    @property
    def reductions(self) -> tuple[int, ...]:
        return tuple(self.genotype.reductions)


def derive_for_panel(source: Genotype | DartsGenotype, layers: int) -> DeriverResult:
    """Algorithm 1 for a searched multi-cell genotype, DARTS stacking for a normal/reduce pair."""
    derivation = derive(source, layers)
    genotype = derivation.genotype
    if isinstance(source, DartsGenotype):
        filled: tuple[int | str, ...] = tuple("R" if genotype.is_reduction(i) else "N" for i in range(layers))
    else:
        filled = tuple(derivation.plan)
    return DeriverResult(source, layers, filled, genotype)


def format_count(value: float, unit: str = "") -> str:
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.2f} {suffix}{unit}"
    return f"{value:.0f} {unit}".rstrip()


def stats_text(stats: Any) -> str:
    """Parameters (without and with the auxiliary head), multiply-adds and input size, as rich text."""
    aux = stats.params - stats.params_without_aux
    text = f"Parameters: <b>{format_count(stats.params_without_aux)}</b>"
    if aux > 0:
        text += f" ({format_count(stats.params)} with the auxiliary head)"
    size = "×".join(str(d) for d in stats.input_size)
    return text + f" · Multiply-adds: <b>{format_count(stats.macs)}</b> · input {size}"


def input_kind_of(dataset: str) -> str:
    return "imagenet" if DATASET_INFO[dataset].image_size >= 224 else "cifar"


def describe_genotype(genotype: Genotype | DartsGenotype) -> str:
    if isinstance(genotype, DartsGenotype):
        text = "DARTS-format genotype: one normal and one reduce cell, stacked to the chosen depth"
    else:
        reductions = ", ".join(str(r) for r in genotype.reductions) or "none"
        text = f"{genotype.n_cells} searched cells, reductions at {reductions}"
        if genotype.method:
            at = f" at {genotype.threshold:.2f}" if genotype.threshold is not None else ""
            text += f" · {genotype.method} parse{at}"
    if genotype.source:
        text += f" · from {genotype.source}"
    return text


class DeriverModel:
    """Inputs, defaults policy and outcome of one derivation; the panel shows it and forwards edits."""

    def __init__(self, describe_error: Callable[[BaseException], str] = str):
        self._describe_error = describe_error
        self.source_path: Path | None = None
        self.method, self.threshold = parse_settings(None)
        self.layers = DEFAULT_SEARCHED_LAYERS
        self.input_kind = "cifar"
        self.channels = DEFAULT_CHANNELS["cifar"]
        self.classes = 10
        self.touched: set[str] = set()
        self.source_genotype: Genotype | DartsGenotype | None = None
        self.derivation: DeriverResult | None = None
        self.message = ""
        self.layers_invalid = False
        self.source_text = ""
        self.source_info = ""
        self._config: dict[str, Any] = {}

    # ------------------------------------------------------------------ inputs
    @property
    def method_enabled(self) -> bool:
        """A genotype file is already parsed; a run (ours or a folder) can be parsed anew."""
        return self.source_path is None or self.source_path.is_dir() or not self.source_path.exists()

    @property
    def threshold_enabled(self) -> bool:
        from_alpha = self.source_path is None or self.source_path.is_dir()
        return from_alpha and self.method != "darts"

    def run_replaced(self, config: dict[str, Any] | None) -> None:
        """Another run is on show: take its parse settings and its dataset's classes and input kind."""
        self._config = dict(config or {})
        self.method, self.threshold = parse_settings(self._config)
        dataset = self._config.get("dataset")
        if dataset in DATASET_INFO:
            if "classes" not in self.touched:
                self.classes = DATASET_INFO[dataset].num_classes
            if "input_kind" not in self.touched:
                self.input_kind = input_kind_of(dataset)
        self.apply_defaults()

    def set_parse(self, method: str, threshold: float) -> None:
        self.method, self.threshold = method, float(threshold)

    def edit(self, name: str, value: Any) -> None:
        """The user set an option: it no longer follows the defaults."""
        if name not in EDITABLE:
            raise ValueError(f"unknown option {name!r}; expected one of {', '.join(EDITABLE)}")
        self.touched.add(name)
        setattr(self, name, value)
        if name == "input_kind":
            self.apply_defaults()

    def apply_defaults(self) -> None:
        """Depth, width and classes follow the input kind and the source until the user sets them."""
        kind = self.input_kind
        if "channels" not in self.touched:
            self.channels = DEFAULT_CHANNELS.get(kind, DEFAULT_CHANNELS["cifar"])
        if "classes" not in self.touched and not self._config.get("dataset"):
            self.classes = 1000 if kind == "imagenet" else 10
        if "layers" not in self.touched:
            darts_pair = isinstance(self.source_genotype, DartsGenotype)
            self.layers = DEFAULT_LAYERS[kind] if darts_pair else DEFAULT_SEARCHED_LAYERS

    def network_options(self) -> dict[str, Any]:
        return {"init_channels": int(self.channels), "num_classes": int(self.classes),
                "input_kind": self.input_kind}

    # ------------------------------------------------------------------ source
    def load_source(self, state: RunState, run_dir: str | None) -> Genotype | DartsGenotype:
        """The searched genotype; DdartsError when there is none or it is invalid."""
        if self.source_path is not None:
            self.source_text = str(self.source_path)
            return genotype_from_source(self.source_path, self.method, self.threshold)
        self.source_text = f"Current run{': ' + str(run_dir) if run_dir else ''}"
        choice = state.genotype_for(None, self.method, self.threshold)
        if choice is None:
            raise DdartsError("the current run has no genotype yet: wait for its first epoch, "
                              "or pick a genotype file or another run folder")
        return choice.genotype

    def recompute(self, state: RunState, run_dir: str | None, reload: bool) -> bool:
        """Reload the source (when asked) and derive; True when a valid derivation is on show."""
        if reload:
            try:
                genotype = self.load_source(state, run_dir)
            except (DdartsError, ValueError, OSError) as exc:
                self.source_genotype = None
                self.layers_invalid = False
                self.source_info = ""
                return self._fail(exc)
            kind_changed = type(genotype) is not type(self.source_genotype)
            self.source_genotype = genotype
            if kind_changed:
                self.apply_defaults()
            self.source_info = describe_genotype(genotype)
        if self.source_genotype is None:
            return False
        try:
            derivation = derive_for_panel(self.source_genotype, int(self.layers))
        except (DdartsError, ValueError) as exc:
            self.layers_invalid = True
            return self._fail(exc)
        self.layers_invalid = False
        try:
            derivation.genotype.check_buildable()
        except DdartsError as exc:
            return self._fail(exc)
        self.derivation = derivation
        self.message = ""
        return True

    def _fail(self, exc: BaseException) -> bool:
        self.derivation = None
        self.message = self._describe_error(exc)
        return False

    def describe_source(self) -> str:
        derivation = self.derivation
        if derivation is None:
            return ""
        base = derivation.source.source or (str(self.source_path) if self.source_path else "current run")
        return f"{base}, derived to {derivation.layers} layers"

    # ------------------------------------------------------------------ counts
    def stats_key(self) -> tuple | None:
        """Equal keys build equal networks: the derived genotype and the network options."""
        if self.derivation is None:
            return None
        genotype = self.derivation.genotype
        return (genotype.cells, genotype.reductions, genotype.concat, tuple(sorted(self.network_options().items())))


class LatestCounts:
    """Counts by key: a cache, the key on show, and at most one pending request (a burst of edits
    builds one network, not one per click; results for older keys are cached but not shown)."""

    def __init__(self) -> None:
        self.cache: dict[tuple, Any] = {}
        self.shown_key: tuple | None = None
        self.pending: tuple | None = None

    def want(self, key: tuple | None) -> Any:
        """Ask for the counts of `key`: the cached ones, or None (then `pending` is the key to count)."""
        self.shown_key = key
        if key is None or key in self.cache:
            self.pending = None
            return self.cache.get(key) if key is not None else None
        self.pending = key
        return None

    def take_pending(self) -> tuple | None:
        key, self.pending = self.pending, None
        return key

    def done(self, key: tuple, stats: Any) -> bool:
        """Store a result; True when it is the one on show."""
        self.cache[key] = stats
        return key == self.shown_key

    @property
    def current(self) -> Any:
        return self.cache.get(self.shown_key) if self.shown_key is not None else None
