import struct
import xml.etree.ElementTree as ET

import pytest
from recorded_sweep import synthetic_sweep

from ddarts import cli


def numbers(trial):
    w = trial.varied["w01"]
    return [(2.0 - 0.1 * e, 0.2 + 0.1 * e, 0.05 * w, 0.01 * w) for e in range(2)], "finished"


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    return synthetic_sweep(tmp_path_factory.mktemp("plot") / "sw", {"w01": ("0", "5")}, (1, 2), numbers)


def test_png(sweep, tmp_path, capsys):
    out = tmp_path / "fig4.png"
    assert cli.main(["plot", str(sweep.root), "--figure", "fig4", "-o", str(out), "--dpi", "100"]) == 0
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert 300 < width < 800 and 200 < height < 600
    assert b"Software\x00ddarts" in data
    assert "fig4: 4 runs in 2 series" in capsys.readouterr().err
    assert not list(tmp_path.glob(".*tmp*"))


def test_svg_has_labelled_axes_legend_and_bands(sweep, tmp_path):
    out = tmp_path / "curves.svg"
    assert cli.main(["plot", str(sweep.root), "--figure", "curves", "-o", str(out)]) == 0
    root = ET.parse(out).getroot()
    text = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    for words in ("epoch", "α-split cross-entropy L_CE", "α-split top-1 accuracy (%)", "w01=0 (n=2)", "w01=5 (n=2)"):
        assert words in text
    assert len([g for g in root.iter("{http://www.w3.org/2000/svg}g") if (g.get("id") or "").startswith(
        "FillBetweenPolyCollection") or (g.get("id") or "").startswith("PolyCollection")]) == 6


def test_pdf(sweep, tmp_path):
    out = tmp_path / "fig5.pdf"
    assert cli.main(["plot", str(sweep.root / "w01=0_seed=1"), str(sweep.root / "w01=5_seed=2"), "--figure", "fig5",
                     "-o", str(out)]) == 0
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF") and b"/Creator (ddarts)" in data


def test_bad_requests_are_one_line_errors(sweep, tmp_path, capsys):
    assert cli.main(["plot", str(sweep.root), "--figure", "fig3", "-o", str(tmp_path / "f.png")]) == 2
    assert "at least two values of w_abl" in capsys.readouterr().err
    assert cli.main(["plot", str(sweep.root), "--figure", "fig4", "-o", str(tmp_path / "f.jpg")]) == 2
    assert "must end in .png, .svg, .pdf" in capsys.readouterr().err
    assert not (tmp_path / "f.png").exists()
