"""The app on every damaged folder of tests/ddarts/runs/damaged_folders.py: open, follow, select every cell,
derive; it shows the run or a message, and never raises.

A window costs seconds to build and tear down, so each test opens a group of cases one after the other in one
window (opening a folder replaces the run shown), naming the case in every assertion.
"""

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "ddarts" / "runs"))
from damaged_folders import MUTATIONS, make_run  # noqa: E402

CASES = sorted(MUTATIONS)
GROUP = 7
GROUPS = [CASES[i:i + GROUP] for i in range(0, len(CASES), GROUP)]


@pytest.fixture(scope="module")
def base_run(tmp_path_factory):
    return make_run(tmp_path_factory.mktemp("base") / "run")


@pytest.mark.parametrize("cases", GROUPS, ids=lambda group: f"{group[0][:20]}..".replace(" ", "-"))
def test_the_app_shows_a_damaged_folder_or_a_message(qtbot, window, base_run, tmp_path, cases):
    shown: list[str] = []
    window.error_shown.connect(shown.append)
    for n, case in enumerate(cases):
        folder = tmp_path / f"case{n}" / "run"
        shutil.copytree(base_run, folder)
        target = MUTATIONS[case](folder)
        shown.clear()
        opened = window.open_run(target)
        assert opened or len(shown) == 1, case
        if not opened:
            continue
        window.session.poll()  # follow
        for cell in range(window.model.n_cells):
            window.model.set_selected_cell(cell)
            window.model.flush()
        window.act_derive.trigger()
        qtbot.wait(20)
