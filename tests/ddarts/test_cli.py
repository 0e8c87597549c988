"""The command line's answers to hostile input: one line, the right exit status, nothing replaced or lost."""

import json
import os
import signal
import stat
import time

import pytest

from ddarts import cli
from ddarts.commands.streams import PipeSafeOutput
from ddarts.runtime.interrupts import StopOnSignals, Terminated
from ddarts.search.control import SearchControl

GENOTYPE = "tests/data/reference-genotypes/D-DARTS_threshold_sparse_cifar10_0.85_50.txt"
DARTS = "tests/data/reference-genotypes/DARTS_V2.txt"


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _one_line(err):
    return err.count("\n") == 1 and "Traceback" not in err


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


# ---------------------------------------------------------------------------------------------- 1. output paths
@pytest.mark.parametrize("argv", [
    ["derive", GENOTYPE, "--layers", 8, "-o", "{target}"],
    ["genotype", GENOTYPE, "-o", "{target}"],
    ["export", GENOTYPE, "-o", "{target}", "--init-channels", 4],
    ["search", "--dataset", "digits", "--device", "cpu", "--out", "{target}"],
    ["train", GENOTYPE, "--dataset", "digits", "--device", "cpu", "--out", "{target}"],
])
def test_a_fifo_or_an_empty_path_is_never_an_output(capsys, fifo, argv):
    for target in (fifo, ""):
        code, _out, err = run(capsys, *[str(target) if a == "{target}" else a for a in argv])
        assert code == 2 and _one_line(err), err
        assert stat.S_ISFIFO(os.stat(fifo).st_mode)  # still the FIFO, not replaced by a regular file


@pytest.mark.parametrize("command", ["derive", "genotype"])
def test_an_existing_folder_as_output_is_one_line(tmp_path, capsys, command):
    extra = ["--layers", 8] if command == "derive" else []
    code, _out, err = run(capsys, command, GENOTYPE, *extra, "-o", tmp_path)
    assert code == 2 and _one_line(err) and "is a folder" in err


# ---------------------------------------------------------------------------------------------- 8. messages
def test_a_fifo_or_device_as_genotype_says_what_it_is(capsys, fifo):
    code, _out, err = run(capsys, "info", fifo)
    assert code == 2 and "is a FIFO (named pipe), not a genotype file" in err and _one_line(err)
    code, _out, err = run(capsys, "genotype", "/dev/null")
    assert code == 2 and "is a character device" in err and _one_line(err)


def test_an_unreadable_genotype_is_one_line(tmp_path, capsys, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    target = tmp_path / "g.txt"
    target.write_text(open(GENOTYPE).read())
    monkeypatch.setattr("builtins.open", refuse)
    code, _out, err = run(capsys, "info", target)
    assert code == 2 and "Permission denied" in err and _one_line(err)


def test_a_bad_value_in_a_config_file_names_the_file(tmp_path, capsys):
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"cells": -4}))
    code, _out, err = run(capsys, "search", "--config", config, "--out", tmp_path / "r")
    assert code == 2 and str(config) in err and "cells" in err and _one_line(err)
    assert not (tmp_path / "r").exists()


def test_ctrl_c_and_sigterm_exit_130_and_143_with_one_line(capsys, monkeypatch):
    import ddarts.commands.info as info

    for error, code in ((KeyboardInterrupt, 130), (Terminated, 143)):
        def interrupted(args, error=error):
            raise error()

        monkeypatch.setattr(info, "run", interrupted)
        result, _out, err = run(capsys, "info", GENOTYPE)
        assert result == code and _one_line(err) and ("interrupted" in err or "terminated" in err)


def test_a_first_signal_stops_and_a_second_aborts():
    for signum, code, abort in ((signal.SIGINT, 130, KeyboardInterrupt), (signal.SIGTERM, 143, Terminated)):
        control = SearchControl()
        messages = []
        with StopOnSignals(control, messages.append, "stopping") as handler:
            handler._handle(signum, None)
            assert control.stop_requested and handler.exit_code == code and messages == ["stopping"]
            with pytest.raises(abort):
                handler._handle(signum, None)


def test_a_closed_pipe_does_not_skip_the_save(tmp_path, capsys, monkeypatch):
    class ClosedPipe:
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr("sys.stdout", ClosedPipe())
    out = tmp_path / "g.json"
    assert cli.main(["genotype", GENOTYPE, "-o", str(out)]) == 0
    assert json.loads(out.read_text())["format_version"] == 1
    wrapped = PipeSafeOutput(ClosedPipe())
    assert wrapped.write("x") == 1 and wrapped.broken


# ---------------------------------------------------------------------------------------------- 6. limits
def _timed(capsys, *argv):
    start = time.perf_counter()
    code, _out, err = run(capsys, *argv)
    return code, err, time.perf_counter() - start


def test_resource_limits_fail_fast_with_one_line(tmp_path, capsys):
    many = tmp_path / "many.json"
    many.write_text(json.dumps({"format_version": 1, "cells": [[["skip_connect", 2, 0]]] * 38000,
                                "reductions": [1, 2]}))
    nested = tmp_path / "nested.json"
    nested.write_text("{" + '"cells":' + "[" * 100_000 + "]" * 100_000 + "}")
    digits = tmp_path / "digits.json"
    digits.write_text('{"format_version": 1' + "0" * 5000 + ', "cells": [], "reductions": []}')
    cases = [("info", many), ("derive", GENOTYPE, "--layers", 100_000_000, "-o", tmp_path / "d.json"),
             ("info", DARTS, "--layers", 100_000), ("info", nested), ("derive", digits, "--layers", 8, "-o", many)]
    for argv in cases:
        code, err, seconds = _timed(capsys, *argv)
        assert code == 2 and _one_line(err) and seconds < 2, (argv, err, seconds)
        assert "limit" in err or "too large" in err, err
