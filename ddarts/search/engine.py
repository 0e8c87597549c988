"""One D-DARTS search step: every cell's α update, then the network-weight update.

Design points (paper §5.3 names memory and time as the method's weakness):
- `exact` mode (the default for L_T): the true ∂L_T^i/∂α_i, L_AB^i included, from one segmented forward and
  backward walk that shares the part below each ablated cell (`ddarts.search.exact`);
- `constant` mode and L_F: every cell's α gradient comes from ONE backward pass of L_CE + w01·Σ_i L_01^i:
  L_01^i depends on α_i only and L_AB^i is a constant there, so ∂/∂α_i of that sum is exactly ∂L_T^i/∂α_i;
  the marginal contributions run under `no_grad`;
- ablated passes restart from the recorded outputs of the cells before the ablated one and leave BatchNorm
  running statistics alone;
- metrics stay on the device as one packed tensor; the caller reads them one step later, so nothing inside a
  step waits for the device;
- under torchrun (`ddarts.runtime.distributed`) each process sees a slice of the batch; α gradients, weight gradients,
  marginal contributions and metrics are averaged across processes at the points where the single-process
  engine would have used whole-batch means, so every replica takes the same step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ddarts.nets.supernet import Supernet, frozen_bn_statistics, upgrade_state_dict
from ddarts.runtime.distributed import Distributed
from ddarts.runtime.memory_format import in_memory_format, use_channels_last
from ddarts.search.config import SearchConfig
from ddarts.search.exact import exact_pass
from ddarts.search.losses import ablation_loss_gradient, ablation_losses, zero_one_loss
from ddarts.space.ops import EDGES, PRIMITIVES

ABLATION_SEED_OFFSET = 0x5EED
"""The ablation generator is seeded from the run seed plus this, so it never mirrors the data order."""


@dataclass(frozen=True)
class MetricLayout:
    """Where each quantity sits in the packed per-step metrics vector."""

    n_cells: int

    @property
    def size(self) -> int:
        return 4 + 4 * self.n_cells

    def unpack(self, values: Sequence[float]) -> dict[str, object]:
        n = self.n_cells
        return {
            "train_loss": values[0], "train_acc": values[1], "val_loss": values[2], "val_acc": values[3],
            "l01": tuple(values[4:4 + n]), "mc": tuple(values[4 + n:4 + 2 * n]),
            "l_ab": tuple(values[4 + 2 * n:4 + 3 * n]), "l_t": tuple(values[4 + 3 * n:4 + 4 * n]),
        }


class SearchEngine:
    """Supernet, one Adam + cosine schedule per cell for α, SGD + cosine for the weights."""

    def __init__(self, config: SearchConfig, num_classes: int, device: torch.device,
                 dist: Distributed | None = None, stem: str = "cifar"):
        self.config = config
        self.device = device
        self.dist = dist
        self.model = Supernet(config.cells, config.init_channels, num_classes, config.mixing, stem=stem).to(device)
        if dist is not None:  # identical replicas whatever each process's random state
            dist.broadcast_([t.data for t in self.model.state_dict().values()])
        self.use_amp = config.amp and device.type == "cuda"
        self.amp_dtype = torch.bfloat16 if config.amp_dtype == "bfloat16" else torch.float16
        self.channels_last = use_channels_last(device, config.channels_last, config.init_channels)
        self.model = in_memory_format(self.model, self.channels_last)
        self.weights = self.model.weight_parameters()
        self.alphas = self.model.alpha_parameters()
        self.w_optimizer = torch.optim.SGD(self.weights, lr=config.lr, momentum=config.momentum,
                                           weight_decay=config.weight_decay)
        self.w_scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(self.w_optimizer, config.epochs, eta_min=config.lr_min)
        # Each cell searches on its own: own optimizer, own schedule (paper §4.1).
        self.a_optimizers = [
            torch.optim.Adam([a], lr=config.arch_lr, betas=(config.arch_beta1, config.arch_beta2),
                             weight_decay=config.arch_weight_decay)
            for a in self.alphas
        ]
        self.a_schedulers = [
            torch.optim.lr_scheduler.CosineAnnealingLR(opt, config.epochs, eta_min=config.arch_lr_min)
            for opt in self.a_optimizers
        ]
        scaler_on = self.use_amp and self.amp_dtype == torch.float16
        self.scaler = torch.amp.GradScaler(device.type, enabled=scaler_on)
        self.ablation_rng = torch.Generator().manual_seed(config.seed + ABLATION_SEED_OFFSET)
        self.layout = MetricLayout(config.cells)
        self.ablating = config.loss == "ablation"
        self.exact = self.ablating and config.ablation_grad == "exact"

    # ------------------------------------------------------------------ helpers
    def _autocast(self):
        return torch.autocast(self.device.type, dtype=self.amp_dtype, enabled=self.use_amp)

    def _ablation_weights(self) -> torch.Tensor:
        """Per-op uniform random weights in [0, 1) for each ablated cell, drawn on the host generator."""
        draw = torch.rand(self.config.cells, len(EDGES), len(PRIMITIVES), generator=self.ablation_rng)
        if self.device.type == "cuda":
            draw = draw.pin_memory()  # a truly asynchronous copy: no wait for the queued kernels
        return draw.to(self.device, non_blocking=True)

    def _ce(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        # Losses in at least float32 even under autocast; float64 stays float64 (gradient tests).
        if logits.dtype in (torch.float16, torch.bfloat16):
            logits = logits.float()
        return F.cross_entropy(logits, target)

    # ------------------------------------------------------------------ α step
    def alpha_step(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Update every cell's α on an α-split batch; returns (L_CE, acc, L_01, MC, L_AB, L_T) on the device."""
        n = self.config.cells
        for opt in self.a_optimizers:
            opt.zero_grad(set_to_none=True)
        weights = self.model.op_weights()
        l01 = torch.stack([zero_one_loss(w) for w in weights])
        w01 = self.config.w01
        scale = self.scaler.scale  # identity when no grad scaler is in use (bf16, CPU)

        if self.exact:
            logits, loss_ce, grads, mc, lab = self._exact_alpha_gradients(x, y, weights, l01, scale)
        else:
            record: list[torch.Tensor] | None = [] if self.ablating else None
            with self._autocast():
                logits = self.model(x, weights, record)
            loss_ce = self._ce(logits, y)
            grads = list(torch.autograd.grad(scale(loss_ce + w01 * l01.sum()), self.alphas))
            if self.ablating:  # constant mode: L_AB^i only shifts the value of cell i's loss
                mc = self._marginal_contributions_no_grad(loss_ce.detach(), record, weights, y)
                self._mean_across_processes(grads + [mc])  # whole-batch MC before L_AB, which is not linear in it
                lab = ablation_losses(mc, self.config.ablation_eps)
            else:
                mc = lab = torch.zeros(n, device=self.device)
                self._mean_across_processes(grads)
            loss_ce = loss_ce.detach()

        for alpha, grad in zip(self.alphas, grads):
            alpha.grad = grad
        for opt in self.a_optimizers:
            self.scaler.step(opt)
        acc = (logits.detach().argmax(1) == y).float().mean()
        l_t = loss_ce + w01 * l01.detach() + self.config.w_abl * lab
        return loss_ce, acc, l01.detach(), mc, lab, l_t

    def _ablated_loss(self, j: int, record: Sequence[torch.Tensor], weights: Sequence[torch.Tensor],
                      random_weights: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        mixed = list(weights)
        mixed[j] = random_weights[j]
        with self._autocast():
            logits = self.model.forward_from(j, record, mixed)
        return self._ce(logits, y)

    def _marginal_contributions_no_grad(self, loss_full: torch.Tensor, record: list[torch.Tensor],
                                        weights: list[torch.Tensor], y: torch.Tensor) -> torch.Tensor:
        """MC_j = L − L_{\\j} (Eq. 6) for every cell, without building any autograd graph."""
        random_weights = self._ablation_weights()
        detached = [w.detach() for w in weights]
        with torch.no_grad(), frozen_bn_statistics(self.model):
            ablated = torch.stack([
                self._ablated_loss(j, record, detached, random_weights, y) for j in range(self.config.cells)
            ])
        return loss_full - ablated

    def _exact_alpha_gradients(self, x: torch.Tensor, y: torch.Tensor, weights: list[torch.Tensor],
                               l01: torch.Tensor, scale):
        """∂L_T^i/∂α_i with ∂L_AB^i/∂α_i (`ddarts.search.exact`), chained into α by one last backward."""
        got = exact_pass(self.model, x, y, weights, self._ablation_weights(), self._autocast, self._ce, scale)
        grad_full, ablated_sum = got.grad_full, got.grad_ablated_sum
        mc = got.loss - got.ablated
        # L, L_{\j} and their gradients are batch means: average them before the non-linear L_AB formula.
        self._mean_across_processes([grad_full, ablated_sum, mc])
        eps = self.config.ablation_eps
        lab = ablation_losses(mc, eps)
        d_weights = grad_full + self.config.w_abl * ablation_loss_gradient(mc, grad_full, ablated_sum, eps)
        total = scale(self.config.w01 * l01.sum()) + (torch.stack(weights) * d_weights).sum()
        grads = list(torch.autograd.grad(total, self.alphas))
        return got.logits, got.loss, grads, mc, lab

    def _mean_across_processes(self, tensors: list[torch.Tensor]) -> list[torch.Tensor]:
        if self.dist is not None:
            self.dist.mean_(tensors)
        return tensors

    # ------------------------------------------------------------------ weight step
    def weight_step(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """SGD on the network weights with the current (fixed) op weights; L_CE only, as in DARTS."""
        self.w_optimizer.zero_grad(set_to_none=True)
        with torch.no_grad():
            op_weights = self.model.op_weights()
        with self._autocast():
            logits = self.model(x, op_weights)
        loss = self._ce(logits, y)
        self.scaler.scale(loss).backward()
        if self.dist is not None:
            for p in self.weights:
                if p.grad is None:
                    p.grad = torch.zeros_like(p)
            self.dist.mean_([p.grad for p in self.weights])
        self.scaler.unscale_(self.w_optimizer)
        nn.utils.clip_grad_norm_(self.weights, self.config.grad_clip)
        self.scaler.step(self.w_optimizer)
        acc = (logits.detach().argmax(1) == y).float().mean()
        return loss.detach(), acc

    # ------------------------------------------------------------------ full step
    def step(self, train_batch: tuple[torch.Tensor, torch.Tensor],
             val_batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """α step on the α-split batch, then weight step on the train batch; packed metrics on the device."""
        self.model.train()
        xv, yv = val_batch
        val_loss, val_acc, l01, mc, lab, l_t = self.alpha_step(xv, yv)
        xt, yt = train_batch
        train_loss, train_acc = self.weight_step(xt, yt)
        self.scaler.update()
        packed = torch.cat([torch.stack([train_loss, train_acc, val_loss, val_acc]).float(),
                            l01.float(), mc.float(), lab.float(), l_t.float()])
        if self.dist is not None:
            self.dist.mean_([packed])
        return packed

    def synchronise_replicas(self) -> None:
        """Average BatchNorm running statistics (the only per-process state) and check that nothing else drifted.

        Called at epoch ends, before the checkpoint, so rank 0's checkpoint holds whole-batch statistics.
        """
        if self.dist is None:
            return
        buffers = [b for b in self.model.buffers() if b.is_floating_point()]
        self.dist.mean_(buffers)
        if not self.dist.replicas_agree(list(self.model.parameters())):
            raise RuntimeError("the distributed replicas diverged: their weights or α differ across processes")

    def end_epoch(self) -> None:
        self.w_scheduler.step()
        for sched in self.a_schedulers:
            sched.step()

    # ------------------------------------------------------------------ inspection
    def alphas_numpy(self) -> np.ndarray:
        return torch.stack([a.detach() for a in self.alphas]).float().cpu().numpy().astype(np.float32)

    @property
    def lr(self) -> float:
        return float(self.w_scheduler.get_last_lr()[0])

    @property
    def arch_lr(self) -> float:
        return float(self.a_schedulers[0].get_last_lr()[0])

    # ------------------------------------------------------------------ checkpointing
    def state_dict(self) -> dict:
        return {
            "model": self.model.state_dict(),
            "w_optimizer": self.w_optimizer.state_dict(),
            "w_scheduler": self.w_scheduler.state_dict(),
            "a_optimizers": [opt.state_dict() for opt in self.a_optimizers],
            "a_schedulers": [s.state_dict() for s in self.a_schedulers],
            "scaler": self.scaler.state_dict(),
            "ablation_rng": self.ablation_rng.get_state(),
        }

    def load_state_dict(self, state: dict) -> None:
        model_state = dict(state["model"])
        w_optimizer = state["w_optimizer"]
        # a search from before the affine stem: its SGD state lacks 2 params
        if upgrade_state_dict(model_state, self.model.stem_affine_keys()):
            w_optimizer = self._insert_stem_in_optimizer_state(w_optimizer)
        self.model.load_state_dict(model_state)
        self.w_optimizer.load_state_dict(w_optimizer)
        self.w_scheduler.load_state_dict(state["w_scheduler"])
        if len(state["a_optimizers"]) != len(self.a_optimizers):
            raise ValueError("checkpoint has a different number of cells")
        for opt, s in zip(self.a_optimizers, state["a_optimizers"]):
            opt.load_state_dict(s)
        for sched, s in zip(self.a_schedulers, state["a_schedulers"]):
            sched.load_state_dict(s)
        self.scaler.load_state_dict(state["scaler"])
        self.ablation_rng.set_state(state["ablation_rng"])

    def _insert_stem_in_optimizer_state(self, old: dict) -> dict:
        """Renumber an SGD state dict saved without the stem's affine parameters; they start without momentum."""
        alpha_ids = {id(a) for a in self.alphas}
        names = [name for name, p in self.model.named_parameters() if id(p) not in alpha_ids]
        new_positions = {names.index(key) for key in self.model.stem_affine_keys()}
        kept = [i for i in range(len(names)) if i not in new_positions]
        if [len(g["params"]) for g in old["param_groups"]] != [len(kept)]:
            raise ValueError("checkpoint's weight optimizer does not match this supernet")
        groups = [{**old["param_groups"][0], "params": list(range(len(names)))}]
        return {"state": {kept[int(i)]: s for i, s in old["state"].items()}, "param_groups": groups}
