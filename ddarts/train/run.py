"""The lifecycle of a training run, the same as a search's: checks before anything is written, data loaded
off-thread with progress, the one-writer lock, resume from the checkpoint (or from step 0 in place when there
is none yet), recovery of an interrupted folder, and the run folder written as a consumer of the events.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator

from ddarts.config import ConfigError
from ddarts.data.catalogue import DATASET_INFO, ImageData
from ddarts.data.load import load_dataset
from ddarts.data.progress import DatasetProgress
from ddarts.errors import DivergedError, RunFolderError
from ddarts.genotype.core import DartsGenotype, Genotype
from ddarts.genotype.derive import derive_genotype
from ddarts.runtime.background import run_reporting
from ddarts.runtime.determinism import deterministic_mode
from ddarts.runtime.devices import resolve_device
from ddarts.runtime.distributed import Distributed, agreed, main_first
from ddarts.runtime.folders import (
    CHECKPOINT_FILE,
    CONFIG_FILE,
    check_new_run_dir,
    holds_files,
)
from ddarts.runtime.lock import RunLock
from ddarts.runtime.recovery import recover, refuse_if_diverged
from ddarts.train.checks import check_input_size
from ddarts.train.config import RESUME_MUTABLE, TrainConfig
from ddarts.train.events import TrainEvent
from ddarts.train.folder import TrainFolderWriter, load_checkpoint, read_run
from ddarts.train.loop import TrainingSession


def prepare_genotype(genotype: Genotype | DartsGenotype, layers: int | None, dataset: str) -> Genotype:
    """The genotype the network is built from: a DARTS genotype stacked, a D-DARTS one derived (Algorithm 1)
    when `layers` asks for another depth."""
    if isinstance(genotype, DartsGenotype):
        result = genotype.stack(layers or (14 if dataset == "imagenet" else 20))
    elif layers is not None and layers != genotype.n_cells:
        result = derive_genotype(genotype, layers)
    else:
        result = genotype
    result.check_buildable()
    return result


def _resume_config(stored: TrainConfig, given: TrainConfig | None, run_dir: Path) -> TrainConfig:
    if given is None:
        return stored
    old, new = stored.to_dict(), given.to_dict()
    for key in old:
        if old[key] != new[key] and key not in RESUME_MUTABLE:
            raise RunFolderError(f"{run_dir}: '{key}' cannot change when resuming ({old[key]!r} -> {new[key]!r}); "
                                 f"only {', '.join(RESUME_MUTABLE)} may")
    return given


def _load_splits(config: TrainConfig, out: dict[str, Any]) -> Iterator[DatasetProgress]:
    """Load both splits off-thread and yield the loader's progress reports (a download can take minutes)."""
    if out:  # given by the caller
        return

    def work(report) -> dict[str, Any]:
        return {split: load_dataset(config.dataset, config.data_dir, split, download=config.download,
                                    progress=report, image_size=config.image_size, num_workers=config.num_workers)
                for split in ("train", "test")}

    result: dict[str, Any] = {}
    yield from run_reporting(work, result, name="ddarts-train-data")
    out.update(result["result"])


def _open_resumed(config: TrainConfig | None, run_dir: Path, genotype, lock: RunLock | None):
    stored_dict, stored_genotype = read_run(run_dir)
    try:
        stored = TrainConfig.from_dict(stored_dict)
    except ConfigError as exc:
        raise RunFolderError(f"{run_dir / CONFIG_FILE}: {exc}") from None
    resumed = _resume_config(stored, config, run_dir)
    if genotype is not None and genotype != stored_genotype:
        raise RunFolderError(f"{run_dir}: resuming with a different genotype than the run's genotype.json")
    if lock is not None:
        lock.acquire()
        refuse_if_diverged(run_dir, "run")
    path = run_dir / CHECKPOINT_FILE
    if not path.exists() and not path.is_symlink():  # killed before the first checkpoint: start over in place
        if lock is not None:
            recover(run_dir, log_bytes=0, step=0, epochs_done=None)
        return resumed, stored_genotype, None
    checkpoint = load_checkpoint(path)
    if checkpoint.get("finished"):  # said before any data is loaded
        raise RunFolderError(f"{run_dir}: the run already finished all {resumed.epochs} epochs; nothing to resume")
    if lock is not None:
        log_bytes = checkpoint.get("metrics_bytes")
        recover(run_dir, log_bytes=log_bytes if isinstance(log_bytes, int) else None,
                step=int(checkpoint.get("step", 0)), epochs_done=None)
    return resumed, stored_genotype, checkpoint


def run_training(config: TrainConfig | None, run_dir, genotype: Genotype | DartsGenotype | None, *,
                 control: Any = None, resume: bool = False, dist: Distributed | None = None,
                 data: dict[str, ImageData] | None = None) -> Iterator[TrainEvent]:
    run_dir = Path(run_dir)
    is_main = dist is None or dist.is_main
    lock = RunLock(run_dir) if is_main else None  # the replicas write nothing

    def opening() -> tuple[TrainConfig, Genotype, dict | None]:
        if resume:
            return _open_resumed(config, run_dir, genotype, lock)
        if config is None or genotype is None:
            raise ValueError("a new training run needs a config and a genotype")
        prepared = prepare_genotype(genotype, config.layers, config.dataset)
        known = DATASET_INFO.get(config.dataset)  # a folder data set's size is known only once it is read
        if known is not None:
            check_input_size(prepared, config.resolve_stem(known.input_kind), config.image_size or known.image_size,
                             config.auxiliary_weight > 0)
        if lock is not None:
            check_new_run_dir(run_dir)
            lock.acquire()
            if holds_files(run_dir):
                raise RunFolderError(f"{run_dir} already exists and is not empty; choose another folder")
        return config, prepared, None

    writer: TrainFolderWriter | None = None
    try:
        config, genotype, checkpoint = agreed(dist, opening)
        device = dist.device if dist is not None else resolve_device(config.device)
        splits: dict[str, Any] = dict(data or {})
        yield from main_first(dist, lambda: _load_splits(config, splits))
        in_place = resume and checkpoint is None
        session = agreed(dist, lambda: TrainingSession(config, run_dir, genotype, checkpoint, splits["train"],
                                                       splits["test"], device, dist, in_place=in_place))
        if is_main:
            writer = TrainFolderWriter(run_dir, config.log_every)
            session.log_position = writer.position
        try:
            with deterministic_mode(config.deterministic):
                for event in session.run(control):
                    if writer is not None:
                        writer.write(event)
                    yield event
        except DivergedError as exc:
            if writer is not None:  # a resume reads this and says why it cannot go on
                writer.append({"type": "failed", "kind": "diverged", "message": str(exc)})
            raise
    finally:
        if writer is not None:
            writer.close()
        if lock is not None:
            lock.release()


def train(config: TrainConfig | None, run_dir: str | os.PathLike,
          genotype: Genotype | DartsGenotype | None = None, *, control: Any = None,
          resume: bool = False, dist: Distributed | None = None,
          data: dict[str, ImageData] | None = None) -> Iterator[TrainEvent]:
    """Train `genotype` (a DartsGenotype is stacked to `config.layers`, default 20 / 14 on ImageNet) into `run_dir`.

    resume=True continues the run in `run_dir` from its checkpoint (or restarts it in place when it has none
    yet); `config` may then be None (the stored one) or differ from it only in RESUME_MUTABLE fields. `control`
    is a `SearchControl` (pause/stop). While the data loads (and downloads) its `DatasetProgress` reports are
    yielded first; `data` ({"train": ImageData, "test": ImageData}, e.g. from `ddarts.data.folders.from_tensors`)
    replaces loading `config.dataset`. Under torchrun every process calls this with the same arguments and its
    `ddarts.runtime.distributed.Distributed`; rank 0 writes the run folder.
    """
    return run_training(config, run_dir, genotype, control=control, resume=resume, dist=dist, data=data)
