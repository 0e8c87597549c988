"""summary.csv, the printed table and the best trial: one row per run, read from the run folders themselves."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

from ddarts.atomic import write_text
from ddarts.errors import DdartsError
from ddarts.sweep.plan import SUMMARY_FILE
from ddarts.sweep.runs import RunEntry, RunSet
from ddarts.sweep.spec import format_value

METRIC_COLUMNS = ("epochs", "final_val_loss", "best_val_loss", "final_val_acc", "best_val_acc",
                  "final_dominant_share", "final_low_share")
RANKINGS = {
    "val_acc": ("best_val_acc", max), "final_val_acc": ("final_val_acc", max),
    "val_loss": ("best_val_loss", min), "final_val_loss": ("final_val_loss", min),
    "dominant_share": ("final_dominant_share", max),
}
"""`ddarts sweep best --by NAME`: the summary column it ranks and whether higher or lower wins."""


def rows(runs: RunSet) -> list[dict[str, Any]]:
    out = []
    for entry in runs.entries:
        row: dict[str, Any] = {"trial": entry.name}
        row.update({name: entry.varied.get(name) for name in runs.varied_fields})
        row["status"] = entry.status
        row.update(entry.metrics())
        genotype = entry.genotype_path()
        row["genotype"] = str(genotype) if genotype is not None else ""
        out.append(row)
    return out


def to_csv(runs: RunSet) -> str:
    header = ["trial", *runs.varied_fields, "status", *METRIC_COLUMNS, "genotype"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    for row in rows(runs):
        writer.writerow({k: _cell(v, k) for k, v in row.items()})
    return buffer.getvalue()


def write_summary(runs: RunSet, root: Path) -> Path:
    return write_text(root / SUMMARY_FILE, to_csv(runs))


def _cell(value: Any, column: str) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if column == "epochs" else f"{value:.6g}"
    return format_value(value)


def format_table(runs: RunSet) -> str:
    """The summary as aligned text columns (accuracies and shares in %)."""
    header = ["trial", *runs.varied_fields, "status", "epochs", "best acc", "final acc", "min L_CE", "σ>0.9", "σ<0.1"]
    lines = [header]
    for row in rows(runs):
        lines.append([row["trial"], *(format_value(row[f]) for f in runs.varied_fields), row["status"],
                      _cell(row["epochs"], "epochs") or "0", _pct(row["best_val_acc"]), _pct(row["final_val_acc"]),
                      _num(row["best_val_loss"]), _pct(row["final_dominant_share"]), _pct(row["final_low_share"])])
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in lines)


def _pct(value: float) -> str:
    return "-" if math.isnan(value) else f"{value * 100:.1f}%"


def _num(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.4f}"


def best(runs: RunSet, by: str = "val_acc") -> tuple[RunEntry, float]:
    """The trial that ranks first by `by` among those with at least one epoch (ties: the earlier trial)."""
    if by not in RANKINGS:
        raise DdartsError(f"--by must be one of {', '.join(RANKINGS)}, got {by!r}")
    column, pick = RANKINGS[by]
    scored = [(entry, entry.metrics()[column]) for entry in runs.entries]
    scored = [(entry, value) for entry, value in scored if not math.isnan(value)]
    if not scored:
        raise DdartsError("no trial has finished an epoch yet; nothing to rank")
    target = pick(value for _, value in scored)
    return next(entry for entry, value in scored if value == target), target
