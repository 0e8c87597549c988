import json
from pathlib import Path

import pytest

import ddarts.cli
from ddarts.genotype import load_genotype
from ddarts.nets.count import describe_network

REFERENCE = Path(__file__).resolve().parents[2] / "data" / "reference-genotypes"
SPARSE = REFERENCE / "D-DARTS_threshold_sparse_cifar10_0.85_50.txt"


@pytest.fixture(autouse=True)
def only_this_command(monkeypatch):
    monkeypatch.setattr(ddarts.cli, "COMMANDS", ("info",))


def run(capsys, *argv):
    code = ddarts.cli.main(["info", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_darts_v2_text(capsys):
    code, out, err = run(capsys, REFERENCE / "DARTS_V2.txt")
    assert (code, err) == (0, "")
    assert "network: 20 layers, reductions at 6, 13; cifar input, C = 36, 10 classes" in out
    assert "parameters: 3,825,768 (3.83M)" in out
    assert "parameters without auxiliary head: 3,349,342 (3.35M)" in out
    assert "multiply-adds: 528,359,040 (528.4M) for one 1x3x32x32 input" in out


def test_json_with_derivation(capsys):
    code, out, err = run(capsys, SPARSE, "--layers", 14, "--init-channels", 8, "--classes", 100, "--json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    stats = describe_network(load_genotype(SPARSE), layers=14, init_channels=8, num_classes=100)
    assert data["params"] == stats.params and data["params_without_aux"] == stats.params_without_aux
    assert data["macs"] == stats.macs
    assert data["input_size"] == [1, 3, 32, 32]
    assert (data["layers"], data["reductions"]) == (14, [4, 9])
    assert data["derivation"] == [0, 1, 0, 1, 2, 5, 3, 4, 5, 6, 7, 7, 7, 7]


def test_text_describes_the_derivation(capsys):
    code, out, err = run(capsys, SPARSE, "--layers", 14, "--init-channels", 4)
    assert (code, err) == (0, "")
    assert "derived with Algorithm 1 from 8 searched cells:" in out
    assert "  position  9 <- searched cell 6  reduction" in out
    code, out, err = run(capsys, SPARSE, "--init-channels", 4)
    assert "Algorithm 1" not in out and "network: 8 layers, reductions at 2, 6" in out


def test_imagenet_json(capsys):
    code, out, err = run(capsys, SPARSE, "--input", "imagenet", "--init-channels", 4, "--json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["input_size"] == [1, 3, 224, 224] and data["input"] == "imagenet"
    assert data["derivation"] is None


@pytest.mark.parametrize(("args", "message"), [
    (["--layers", 4], "fewer than the 8 searched cells"),
    (["--input", "imagenet", "--init-channels", 5], "must be even"),
    (["--threshold", 0.5], "apply to run folders only"),
])
def test_bad_inputs(capsys, args, message):
    code, out, err = run(capsys, SPARSE, *args)
    assert code == 2 and message in err and out == ""


def test_missing_source(tmp_path, capsys):
    code, out, err = run(capsys, tmp_path / "nothing")
    assert code == 2 and "no such genotype file or run folder" in err


def test_layout_without_room_for_the_auxiliary_head(tmp_path, capsys):
    from ddarts.genotype.core import Genotype

    cell = (("sep_conv_3x3", 2, 0), ("skip_connect", 2, 1))
    Genotype(cells=(cell,) * 4, reductions=(0, 1, 2)).save(tmp_path / "g.json")
    code, out, err = run(capsys, tmp_path / "g.json", "--init-channels", 4)
    assert (code, err) == (0, "")
    assert "no auxiliary head: the feature map after the last reduction is too small for it" in out
    lines = {line.split(":")[0]: line.split(":")[1].strip() for line in out.splitlines() if ":" in line}
    assert lines["parameters"] == lines["parameters without auxiliary head"]
