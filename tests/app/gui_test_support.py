"""Event streams and configurations shared by the GUI tests (imported by tests/app/conftest.py and tests)."""

from __future__ import annotations

import numpy as np

from ddarts.genotype.parse import op_shares, parse_alphas
from ddarts.search.config import SearchConfig
from ddarts.search.events import (
    AlphaSnapshot,
    EpochMetrics,
    Finished,
    GenotypeParsed,
    RunStarted,
    StepMetrics,
)
from ddarts.space.ops import EDGES, PRIMITIVES, reduction_positions


def tiny_digits_config(**changes) -> SearchConfig:
    """The smallest search the engine accepts that still exercises every event type, on the CPU."""
    base = dict(dataset="digits", cells=3, init_channels=2, batch_size=4, steps_per_epoch=1, epochs=2,
                device="cpu", amp=False, channels_last=False, num_workers=0, seed=3)
    base.update(changes)
    return SearchConfig(**base)


def synthetic_run(cells: int = 5, epochs: int = 3, steps_per_epoch: int = 4, loss: str = "ablation",
                  finished: bool = False, seed: int = 0) -> list:
    """A plausible event stream whose numbers are known, so plots can be checked value by value."""
    rng = np.random.default_rng(seed)
    config = SearchConfig(cells=cells, epochs=epochs, loss=loss, steps_per_epoch=steps_per_epoch).to_dict()
    reductions = reduction_positions(cells)
    total = epochs * steps_per_epoch
    events: list = [RunStarted("/tmp/synthetic-run", config, "cpu", cells, reductions, PRIMITIVES,
                               steps_per_epoch, total, 0, 0)]
    alphas = np.zeros((cells, len(EDGES), len(PRIMITIVES)), np.float32)
    step = 0
    for epoch in range(epochs):
        for k in range(1, steps_per_epoch + 1):
            step += 1
            mc = tuple(float(v) for v in rng.uniform(0.05, 0.5, cells)) if loss == "ablation" else ()
            mean = float(np.mean(mc)) if mc else 0.0
            l_ab = tuple((m - mean) / mean for m in mc) if mc else ()
            l01 = tuple(float(v) for v in rng.uniform(0.1, 0.3, cells))
            l_t = tuple(2.0 + 7 * a + (0.5 * b if l_ab else 0.0) for a, b in zip(l01, l_ab or (0.0,) * cells))
            events.append(StepMetrics(
                epoch=epoch, step=step, step_in_epoch=k, steps_per_epoch=steps_per_epoch, total_steps=total,
                train_loss=3.0 - 0.1 * step, train_acc=0.05 * step, val_loss=3.2 - 0.1 * step, val_acc=0.04 * step,
                l01=l01, mc=mc, l_ab=l_ab, l_t=l_t, lr=0.005, arch_lr=0.003, elapsed_s=0.5 * step,
                steps_per_s=2.0, eta_s=0.5 * (total - step)))
        alphas = alphas + rng.normal(0, 1.5, alphas.shape).astype(np.float32)
        shares = op_shares(alphas)
        events.append(EpochMetrics(
            epoch=epoch, train_loss=3.0 - epoch, train_acc=0.1 * (epoch + 1), val_loss=3.1 - epoch,
            val_acc=0.09 * (epoch + 1), dominant_share=shares.dominant, low_share=shares.low,
            dominant_share_per_cell=shares.dominant_per_cell, low_share_per_cell=shares.low_per_cell,
            mc=tuple(float(v) for v in rng.uniform(0.05, 0.5, cells)) if loss == "ablation" else (),
            l_ab=tuple(float(v) for v in rng.uniform(-1, 1, cells)) if loss == "ablation" else (),
            elapsed_s=0.5 * step))
        events.append(AlphaSnapshot(epoch, step, alphas.copy(), "sigmoid"))
        events.append(GenotypeParsed(epoch, "edge", 0.85, parse_alphas(alphas, "edge", 0.85, reductions)))
    if finished:
        finals = {m: parse_alphas(alphas, m, 0.85, reductions) for m in ("darts", "sparse", "edge")}
        events.extend(GenotypeParsed(-1, m, 0.85, g) for m, g in finals.items())
        events.append(Finished(epochs - 1, step, 0.5 * step, finals))
    return events
