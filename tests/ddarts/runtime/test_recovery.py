"""Bringing a killed run's folder back in line with its checkpoint."""

import json

from ddarts.runtime.recovery import checkpoint_log_end, diverged_message, recover, remove_orphans


def _log(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def test_orphaned_temporary_files_are_removed_and_others_kept(tmp_path):
    (tmp_path / "alphas").mkdir()
    for name in (".checkpoint.pt.x1y2.tmp", "alphas/.epoch_001.npy.ab.tmp", "keep.tmp", "config.json"):
        (tmp_path / name).write_text("x")
    removed = remove_orphans(tmp_path)
    assert sorted(p.name for p in removed) == [".checkpoint.pt.x1y2.tmp", ".epoch_001.npy.ab.tmp"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alphas", "config.json", "keep.tmp"]


def test_records_after_the_checkpoint_are_dropped_but_its_own_kept(tmp_path):
    metrics = tmp_path / "metrics.jsonl"
    head = [{"type": "start"}, {"type": "step", "step": 1}, {"type": "step", "step": 2}]
    _log(metrics, head)
    size = metrics.stat().st_size
    _log(metrics, head + [{"type": "checkpoint", "step": 2}, {"type": "stopped", "step": 2},
                          {"type": "start"}, {"type": "step", "step": 3}])
    (tmp_path / "alphas").mkdir()
    for n in (1, 2, 3):
        (tmp_path / "alphas" / f"epoch_00{n}.npy").write_bytes(b"x")
    assert recover(tmp_path, log_bytes=size, step=2, epochs_done=2)
    types = [json.loads(line)["type"] for line in metrics.read_text().splitlines()]
    assert types == ["start", "step", "step", "checkpoint", "stopped"]
    assert sorted(p.name for p in (tmp_path / "alphas").iterdir()) == ["epoch_001.npy", "epoch_002.npy"]


def test_older_checkpoints_without_a_log_size_cut_after_their_record(tmp_path):
    metrics = tmp_path / "metrics.jsonl"
    _log(metrics, [{"type": "step", "step": 1}, {"type": "checkpoint", "step": 1}, {"type": "step", "step": 2}])
    end = checkpoint_log_end(metrics, None, 1)
    assert metrics.read_bytes()[:end].count(b"\n") == 2
    assert checkpoint_log_end(metrics, None, 7) is None  # unknown: the log is left alone


def test_no_checkpoint_empties_the_log(tmp_path):
    metrics = tmp_path / "metrics.jsonl"
    _log(metrics, [{"type": "start"}, {"type": "step", "step": 1}])
    recover(tmp_path, log_bytes=0, step=0, epochs_done=0)
    assert metrics.read_bytes() == b""


def test_a_diverged_run_is_recognised_by_its_last_lifecycle_record(tmp_path):
    metrics = tmp_path / "metrics.jsonl"
    _log(metrics, [{"type": "start"}, {"type": "failed", "kind": "diverged", "message": "loss nan at step 3; x"}])
    assert diverged_message(metrics) == "loss nan at step 3"
    _log(metrics, [{"type": "failed", "kind": "diverged", "message": "m"}, {"type": "start"}])
    assert diverged_message(metrics) is None
