"""Run folders: the contract between the search engine, the CLI, the GUI and users' scripts.

`RunWriter` turns events into a folder, `RunReader` turns a folder (finished or still growing) back
into events, and `RunState` accumulates events for views. Layout: docs/run-folder.md.
"""

from ddarts.run_reader import (
    ALPHAS_DIR,
    CHECKPOINT_FILE,
    CONFIG_FILE,
    GENOTYPES_DIR,
    METRICS_FILE,
    RUN_FORMAT_VERSION,
    RunReader,
    alpha_relpath,
    genotype_relpath,
    read_header,
)
from ddarts.run_state import STATUSES, ColumnTable, RunState
from ddarts.run_writer import RunWriter

__all__ = [
    "ALPHAS_DIR", "CHECKPOINT_FILE", "CONFIG_FILE", "GENOTYPES_DIR", "METRICS_FILE", "RUN_FORMAT_VERSION",
    "STATUSES", "ColumnTable", "RunReader", "RunState", "RunWriter", "alpha_relpath", "genotype_relpath",
    "read_header",
]
