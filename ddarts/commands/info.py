"""`ddarts info`: parameters and multiply-adds of the network a genotype builds."""

from __future__ import annotations

import argparse
import json

from ddarts.commands.derive import add_source_arguments, load_source
from ddarts.genotype.core import DartsGenotype, Genotype
from ddarts.genotype.derive import derive
from ddarts.nets.count import build_counted_network, network_stats
from ddarts.nets.network import DEFAULT_LAYERS, INPUT_KINDS, resolve_genotype


NETWORK_DEFAULTS = {"init_channels": 36, "classes": 10, "input": "cifar"}


def add_network_arguments(parser: argparse.ArgumentParser, checkpoint: bool = False) -> None:
    """The network's shape; with `checkpoint`, unset options are left None for a training checkpoint to fill."""
    fallback = "the checkpoint's, else " if checkpoint else ""
    parser.add_argument("--layers", type=int, metavar="N",
                        help="network depth: grows a searched genotype with Algorithm 1, stacks a DARTS pair "
                             "(default: the searched cell count; DARTS pairs 20 on CIFAR, 14 on ImageNet)")
    parser.add_argument("--init-channels", type=int, default=None if checkpoint else 36, metavar="C",
                        help=f"initial channels (default: {fallback}36)")
    parser.add_argument("--classes", type=int, default=None if checkpoint else 10, metavar="K",
                        help=f"number of classes (default: {fallback}10)")
    parser.add_argument("--input", choices=INPUT_KINDS, default=None if checkpoint else "cifar",
                        help=f"cifar: 32x32 input, 3x3 stem; imagenet: 224x224, strided stems (default: {fallback}cifar)")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "info",
        help="count parameters and multiply-adds of a genotype's network",
        description="Build the evaluation network of a genotype file or a search run's latest α and print its "
                    "parameters (with and without the auxiliary head) and multiply-adds for one image.",
    )
    add_source_arguments(parser)
    add_network_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.set_defaults(func=run)


def _derivation_text(genotype: Genotype | DartsGenotype, layers: int | None, input_kind: str) -> str | None:
    if isinstance(genotype, DartsGenotype):
        n = DEFAULT_LAYERS[input_kind] if layers is None else layers
        return f"DARTS-format pair stacked to {n} layers"
    if layers is not None and layers > genotype.n_cells:
        return f"derived with Algorithm 1 from {genotype.n_cells} searched cells:\n" + derive(genotype, layers).describe()
    return None


def run(args: argparse.Namespace) -> int:
    genotype = load_source(args)
    resolved = resolve_genotype(genotype, args.layers, args.input)
    net = build_counted_network(resolved, init_channels=args.init_channels, num_classes=args.classes,
                                input_kind=args.input)
    stats = network_stats(net)
    plan = None
    if isinstance(genotype, Genotype) and args.layers is not None and args.layers > genotype.n_cells:
        plan = list(derive(genotype, args.layers).plan)
    if args.json:
        data = {**stats.to_json(), "layers": resolved.n_cells, "reductions": list(resolved.reductions),
                "init_channels": args.init_channels, "classes": args.classes, "input": args.input,
                "derivation": plan, "source": resolved.source}
        print(json.dumps(data, indent=2))
        return 0
    print(f"source: {resolved.source or args.source}")
    print(f"network: {resolved.n_cells} layers, reductions at {', '.join(map(str, resolved.reductions)) or 'none'}; "
          f"{args.input} input, C = {args.init_channels}, {args.classes} classes")
    text = _derivation_text(genotype, args.layers, args.input)
    if text:
        print(text)
    print(f"parameters: {stats.params:,} ({stats.params / 1e6:.2f}M)")
    if net.auxiliary_head is None:
        print("no auxiliary head: the feature map after the last reduction is too small for it")
    print(f"parameters without auxiliary head: {stats.params_without_aux:,} ({stats.params_without_aux / 1e6:.2f}M)")
    size = "x".join(map(str, stats.input_size))
    print(f"multiply-adds: {stats.macs:,} ({stats.macs / 1e6:.1f}M) for one {size} input")
    return 0
