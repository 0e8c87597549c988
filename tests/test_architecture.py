"""The house rules that keep the code base navigable, checked on every run of the suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MAX_LINES = 400


def test_import_contracts_hold():
    """import-linter's contracts in pyproject.toml: Qt-free library and view models, layers only import down."""
    result = subprocess.run([sys.executable, "-c", "import sys; from importlinter.cli import lint_imports; "
                             "sys.exit(lint_imports())"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_no_source_file_is_longer_than_the_limit():
    long = {str(p.relative_to(REPO)): n for top in ("ddarts", "app") for p in (REPO / top).rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"split these along a seam (limit {MAX_LINES} lines): {long}"


def test_readme_architecture_names_every_package():
    """The README's Architecture section lists each sub-package, so the map and the tree cannot drift apart."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Architecture", 1)[1].split("\n## ", 1)[0]
    for top in ("ddarts", "app"):
        for init in (REPO / top).glob("*/__init__.py"):
            assert f"{init.parent.name}/" in section, f"README Architecture does not mention {top}/{init.parent.name}/"
