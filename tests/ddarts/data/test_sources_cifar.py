"""CIFAR download path, entirely offline: a refused network, a corrupted archive, and a fake archive."""

import hashlib
import io
import pickle
import tarfile
import urllib.error

import numpy as np
import pytest
import torch
from torchvision import datasets

from ddarts.data import sources as data_sources
from ddarts.data.load import load_dataset
from ddarts.errors import DataError


class FakeResponse(io.BytesIO):
    def __init__(self, payload: bytes):
        super().__init__(payload)
        self.headers = {"Content-Length": str(len(payload))}


def _refuse(*args, **kwargs):
    raise urllib.error.URLError("network is unreachable")


def test_offline_without_files_names_path_and_options(tmp_path, monkeypatch):
    monkeypatch.setattr(data_sources.urllib.request, "urlopen", _refuse)
    data_dir = tmp_path / "data"
    with pytest.raises(DataError) as info:
        load_dataset("cifar100", str(data_dir))
    message = str(info.value)
    assert str(data_dir / "cifar-100-python") in message
    assert "--data" in message and "--dataset digits" in message and "network is unreachable" in message
    assert not data_dir.exists()  # nothing written


def test_no_download_flag_fails_without_touching_the_network(tmp_path, monkeypatch):
    monkeypatch.setattr(data_sources.urllib.request, "urlopen", lambda *a, **k: pytest.fail("network used"))
    with pytest.raises(DataError, match="cifar-10-batches-py"):
        load_dataset("cifar10", str(tmp_path), download=False)
    assert list(tmp_path.iterdir()) == []


def test_md5_mismatch_keeps_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(data_sources.urllib.request, "urlopen", lambda *a, **k: FakeResponse(b"not a tarball" * 100))
    with pytest.raises(DataError, match="MD5"):
        load_dataset("cifar10", str(tmp_path))
    assert list(tmp_path.iterdir()) == []


def _fake_cifar10_archive() -> tuple[bytes, str]:
    """A tiny archive in the CIFAR-10 layout; returns it and the MD5 of its metadata file."""
    rng = np.random.default_rng(3)
    files = {}
    for i in range(1, 6):
        files[f"data_batch_{i}"] = {"data": rng.integers(0, 256, (4, 3072), dtype=np.uint8), "labels": [i % 10] * 4}
    files["test_batch"] = {"data": rng.integers(0, 256, (3, 3072), dtype=np.uint8), "labels": [7, 8, 9]}
    files["batches.meta"] = {"label_names": [f"c{i}" for i in range(10)]}
    meta_md5 = hashlib.md5(pickle.dumps(files["batches.meta"])).hexdigest()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in files.items():
            blob = pickle.dumps(content)
            member = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            member.size = len(blob)
            tar.addfile(member, io.BytesIO(blob))
    return buffer.getvalue(), meta_md5


def test_download_with_progress_then_load(tmp_path, monkeypatch):
    archive, meta_md5 = _fake_cifar10_archive()
    monkeypatch.setattr(datasets.CIFAR10, "meta", {**datasets.CIFAR10.meta, "md5": meta_md5})
    monkeypatch.setattr(datasets.CIFAR10, "tgz_md5", hashlib.md5(archive).hexdigest())
    monkeypatch.setattr(datasets.CIFAR10, "_check_integrity", lambda self: True)  # fake files, fake checksums
    calls = []
    monkeypatch.setattr(data_sources.urllib.request, "urlopen", lambda url, timeout: calls.append(url) or FakeResponse(archive))
    seen = []
    train = load_dataset("cifar10", str(tmp_path / "d"), "train", progress=seen.append)
    assert calls == [datasets.CIFAR10.url]
    assert train.images.shape == (20, 3, 32, 32) and train.images.dtype == torch.uint8
    assert train.labels.tolist()[:4] == [1, 1, 1, 1]
    first = np.random.default_rng(3).integers(0, 256, (4, 3072), dtype=np.uint8)[0].reshape(3, 32, 32)
    assert torch.equal(train.images[0], torch.from_numpy(first))  # CHW, as stored in the archive
    stages = [p.stage for p in seen]
    assert stages[0] == "download" and "extract" in stages and stages[-1] == "ready"
    last_download = [p for p in seen if p.stage == "download"][-1]
    assert last_download.done == last_download.total == len(archive)
    # the archive is gone, the extracted folder is in place; a second load does not download again
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == ["cifar-10-batches-py"]
    test = load_dataset("cifar10", str(tmp_path / "d"), "test")
    assert test.labels.tolist() == [7, 8, 9] and len(calls) == 1


def test_corrupted_extracted_folder_is_a_data_error(tmp_path):
    (tmp_path / "cifar-10-batches-py").mkdir()
    with pytest.raises(DataError, match="corrupted"):
        load_dataset("cifar10", str(tmp_path))
