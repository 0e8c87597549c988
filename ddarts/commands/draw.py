"""`ddarts draw`: a cell or the whole network as an SVG, PNG or PDF file, with the app's Graphviz layout."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

from ddarts import atomic
from ddarts.errors import DdartsError
from ddarts.genotype import PARSE_METHODS
from ddarts.genotype.core import as_genotype
from ddarts.genotype.diagram import cell_dot, find_dot, network_dot, render
from ddarts.runs.sources import genotype_from_source

FORMATS = ("svg", "png", "pdf")
RASTER_DPI = "200"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "draw", help="draw a cell or the network of a genotype or search run to SVG, PNG or PDF",
        description="Draw one cell (--cell K, default 0) or the chain of cells (--network) of a genotype file or of "
                    "a search run folder's α (latest epoch, or --epoch N, parsed with --parse/--threshold), with "
                    "the same Graphviz layout as the app. The format follows the -o suffix.",
    )
    p.add_argument("source", metavar="RUN_OR_GENOTYPE", help="search run folder or genotype file")
    p.add_argument("-o", "--out", metavar="FILE", required=True, help="output file: .svg, .png or .pdf")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--cell", type=int, metavar="K", help="the cell to draw (default 0)")
    what.add_argument("--network", action="store_true", help="draw the chain of cells instead of one cell")
    p.add_argument("--epoch", type=int, metavar="N", help="a run folder's α after epoch N (1-based; default: latest)")
    p.add_argument("--parse", choices=PARSE_METHODS, help="parse method for a run folder (default: the run's)")
    p.add_argument("--threshold", type=float, metavar="T", help="parse threshold for a run folder (default: the run's)")
    p.set_defaults(func=run)


def _pdf(dot_source: str) -> bytes:
    """Vector PDF from a system Graphviz; the bundled engine has no PDF output, so a raster PDF from its PNG."""
    command = find_dot()
    if command is not None and len(command) == 1:
        return render(dot_source, "pdf")
    from PIL import Image

    png = render(dot_source.replace("{", f'{{\n  graph [dpi="{RASTER_DPI}"];', 1), "png")
    out = io.BytesIO()
    Image.open(io.BytesIO(png)).convert("RGB").save(out, format="PDF", resolution=float(RASTER_DPI))
    return out.getvalue()


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise DdartsError(f"-o {out}: the suffix must be one of {', '.join('.' + f for f in FORMATS)}")
    source = Path(args.source)
    if source.is_file() and (args.epoch is not None or args.parse is not None or args.threshold is not None):
        raise DdartsError("--epoch, --parse and --threshold apply to search run folders only")
    genotype = as_genotype(genotype_from_source(source, method=args.parse, threshold=args.threshold,
                                                epoch=args.epoch))
    if args.network:
        dot = network_dot(genotype)
        what = f"network of {genotype.n_cells} cells"
    else:
        cell = 0 if args.cell is None else args.cell
        if not 0 <= cell < genotype.n_cells:
            raise DdartsError(f"--cell {cell}: the genotype has cells 0 to {genotype.n_cells - 1}")
        dot = cell_dot(genotype, cell)
        what = f"cell {cell}"
    data = _pdf(dot) if fmt == "pdf" else render(dot, fmt)
    atomic.write_bytes(out, data)
    print(f"{what} of {getattr(genotype, 'source', None) or source} drawn to {out}")
    return 0
