"""Every damaged folder of the fixture gets a view or one clear line from the reader and the CLI, never a traceback."""

import shutil
import sys
from pathlib import Path

import pytest

from ddarts.cli import main
from ddarts.errors import DdartsError
from ddarts.runs import RunReader

sys.path.insert(0, str(Path(__file__).parent))
from damaged_folders import MUTATIONS, make_run  # noqa: E402


@pytest.fixture(scope="module")
def base_run(tmp_path_factory):
    return make_run(tmp_path_factory.mktemp("base") / "run")


@pytest.fixture(params=sorted(MUTATIONS), ids=lambda name: name.replace(" ", "-"))
def damaged(request, base_run, tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(base_run, folder)
    return MUTATIONS[request.param](folder)


def test_the_base_folder_is_valid(base_run, tmp_path, capsys):
    state = RunReader(base_run).read_all()
    assert state.status == "finished" and state.n_cells == 5 and not state.problems
    assert main(["info", str(base_run)]) == 0
    assert main(["derive", str(base_run), "--layers", "8", "-o", str(tmp_path / "d.json")]) == 0
    assert main(["search", "--resume", str(base_run)]) == 2 and "already finished" in capsys.readouterr().err


def test_the_reader_opens_or_refuses_with_one_line(damaged):
    try:
        reader = RunReader(damaged)
        state = reader.read_all()
    except DdartsError as exc:
        assert "\n" not in str(exc)
        return
    alphas = state.latest_alphas
    for cell in range(state.n_cells or 0):  # what the views ask for each cell
        if alphas is not None:
            assert alphas[cell].shape == (14, 7) and alphas.dtype.kind == "f"
    for name in ("train_loss", "val_loss", "l01", "mc"):
        state.step_series(name)
    reader.poll()
    reader.is_live()


@pytest.mark.parametrize("argv", [["info", "{run}"], ["derive", "{run}", "--layers", "8", "-o", "{out}"],
                                  ["search", "--resume", "{run}"]], ids=["info", "derive", "search-resume"])
def test_the_cli_answers_in_one_line(damaged, tmp_path, capsys, argv):
    args = [str(damaged) if a == "{run}" else str(tmp_path / "out.json") if a == "{out}" else a for a in argv]
    code = main(args)
    err = capsys.readouterr().err
    assert code in (0, 2), err
    assert "Traceback" not in err and err.count("\n") <= 1, err
