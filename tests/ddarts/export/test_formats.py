import json
import warnings

import numpy as np
import onnxruntime
import pytest
import torch
from safetensors.torch import load_file

import ddarts.cli
import ddarts.export.formats
from ddarts.errors import DdartsError
from ddarts.export.formats import ExportError, export_network, load_weights
from ddarts.genotype import Genotype, load_genotype
from ddarts.nets.network import build_network

CELL = (("sep_conv_3x3", 2, 0), ("skip_connect", 2, 1), ("max_pool_3x3", 3, 2), ("dil_conv_3x3", 4, 1),
        ("avg_pool_3x3", 5, 0), ("sep_conv_5x5", 5, 3))
GENOTYPE = Genotype(cells=(CELL,) * 3, reductions=(1, 2), method="edge", threshold=0.85, source="tiny-run")
FILES = {"genotype.json", "model.safetensors", "model.torchscript.pt", "model.onnx", "MODEL_CARD.md", "export.json"}


def trained_state_dict() -> dict[str, torch.Tensor]:
    """Weights whose BatchNorm statistics came from data, so eval outputs depend on the input."""
    torch.manual_seed(0)
    net = build_network(GENOTYPE, init_channels=4, num_classes=5)
    for bn in (m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)):
        bn.momentum = None  # cumulative average
    net.train()
    with torch.no_grad():
        for _ in range(3):
            net(torch.randn(8, 3, 32, 32))
    return net.state_dict()


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    state = trained_state_dict()
    out = tmp_path_factory.mktemp("exports") / "tiny"
    steps = []
    result = export_network(GENOTYPE, out, state_dict={"module." + k: v for k, v in state.items()},
                            init_channels=4, num_classes=5, progress=lambda f, m: steps.append((f, m)),
                            weights_label="ckpt.pt")
    return out, result, state, steps


def reference_logits(state, x):
    net = build_network(GENOTYPE, init_channels=4, num_classes=5, auxiliary=False)
    net.load_state_dict({k: v for k, v in state.items() if not k.startswith("auxiliary_head.")})
    with torch.no_grad():
        return net.eval()(x)[0]


def test_export_writes_a_complete_folder(exported):
    out, result, _state, steps = exported
    assert {p.name for p in out.iterdir()} == FILES
    assert set(result.files) == FILES - {"export.json"}
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]
    assert result.trained and result.layers == 3
    assert result.onnx_max_abs_diff <= 1e-4
    fractions = [f for f, _ in steps]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0


def test_programs_reproduce_the_network(exported):
    out, _result, state, _steps = exported
    x = torch.randn(4, 3, 32, 32, generator=torch.Generator().manual_seed(7))
    expected = reference_logits(state, x)
    assert float(expected.std(0).mean()) > 1e-3  # outputs depend on the input, so the comparison means something
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        program = torch.jit.load(str(out / "model.torchscript.pt"))
    assert torch.allclose(program(x), expected, atol=1e-5)
    session = onnxruntime.InferenceSession(str(out / "model.onnx"), providers=["CPUExecutionProvider"])
    (onnx_out,) = session.run(None, {"input": x.numpy()})
    assert np.abs(onnx_out - expected.numpy()).max() <= 1e-4


def test_weights_and_genotype_rebuild_the_network(exported):
    out, _result, state, _steps = exported
    genotype = load_genotype(out / "genotype.json")
    assert genotype == GENOTYPE
    net = build_network(genotype, init_channels=4, num_classes=5, auxiliary=False)
    net.load_state_dict(load_file(out / "model.safetensors"))
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(net.eval()(x)[0], reference_logits(state, x))


def test_model_card(exported):
    out, result, _state, _steps = exported
    card = (out / "MODEL_CARD.md").read_text()
    for text in ("**trained** (weights from `ckpt.pt`)", "`tiny-run`", "| parse method | edge |",
                 "| threshold | 0.85 |", "| layers | 3 (reductions at 1, 2) |", "| classes | 5 |",
                 f"{result.stats.params:,}", f"{result.stats.macs:,}", "3 x 32 x 32"):
        assert text in card


def test_untrained_export_is_marked_and_grows_with_layers(tmp_path):
    g = Genotype(cells=(CELL,) * 5, reductions=(1, 3))
    result = export_network(g, tmp_path / "out", layers=6, init_channels=4)
    card = (tmp_path / "out" / "MODEL_CARD.md").read_text()
    assert "architecture only, untrained" in card and not result.trained
    assert load_genotype(tmp_path / "out" / "genotype.json").n_cells == 6


def test_non_empty_folder_is_refused_and_force_replaces_only_an_export(tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(ExportError, match="not empty.*--force"):
        export_network(GENOTYPE, out, init_channels=4)
    with pytest.raises(ExportError, match="not a previous export"):
        export_network(GENOTYPE, out, init_channels=4, force=True)
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    # a forced export over a previous export that fails keeps the old folder
    (out / "keep.txt").unlink()
    export_network(GENOTYPE, out, init_channels=4)
    before = sorted(p.name for p in out.iterdir())
    monkeypatch.setattr(ddarts.export.formats, "_run_onnx", lambda data, x: np.full((x.shape[0], 10), 9.0, np.float32))
    with pytest.raises(ExportError, match="onnxruntime outputs differ"):
        export_network(GENOTYPE, out, init_channels=4, force=True)
    assert sorted(p.name for p in out.iterdir()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_failed_check_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(ddarts.export.formats, "_run_onnx", lambda data, x: np.zeros((x.shape[0], 10), np.float32) + 1)
    with pytest.raises(ExportError, match="the export was not written"):
        export_network(GENOTYPE, tmp_path / "out", init_channels=4)
    assert list(tmp_path.iterdir()) == []


def test_unwritable_parent(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ExportError, match="parent folder"):
        export_network(GENOTYPE, blocker / "sub" / "out", init_channels=4)
    assert [p.name for p in tmp_path.iterdir()] == ["file"]


def test_weights_that_do_not_fit(tmp_path):
    with pytest.raises(ExportError, match="do not fit.*--init-channels"):
        export_network(GENOTYPE, tmp_path / "out", state_dict=trained_state_dict(), init_channels=6,
                       num_classes=5)
    assert list(tmp_path.iterdir()) == []


def test_load_weights_accepts_checkpoints_and_state_dicts(tmp_path):
    state = {"a.weight": torch.ones(2)}
    torch.save({"model": state, "epoch": 3, "optimizer": {"lr": 0.1}}, tmp_path / "ckpt.pt")
    torch.save(state, tmp_path / "plain.pt")
    assert load_weights(tmp_path / "ckpt.pt").keys() == {"a.weight"}
    assert load_weights(tmp_path / "plain.pt").keys() == {"a.weight"}
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ExportError, match="junk.pt is damaged or not a weights file"):
        load_weights(tmp_path / "junk.pt")
    torch.save({"epoch": 3}, tmp_path / "nomodel.pt")
    with pytest.raises(ExportError, match="expected a state_dict"):
        load_weights(tmp_path / "nomodel.pt")
    with pytest.raises(ExportError, match="no weights file"):
        load_weights(tmp_path / "missing.pt")
    assert issubclass(ExportError, DdartsError)


def test_export_command(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(ddarts.cli, "COMMANDS", ("export",))
    source = tmp_path / "g.json"
    GENOTYPE.save(source)
    torch.save({"model": trained_state_dict()}, tmp_path / "checkpoint.pt")
    code = ddarts.cli.main(["export", str(source), "-o", str(tmp_path / "out"), "--init-channels", "4",
                            "--classes", "5", "--weights", str(tmp_path / "checkpoint.pt")])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert "[100%] exported to" in out and "; trained" in out
    assert {p.name for p in (tmp_path / "out").iterdir()} == FILES
    code = ddarts.cli.main(["export", str(source), "-o", str(tmp_path / "out"), "--init-channels", "4"])
    out, err = capsys.readouterr()
    assert code == 2 and "not empty" in err


def test_export_command_missing_source(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(ddarts.cli, "COMMANDS", ("export",))
    code = ddarts.cli.main(["export", str(tmp_path / "no-run"), "-o", str(tmp_path / "out")])
    _out, err = capsys.readouterr()
    assert code == 2 and "no such genotype file or run folder" in err
    assert list(tmp_path.iterdir()) == []


def test_safetensors_metadata_describes_the_network(exported):
    out, _result, _state, _steps = exported
    from safetensors import safe_open

    with safe_open(str(out / "model.safetensors"), "pt") as handle:
        meta = handle.metadata()
    assert (meta["init_channels"], meta["num_classes"], meta["input_kind"], meta["layers"]) == ("4", "5", "cifar", "3")
    assert Genotype.from_json(json.loads(meta["genotype"])) == GENOTYPE


def test_parent_without_write_permission(tmp_path, monkeypatch):
    def refuse(out_dir):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(ddarts.export.formats, "make_partial_folder", refuse)
    with pytest.raises(ExportError, match=r"cannot write the export there \(Permission denied\)"):
        export_network(GENOTYPE, tmp_path / "out", init_channels=4)
    assert list(tmp_path.iterdir()) == []


def test_torch_export_is_the_fallback_when_tracing_fails(tmp_path, monkeypatch):
    def no_trace(model, example):
        raise RuntimeError("tracing unavailable")

    monkeypatch.setattr(ddarts.export.formats, "_torchscript_bytes", no_trace)
    result = export_network(GENOTYPE, tmp_path / "out", init_channels=4)
    assert result.program_format == "torch.export" and result.program_max_abs_diff <= 1e-4
    assert {p.name for p in (tmp_path / "out").iterdir()} == FILES - {"model.torchscript.pt"} | {"model.pt2"}
    program = torch.export.load(str(tmp_path / "out" / "model.pt2")).module()
    x = torch.randn(3, 3, 32, 32)
    net = build_network(GENOTYPE, init_channels=4, auxiliary=False)
    net.load_state_dict(load_file(tmp_path / "out" / "model.safetensors"))
    with torch.no_grad():
        assert torch.allclose(program(x), net.eval()(x)[0], atol=1e-5)
