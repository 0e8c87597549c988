"""The training loop behind `ddarts.train.config.train`: SGD on a scheduled lr, auxiliary loss, drop-path ramp,
gradient clipping, optional mixed precision, a test-split evaluation every epoch, checkpoint and resume.

A resumed run continues bit for bit (on CPU): the checkpoint holds the model, optimizer, scheduler, scaler,
the batch stream's (pass, position), the RNG state (drop path draws from it) and the running epoch sums.

Under torchrun (`dist`) the network is wrapped in `DistributedDataParallel`, every process trains on its slice of
each batch and evaluates its slice of the test split, and rank 0 alone writes the run folder.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import torch
from torch import nn

from ddarts.atomic import write_json
from ddarts.config import ConfigError
from ddarts.data.batches import BatchStream
from ddarts.data.catalogue import ImageData
from ddarts.data.sources import FolderData
from ddarts.errors import DdartsError, DivergedError
from ddarts.genotype.core import Genotype
from ddarts.nets.cells import AuxiliaryHeadError
from ddarts.nets.network import build_network
from ddarts.runtime.distributed import Distributed, any_process
from ddarts.runtime.memory_format import in_memory_format, use_channels_last
from ddarts.train.schedule import make_scheduler
from ddarts.runtime.folders import (
    CHECKPOINT_FILE,
    CONFIG_FILE,
    read_header,
)
from ddarts.train.config import TrainConfig
from ddarts.train.evaluate import autocast_context, evaluate_model
from ddarts.train.events import (
    TrainCheckpoint,
    TrainEpoch,
    TrainEvent,
    TrainFinished,
    TrainStarted,
    TrainStep,
    TrainStopped,
)
from ddarts.runtime.checkpoints import save_checkpoint
from ddarts.train.folder import create_run


def _rng_state(device: torch.device) -> dict[str, Any]:
    state: dict[str, Any] = {"cpu": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def _set_rng_state(state: dict[str, Any], device: torch.device) -> None:
    torch.set_rng_state(state["cpu"])
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"], device)


class TrainingSession:
    """The objects of one training session; `run()` is the generator."""

    def __init__(self, config: TrainConfig, run_dir: Path, genotype: Genotype, checkpoint: dict | None,
                 train_data: ImageData | FolderData, test_data: ImageData | FolderData, device: torch.device,
                 dist: Distributed | None = None, *, in_place: bool = False):
        self.config = config
        self.run_dir = run_dir
        self.genotype = genotype
        self.device = device
        self.dist = dist
        self.is_main = dist is None or dist.is_main
        self.amp = config.amp if config.amp is not None else self.device.type == "cuda"
        if self.amp and self.device.type == "cpu" and config.amp_dtype == "float16":
            raise ConfigError("amp_dtype", "float16 mixed precision needs CUDA; use bfloat16 or --no-amp on CPU")
        self.channels_last = use_channels_last(self.device, config.channels_last, config.init_channels)
        torch.manual_seed(config.seed)
        self.num_classes = train_data.info.num_classes
        self.dataset_info = train_data.info.to_dict()
        self.input_kind = config.resolve_stem(train_data.info.input_kind)
        try:
            self.model = build_network(genotype, init_channels=config.init_channels, num_classes=self.num_classes,
                                       input_kind=self.input_kind, auxiliary=config.auxiliary_weight > 0,
                                       image_size=train_data.info.image_size).to(self.device)
        except AuxiliaryHeadError as exc:
            raise ConfigError("auxiliary_weight", f"{exc} (--auxiliary-weight 0)") from None
        self.model = in_memory_format(self.model, self.channels_last)
        self.forward_model: nn.Module = self.model
        if dist is not None:  # gradients averaged during backward; rank 0's weights and buffers broadcast
            ids = [device.index] if device.type == "cuda" else None
            self.forward_model = nn.parallel.DistributedDataParallel(self.model, device_ids=ids)
            # drop path masks must differ between the processes' shards, as they would within one batch
            torch.manual_seed(config.seed + 1_000_003 * dist.rank)
        self.params = sum(p.numel() for p in self.model.parameters() if p.requires_grad)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=config.lr, momentum=config.momentum,
                                         weight_decay=config.weight_decay)
        self.scheduler = make_scheduler(self.optimizer, config)
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=self.amp and config.amp_dtype == "float16")
        self.criterion = nn.CrossEntropyLoss(label_smoothing=config.smoothing)
        shard = (dist.rank, dist.world_size) if dist is not None else (0, 1)
        eval_batch = config.eval_batch_size or config.batch_size
        if dist is not None:
            for name, value in (("batch_size", config.batch_size), ("eval_batch_size", eval_batch)):
                if value % dist.world_size:
                    raise ConfigError(name, f"{value} does not split evenly over {dist.world_size} processes; "
                                            f"batch sizes are totals over all of them")
        self.train_stream = BatchStream(train_data, None, config.batch_size, seed=config.seed, augment=True,
                                        device=self.device, cutout=config.cutout, channels_last=self.channels_last,
                                        shard=shard)
        self.test_stream = BatchStream(test_data, None, eval_batch, seed=config.seed, augment=False,
                                       device=self.device, drop_last=False, shuffle=False,
                                       channels_last=self.channels_last, shard=shard)
        per_pass = len(self.train_stream)
        self.steps_per_epoch = min(per_pass, config.steps_per_epoch) if config.steps_per_epoch else per_pass
        self.total_steps = config.epochs * self.steps_per_epoch

        self.epoch = 0
        self.step_in_epoch = 0
        self.step = 0
        self.best_top1 = 0.0
        self.elapsed_before = 0.0
        self.totals = {"loss": 0.0, "correct": 0, "count": 0}
        self.resumed = checkpoint is not None
        if checkpoint is not None:
            self._load(checkpoint)
        elif self.is_main and not in_place:  # in place: a run killed before its first checkpoint starts over
            create_run(run_dir, config.to_dict(), genotype, self.dataset_info)
        self.log_position: Callable[[], int] = lambda: 0
        """Size of metrics.jsonl as its writer (ddarts.train.folder.TrainFolderWriter) has it; checkpoints keep it."""
        if (checkpoint is not None or in_place) and self.is_main:
            self._update_config_file()

    # ------------------------------------------------------------------ state
    def _load(self, ck: dict[str, Any]) -> None:
        self.model.load_state_dict(ck["model"])
        self.optimizer.load_state_dict(ck["optimizer"])
        self.scheduler.load_state_dict(ck["scheduler"])
        self.scaler.load_state_dict(ck["scaler"])
        self.train_stream.load_state_dict(ck["train_stream"])
        self.epoch, self.step_in_epoch, self.step = int(ck["epoch"]), int(ck["step_in_epoch"]), int(ck["step"])
        self.best_top1 = float(ck["best_top1"])
        self.elapsed_before = float(ck["elapsed_s"])
        self.totals = dict(ck["epoch_totals"])
        per_process = ck.get("rng_per_process")
        if self.dist is None:
            _set_rng_state(ck["rng"], self.device)
        elif per_process is not None and len(per_process) == self.dist.world_size:
            _set_rng_state(per_process[self.dist.rank], self.device)
        # else: another number of processes than the checkpoint's; keep the fresh per-process seeds

    def _update_config_file(self) -> None:
        header = read_header(self.run_dir, kind="train")
        if header["config"] != self.config.to_dict():
            write_json(self.run_dir / CONFIG_FILE, dict(header, config=self.config.to_dict(),
                                                        updated=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())))

    def _save(self, elapsed: float, finished: bool = False) -> str:
        """Every process calls this (their RNG states are gathered); rank 0 writes."""
        path = self.run_dir / CHECKPOINT_FILE
        rng = _rng_state(self.device)
        per_process = None
        if self.dist is not None:
            per_process = self.dist.gather_objects(rng)
        if not self.is_main:
            return str(path)
        save_checkpoint(path, "train", {
            "config": self.config.to_dict(), "genotype": self.genotype.to_json(), "num_classes": self.num_classes,
            "input_kind": self.input_kind, "dataset": self.dataset_info,
            "model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(), "scaler": self.scaler.state_dict(),
            "epoch": self.epoch, "step_in_epoch": self.step_in_epoch, "step": self.step,
            "train_stream": self.train_stream.state_dict(), "epoch_totals": dict(self.totals),
            "best_top1": self.best_top1, "elapsed_s": elapsed, "rng": _rng_state(self.device),
            "metrics_bytes": self.log_position(), "finished": finished,
            **({"rng_per_process": per_process} if per_process is not None else {}),
        })
        return str(path)

    def _checkpoint(self, elapsed: float, finished: bool = False) -> TrainCheckpoint:
        self._save(elapsed, finished)  # its record follows it in the log; a resume keeps that record
        return TrainCheckpoint(self.epoch, self.step, str(self.run_dir / CHECKPOINT_FILE))

    # ------------------------------------------------------------------ loop
    def _train_step(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        config = self.config
        self.optimizer.zero_grad(set_to_none=True)
        with autocast_context(self.device, self.amp, config.amp_dtype):
            logits, aux = self.forward_model(x)
            loss = self.criterion(logits.float(), y)
            if aux is not None and config.auxiliary_weight > 0:
                loss = loss + config.auxiliary_weight * self.criterion(aux.float(), y)
        self.scaler.scale(loss).backward()
        self.scaler.unscale_(self.optimizer)
        nn.utils.clip_grad_norm_(self.model.parameters(), config.grad_clip)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        return loss.detach(), (logits.detach().argmax(1) == y).sum()

    def run(self, control: Any) -> Iterator[TrainEvent]:
        config = self.config
        start = time.monotonic()
        start_step = self.step
        elapsed = lambda: self.elapsed_before + time.monotonic() - start
        device = str(self.device) + (f" × {self.dist.describe()}" if self.dist is not None else "")
        started = TrainStarted(str(self.run_dir), config.to_dict(), device, self.genotype, self.params,
                               self.steps_per_epoch, self.total_steps, config.epochs, self.epoch, self.step,
                               self.resumed)
        yield started
        last = None
        while self.epoch < config.epochs:
            drop_prob = config.drop_path * self.epoch / config.epochs
            self.model.drop_path_prob = drop_prob
            lr = self.optimizer.param_groups[0]["lr"]
            self.model.train()
            while self.step_in_epoch < self.steps_per_epoch:
                if control is not None and control.paused and self.dist is None:
                    while not control.wait_while_paused(0.2):
                        pass
                x, y = next(self.train_stream)
                try:
                    loss, correct = self._train_step(x, y)
                except torch.OutOfMemoryError:
                    raise self._oom() from None
                self.step_in_epoch += 1
                self.step += 1
                loss_value, correct, n = self._step_totals(loss, correct, int(y.shape[0]))
                if not math.isfinite(loss_value):  # nothing after this step could be trusted or kept
                    raise DivergedError(
                        f"training diverged: the loss became {loss_value} at step {self.step} (epoch "
                        f"{self.epoch + 1}); the last good checkpoint in {self.run_dir} is kept. Start a new run "
                        f"with a lower --lr or --grad-clip")
                self.totals["loss"] += loss_value * n
                self.totals["correct"] += correct
                self.totals["count"] += n
                session = time.monotonic() - start
                rate = (self.step - start_step) / session if session > 0 else 0.0
                event = TrainStep(self.epoch, self.step, self.step_in_epoch, self.steps_per_epoch, self.total_steps,
                                  loss_value, correct / n, lr, elapsed(), rate,
                                  (self.total_steps - self.step) / rate if rate > 0 else float("nan"))
                yield event
                stop = any_process(self.dist, control is not None and control.stop_requested)  # same step everywhere
                if stop and self.step_in_epoch < self.steps_per_epoch:
                    yield from self._stop(elapsed())
                    return
            self.scheduler.step()
            if self.dist is not None:  # evaluate (and checkpoint) rank 0's BatchNorm statistics everywhere
                self.dist.broadcast_(list(self.model.buffers()))
            try:
                last = evaluate_model(self.model, self.test_stream, amp=self.amp, amp_dtype=config.amp_dtype,
                                      smoothing=config.smoothing, max_batches=config.eval_batches, dist=self.dist)
            except torch.OutOfMemoryError:
                raise self._oom() from None
            self.best_top1 = max(self.best_top1, last.top1)
            count = max(self.totals["count"], 1)
            epoch_event = TrainEpoch(self.epoch, config.epochs, self.totals["loss"] / count,
                                     self.totals["correct"] / count, last.loss, last.top1, last.top5, lr,
                                     drop_prob, self.best_top1, elapsed())
            yield epoch_event
            self.epoch += 1
            self.step_in_epoch = 0
            self.totals = {"loss": 0.0, "correct": 0, "count": 0}
            done = self.epoch == config.epochs
            yield self._checkpoint(elapsed(), finished=done)
            if not done and any_process(self.dist, control is not None and control.stop_requested):
                yield from self._stop(elapsed())
                return
        assert last is not None
        finished = TrainFinished(config.epochs, self.step, self.best_top1, last.top1, last.top5, elapsed())
        yield finished

    def _step_totals(self, loss: torch.Tensor, correct: torch.Tensor, n: int) -> tuple[float, int, int]:
        """Mean loss, hits and images of the step over every process."""
        if self.dist is None:
            return float(loss), int(correct), n
        totals = torch.stack([loss.double() * n, correct.double(), torch.tensor(float(n), device=loss.device,
                                                                                 dtype=torch.float64)])
        self.dist.sum_(totals)
        total_loss, hits, count = totals.tolist()
        return total_loss / count, round(hits), round(count)

    def _stop(self, elapsed: float) -> Iterator[TrainEvent]:
        """Save, then report the stop; a resume keeps the stop record that follows the checkpoint."""
        self._save(elapsed)
        yield TrainStopped(self.epoch, self.step, str(self.run_dir / CHECKPOINT_FILE))

    def _oom(self) -> DdartsError:
        batch = self.config.batch_size
        return DdartsError(
            f"out of GPU memory on {self.device} at batch size {batch}; try a smaller --batch-size "
            f"(e.g. {max(batch // 2, 1)}) or fewer --init-channels/--layers. The last checkpoint in "
            f"{self.run_dir} resumes the run (--resume)")
