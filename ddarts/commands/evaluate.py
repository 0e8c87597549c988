"""`ddarts evaluate`: test-split top-1/top-5 of a trained network (run folder or checkpoint file)."""

from __future__ import annotations

import argparse
import json

from ddarts.data.catalogue import DATASETS
from ddarts.errors import DdartsError
from ddarts.train.evaluate import evaluate_checkpoint


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "evaluate", help="top-1/top-5 of a trained network on a test split",
        description="Evaluate the weights in a training run folder (its checkpoint.pt) or a checkpoint file on the "
                    "test split of the dataset it was trained on, or of --dataset.",
    )
    p.add_argument("target", metavar="RUN_OR_CHECKPOINT", help="training run folder or checkpoint.pt")
    p.add_argument("--dataset", choices=DATASETS, help="default: the training dataset")
    p.add_argument("--data", metavar="DIR", help="dataset folder (default: the one used for training)")
    p.add_argument("--no-download", dest="download", action="store_false", help="fail instead of downloading")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (default auto)")
    p.add_argument("--batch-size", type=int, help="default: the training run's evaluation batch size")
    p.add_argument("--max-batches", type=int, metavar="N", help="evaluate only the first N batches")
    p.add_argument("--amp", action=argparse.BooleanOptionalAction, default=None,
                   help="mixed precision (default: on with CUDA)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    for name in ("batch_size", "max_batches"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise DdartsError(f"--{name.replace('_', '-')} must be >= 1, got {value}")
    report = evaluate_checkpoint(args.target, dataset=args.dataset, data_dir=args.data, device=args.device,
                                 batch_size=args.batch_size, max_batches=args.max_batches,
                                 download=args.download, amp=args.amp)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(f"{report.dataset} {report.split}: top-1 {100 * report.top1:.2f}%  top-5 {100 * report.top5:.2f}%  "
              f"loss {report.loss:.4f}  ({report.images} images, {report.device}; checkpoint after "
              f"{report.epochs_done}/{report.epochs} epochs: {report.checkpoint})")
    return 0
