"""`ddarts genotype`: show a genotype (file or search run) and convert it to our JSON format."""

from __future__ import annotations

import argparse
from pathlib import Path

from ddarts.atomic import check_output_file, describe_os_error
from ddarts.errors import DdartsError, GenotypeError
from ddarts.genotype.core import PARSE_METHODS, DartsGenotype, as_genotype
from ddarts.runs.sources import genotype_from_source

DEFAULT_LAYERS = 20


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "genotype",
        help="show a genotype and convert it to ddarts JSON",
        description="Print a summary of a genotype file (ddarts JSON, or the legacy DARTS / D-DARTS text "
                    "formats) or of a search run folder's latest α, and optionally write it as ddarts JSON.",
    )
    parser.add_argument("source", metavar="FILE", help="genotype file, or a search run folder")
    parser.add_argument("-o", "--output", metavar="OUT.json", help="write the genotype as ddarts JSON")
    parser.add_argument("--layers", type=int, metavar="N",
                        help=f"depth to stack a DARTS-format normal/reduce pair to (default {DEFAULT_LAYERS})")
    parser.add_argument("--method", choices=PARSE_METHODS, help="parse method for a run folder (default: the run's)")
    parser.add_argument("--threshold", type=float, help="parse threshold for a run folder (default: the run's)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.output is not None:
        check_output_file(args.output)  # before any work: never a device, FIFO or folder
    source = Path(args.source)
    if source.is_file() and (args.method is not None or args.threshold is not None):
        raise DdartsError("--method and --threshold apply to run folders only; a genotype file is already parsed")
    genotype = genotype_from_source(source, method=args.method, threshold=args.threshold)
    layers = DEFAULT_LAYERS if args.layers is None else args.layers
    stacked = genotype.stack(layers) if isinstance(genotype, DartsGenotype) else as_genotype(genotype, args.layers)
    if args.output is not None:  # written before anything is printed: a closed pipe cannot skip it
        try:
            stacked.check_buildable()
        except GenotypeError:
            print(genotype.summary())  # what is wrong with it, then the error
            raise
        try:
            stacked.save(args.output)
        except OSError as exc:
            raise DdartsError(describe_os_error(exc, args.output)) from None
    print(genotype.summary())
    if isinstance(genotype, DartsGenotype):
        print(f"as a ddarts genotype: stacked to {layers} layers (--layers), reductions at "
              f"{', '.join(map(str, stacked.reductions))}")
    if args.output is not None:
        print(f"wrote {args.output}")
    return 0
