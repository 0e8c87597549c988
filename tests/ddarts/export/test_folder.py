"""Export targets: --force replaces only a previous export; interrupted exports leave nothing for long."""

import pytest

import ddarts.commands.export as export_command
from ddarts import cli
from ddarts.export.folder import ExportError, is_previous_export
from ddarts.export.formats import export_network
from ddarts.genotype.core import Genotype
from ddarts.runtime.interrupts import Terminated
from ddarts.runtime.lock import RunLock

CELL = (("sep_conv_3x3", 2, 0), ("skip_connect", 2, 1), ("max_pool_3x3", 3, 2), ("dil_conv_3x3", 4, 1),
        ("sep_conv_5x5", 5, 0))
GENOTYPE = Genotype(cells=(CELL,) * 3, reductions=(1, 2), method="edge", threshold=0.85, source="tiny-run")


def _tree(folder):
    return sorted((p.relative_to(folder).as_posix(), p.read_bytes()) for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize("files", [
    {"config.json": b'{"kind": "search"}', "metrics.jsonl": b"{}\n", "checkpoint.pt": b"weights"},  # a run folder
    {"thesis.tex": b"years of work", "MODEL_CARD.md": b"# mine"},  # the user's files
])
def test_force_never_replaces_a_run_folder_or_unknown_files(tmp_path, capsys, files):
    target = tmp_path / "target"
    target.mkdir()
    for name, data in files.items():
        (target / name).write_bytes(data)
    before = _tree(target)
    source = tmp_path / "g.json"
    GENOTYPE.save(source)
    code = cli.main(["export", str(source), "-o", str(target), "--force", "--init-channels", "4"])
    err = capsys.readouterr().err
    assert code == 2 and ("run folder" in err or "not a previous export" in err) and err.count("\n") == 1
    assert _tree(target) == before and sorted(p.name for p in tmp_path.iterdir()) == ["g.json", "target"]


def test_abandoned_partial_folders_are_removed_and_live_ones_kept(tmp_path):
    dead = tmp_path / ".out.deadbeef.partial"
    dead.mkdir()
    (dead / "model.onnx").write_bytes(b"half")
    live = tmp_path / ".out.0123abcd.partial"
    with RunLock(live):  # an export running in another process right now
        (live / "model.onnx").write_bytes(b"being written")
        export_network(GENOTYPE, tmp_path / "out", init_channels=4)
        assert not dead.exists() and (live / "model.onnx").exists()
    assert is_previous_export(tmp_path / "out")
    export_network(GENOTYPE, tmp_path / "out", init_channels=4, force=True)  # replacing an export is fine


def test_sigterm_during_export_exits_143_and_leaves_nothing(tmp_path, capsys, monkeypatch):
    def terminated(fraction, message):
        if fraction >= 0.2:
            raise Terminated()

    monkeypatch.setattr(export_command, "_print_progress", terminated)
    source = tmp_path / "g.json"
    GENOTYPE.save(source)
    code = cli.main(["export", str(source), "-o", str(tmp_path / "out"), "--init-channels", "4"])
    err = capsys.readouterr().err
    assert code == 143 and err.strip() == "ddarts export: terminated"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.json"]


def test_empty_output_is_refused(tmp_path):
    with pytest.raises(ExportError, match="empty"):
        export_network(GENOTYPE, "", init_channels=4)
