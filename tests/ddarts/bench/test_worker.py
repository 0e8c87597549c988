"""The worker's cases in process: the memory format each engine really uses, and one timed step each."""

import argparse

import torch

from ddarts.bench import worker
from ddarts.runtime.memory_format import use_channels_last


def _args(channels):
    return argparse.Namespace(cells=3, init_channels=channels, batch_size=2, no_amp=False)


def test_cases_run_in_the_format_the_rule_picks():
    cpu = torch.device("cpu")
    for channels in (2, 8):
        for requested in (True, False):
            case = worker.Case({"loss": "unit", "ablation_grad": None, "channels_last": requested}, _args(channels), cpu)
            expected = "channels_last" if use_channels_last(cpu, requested, channels) else "contiguous"
            assert case.format == expected
            assert case.batch[0].is_contiguous(memory_format=getattr(torch, expected.replace("contiguous", "contiguous_format")))


def test_each_kind_of_case_takes_one_step():
    cpu = torch.device("cpu")
    default, grads = worker.ablation_grads()
    assert default in grads
    for spec in ({"loss": "unit", "ablation_grad": None}, {"loss": "fair", "ablation_grad": None},
                 {"loss": "ablation", "ablation_grad": grads[-1]}):
        case = worker.Case({**spec, "channels_last": True}, _args(2), cpu)
        before = [a.detach().clone() for a in case.engine.alphas]
        assert case.timed() > 0
        moved = any(not torch.equal(a, b) for a, b in zip(case.engine.alphas, before))
        assert moved == (spec["loss"] != "unit")  # a search step updates α, the unit only backpropagates
