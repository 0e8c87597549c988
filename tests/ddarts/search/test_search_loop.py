"""Live α between epoch ends: reported every N steps, light, and kept in the run folder only when asked."""

from __future__ import annotations

import json

import numpy as np

from ddarts.runs import RunReader, recorded_search
from ddarts.search import SearchConfig, search
from ddarts.search.events import AlphaLive, AlphaSnapshot, StepMetrics

TINY = dict(dataset="digits", cells=3, init_channels=2, batch_size=8, epochs=1, steps_per_epoch=3, device="cpu",
            num_workers=0, alpha_live_steps=1, arch_lr=0.05)


def test_live_alpha_every_step_between_epoch_ends(tmp_path):
    events = list(search(SearchConfig(**TINY)))
    live = [e for e in events if isinstance(e, AlphaLive)]
    assert [(e.epoch, e.step) for e in live] == [(0, 1), (0, 2)]  # step 3 ends the epoch: its snapshot says it
    assert live[0].alphas.shape == (3, 14, 7) and live[0].alphas.dtype == np.float32
    assert not np.array_equal(live[0].alphas, live[1].alphas)  # α moved within the epoch
    assert [e.step for e in events if isinstance(e, StepMetrics)] == [1, 2, 3]
    epoch_end = next(e for e in events if isinstance(e, AlphaSnapshot))
    assert not np.array_equal(epoch_end.alphas, live[1].alphas)


def test_live_alpha_is_not_written_unless_asked(tmp_path):
    for record, expected in ((False, 0), (True, 2)):
        run_dir = tmp_path / f"record-{record}"
        for _event in recorded_search(SearchConfig(**TINY, alpha_live_record=record), run_dir):
            pass
        lines = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
        assert sum(r["type"] == "alpha_live" for r in lines) == expected
        state = RunReader(run_dir).read_all()
        assert len(state.shares) == expected + 1  # every α seen: live ones and the epoch end's
        assert state.live_alpha is None  # the epoch end's snapshot is newer


def test_no_live_alpha_by_default():
    assert SearchConfig().alpha_live_steps == 0 and SearchConfig().alpha_live_s == 0.0
