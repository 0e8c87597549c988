"""`ddarts derive`: grow a searched genotype to more layers with Algorithm 1 and save it.

Also holds the source options (genotype file or search run folder, parse method, threshold) that
`ddarts info` and `ddarts export` share.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ddarts.atomic import check_output_file, describe_os_error
from ddarts.errors import DdartsError
from ddarts.genotype.core import PARSE_METHODS, DartsGenotype, Genotype
from ddarts.genotype.derive import derive
from ddarts.runs.sources import genotype_from_source


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", metavar="GENOTYPE_OR_RUN",
                        help="genotype file (ddarts JSON or legacy DARTS / D-DARTS text) or a search run folder")
    parser.add_argument("--parse", "--method", dest="parse", choices=PARSE_METHODS,
                        help="parse method for a run folder's latest α (default: the run's)")
    parser.add_argument("--threshold", type=float, metavar="T",
                        help="parse threshold for a run folder's latest α (default: the run's)")


def load_source(args: argparse.Namespace) -> Genotype | DartsGenotype:
    """The genotype named by the source options; parse options on a file are an error, not ignored."""
    source = Path(args.source)
    if source.is_file() and (args.parse is not None or args.threshold is not None):
        raise DdartsError("--parse and --threshold apply to run folders only; a genotype file is already parsed")
    return genotype_from_source(source, method=args.parse, threshold=args.threshold)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "derive",
        help="derive a deeper network's genotype with Algorithm 1",
        description="Grow a searched genotype to N layers with the paper's Algorithm 1 (reductions at N//3 and "
                    "2N//3), print which searched cell fills each position, and write the derived genotype. "
                    "A DARTS-format normal/reduce pair is stacked to N layers instead.",
    )
    add_source_arguments(parser)
    parser.add_argument("--layers", type=int, required=True, metavar="N", help="layers of the derived network")
    parser.add_argument("-o", "--output", required=True, metavar="OUT.json", help="derived genotype (ddarts JSON)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    check_output_file(args.output)  # before any work: never a device, FIFO or folder
    genotype = load_source(args)
    genotype.check_buildable()
    derivation = derive(genotype, args.layers)
    try:
        derivation.genotype.save(args.output)
    except OSError as exc:
        raise DdartsError(describe_os_error(exc, args.output)) from None
    print(derivation.describe())
    print(f"wrote {args.output}")
    return 0
