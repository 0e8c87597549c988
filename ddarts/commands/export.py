"""`ddarts export`: a self-contained folder with genotype, weights, TorchScript, ONNX and a model card."""

from __future__ import annotations

import argparse

from ddarts.commands.derive import add_source_arguments, load_source
from ddarts.commands.info import NETWORK_DEFAULTS, add_network_arguments
from ddarts.export.formats import export_network, read_weights_file, state_dict_of
from ddarts.export.loading import checkpoint_dataset, checkpoint_network


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export a network: genotype, weights, TorchScript, ONNX, model card",
        description="Write OUT_DIR with genotype.json, model.safetensors, model.torchscript.pt, model.onnx "
                    "(checked with onnxruntime) and MODEL_CARD.md. Without --weights the network is untrained "
                    "and the model card says so.",
    )
    add_source_arguments(parser)
    parser.add_argument("-o", "--output", required=True, metavar="OUT_DIR", help="export folder to create")
    parser.add_argument("--weights", metavar="CHECKPOINT",
                        help="a `ddarts train` checkpoint.pt or a plain state_dict file")
    add_network_arguments(parser, checkpoint=True)
    parser.add_argument("--force", action="store_true", help="replace a non-empty OUT_DIR")
    parser.set_defaults(func=run)


def _print_progress(fraction: float, message: str) -> None:
    print(f"[{fraction * 100:3.0f}%] {message}", flush=True)


def run(args: argparse.Namespace) -> int:
    genotype = load_source(args)
    checkpoint = read_weights_file(args.weights) if args.weights else None  # one read of a possibly large file
    state_dict = state_dict_of(checkpoint, args.weights) if args.weights else None
    dataset = checkpoint_dataset(checkpoint)
    # explicit options, else what the training checkpoint was built with, else the usual defaults
    shape = {**NETWORK_DEFAULTS, **checkpoint_network(checkpoint),
             **{k: v for k in NETWORK_DEFAULTS if (v := getattr(args, k)) is not None}}
    result = export_network(genotype, args.output, state_dict=state_dict, layers=args.layers,
                            init_channels=shape["init_channels"], num_classes=shape["classes"],
                            input_kind=shape["input"],
                            progress=_print_progress, force=args.force, weights_label=args.weights,
                            dataset=dataset)
    stats = result.stats
    print(f"{result.layers} layers, {stats.params:,} parameters, {stats.macs:,} multiply-adds; "
          f"{'trained' if result.trained else 'architecture only, untrained'}")
    print(f"ONNX ({result.onnx_exporter} exporter) max abs diff vs PyTorch: {result.onnx_max_abs_diff:.2e}")
    for name in result.files:
        print(f"  {result.out_dir / name}")
    return 0
