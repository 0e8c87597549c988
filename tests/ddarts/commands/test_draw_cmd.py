"""`ddarts draw`: cells and networks of genotype files and run folders as SVG, PNG and PDF, parsed back."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from ddarts.cli import main
from ddarts.genotype.core import as_genotype
from ddarts.genotype.diagram import cell_dot
from ddarts.genotype.files import load_genotype
from ddarts.space.ops import EDGES, PRIMITIVES

GENOTYPE = "tests/data/reference-genotypes/DARTS_V2.txt"
SVG = "{http://www.w3.org/2000/svg}"


def svg_texts(path) -> list[str]:
    return [t.text for t in ET.parse(path).getroot().iter(f"{SVG}text") if t.text]


def fake_run(folder, epochs: int = 2):
    """A search run folder with α for `epochs` epochs: epoch 1 keeps one op per edge, epoch 2 another."""
    (folder / "alphas").mkdir(parents=True)
    config = {"cells": 3, "mixing": "sigmoid", "parse": "edge", "threshold": 0.85}
    (folder / "config.json").write_text(json.dumps({"format_version": 1, "kind": "search", "config": config}))
    for epoch in range(1, epochs + 1):
        alphas = np.full((3, len(EDGES), len(PRIMITIVES)), -4.0, dtype=np.float32)
        alphas[:, :, PRIMITIVES.index("sep_conv_3x3" if epoch == 1 else "max_pool_3x3")] = 4.0
        np.save(folder / "alphas" / f"epoch_{epoch:03d}.npy", alphas)
    return folder


def test_a_cell_as_svg_shows_the_apps_layout(tmp_path, capsys):
    out = tmp_path / "cell.svg"
    assert main(["draw", GENOTYPE, "--cell", "1", "-o", str(out)]) == 0
    genotype = as_genotype(load_genotype(GENOTYPE))
    texts = svg_texts(out)
    edges = genotype.live_edges(1)
    assert sorted(t for t in texts if t in PRIMITIVES) == sorted(op for op, _, _ in edges)  # one label per op
    assert {"cell 1 (normal)", "c_{k-2}", "c_{k-1}", "c_{k}"} <= set(texts)
    assert "sep_conv_3x3" in cell_dot(genotype, 1)  # the DOT the app's cell view renders
    assert "cell 1" in capsys.readouterr().out


def test_a_run_folders_epoch_and_parse_choose_the_alphas(tmp_path):
    run = fake_run(tmp_path / "run")
    first, latest = tmp_path / "e1.svg", tmp_path / "latest.svg"
    assert main(["draw", str(run), "--epoch", "1", "-o", str(first)]) == 0
    assert main(["draw", str(run), "--parse", "darts", "--threshold", "0.5", "-o", str(latest)]) == 0
    assert "sep_conv_3x3" in " ".join(svg_texts(first)) and "max_pool_3x3" not in " ".join(svg_texts(first))
    assert "max_pool_3x3" in " ".join(svg_texts(latest))


def test_the_network_as_png_and_pdf(tmp_path):
    png, pdf = tmp_path / "net.png", tmp_path / "net.pdf"
    assert main(["draw", GENOTYPE, "--network", "-o", str(png)]) == 0
    image = Image.open(png)
    assert image.format == "PNG" and image.width > image.height  # a chain of cells, left to right
    assert main(["draw", GENOTYPE, "--network", "-o", str(pdf)]) == 0
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and b"%%EOF" in data[-64:]
    Image.open(io.BytesIO(png.read_bytes())).verify()


@pytest.mark.parametrize("argv,message", [
    (["-o", "x.jpg"], "suffix must be one of"),
    (["--cell", "99", "-o", "x.svg"], "--cell 99: the genotype has cells 0 to"),
    (["--epoch", "1", "-o", "x.svg"], "apply to search run folders only"),
])
def test_bad_requests_get_one_line(tmp_path, capsys, argv, message):
    assert main(["draw", GENOTYPE, *[str(tmp_path / a) if a.startswith("x.") else a for a in argv]]) == 2
    assert message in capsys.readouterr().err


def test_a_missing_epoch_is_named(tmp_path, capsys):
    run = fake_run(tmp_path / "run", epochs=1)
    assert main(["draw", str(run), "--epoch", "5", "-o", str(tmp_path / "x.svg")]) == 2
    assert "no α for epoch 5" in capsys.readouterr().err
