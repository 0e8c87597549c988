"""Using an export: `ddarts.load_exported`, the data facts in metadata and model card, and torch.hub."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

import ddarts
import ddarts.cli
from ddarts.data.catalogue import DatasetInfo
from ddarts.errors import DdartsError
from ddarts.export import export_network
from ddarts.genotype import load_genotype
from ddarts.nets.network import build_network

REPO = Path(__file__).resolve().parents[3]
GENOTYPE = REPO / "tests/data/reference-genotypes/DARTS_V2.txt"
FACTS = DatasetInfo("folder", 3, 40, (0.25, 0.5, 0.75), (0.2, 0.3, 0.4), "cifar", ("cat", "dog", "owl"))


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("export") / "net"
    genotype = load_genotype(GENOTYPE)
    torch.manual_seed(0)
    trained = build_network(genotype, init_channels=4, num_classes=3, layers=3, auxiliary=False, image_size=40)
    export_network(genotype, out, state_dict=trained.state_dict(), layers=3, init_channels=4, num_classes=3,
                   dataset=FACTS)
    return out


def test_load_exported_gives_the_network_and_its_input_contract(exported):
    model = ddarts.load_exported(exported)
    assert not model.network.training and model.image_size == 40 and model.classes == ("cat", "dog", "owl")
    assert model.mean == FACTS.mean and model.std == FACTS.std and model.input_kind == "cifar"
    images = torch.randint(0, 256, (2, 3, 40, 40), dtype=torch.uint8)
    x = model.normalize(images)
    assert torch.allclose(x[:, 1], (images[:, 1].float() / 255 - 0.5) / 0.3)
    program = torch.jit.load(str(exported / "model.torchscript.pt"))
    with torch.no_grad():
        assert torch.allclose(model.network(x)[0], program(x), atol=1e-5)


def test_metadata_and_model_card_carry_the_same_facts(exported):
    with safe_open(str(exported / "model.safetensors"), framework="pt") as handle:
        meta = handle.metadata()
    assert json.loads(meta["classes"]) == ["cat", "dog", "owl"] and json.loads(meta["std"]) == [0.2, 0.3, 0.4]
    assert meta["image_size"] == "40"
    card = (exported / "MODEL_CARD.md").read_text()
    assert "cat, dog, owl" in card and "mean (0.25, 0.5, 0.75), std (0.2, 0.3, 0.4)" in card
    assert "N x 3 x 40 x 40" in card


def test_torch_hub_loads_it_from_a_checkout(exported):
    net = torch.hub.load(str(REPO), "ddarts_network", source="local", folder=str(exported), trust_repo=True)
    assert net.ddarts_input.classes == ("cat", "dog", "owl") and not net.training


def test_a_folder_that_is_not_an_export_is_named(tmp_path):
    with pytest.raises(DdartsError, match="not a ddarts export folder"):
        ddarts.load_exported(tmp_path)


def _train_checkpoint(path: Path) -> Path:
    """A checkpoint as `ddarts train` writes it (the entries export reads), for C = 4, 3 classes, 3 layers."""
    genotype = load_genotype(GENOTYPE)
    torch.manual_seed(0)
    net = build_network(genotype, init_channels=4, num_classes=3, layers=3, auxiliary=False, image_size=40)
    torch.save({"config": {"init_channels": 4, "layers": 3}, "num_classes": 3, "input_kind": "cifar",
                "dataset": FACTS.to_dict(), "model": net.state_dict()}, path)
    return path


def test_export_of_a_training_checkpoint_takes_the_network_shape_from_it(tmp_path):
    weights = _train_checkpoint(tmp_path / "checkpoint.pt")
    out = tmp_path / "out"
    code = ddarts.cli.main(["export", str(GENOTYPE), "--layers", "3", "--weights", str(weights), "-o", str(out)])
    assert code == 0
    model = ddarts.load_exported(out)
    assert model.classes == ("cat", "dog", "owl") and model.image_size == 40
    state = torch.load(weights, weights_only=True)["model"]
    for key, value in model.network.state_dict().items():
        if key in state:
            assert torch.equal(value, state[key]), key


def test_explicit_options_still_win_over_the_checkpoint(tmp_path, capsys):
    weights = _train_checkpoint(tmp_path / "checkpoint.pt")
    code = ddarts.cli.main(["export", str(GENOTYPE), "--layers", "3", "--weights", str(weights),
                            "--classes", "5", "-o", str(tmp_path / "out")])
    assert code != 0
    assert "shape mismatch" in capsys.readouterr().err
