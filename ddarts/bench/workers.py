"""Starting benchmark workers (`worker.py`) in a checkout of ddarts and talking to them over pipes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import ddarts
from ddarts.errors import DdartsError

WORKER = Path(__file__).with_name("worker.py")
LAUNCH = "import runpy, sys; path = sys.argv[1]; sys.argv = sys.argv[1:]; runpy.run_path(path, run_name='__main__')"
"""Runs worker.py without putting its folder on sys.path (that would shadow the checkout's modules)."""

THIS_CHECKOUT = Path(ddarts.__file__).resolve().parent.parent


def check_checkout(path: str | os.PathLike) -> Path:
    root = Path(path).expanduser().resolve()
    if not (root / "ddarts" / "search" / "engine.py").is_file():
        raise DdartsError(f"{path} is not a ddarts checkout (no ddarts/search/engine.py in it)")
    return root


def describe_checkout(root: Path) -> str:
    """`git describe`-like label of a checkout, or its path where git cannot say."""
    try:
        out = subprocess.run(["git", "-C", str(root), "log", "-1", "--format=%h %s"], capture_output=True,
                             text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return str(root)
    return out.stdout.strip()[:72] if out.returncode == 0 and out.stdout.strip() else str(root)


class Worker:
    """One worker process whose `import ddarts` resolves to `checkout`."""

    def __init__(self, checkout: Path, flags: list[str]):
        self.checkout = checkout
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(checkout)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        self.proc = subprocess.Popen([sys.executable, "-c", LAUNCH, str(WORKER), *flags], cwd=checkout, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.info = self._read()

    def _read(self) -> dict[str, Any]:
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line:
            code = self.proc.wait()
            raise DdartsError(f"the benchmark worker for {self.checkout} stopped (exit status {code}); see above")
        return json.loads(line)

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.write(json.dumps({"quit": True}) + "\n")
                self.proc.stdin.close()
            except (BrokenPipeError, OSError):
                pass
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> "Worker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def measure_peak(checkout: Path, flags: list[str], case: dict[str, Any]) -> float:
    """Peak MB of one case in a fresh worker: a CPU's resident-set peak is per process."""
    with Worker(checkout, flags) as worker:
        return float(worker.ask({"peak": case})["mb"])
