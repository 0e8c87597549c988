"""Every TrainConfig field described once: help, label, group, choices and range.

`TrainConfig.validate` checks choices and ranges from here and `ddarts train` builds its options from it.
"""

from __future__ import annotations

from ddarts.config import AMP_DTYPES, DETERMINISTIC_HELP, STEM_HELP, STEMS, FieldMeta
from ddarts.data.catalogue import DATASET_HELP, DATASET_LABELS, DATASETS
from ddarts.train.recipes import LR_SCHEDULES, RECIPES

GENOTYPE, DATA, TRAINING, EXECUTION = "genotype", "data", "training", "execution"

FIELDS: dict[str, FieldMeta] = {
    "dataset": FieldMeta(DATASET_HELP, "Dataset", DATA, DATASETS, tuple(DATASET_LABELS.values()),
                         default_text="the search run's dataset, else cifar10"),
    "data_dir": FieldMeta("dataset folder: where CIFAR is downloaded to, or the image folder to read", "Data folder",
                          DATA, flag="--data", aliases=("--data-dir",), metavar="DIR"),
    "download": FieldMeta("download a missing dataset (--no-download fails instead)", "Download if missing", DATA),
    "num_workers": FieldMeta("loader processes of streamed image folders (ImageNet, large folders)",
                             "Loader workers", DATA, lo=0, hi=64, integer=True, flag="--workers",
                             aliases=("--num-workers",), metavar="N"),
    "image_size": FieldMeta("input side in px: the ImageNet crop, or the side a folder's images are resized to",
                            "Image size (px)", DATA, lo=8, hi=1024, integer=True, optional=True, metavar="PX",
                            default_text="224 on ImageNet, a folder's first image's side"),
    "epochs": FieldMeta("training epochs", "Epochs", TRAINING, lo=1, hi=100_000, integer=True),
    "batch_size": FieldMeta("training batch size (the total under torchrun)", "Batch size", TRAINING, lo=1,
                            hi=65_536, integer=True),
    "eval_batch_size": FieldMeta("evaluation batch size", "Eval batch size", TRAINING, lo=1, hi=65_536,
                                 integer=True, optional=True, default_text="--batch-size"),
    "steps_per_epoch": FieldMeta("cap on steps per epoch, for quick runs", "Steps per epoch", TRAINING, lo=1,
                                 integer=True, optional=True, metavar="N"),
    "eval_batches": FieldMeta("cap on test batches per evaluation, for quick runs", "Eval batches", TRAINING, lo=1,
                              integer=True, optional=True, metavar="N"),
    "recipe": FieldMeta("a named set of training settings, overridden by the options given: cifar (600 epochs, C=36, batch 96, "
                        "SGD 0.025 cosine, weight decay 3e-4, cutout 16, drop path 0.2) or imagenet-mobile (ImageNet, "
                        "250 epochs, C=48, 14 layers, batch 128, SGD 0.1 ×0.97 per epoch, weight decay 3e-5, label "
                        "smoothing 0.1, auxiliary 0.4)", "Recipe", TRAINING, tuple(RECIPES),
                        default_text="imagenet-mobile on ImageNet, else cifar"),
    "lr": FieldMeta("initial learning rate", "Learning rate", TRAINING, lo=0.0, lo_open=True),
    "lr_schedule": FieldMeta("cosine to --lr-min over the epochs, or step: ×--lr-decay after every epoch",
                             "Learning-rate schedule", TRAINING, LR_SCHEDULES),
    "lr_min": FieldMeta("final learning rate of the cosine schedule", "Learning rate (final)", TRAINING, lo=0.0),
    "lr_decay": FieldMeta("per-epoch factor of the step schedule", "Learning-rate decay", TRAINING, lo=0.0, hi=1.0,
                          lo_open=True),
    "momentum": FieldMeta("SGD momentum", "Momentum", TRAINING, lo=0.0, hi=1.0),
    "weight_decay": FieldMeta("weight decay", "Weight decay", TRAINING, lo=0.0),
    "grad_clip": FieldMeta("gradient-norm clip", "Gradient clip", TRAINING, lo=0.0, lo_open=True),
    "init_channels": FieldMeta("channels of the first cell (C)", "Init channels C", TRAINING, lo=2, hi=1024,
                               integer=True),
    "layers": FieldMeta("network depth; a searched genotype is derived with Algorithm 1 when N differs from its "
                        "cell count", "Layers", GENOTYPE, lo=3, hi=256, integer=True, optional=True, metavar="N",
                        default_text="its own depth; 20 for a DARTS-format genotype, 14 on ImageNet"),
    "stem": FieldMeta(STEM_HELP, "Stem", TRAINING, STEMS),
    "auxiliary_weight": FieldMeta("weight of the auxiliary head's loss; 0 disables the head", "Auxiliary weight",
                                  TRAINING, lo=0.0),
    "cutout": FieldMeta("cutout square side, 0 disables", "Cutout (px)", TRAINING, lo=0, hi=1024, integer=True,
                        metavar="PX", default_text="16; 0 on ImageNet"),
    "drop_path": FieldMeta("final drop-path probability, ramped from 0", "Drop path", TRAINING, lo=0.0, hi=1.0),
    "label_smoothing": FieldMeta("label smoothing", "Label smoothing", TRAINING, lo=0.0, hi=1.0, optional=True,
                                 default_text="0.1 on ImageNet, else 0"),
    "seed": FieldMeta("random seed", "Seed", TRAINING, lo=0, hi=2**63 - 1, integer=True),
    "device": FieldMeta("auto, cpu, cuda or cuda:N", "Device", EXECUTION),
    "amp": FieldMeta("mixed precision", "Mixed precision", EXECUTION, default_text="on with CUDA"),
    "amp_dtype": FieldMeta("mixed-precision type", "AMP type", EXECUTION, AMP_DTYPES),
    "channels_last": FieldMeta("channels-last memory format where faster (CUDA; CPU with oneDNN from 8 channels)",
                               "Channels-last memory", EXECUTION),
    "deterministic": FieldMeta(DETERMINISTIC_HELP, "Deterministic", EXECUTION),
    "log_every": FieldMeta("steps between metrics.jsonl step records", "Log every (steps)", EXECUTION, lo=1,
                           integer=True, metavar="N"),
    "source": FieldMeta("what the genotype was taken from (set from SOURCE)", "Source", GENOTYPE, flag=""),
}
"""`flag=""`: no option (the positional SOURCE sets it)."""
