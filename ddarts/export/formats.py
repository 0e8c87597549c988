"""Export a derived network as a self-contained folder: genotype, weights, TorchScript, ONNX, model card.

Everything is written into a hidden sibling folder and renamed into place at the end, so a failed or
interrupted export leaves nothing behind; the ONNX file is only kept when onnxruntime reproduces the
PyTorch outputs. The exported programs take images at the input kind's resolution (32x32 CIFAR,
224x224 ImageNet), any batch size, and return logits only (the auxiliary head serves training only).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn

from ddarts.atomic import describe_os_error, write_bytes, write_text
from ddarts.data.catalogue import DatasetInfo
from ddarts.errors import DdartsError, RunFolderError
from ddarts.export.card import (
    CARD_FILE,
    EXPORTED_PROGRAM_FILE,
    GENOTYPE_FILE,
    ONNX_FILE,
    ONNX_OPSET,
    TOLERANCE,
    TORCHSCRIPT_FILE,
    WEIGHTS_FILE,
    data_metadata,
    model_card,
)
from ddarts.export.folder import (
    ExportError,
    make_partial_folder,
    prepare_target,
    publish,
    remove_abandoned,
    share_files,
    write_manifest,
)
from ddarts.genotype.core import DartsGenotype, Genotype
from ddarts.nets.count import NetworkStats, network_stats
from ddarts.nets.network import (
    DerivedNetwork,
    resolve_genotype,
    strip_auxiliary,
)
from ddarts.runtime.checkpoints import read_torch_file

Progress = Callable[[float, str], None]

CHECK_BATCH = 2
_STATE_PREFIXES = ("module.", "_orig_mod.")


@dataclass(frozen=True)
class ExportResult:
    out_dir: Path
    files: tuple[str, ...]
    stats: NetworkStats
    layers: int
    trained: bool
    program_format: str
    """"torchscript" (model.torchscript.pt) or "torch.export" (model.pt2, when tracing failed)."""
    onnx_exporter: str
    onnx_max_abs_diff: float
    program_max_abs_diff: float


class LogitsOnly(nn.Module):
    """The network with a single tensor output, which tracing and ONNX need (no None aux output)."""

    def __init__(self, net: DerivedNetwork):
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)[0]


# ---------------------------------------------------------------------------------------------- weights
def read_weights_file(path: str | os.PathLike) -> object:
    """What a weights file holds (a `ddarts train` checkpoint or a state_dict), read once; ExportError if unreadable."""
    try:
        return read_torch_file(Path(path), "weights file (checkpoint or state_dict)")
    except RunFolderError as exc:
        raise ExportError(str(exc)) from None


def state_dict_of(data: object, path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """The state_dict in what `read_weights_file` read: a checkpoint's "model" entry, or the file's own dict."""
    if isinstance(data, dict) and isinstance(data.get("model"), dict):
        data = data["model"]
    if not isinstance(data, dict) or not data or not all(
            isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in data.items()):
        raise ExportError(f"{Path(path)}: expected a state_dict (names to tensors) or a checkpoint with a 'model' state_dict")
    return dict(data)


def load_weights(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """A state_dict from a `ddarts train` checkpoint (its "model" entry) or from a plain state_dict file."""
    return state_dict_of(read_weights_file(path), path)


def _clean_state_dict(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    for prefix in _STATE_PREFIXES:
        if state_dict and all(k.startswith(prefix) for k in state_dict):
            state_dict = {k[len(prefix):]: v for k, v in state_dict.items()}
    return strip_auxiliary(state_dict)


def _load_into(net: nn.Module, state_dict: dict[str, torch.Tensor]) -> None:
    own = net.state_dict()
    missing = sorted(set(own) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(own))
    wrong = sorted(k for k in set(own) & set(state_dict) if tuple(own[k].shape) != tuple(state_dict[k].shape))
    if missing or unexpected or wrong:
        details = []
        for label, keys in (("missing", missing), ("unexpected", unexpected), ("shape mismatch", wrong)):
            if keys:
                details.append(f"{len(keys)} {label} (e.g. {keys[0]})")
        raise ExportError(
            "weights do not fit this network: " + "; ".join(details)
            + ". Check --layers, --init-channels, --classes and --input against the training run"
        )
    net.load_state_dict(state_dict, strict=True)


# ---------------------------------------------------------------------------------------------- programs
def _max_abs_diff(a: torch.Tensor | np.ndarray, b: torch.Tensor) -> float:
    a = torch.as_tensor(np.asarray(a)) if not isinstance(a, torch.Tensor) else a
    return float((a.detach().float() - b.detach().float()).abs().max())


def _torchscript_bytes(model: nn.Module, example: torch.Tensor) -> bytes:
    with warnings.catch_warnings():
        # Tracing is deprecated upstream yet still the portable TorchScript route; the shape test in
        # FactorizedReduce is constant at the fixed export resolution, which is what TracerWarning flags.
        warnings.filterwarnings("ignore", category=FutureWarning, module=r"torch\.jit")
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        traced = torch.jit.trace(model, example)
        buffer = io.BytesIO()
        torch.jit.save(traced, buffer)
    return buffer.getvalue()


def _load_torchscript(data: bytes) -> torch.jit.ScriptModule:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning, module=r"torch\.jit")
        return torch.jit.load(io.BytesIO(data), map_location="cpu")


def _exported_program_bytes(model: nn.Module, example: torch.Tensor) -> bytes:
    batch = torch.export.Dim("batch", min=1)
    program = torch.export.export(model, (example,), dynamic_shapes={"x": {0: batch}})
    buffer = io.BytesIO()
    torch.export.save(program, buffer)
    return buffer.getvalue()


def _load_exported_program(data: bytes) -> nn.Module:
    return torch.export.load(io.BytesIO(data)).module()


def _onnx_legacy(model: nn.Module, example: torch.Tensor) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        torch.onnx.export(model, (example,), buffer, dynamo=False, opset_version=ONNX_OPSET,
                          input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    return buffer.getvalue()


def _onnx_dynamo(model: nn.Module, example: torch.Tensor) -> bytes:
    batch = torch.export.Dim("batch", min=1)
    program = torch.onnx.export(model, (example,), dynamo=True, opset_version=max(ONNX_OPSET, 18),
                                input_names=["input"], output_names=["logits"],
                                dynamic_shapes={"x": {0: batch}}, external_data=False, verbose=False)
    return program.model_proto.SerializeToString()


def _onnx_bytes(model: nn.Module, example: torch.Tensor) -> tuple[bytes, str]:
    """The TorchScript-based exporter first (seconds instead of tens of seconds), dynamo if it fails."""
    try:
        return _onnx_legacy(model, example), "torchscript"
    except Exception as legacy_exc:  # removed or failing in this torch build: try the dynamo exporter
        try:
            return _onnx_dynamo(model, example), "dynamo"
        except Exception as exc:
            raise ExportError(f"ONNX export failed with both exporters: {legacy_exc}; {exc}") from None


def _run_onnx(data: bytes, x: torch.Tensor) -> np.ndarray:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    return out


# ---------------------------------------------------------------------------------------------- folder
def export_network(genotype: Genotype | DartsGenotype, out_dir: str | os.PathLike, *,
                   state_dict: dict[str, torch.Tensor] | None = None, layers: int | None = None,
                   init_channels: int = 36, num_classes: int = 10, input_kind: str = "cifar",
                   source: str | None = None, progress: Progress | None = None, force: bool = False,
                   weights_label: str | None = None, dataset: DatasetInfo | None = None) -> ExportResult:
    """Write the export folder; nothing is left at `out_dir` unless every file was written and checked.

    `dataset` (the training data's facts: input size, mean/std, class names) goes into the weights' metadata and
    the model card, where `ddarts.load_exported` finds it."""
    report = progress or (lambda fraction, message: None)
    shown = Path(out_dir)
    out_dir = Path(os.path.abspath(out_dir))  # "." or "x/.." must name a real folder with a real parent
    report(0.0, "building the network")
    resolved = resolve_genotype(genotype, layers, input_kind)
    net = DerivedNetwork(resolved, init_channels=init_channels, num_classes=num_classes, input_kind=input_kind,
                         auxiliary=False, image_size=dataset.image_size if dataset is not None else None)
    trained = state_dict is not None
    if state_dict is not None:
        report(0.05, "loading weights")
        _load_into(net, _clean_state_dict(state_dict))
    net.eval()
    parent = prepare_target(out_dir, force)
    for abandoned in remove_abandoned(out_dir):
        report(0.0, f"removed {abandoned.name}, left by an interrupted export")
    try:
        tmp, lock = make_partial_folder(out_dir)
    except (OSError, DdartsError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise ExportError(f"{parent}: cannot write the export there ({reason})") from None
    try:
        result = _write_export(tmp, shown, net, resolved, report, trained=trained,
                               source=source if source is not None else resolved.source,
                               weights_label=weights_label, input_kind=input_kind,
                               init_channels=init_channels, num_classes=num_classes, dataset=dataset)
        write_manifest(tmp, result.files)
        report(0.97, "moving the export into place")
        share_files(tmp)
        publish(tmp, lock, out_dir)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        lock.release()
        raise ExportError(f"{shown}: writing the export failed ({describe_os_error(exc, shown)})") from None
    except BaseException:  # Ctrl-C and SIGTERM too: nothing partial stays behind
        shutil.rmtree(tmp, ignore_errors=True)
        lock.release()
        raise
    report(1.0, f"exported to {shown}")
    return result


def _write_export(tmp: Path, out_dir: Path, net: DerivedNetwork, genotype: Genotype, report: Progress, *,
                  trained: bool, source: str | None, weights_label: str | None, input_kind: str,
                  init_channels: int, num_classes: int, dataset: DatasetInfo | None) -> ExportResult:
    from safetensors.torch import save as safetensors_bytes

    side = net.image_size
    generator = torch.Generator().manual_seed(0)
    example = torch.randn(CHECK_BATCH, 3, side, side, generator=generator)
    check = torch.randn(CHECK_BATCH + 1, 3, side, side, generator=generator)
    model = LogitsOnly(net).eval()
    with torch.no_grad():
        expected = model(check)

    report(0.1, "writing the genotype and weights")
    genotype.save(tmp / GENOTYPE_FILE)
    tensors = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
    metadata = {"format": "pt", "init_channels": str(init_channels), "num_classes": str(num_classes),
                "input_kind": input_kind, "layers": str(genotype.n_cells),
                "genotype": json.dumps(genotype.to_json()), **data_metadata(dataset, side)}
    write_bytes(tmp / WEIGHTS_FILE, safetensors_bytes(tensors, metadata=metadata))

    report(0.2, "tracing the TorchScript program")
    try:
        program, program_file, program_format = _torchscript_bytes(model, example), TORCHSCRIPT_FILE, "torchscript"
        loaded = _load_torchscript(program)
    except Exception as trace_exc:  # tracing failed: torch.export is the supported successor
        report(0.3, "tracing failed; exporting with torch.export")
        try:
            program, program_file, program_format = (_exported_program_bytes(model, example),
                                                     EXPORTED_PROGRAM_FILE, "torch.export")
            loaded = _load_exported_program(program)
        except Exception as exc:
            raise ExportError(f"no program could be exported: tracing failed ({trace_exc}), "
                              f"torch.export failed ({exc})") from None
    with torch.no_grad():
        program_diff = _max_abs_diff(loaded(check), expected)
    if not program_diff <= TOLERANCE:
        raise ExportError(f"{program_file}: outputs differ from PyTorch by {program_diff:.3g} (> {TOLERANCE:g})")
    write_bytes(tmp / program_file, program)

    report(0.45, "exporting ONNX")
    onnx_model, exporter = _onnx_bytes(model, example)
    report(0.7, "checking ONNX with onnxruntime")
    onnx_diff = _max_abs_diff(_run_onnx(onnx_model, check), expected)
    if not onnx_diff <= TOLERANCE:
        raise ExportError(f"{ONNX_FILE}: onnxruntime outputs differ from PyTorch by {onnx_diff:.3g} "
                          f"(> {TOLERANCE:g}); the export was not written")
    write_bytes(tmp / ONNX_FILE, onnx_model)

    report(0.85, "counting parameters and multiply-adds")
    stats = network_stats(net)
    write_text(tmp / CARD_FILE, model_card(genotype, stats, source=source, trained=trained, weights=weights_label,
                                           input_kind=input_kind, init_channels=init_channels,
                                           num_classes=num_classes, program_file=program_file,
                                           dataset=dataset))
    files = (GENOTYPE_FILE, WEIGHTS_FILE, program_file, ONNX_FILE, CARD_FILE)
    return ExportResult(out_dir=out_dir, files=files, stats=stats, layers=genotype.n_cells, trained=trained,
                        program_format=program_format, onnx_exporter=exporter, onnx_max_abs_diff=onnx_diff,
                        program_max_abs_diff=program_diff)
