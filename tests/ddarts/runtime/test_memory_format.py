import numpy as np
import torch

from ddarts.genotype.parse import parse_alphas
from ddarts.nets.network import build_network
from ddarts.runtime.memory_format import CPU_MIN_CHANNELS, in_memory_format, use_channels_last
from ddarts.search.config import SearchConfig
from ddarts.search.engine import SearchEngine

CPU = torch.device("cpu")


def test_the_rule():
    onednn = torch.backends.mkldnn.is_available()
    assert use_channels_last(torch.device("cuda"), True, 2)
    assert not use_channels_last(torch.device("cuda"), False, 64)
    assert use_channels_last(CPU, True, CPU_MIN_CHANNELS) == onednn
    assert use_channels_last(CPU, True, 64) == onednn
    assert not use_channels_last(CPU, True, CPU_MIN_CHANNELS - 1)
    assert not use_channels_last(CPU, False, 64)
    assert not use_channels_last(torch.device("meta"), True, 64)
    previous = torch.backends.mkldnn.enabled
    torch.backends.mkldnn.enabled = False  # (the flags() context manager warns about TF32 on this build)
    try:
        assert not use_channels_last(CPU, True, 64)
    finally:
        torch.backends.mkldnn.enabled = previous


def test_in_memory_format():
    conv = torch.nn.Conv2d(4, 4, 3)
    assert in_memory_format(conv, False).weight.is_contiguous()
    weight = in_memory_format(conv, True).weight
    assert weight.is_contiguous(memory_format=torch.channels_last) and not weight.is_contiguous()


def test_the_search_engine_follows_the_rule():
    for channels, requested in ((CPU_MIN_CHANNELS, True), (CPU_MIN_CHANNELS, False), (2, True)):
        cfg = SearchConfig(dataset="digits", cells=3, init_channels=channels, batch_size=2, device="cpu",
                           channels_last=requested)
        engine = SearchEngine(cfg, num_classes=10, device=CPU)
        assert engine.channels_last == use_channels_last(CPU, requested, channels)
        stem = engine.model.stem[0].weight
        assert stem.is_contiguous(memory_format=torch.channels_last if engine.channels_last else torch.contiguous_format)


def test_a_derived_network_gives_the_same_numbers_in_either_format():
    alphas = np.random.default_rng(1).normal(0.0, 1.0, (5, 14, 7)).astype(np.float32)
    genotype = parse_alphas(alphas, "sparse", 0.3, (1, 3), source="test")
    torch.manual_seed(0)
    net = build_network(genotype, init_channels=CPU_MIN_CHANNELS, num_classes=10, auxiliary=False).eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        want, _ = net(x)
        got, _ = in_memory_format(net, True)(x.contiguous(memory_format=torch.channels_last))
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)
