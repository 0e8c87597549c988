"""Folder datasets end to end: a 20 px and a 72 px folder of PNGs searched and trained from the CLI, and the
Python API fed with tensors."""

from __future__ import annotations

import json

import pytest
import torch

from ddarts.cli import main
from ddarts.data.folders import from_tensors
from ddarts.genotype import load_genotype
from ddarts.runs import recorded_search
from ddarts.search.config import SearchConfig
from ddarts.search.events import Finished

TINY = ["--cells", "3", "--init-channels", "2", "--batch-size", "4", "--epochs", "1", "--steps-per-epoch", "1",
        "--device", "cpu", "--workers", "0"]


@pytest.mark.parametrize("size,stem", [(20, "cifar"), (72, "imagenet")])
def test_folder_searched_and_trained_with_its_own_stem_and_statistics(tmp_path, capsys, image_folder, size, stem):
    data = image_folder(tmp_path / "imgs", size, per_class=4)
    (data / "a" / "bad.png").write_bytes(b"\x89PNG broken")
    run = tmp_path / "search"
    assert main(["search", "--dataset", "folder", "--data", str(data), *TINY, "-o", str(run)]) == 0
    facts = json.loads((run / "dataset.json").read_text())
    assert facts["image_size"] == size and facts["input_kind"] == stem and facts["skipped"] == 1
    assert facts["classes"] == ["a", "b", "c"] and len(facts["mean"]) == 3
    assert "1 unreadable skipped" in capsys.readouterr().err
    trained = tmp_path / "train"
    genotype = run / "genotypes" / "final_darts.json"
    assert load_genotype(genotype).n_cells == 3
    assert main(["train", str(genotype), "--dataset", "folder", "--data", str(data), "--auxiliary-weight", "0",
                 "--init-channels", "4", "--batch-size", "4", "--epochs", "1", "--steps-per-epoch", "1",
                 "--device", "cpu", "-o", str(trained)]) == 0
    assert json.loads((trained / "dataset.json").read_text()) == facts
    state = torch.load(trained / "checkpoint.pt", weights_only=True)
    assert state["input_kind"] == stem and state["dataset"]["mean"] == facts["mean"]


def test_an_auxiliary_head_that_cannot_fit_is_a_clear_error(tmp_path, capsys, image_folder):
    data = image_folder(tmp_path / "imgs", 20, per_class=4)
    genotype = tmp_path / "g.json"
    run = tmp_path / "s"
    assert main(["search", "--dataset", "folder", "--data", str(data), *TINY, "-o", str(run)]) == 0
    genotype.write_bytes((run / "genotypes" / "final_darts.json").read_bytes())
    assert main(["train", str(genotype), "--dataset", "folder", "--data", str(data), "--device", "cpu",
                 "--init-channels", "4", "-o", str(tmp_path / "t")]) == 2
    assert "--auxiliary-weight 0" in capsys.readouterr().err and not (tmp_path / "t").exists()


def test_the_python_api_searches_uint8_tensors(tmp_path):
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (16, 3, 12, 12), dtype=torch.uint8, generator=generator)
    data = from_tensors(images, torch.arange(16) % 2, classes=["even", "odd"])
    config = SearchConfig(dataset="folder", cells=3, init_channels=2, batch_size=4, epochs=1, steps_per_epoch=1,
                          device="cpu")
    events = list(recorded_search(config, tmp_path / "run", data=data))
    assert isinstance(events[-1], Finished)
    assert json.loads((tmp_path / "run" / "dataset.json").read_text())["classes"] == ["even", "odd"]
