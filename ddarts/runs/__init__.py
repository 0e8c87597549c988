"""Run folders: the contract between the search engine, the CLI, the GUI and users' scripts.

`RunWriter` turns events into a folder, `RunReader` turns a folder (finished or still growing) back
into events, and `RunState` accumulates events for views. Layout: docs/run-folder.md.
"""

from ddarts.runs.columns import ColumnTable
from ddarts.runs.reader import RunReader
from ddarts.runs.recorded import recorded_search
from ddarts.runs.state import STATUSES, RunState
from ddarts.runs.writer import RunWriter
from ddarts.runtime.folders import (
    ALPHAS_DIR,
    CHECKPOINT_FILE,
    CONFIG_FILE,
    GENOTYPES_DIR,
    METRICS_FILE,
    RUN_FORMAT_VERSION,
    alpha_relpath,
    genotype_relpath,
    read_header,
)

__all__ = [
    "ALPHAS_DIR", "CHECKPOINT_FILE", "CONFIG_FILE", "GENOTYPES_DIR", "METRICS_FILE", "RUN_FORMAT_VERSION",
    "STATUSES", "ColumnTable", "RunReader", "RunState", "RunWriter", "alpha_relpath", "genotype_relpath",
    "read_header", "recorded_search",
]
