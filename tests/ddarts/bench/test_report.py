"""The benchmark's JSON, with the workers and the rounds really run at a tiny shape."""

import argparse

import pytest

from ddarts.bench import report
from ddarts.bench.worker import ablation_grads
from ddarts.bench.workers import THIS_CHECKOUT

TINY = ["--cells", "3", "--init-channels", "2", "--batch-size", "2", "--device", "cpu", "--threads", "1",
        "--repeats", "1", "--warmup", "0"]


def test_cases_cover_unit_fair_and_every_l_t_mode_in_both_formats():
    info = {"default_channels_last": True, "grads": ["none", "exact"]}
    specs = report.case_specs(info, "all")
    assert [report.case_name(s) for s in specs] == ["unit", "fair", "ablation:none", "ablation:exact"] * 2
    assert [s["channels_last"] for s in specs] == [True] * 4 + [False] * 4
    assert len(report.case_specs(info, "default")) == 4


@pytest.mark.slow
def test_json_keys_side_by_side_with_a_baseline(monkeypatch):
    peaks = {"fair": 100.0, "ablation": 104.0}
    monkeypatch.setattr(report, "measure_peak", lambda checkout, flags, case: peaks[case["loss"]])
    args = report.build_parser().parse_args(TINY + ["--baseline", str(THIS_CHECKOUT), "--formats", "default"])
    out = report.run(args)
    for key in ("unit_s", "fair_step_s", "ablation_step_s", "fair_peak_mb", "ablation_peak_mb"):
        assert out[key] > 0 and out["baseline"][key] > 0, key
    assert out["ablation_peak_ratio"] == 1.04
    assert out["memory_format"] == "contiguous"  # 2 channels: below the CPU channels-last rule's minimum
    cases = {c["case"]: c for c in out["cases"]}
    assert set(cases) == {"unit", "fair"} | {f"ablation:{g}" for g in ablation_grads()[1]}
    assert out["ablation_step_s"] == cases[f"ablation:{out['default_ablation_grad']}"]["step_s"]
    fair = cases["fair"]
    assert fair["images_per_s"] == pytest.approx(4 / fair["step_s"], abs=0.006)  # α batch + weight batch
    assert fair["units"] == pytest.approx(fair["step_s"] / cases["unit"]["step_s"], rel=1e-2)
    assert set(out["speedup"]) >= {"unit_s", "fair_step_s", "ablation_step_s", "fair"}


def test_a_baseline_that_is_no_checkout_is_a_clear_error(tmp_path, capsys):
    assert report.main(TINY + ["--baseline", str(tmp_path)]) == 2
    assert "not a ddarts checkout" in capsys.readouterr().err


def test_worker_flags_carry_the_shape():
    args = argparse.Namespace(cells=3, init_channels=2, batch_size=2, device="cpu", threads=1, no_amp=True)
    assert report.worker_flags(args) == ["--cells", "3", "--init-channels", "2", "--batch-size", "2",
                                         "--device", "cpu", "--threads", "1", "--no-amp"]



def test_speedups_match_renamed_modes_by_their_old_name(monkeypatch):
    monkeypatch.setattr(report, "search_config", argparse.Namespace(LEGACY_ABLATION_GRADS={"none": "constant"}))

    def row(grad, seconds, default_format=True):
        return {"case": report.case_name({"loss": "ablation", "ablation_grad": grad}), "loss": "ablation",
                "ablation_grad": grad, "step_s": seconds, "default_format": default_format}

    new = [row("constant", 2.0), row("exact", 4.0), row("exact", 1.0, default_format=False)]
    old = [row("none", 6.0), row("exact", 10.0)]
    heads = {"unit_s": 1.0, "fair_step_s": 1.0, "ablation_step_s": 4.0}
    out = report.speedups(new, old, heads, {**heads, "ablation_step_s": 6.0})
    assert out["ablation:constant"] == 3.0 and out["ablation:exact"] == 2.5 and out["ablation_step_s"] == 1.5
