"""One checkout's side of the benchmark: search engines for a list of cases, one timed step per request.

The report runs this file as a script with the checkout under test first on PYTHONPATH, so that the same
timing code measures today's ddarts and an older one (`--baseline`). It therefore imports only what every
ddarts since the engine's first release has: `SearchConfig`, `SearchEngine(config, classes, device)`,
`engine.step`, `engine.model` and `engine._autocast`, and nothing else from the package.

Protocol: the worker prints one JSON line describing itself, then answers each JSON line on stdin with one
JSON line: {"build": [case, ...]} → the memory format each case's engine really uses; {"step": i} → seconds
of one step of case i; {"quit": true} ends it. A case is {"loss": "unit" | "fair" | "ablation",
"ablation_grad": name or null, "channels_last": bool}; "unit" is one plain forward+backward of the supernet.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F

import ddarts
from ddarts.search import config as config_module
from ddarts.search.config import SearchConfig
from ddarts.search.engine import SearchEngine

NUM_CLASSES = 100
GRAD_FIELD = "ablation_grad"


def ablation_grads() -> tuple[str | None, list[str]]:
    """The checkout's default L_T gradient mode and all of its modes (None, [] where it has no such field)."""
    fields = {f.name: f for f in dataclasses.fields(SearchConfig)}
    if GRAD_FIELD not in fields:
        return None, []
    default = fields[GRAD_FIELD].default
    names = list(getattr(config_module, "ABLATION_GRADS", (default,)))
    return default, names


def resolve(spec: str) -> torch.device:
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(spec)


def describe(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda:{device.index or 0} ({torch.cuda.get_device_name(device)})"
    return f"cpu ({torch.get_num_threads()} threads)"


def memory_format(model: torch.nn.Module) -> str:
    """channels_last or contiguous, read from the first convolution weight whose layouts differ."""
    for p in model.parameters():
        if p.dim() == 4 and p.shape[1] > 1 and p.shape[2] * p.shape[3] > 1:
            return "channels_last" if not p.is_contiguous() else "contiguous"
    return "contiguous"


class Case:
    def __init__(self, spec: dict, args: argparse.Namespace, device: torch.device):
        self.spec = spec
        self.device = device
        fields = dict(dataset="cifar100", cells=args.cells, init_channels=args.init_channels,
                      batch_size=args.batch_size, loss="fair" if spec["loss"] in ("unit", "fair") else "ablation",
                      device=str(device), amp=not args.no_amp, channels_last=spec["channels_last"])
        if spec.get("ablation_grad") is not None:
            fields[GRAD_FIELD] = spec["ablation_grad"]
        torch.manual_seed(0)
        self.engine = SearchEngine(SearchConfig(**fields), NUM_CLASSES, device)
        self.format = memory_format(self.engine.model)
        g = torch.Generator().manual_seed(0)
        x = torch.randn(args.batch_size, 3, 32, 32, generator=g)
        y = torch.randint(0, NUM_CLASSES, (args.batch_size,), generator=g)
        if self.format == "channels_last":
            x = x.contiguous(memory_format=torch.channels_last)
        self.batch = (x.to(device), y.to(device))

    def run(self) -> None:
        if self.spec["loss"] != "unit":
            self.engine.step(self.batch, self.batch)
            return
        model = self.engine.model
        model.train()
        model.zero_grad(set_to_none=True)
        with self.engine._autocast():
            logits = model(self.batch[0])
        F.cross_entropy(logits.float(), self.batch[1]).backward()

    def timed(self) -> float:
        sync(self.device)
        start = time.perf_counter()
        self.run()
        sync(self.device)
        return time.perf_counter() - start


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb(case: Case) -> float:
    """Peak memory of two steps beyond what existed before: CUDA's allocator peak, or growth of the CPU
    resident set (a lifetime peak, hence one fresh process per measured case)."""
    if case.device.type == "cuda":
        sync(case.device)
        torch.cuda.empty_cache()
        base = torch.cuda.memory_allocated(case.device)
        torch.cuda.reset_peak_memory_stats(case.device)
        for _ in range(2):
            case.run()
        sync(case.device)
        return (torch.cuda.max_memory_allocated(case.device) - base) / 2**20
    base = rss_mb()
    for _ in range(2):
        case.run()
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - base  # KiB on Linux


def serve(args: argparse.Namespace, device: torch.device) -> None:
    default, grads = ablation_grads()
    channels_last = {f.name: f.default for f in dataclasses.fields(SearchConfig)}.get("channels_last", False)
    reply({"ddarts": getattr(ddarts, "__version__", "?"), "path": os.path.dirname(os.path.dirname(ddarts.__file__)),
           "default_channels_last": channels_last,
           "torch": torch.__version__, "device": describe(device), "threads": torch.get_num_threads(),
           "default_grad": default, "grads": grads})
    cases: list[Case] = []
    for line in sys.stdin:
        request = json.loads(line)
        if "build" in request:
            cases = [Case(spec, args, device) for spec in request["build"]]
            reply({"formats": [c.format for c in cases]})
        elif "step" in request:
            reply({"s": cases[request["step"]].timed()})
        elif "peak" in request:
            reply({"mb": peak_mb(Case(request["peak"], args, device))})
        else:
            return


def reply(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="benchmark worker (started by python -m ddarts.bench)")
    parser.add_argument("--cells", type=int, required=True)
    parser.add_argument("--init-channels", type=int, required=True)
    parser.add_argument("--batch-size", type=int, required=True)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--no-amp", action="store_true")
    args = parser.parse_args(argv)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    serve(args, resolve(args.device))
    return 0


if __name__ == "__main__":
    sys.exit(main())
