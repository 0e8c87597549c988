"""What the α views share: which snapshot to show and how α turns into op weights."""

from __future__ import annotations

import numpy as np

from ..run_model import RunModel
from ddarts.genotype.parse import op_weights


def weight_name(mixing: str | None) -> str:
    return "softmax(α)" if mixing == "softmax" else "σ(α)"


def latest_alphas(model: RunModel) -> tuple[int | None, np.ndarray | None, str]:
    """(0-based epoch, raw α cells x 14 x 7, mixing) of the newest α, live or from an epoch end, or
    (None, None, mixing)."""
    state = model.state
    mixing = state.alpha_mixing or state.config.get("mixing") or "sigmoid"
    current = state.current_alphas
    if current is None:
        return None, None, mixing
    return current[1], current[0], mixing


def when_text(model: RunModel, epoch: int) -> str:
    """'epoch 3' for an epoch end's α, 'epoch 3, step 57 (live)' for α reported within the epoch."""
    live = model.state.live_alpha
    return f"epoch {epoch + 1}, step {live.step} (live)" if live is not None else f"epoch {epoch + 1}"


def cell_weights(model: RunModel) -> tuple[int | None, np.ndarray | None, str]:
    """Op weights (14 x 7) of the selected cell in the newest α."""
    epoch, alphas, mixing = latest_alphas(model)
    if alphas is None or model.selected_cell >= alphas.shape[0]:
        return epoch, None, mixing
    return epoch, op_weights(alphas[model.selected_cell], mixing), mixing
