"""Checkpoints of searches from before the affine search stem still resume."""

import copy

import pytest
import torch

from ddarts.search.config import SearchConfig
from ddarts.search.engine import SearchEngine


def _engine():
    torch.manual_seed(1)
    cfg = SearchConfig(dataset="digits", cells=3, init_channels=2, batch_size=4, device="cpu")
    return SearchEngine(cfg, num_classes=5, device=torch.device("cpu"))


def _batch():
    g = torch.Generator().manual_seed(3)
    return torch.randn(4, 3, 8, 8, generator=g), torch.randint(0, 5, (4,), generator=g)


def _as_before_the_affine_stem(engine):
    """The engine's checkpoint as the earlier supernet (stem BatchNorm without weight and bias) wrote it."""
    state = copy.deepcopy(engine.state_dict())
    alpha_ids = {id(a) for a in engine.alphas}
    names = [n for n, p in engine.model.named_parameters() if id(p) not in alpha_ids]
    gone = {names.index(k) for k in engine.model.stem_affine_keys()}
    kept = [i for i in range(len(names)) if i not in gone]
    for key in engine.model.stem_affine_keys():
        del state["model"][key]
    sgd = state["w_optimizer"]
    sgd["state"] = {kept.index(i): s for i, s in sgd["state"].items() if i in kept}
    sgd["param_groups"][0]["params"] = list(range(len(kept)))
    return state, kept


def test_the_search_stem_is_affine_and_old_checkpoints_resume():
    engine = _engine()
    assert engine.model.stem[1].affine
    engine.step(_batch(), _batch())
    old, kept = _as_before_the_affine_stem(engine)
    resumed = _engine()
    resumed.load_state_dict(old)
    assert torch.equal(resumed.model.stem[1].weight, torch.ones(6))
    assert torch.equal(resumed.model.stem[1].bias, torch.zeros(6))
    for (name, value), want in zip(resumed.model.state_dict().items(), engine.model.state_dict().values()):
        if name not in resumed.model.stem_affine_keys():
            assert torch.equal(value, want), name
    new_state, saved = resumed.w_optimizer.state_dict()["state"], engine.w_optimizer.state_dict()["state"]
    for i in kept:
        assert torch.equal(new_state[i]["momentum_buffer"], saved[i]["momentum_buffer"]), i
    resumed.step(_batch(), _batch())  # and it searches on


def test_a_checkpoint_of_another_supernet_is_refused():
    engine = _engine()
    state = copy.deepcopy(engine.state_dict())
    del state["model"]["stem.1.weight"]  # half an old stem: not something we wrote
    with pytest.raises(RuntimeError, match="stem.1.weight"):
        _engine().load_state_dict(state)
