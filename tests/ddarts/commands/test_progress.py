"""ProgressBar: redraw throttling, plain lines off a terminal, rate and ETA."""

import io

from ddarts.commands.progress import ProgressBar, format_duration


class Clock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_format_duration():
    assert format_duration(0) == "0:00" and format_duration(65) == "1:05" and format_duration(3725) == "1:02:05"
    assert format_duration(float("nan")) == "?" and format_duration(float("inf")) == "?"


def test_terminal_redraws_in_place_at_most_five_times_a_second():
    clock, out = Clock(), Terminal()
    bar = ProgressBar(100, "train", stream=out, clock=clock)
    for i in range(50):  # 50 updates within 0.5 s
        clock.t += 0.01
        bar.update(1, f"loss {i}")
    assert 1 <= out.getvalue().count("\r") <= 4 and "\n" not in out.getvalue()
    bar.close()
    text = out.getvalue()
    assert text.endswith("\n") and "50/100" in text.splitlines()[-1].split("\r")[-1]


def test_plain_stream_gets_whole_lines_with_rate_and_eta():
    clock, out = Clock(), io.StringIO()
    bar = ProgressBar(40, "train", stream=out, clock=clock, initial=10)
    clock.t += 10
    bar.set(20, "epoch 2/4")  # 10 steps in 10 s from the resumed position 10
    bar.close()
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue() and len(lines) == 1  # close() does not repeat an unchanged line
    assert lines[-1] == "train:  50% [############------------] 20/40 [0:10<0:20, 1.00 it/s] epoch 2/4"


def test_write_puts_a_line_above_the_bar():
    clock, out = Clock(), Terminal()
    bar = ProgressBar(10, "x", stream=out, clock=clock)
    bar.update(3)
    bar.write("epoch 1 done")
    text = out.getvalue()
    assert "epoch 1 done\n" in text and text.rstrip().endswith("3/10 [0:00<?, 0.00 it/s]")


def test_unknown_total_shows_a_count():
    out = io.StringIO()
    bar = ProgressBar(0, "download", stream=out, clock=Clock())
    bar.update(5)
    bar.close()
    assert out.getvalue().splitlines()[-1].startswith("download: 5 [")
