"""One loader for every checkpoint: weights-only, versioned, one line for anything else."""

import errno
import io
import pickle

import pytest
import torch

from ddarts.errors import RunFolderError
from ddarts.runtime import checkpoints
from ddarts.runtime.checkpoints import load_checkpoint, save_checkpoint


class Payload:
    """Stands for any Python object a hostile checkpoint could carry."""


def _torch_bytes(obj):
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("content, message", [
    (b"", "is empty (0 bytes)"),
    (b"garbage garbage garbage", "damaged or not a ddarts search checkpoint"),
    (pickle.dumps({"x": 1}), "damaged or not a ddarts search checkpoint"),
    (_torch_bytes({"x": Payload()}), "holds Python objects"),
    (_torch_bytes([1, 2]), "holds list, not a dict"),
    (_torch_bytes({"format_version": 9, "kind": "search"}), "format version 9 is not supported"),
    (_torch_bytes({"format_version": 1, "kind": "train"}), "is a train checkpoint, not a ddarts search"),
])
def test_foreign_checkpoints_get_one_line_and_no_unsafe_advice(tmp_path, content, message):
    path = tmp_path / "checkpoint.pt"
    path.write_bytes(content)
    with pytest.raises(RunFolderError) as info:
        load_checkpoint(path, "search")
    text = str(info.value)
    assert message in text and "\n" not in text and "weights_only" not in text


def test_a_folder_or_fifo_is_named(tmp_path):
    (tmp_path / "dir.pt").mkdir()
    with pytest.raises(RunFolderError, match="is a folder, not a ddarts train checkpoint"):
        load_checkpoint(tmp_path / "dir.pt", "train")


def test_round_trip_and_legacy_kind(tmp_path):
    path = tmp_path / "c.pt"
    save_checkpoint(path, "train", {"model": {"w": torch.ones(2)}})
    assert load_checkpoint(path, "train", required=("model",))["model"]["w"].sum() == 2
    torch.save({"format_version": 1, "engine": {}}, path)  # written before checkpoints recorded their kind
    assert load_checkpoint(path, "search")["engine"] == {}


def test_full_disk_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "c.pt"
    save_checkpoint(path, "search", {"engine": {"n": 1}})

    def full(target, writer):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkpoints, "write_with", full)
    with pytest.raises(RunFolderError, match=r"no space left on device while writing .*c.pt; the last checkpoint is kept"):
        save_checkpoint(path, "search", {"engine": {"n": 2}})
    assert load_checkpoint(path, "search")["engine"] == {"n": 1}
