"""A clean install: the wheel holds only ddarts and ddarts_app, gives `ddarts` and `ddarts gui`, and every declared
dependency is used. The wheel test builds and installs into a fresh virtual environment (about 10 s)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
USED_AS = {  # distribution -> text in the sources that shows it is used
    "torch": "import torch", "torchvision": "torchvision", "numpy": "import numpy", "scikit-learn": "sklearn",
    "PySide6-Essentials": "PySide6", "pyqtgraph": "pyqtgraph", "graphviz-pure": "graphviz-pure",
    "safetensors": "safetensors", "onnx": "import onnx", "onnxruntime": "onnxruntime",
    "onnxscript": "dynamo=True",  # torch.onnx's dynamo exporter runs on onnxscript
    "pillow": "from PIL import", "pyyaml": "import yaml", "tensorboard": "torch.utils.tensorboard",
    "ray": "from ray import tune", "matplotlib": "import matplotlib",
}


def _sources() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for top in ("ddarts", "app") for p in (REPO / top).rglob("*.py"))


def test_every_declared_dependency_is_used():
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {re.split(r"[<>=!~ \[]", d, maxsplit=1)[0] for d in declared}
    assert names == set(USED_AS), "map each new dependency to what uses it"
    text = _sources()
    assert [n for n in names if USED_AS[n] not in text] == []


def test_the_app_imports_itself_relatively_so_it_works_as_ddarts_app():
    absolute = [f"{p.relative_to(REPO)}:{n}" for p in (REPO / "app").rglob("*.py")
                for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
                if re.match(r"\s*(from app[. ]|import app\b)", line)]
    assert absolute == []


@pytest.mark.slow
def test_the_wheel_installs_ddarts_and_ddarts_gui_without_generic_top_level_packages(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    for name in ("ddarts", "app", "resources"):
        shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(REPO / name, source / name)
    pip = [sys.executable, "-m", "pip"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path / "dist"),
                    str(source)], check=True, cwd=tmp_path)
    wheel = next((tmp_path / "dist").glob("ddarts-*.whl"))
    top = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert {t for t in top if not t.endswith(".dist-info")} == {"ddarts", "ddarts_app"}
    assert "ddarts_app/resource_files/icons/ddarts.svg" in zipfile.ZipFile(wheel).namelist()

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / "python"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["QT_QPA_PLATFORM"] = "offscreen"
    # --force-reinstall: the outer environment may hold a development install of the same version
    subprocess.run([*pip, "--python", str(python), "install", "--no-deps", "--force-reinstall", "-q", str(wheel)],
                   check=True, cwd=tmp_path, env=env)

    def run(*argv: str) -> str:
        done = subprocess.run(argv, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    commands = run(str(bindir / "ddarts"), "--help")
    assert "gui" in commands and "draw" in commands
    assert "RUN" in run(str(bindir / "ddarts"), "gui", "--help")
    where = run(str(python), "-c", "import ddarts, ddarts_app.main_window as m, ddarts_app.resources as r; "
                                   "print(ddarts.__file__, m.__file__, r.PRESETS.is_dir())").split()
    assert all(str(venv) in path for path in where[:2]) and where[2] == "True"
