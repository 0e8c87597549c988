"""Evaluating a trained network from its checkpoint alone: the checkpoint carries config, genotype and weights."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

from ddarts.batches import BatchStream
from ddarts.data import DATASET_INFO, load_dataset
from ddarts.errors import DataError, GenotypeError, RunFolderError
from ddarts.genotype import Genotype
from ddarts.train import TrainConfig
from ddarts.devices import resolve_device
from ddarts.train_loop import evaluate_model
from ddarts.train_run import CHECKPOINT_FILE, load_checkpoint


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
    if name not in DATASET_INFO:
        raise DataError(f"unknown dataset {name!r}; expected one of {', '.join(DATASET_INFO)}")
    dev = resolve_device(device)
    data = load_dataset(name, data_dir or config.data_dir, "test", download=download, progress=progress,
                        image_size=config.image_size, num_workers=config.num_workers)
    num_classes = int(state.get("num_classes", data.info.num_classes))
    if data.info.num_classes != num_classes:
        raise DataError(f"{ck_path} was trained for {num_classes} classes but {name} has "
                        f"{data.info.num_classes}; pick a dataset with the same classes")
    from ddarts.network import build_network

    model = build_network(genotype, init_channels=config.init_channels, num_classes=num_classes,
                          input_kind="imagenet" if name == "imagenet" else "cifar",
                          auxiliary=config.auxiliary_weight > 0).to(dev)
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as exc:
        raise RunFolderError(f"{ck_path}: the weights do not fit the stored genotype ({str(exc).splitlines()[0]})") from None
    use_amp = amp if amp is not None else dev.type == "cuda"
    stream = BatchStream(data, None, batch_size or config.eval_batch_size or config.batch_size, seed=0,
                         augment=False, device=dev, drop_last=False, shuffle=False)
    result = evaluate_model(model, stream, amp=use_amp, amp_dtype=config.amp_dtype, max_batches=max_batches)
    return EvaluationReport(str(ck_path), name, "test", result.count, result.loss, result.top1, result.top5,
                            int(state.get("epoch", 0)), config.epochs, str(dev))
