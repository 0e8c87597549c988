"""Every SearchConfig field described once: help, label, group, choices and range.

`SearchConfig.validate` checks choices and ranges from here; `ddarts search` builds its options and the GUI's
new-search form its rows from the same table.
"""

from __future__ import annotations

import time
from pathlib import Path

from ddarts.config import AMP_DTYPES, DETERMINISTIC_HELP, STEM_HELP, STEMS, FieldMeta
from ddarts.data.catalogue import DATASET_HELP, DATASET_LABELS, DATASETS
from ddarts.genotype.core import PARSE_METHODS
from ddarts.genotype.parse import MIXINGS

LOSSES = ("fair", "ablation")
ABLATION_GRADS = ("exact", "constant")
LEGACY_ABLATION_GRADS = {"none": "constant"}
"""Earlier names of the ablation-gradient modes, still read from existing configs and run folders."""

DATA, LOSS, NETWORK, PARSE, OPTIMISATION, EXECUTION = "Data", "Loss", "Network", "Parse", "Optimisation", "Execution"
GROUPS = (DATA, LOSS, NETWORK, PARSE, OPTIMISATION, EXECUTION)

FIELDS: dict[str, FieldMeta] = {
    "dataset": FieldMeta(DATASET_HELP, "Dataset", DATA, DATASETS, tuple(DATASET_LABELS.values())),
    "data_dir": FieldMeta("dataset folder: where CIFAR is downloaded to, or the image folder to read", "Data folder",
                          DATA, flag="--data", aliases=("--data-dir",), metavar="DIR"),
    "image_size": FieldMeta("side in px images of a folder dataset are resized to (default: the first image's)",
                            "Image size (px)", DATA, lo=8, hi=1024, integer=True, optional=True, metavar="PX"),
    "train_portion": FieldMeta("share of the training set that trains the weights; the rest trains α (paper: 0.5)",
                               "Weight split", DATA, lo=0.0, hi=1.0, lo_open=True),
    "download": FieldMeta("download CIFAR when missing", "Download if missing", DATA),
    "num_workers": FieldMeta("data-loading processes of streamed image folders", "Loader workers", DATA, lo=0, hi=64,
                             integer=True, flag="--workers", aliases=("--num-workers",), metavar="N"),
    "cells": FieldMeta("number of searched cells n; reductions sit at n//3 and 2n//3", "Cells", NETWORK, lo=3, hi=64,
                       integer=True),
    "init_channels": FieldMeta("channels of the first cell (C), even", "Init channels C", NETWORK, lo=2, hi=1024,
                               integer=True),
    "mixing": FieldMeta("op weights: sigmoid (FairDARTS) or softmax (DARTS)", "Op mixing", NETWORK, MIXINGS,
                        ("sigmoid (FairDARTS)", "softmax (DARTS)")),
    "stem": FieldMeta(STEM_HELP, "Stem", NETWORK, STEMS, ("auto (by image size)", "CIFAR (small inputs)",
                                                          "ImageNet (large inputs)")),
    "loss": FieldMeta("ablation (L_T, paper Eq. 9) or fair (L_F)", "Loss", LOSS, LOSSES,
                      ("L_F = L_CE + w01·L_01 (FairDARTS)", "L_T = L_F + w_abl·L_AB (ablation loss)")),
    "w01": FieldMeta("weight of the zero-one loss L_01 (paper §5.2.1: 7)", "w01 (L_01 weight)", LOSS, lo=0.0),
    "w_abl": FieldMeta("weight of the ablation loss L_AB^i; negative subtracts it, as the public code does "
                       "(the sign is chosen in docs/ablation-loss.md)", "w_abl (L_AB weight)", LOSS, lo=-100.0, hi=100.0),
    "ablation_grad": FieldMeta("exact: α follows the true ∂L_T^i/∂α_i, L_AB included (Eq. 9); constant: as the public "
                               "code, L_AB is logged but adds no gradient, so the search equals --loss fair ('none' "
                               "in older configs)", "Ablation gradient", LOSS, ABLATION_GRADS,
                               ("exact: ∂L_T^i/∂α_i with L_AB (Eq. 9)", "constant: L_AB logged only (= L_F)")),
    "ablation_eps": FieldMeta("floor on |mean(MC)| in L_AB's denominator; 0 follows Eq. 7 exactly "
                              "(docs/ablation-loss.md)", "|mean(MC)| floor", LOSS, lo=0.0),
    "epochs": FieldMeta("search epochs", "Epochs", OPTIMISATION, lo=1, hi=100_000, integer=True),
    "batch_size": FieldMeta("batch size of both the weight and the α step", "Batch size", OPTIMISATION, lo=2,
                            hi=65_536, integer=True),
    "steps_per_epoch": FieldMeta("cap on the steps of an epoch, for quick runs (none: full epochs)",
                                 "Steps per epoch", OPTIMISATION, lo=1, integer=True, optional=True, metavar="N"),
    "lr": FieldMeta("initial SGD learning rate of the weights (cosine schedule)", "Weights lr", OPTIMISATION, lo=0.0,
                    lo_open=True),
    "lr_min": FieldMeta("final weight learning rate", "Weights lr (final)", OPTIMISATION, lo=0.0),
    "momentum": FieldMeta("SGD momentum", "Momentum", OPTIMISATION, lo=0.0, hi=1.0),
    "weight_decay": FieldMeta("weight decay of the network weights", "Weight decay", OPTIMISATION, lo=0.0),
    "grad_clip": FieldMeta("gradient-norm clip of the weights", "Gradient clip", OPTIMISATION, lo=0.0, lo_open=True),
    "arch_lr": FieldMeta("initial Adam learning rate of every cell's α (each cell has its own cosine schedule)",
                         "α lr", OPTIMISATION, lo=0.0, lo_open=True),
    "arch_lr_min": FieldMeta("final α learning rate", "α lr (final)", OPTIMISATION, lo=0.0),
    "arch_beta1": FieldMeta("Adam β1 for α", "α Adam β1", OPTIMISATION, lo=0.0, hi=1.0),
    "arch_beta2": FieldMeta("Adam β2 for α", "α Adam β2", OPTIMISATION, lo=0.0, hi=1.0),
    "arch_weight_decay": FieldMeta("weight decay of α", "α weight decay", OPTIMISATION, lo=0.0),
    "parse": FieldMeta("genotype parse method reported each epoch", "Parse method", PARSE, PARSE_METHODS,
                       ("darts: 2 edges per node, strongest op", "sparse: 2 edges per node, 1 op if above threshold",
                        "edge: ≤ 2 ops per edge above threshold")),
    "threshold": FieldMeta("σ(α) an op needs to survive the sparse and edge parse (paper §5.1: 0.8; public genotype "
                           "files: 0.85)",
                           "Threshold σ", PARSE, lo=0.0, hi=1.0),
    "seed": FieldMeta("random seed (weights, data order, augmentation, ablation draws)", "Seed", EXECUTION, lo=0,
                      hi=2**63 - 1, integer=True),
    "device": FieldMeta("auto, cpu, cuda or cuda:N", "Device", EXECUTION),
    "amp": FieldMeta("mixed precision on CUDA", "Mixed precision", EXECUTION),
    "amp_dtype": FieldMeta("mixed-precision type on CUDA", "AMP type", EXECUTION, AMP_DTYPES),
    "channels_last": FieldMeta("channels-last memory format where faster (CUDA; CPU with oneDNN from 8 channels)",
                               "Channels-last memory", EXECUTION),
    "deterministic": FieldMeta(DETERMINISTIC_HELP, "Deterministic", EXECUTION),
    "checkpoint_every": FieldMeta("also checkpoint every N steps (0: at epoch ends, on stop and on failure)",
                                  "Checkpoint every (steps)", EXECUTION, lo=0, integer=True, metavar="N"),
    "alpha_live_steps": FieldMeta("report α between epoch ends every N steps, for live views (0: off)",
                                  "Live α every (steps)", EXECUTION, lo=0, integer=True, metavar="N"),
    "alpha_live_s": FieldMeta("report α between epoch ends every T seconds, for live views (0: off)",
                              "Live α every (seconds)", EXECUTION, lo=0.0, metavar="T"),
    "alpha_live_record": FieldMeta("also write the live α reports to metrics.jsonl", "Record live α", EXECUTION),
}

LOSS_SHORT = {"ablation": "lt", "fair": "lf"}
RUN_FOLDER_PATTERN = "<dataset>-<lt|lf>-<YYYYmmdd-HHMMSS>"


def run_folder_name(root: str | Path, dataset: str, loss: str, now: float | None = None) -> str:
    """The default folder of a new search, the same from the CLI and the GUI: root/<dataset>-<lt|lf>-<time>."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    return str(Path(root) / f"{dataset}-{LOSS_SHORT.get(loss, loss)}-{stamp}")
