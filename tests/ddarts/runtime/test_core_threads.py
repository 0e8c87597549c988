import torch

from ddarts.runtime import threads


def test_quota_in_whole_cores(tmp_path):
    path = tmp_path / "cpu.max"
    path.write_text("150000 100000\n")
    assert threads._quota_cores(path) == 2
    path.write_text("max 100000\n")
    assert threads._quota_cores(path) is None
    path.write_text("garbage\n")
    assert threads._quota_cores(path) is None
    assert threads._quota_cores(tmp_path / "missing") is None


def test_use_cores_reserves_cores_and_respects_omp_num_threads(monkeypatch):
    before = torch.get_num_threads()
    monkeypatch.setattr(threads, "available_cores", lambda: 3)
    try:
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
        assert threads.use_cores(reserve=1) == 2 and torch.get_num_threads() == 2
        assert threads.use_cores(reserve=5) == 1 and torch.get_num_threads() == 1
        monkeypatch.setenv("OMP_NUM_THREADS", "1")
        torch.set_num_threads(2)
        assert threads.use_cores() == 2  # the user's setting (here changed since) is left alone
    finally:
        torch.set_num_threads(before)


def test_available_cores_is_at_least_one():
    assert threads.available_cores() >= 1
