"""Evaluating a trained network from its checkpoint alone: the checkpoint carries config, genotype and weights."""

from __future__ import annotations

import contextlib
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn

from ddarts.data.batches import BatchStream
from ddarts.data.catalogue import DATASETS
from ddarts.data.load import load_dataset
from ddarts.errors import DataError, GenotypeError, RunFolderError
from ddarts.genotype.core import Genotype
from ddarts.nets.network import build_network
from ddarts.runtime.devices import resolve_device
from ddarts.runtime.distributed import Distributed
from ddarts.runtime.folders import CHECKPOINT_FILE
from ddarts.runtime.memory_format import in_memory_format, use_channels_last
from ddarts.train.config import TrainConfig
from ddarts.train.folder import load_checkpoint


@dataclass(frozen=True)
class EvalResult:
    loss: float
    top1: float  # fractions of the split
    top5: float
    count: int


def autocast_context(device: torch.device, amp: bool, amp_dtype: str):
    if not amp:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=getattr(torch, amp_dtype))


@torch.no_grad()
def evaluate_model(model: nn.Module, stream: BatchStream, *, amp: bool = False, amp_dtype: str = "bfloat16",
                   smoothing: float = 0.0, max_batches: int | None = None,
                   dist: Distributed | None = None) -> EvalResult:
    """Loss, top-1 and top-5 over one pass of an (unaugmented) stream, in eval mode; `max_batches` caps it.

    Under torchrun each process evaluates its shard of every batch and the sums are added up."""
    model.eval()
    loss_sum = torch.zeros((), dtype=torch.float64, device=stream.device)
    hits = torch.zeros(2, dtype=torch.int64, device=stream.device)
    count = 0
    for b, (x, y) in enumerate(stream.pass_batches(0)):
        if max_batches is not None and b >= max_batches:
            break
        if y.numel() == 0:  # this process's shard of a short last batch
            continue
        with autocast_context(stream.device, amp, amp_dtype):
            logits, _ = model(x)
        logits = logits.float()
        loss_sum += nn.functional.cross_entropy(logits, y, reduction="sum", label_smoothing=smoothing).double()
        k = min(5, logits.shape[1])
        top = logits.topk(k, dim=1).indices
        correct = top == y[:, None]
        hits += torch.stack([correct[:, 0].sum(), correct.any(dim=1).sum()])
        count += int(y.shape[0])
    if dist is not None:
        totals = torch.stack([loss_sum, hits[0].double(), hits[1].double(),
                              torch.tensor(float(count), dtype=torch.float64, device=stream.device)])
        dist.sum_(totals)
        loss_sum, count = totals[0], int(totals[3].item())
        hits = totals[1:3].round().long()
    h = hits.tolist()
    return EvalResult(loss_sum.item() / count, h[0] / count, h[1] / count, count)



@dataclass(frozen=True)
class EvaluationReport:
    checkpoint: str
    dataset: str
    split: str
    images: int
    loss: float
    top1: float  # fractions
    top5: float
    epochs_done: int
    epochs: int
    device: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def checkpoint_path(path: str | os.PathLike) -> Path:
    """A run folder's checkpoint, or the given file."""
    target = Path(path)
    if not target.exists():
        raise RunFolderError(f"no such training run folder or checkpoint: {target}")
    return target / CHECKPOINT_FILE if target.is_dir() else target


def evaluate_checkpoint(path: str | os.PathLike, *, dataset: str | None = None, data_dir: str | None = None,
                        device: str = "auto", batch_size: int | None = None, max_batches: int | None = None,
                        download: bool = True, amp: bool | None = None,
                        progress: Callable | None = None) -> EvaluationReport:
    """Top-1/top-5 on the test split of `dataset` (default: the one it was trained on)."""
    ck_path = checkpoint_path(path)
    state = load_checkpoint(ck_path)
    try:
        config = TrainConfig.from_dict(state["config"])
        genotype = Genotype.from_json(state["genotype"])
    except (GenotypeError, ValueError) as exc:
        raise RunFolderError(f"{ck_path}: {exc}") from None
    name = dataset or config.dataset
    if name not in DATASETS:
        raise DataError(f"unknown dataset {name!r}; expected one of {', '.join(DATASETS)}")
    dev = resolve_device(device)
    data = load_dataset(name, data_dir or config.data_dir, "test", download=download, progress=progress,
                        image_size=config.image_size, num_workers=config.num_workers)
    num_classes = int(state.get("num_classes", data.info.num_classes))
    if data.info.num_classes != num_classes:
        raise DataError(f"{ck_path} was trained for {num_classes} classes but {name} has "
                        f"{data.info.num_classes}; pick a dataset with the same classes")
    model = build_network(genotype, init_channels=config.init_channels, num_classes=num_classes,
                          input_kind=state.get("input_kind", "imagenet" if name == "imagenet" else "cifar"),
                          auxiliary=config.auxiliary_weight > 0,
                          image_size=state.get("dataset", {}).get("image_size")).to(dev)
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as exc:
        raise RunFolderError(f"{ck_path}: the weights do not fit the stored genotype ({str(exc).splitlines()[0]})") from None
    use_amp = amp if amp is not None else dev.type == "cuda"
    channels_last = use_channels_last(dev, config.channels_last, config.init_channels)
    model = in_memory_format(model, channels_last)
    stream = BatchStream(data, None, batch_size or config.eval_batch_size or config.batch_size, seed=0,
                         augment=False, device=dev, drop_last=False, shuffle=False, channels_last=channels_last)
    result = evaluate_model(model, stream, amp=use_amp, amp_dtype=config.amp_dtype, max_batches=max_batches)
    return EvaluationReport(str(ck_path), name, "test", result.count, result.loss, result.top1, result.top5,
                            int(state.get("epoch", 0)), config.epochs, str(dev))
