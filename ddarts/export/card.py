"""What an export folder says about itself: file names, the model card, and the data facts in the weights' metadata.

The same facts (input size, normalisation, class names) are written to the safetensors metadata, where
`ddarts.load_exported` reads them, and to MODEL_CARD.md, where people read them.
"""

from __future__ import annotations

import json

from ddarts import __version__
from ddarts.data.catalogue import DatasetInfo
from ddarts.genotype.core import Genotype
from ddarts.nets.count import NetworkStats

GENOTYPE_FILE = "genotype.json"
WEIGHTS_FILE = "model.safetensors"
TORCHSCRIPT_FILE = "model.torchscript.pt"
EXPORTED_PROGRAM_FILE = "model.pt2"
ONNX_FILE = "model.onnx"
CARD_FILE = "MODEL_CARD.md"
ONNX_OPSET = 17
TOLERANCE = 1e-4


def data_metadata(dataset: DatasetInfo | None, side: int) -> dict[str, str]:
    """safetensors metadata (strings only) for the input: its side always, the training data's facts when known."""
    meta = {"image_size": str(side)}
    if dataset is not None:
        meta.update({"dataset": dataset.name, "mean": json.dumps(list(dataset.mean)),
                     "std": json.dumps(list(dataset.std)), "classes": json.dumps(list(dataset.classes))})
    return meta


def _data_rows(dataset: DatasetInfo | None) -> list[tuple[str, str]]:
    if dataset is None:
        return [("normalisation", "unknown (export with --weights from a `ddarts train` checkpoint to record it)")]
    names = ", ".join(dataset.classes) if dataset.classes else "not recorded"
    if len(dataset.classes) > 20:
        names = ", ".join(dataset.classes[:20]) + f", … ({len(dataset.classes)} in all)"
    mean = ", ".join(f"{v:g}" for v in dataset.mean)
    std = ", ".join(f"{v:g}" for v in dataset.std)
    return [("trained on", dataset.name), ("normalisation", f"(x / 255 - mean) / std, mean ({mean}), std ({std})"),
            ("class names", names)]


def model_card(genotype: Genotype, stats: NetworkStats, *, source: str | None, trained: bool, weights: str | None,
               input_kind: str, init_channels: int, num_classes: int, program_file: str,
               dataset: DatasetInfo | None = None) -> str:
    status = (f"**trained** (weights from `{weights}`)" if trained
              else "**architecture only, untrained**: the weights are random initialisation")
    side = stats.input_size[-1]
    reductions = ", ".join(map(str, genotype.reductions)) or "none"
    threshold = "n/a" if genotype.threshold is None else f"{genotype.threshold:g}"
    rows = [
        ("status", status),
        ("source", f"`{source}`" if source else "unknown"),
        ("parse method", genotype.method or "unknown"),
        ("threshold", threshold),
        ("layers", f"{genotype.n_cells} (reductions at {reductions})"),
        ("init channels", str(init_channels)),
        ("parameters", f"{stats.params:,} ({stats.params / 1e6:.2f}M, auxiliary head not included)"),
        ("multiply-adds", f"{stats.macs:,} ({stats.macs / 1e6:.1f}M) per image"),
        ("input", f"{input_kind} stem: float32 N x 3 x {side} x {side}, normalised as in training"),
        *_data_rows(dataset),
        ("classes", str(num_classes)),
        ("ddarts version", __version__),
    ]
    lines = ["# Model card", "", "| | |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in rows]
    lines += [
        "",
        "## Files",
        f"- `{GENOTYPE_FILE}`: the architecture, one cell per layer (`ddarts info {GENOTYPE_FILE}` describes it)",
        f"- `{WEIGHTS_FILE}`: weights and, in its metadata, the input size, mean/std and class names; "
        f"`ddarts.load_exported(FOLDER)` rebuilds the network from it",
        f"- `{program_file}`: the network as a program, logits only, batch size free",
        f"- `{ONNX_FILE}`: the same in ONNX (opset {ONNX_OPSET} or later), input `input`, output `logits`, "
        f"checked against PyTorch with onnxruntime (max abs diff <= {TOLERANCE:g})",
        "",
    ]
    return "\n".join(lines)
