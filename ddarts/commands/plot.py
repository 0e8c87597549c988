"""`ddarts plot`: the paper's experiment figures from a sweep folder or run folders, as PNG, SVG or PDF.

matplotlib's object-oriented API (no pyplot, no global state, no display needed); the numbers come from
`ddarts.sweep.figures`, shared with the app's comparison views.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from ddarts.errors import DdartsError
from ddarts.sweep import load_runs
from ddarts.sweep.figures import FIGURES, Panel, figure

FORMATS = (".png", ".svg", ".pdf")
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22")
"""Distinguishable in print and for the common colour-vision deficiencies when paired with markers."""
RC = {"svg.fonttype": "none", "pdf.fonttype": 42, "font.size": 10, "axes.spines.top": False,
      "axes.spines.right": False}
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "*")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "plot", help="draw the paper's experiment figures from a sweep or run folders",
        description="fig3: minimal α-split loss against w_abl; fig4: σ > 0.9 and σ < 0.1 shares against w01; "
                    "fig5: best α-split top-1 per epoch; curves: per-epoch loss, accuracy and dominant share. Runs "
                    "differing only in seed are averaged: line = mean, band = ± one standard deviation.",
    )
    parser.add_argument("paths", nargs="+", metavar="DIR_OR_RUN", help="a sweep folder and/or run folders")
    parser.add_argument("--figure", required=True, choices=FIGURES)
    parser.add_argument("-o", "--output", required=True, metavar="FILE.png|svg|pdf")
    parser.add_argument("--title", help="figure title (default: what the figure shows)")
    parser.add_argument("--dpi", type=int, default=200, help="PNG resolution (default 200)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    out = Path(args.output)
    if out.suffix.lower() not in FORMATS:
        raise DdartsError(f"output must end in {', '.join(FORMATS)}, got {out.name}")
    if args.dpi < 50 or args.dpi > 1200:
        raise DdartsError(f"--dpi must be between 50 and 1200, got {args.dpi}")
    runs = load_runs(args.paths)
    panels = figure(runs, args.figure)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp{out.suffix}")
    # Text stays text (editable, searchable) in SVG and embedded TrueType in PDF, as journals ask.
    with matplotlib.rc_context(RC):
        fig = render(panels, title=args.title)
        fig.savefig(tmp, dpi=args.dpi, bbox_inches="tight", metadata=_metadata(out.suffix.lower(), panels))
    tmp.replace(out)
    members = sorted({m for p in panels for s in p.series for m in s.members})
    print(f"{args.figure}: {len(members)} runs in {sum(len(p.series) for p in panels)} series -> {out}",
          file=sys.stderr)
    return 0


def _metadata(suffix: str, panels: tuple[Panel, ...]) -> dict[str, str]:
    title = panels[0].title if len(panels) == 1 else "ddarts run curves"
    if suffix == ".png":
        return {"Title": title, "Software": "ddarts"}
    if suffix == ".svg":
        return {"Title": title}
    return {"Title": title, "Creator": "ddarts"}


def render(panels: tuple[Panel, ...], title: str | None = None) -> Figure:
    """A figure with one axes per panel: mean lines with markers, ± spread bands, labelled axes and a legend."""
    width = 5.2 * len(panels)
    fig = Figure(figsize=(width, 3.8), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, panel in zip(axes, panels):
        colours: dict[str, str] = {}
        for i, series in enumerate(panel.series):
            group = series.label.split(" (")[-1] if series.style != "solid" or "(" in series.label else series.label
            colour = colours.setdefault(group, COLOURS[len(colours) % len(COLOURS)])
            marker = MARKERS[i % len(MARKERS)]
            ok = np.isfinite(series.mean)
            x, mean, spread = series.x[ok], series.mean[ok], np.nan_to_num(series.spread[ok])
            ax.plot(x, mean, color=colour, linestyle=series.style, marker=marker, markersize=4, linewidth=1.6,
                    label=series.label + (f" (n={int(series.n.max())})" if series.n.max() > 1 else ""))
            if series.n.max() > 1:
                ax.fill_between(x, mean - spread, mean + spread, color=colour, alpha=0.18, linewidth=0)
        ax.set_xlabel(panel.xlabel)
        ax.set_ylabel(panel.ylabel)
        if len(panels) > 1 or not title:
            ax.set_title(panel.title if len(panels) == 1 else panel.title.split(" (")[0], fontsize=10)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8, frameon=False)
        if panel.xlabel == "epoch":
            ax.xaxis.get_major_locator().set_params(integer=True)
    if title:
        fig.suptitle(title)
    return fig
