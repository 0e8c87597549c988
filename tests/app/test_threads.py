"""GeneratorRunner: any generator of events on a QThread, with pause, stop, abort and errors as signals."""

from __future__ import annotations

import threading

from ddarts.errors import DdartsError

from app.threads import GeneratorRunner, live_threads


def counting(limit: int, seen_threads: list, closed: list):
    """A generator that obeys the control between its steps, like the search engine."""

    def factory(control):
        def run():
            seen_threads.append(threading.get_ident())
            try:
                for i in range(limit):
                    while control.paused and not control.stop_requested:
                        control.wait_while_paused(0.01)
                    if control.stop_requested:
                        yield "stopped"
                        return
                    yield i
            finally:
                closed.append(True)
        return run()

    return factory


def collect(runner: GeneratorRunner) -> list:
    received: list = []
    runner.events.connect(received.extend)
    return received


def test_events_arrive_on_the_gui_thread_in_order(qtbot):
    runner = GeneratorRunner(frequent=(int,))
    received, threads, closed = collect(runner), [], []
    with qtbot.waitSignal(runner.finished, timeout=30_000):
        runner.start(counting(500, threads, closed), "count")
        assert runner.is_running and runner.name == "count"
    assert received == list(range(500)) and closed == [True]
    assert threads[0] != threading.main_thread().ident and not runner.is_running
    assert not [t for t in live_threads() if t.isRunning()]


def test_pause_then_stop_wakes_the_generator_and_ends_it(qtbot):
    runner = GeneratorRunner()
    received, closed = collect(runner), []
    pauses: list[bool] = []
    runner.paused_changed.connect(pauses.append)
    runner.start(counting(10**9, [], closed), "forever")
    runner.pause()
    assert runner.is_paused
    qtbot.wait(100)
    count = len(received)
    qtbot.wait(200)
    assert len(received) <= count + 1  # paused: at most the step in flight
    with qtbot.waitSignal(runner.finished, timeout=30_000):
        runner.stop()
        assert runner.stop_requested
    assert received[-1] == "stopped" and closed == [True] and pauses == [True, False]


def test_abort_closes_the_generator_at_its_next_event(qtbot):
    def stubborn(control):  # ignores stop requests: only abort ends it
        try:
            while True:
                yield "tick"
        finally:
            closed.append(True)

    closed: list = []
    runner = GeneratorRunner(frequent=(str,))
    with qtbot.waitSignal(runner.finished, timeout=30_000):
        runner.start(stubborn, "stubborn")
        runner.abort()
    assert closed == [True] and runner.error is None


def test_errors_are_re_raised_on_the_gui_side_as_a_signal(qtbot):
    def failing(control):
        yield 1
        raise ZeroDivisionError("no step size")

    def refused(control):
        raise DdartsError("the run folder already exists")
        yield  # a generator

    runner = GeneratorRunner()
    received, crashes = collect(runner), []
    runner.crashed.connect(lambda message, details: crashes.append((message, details)))
    with qtbot.waitSignal(runner.finished, timeout=30_000):
        runner.start(failing, "failing")
    (message, details), = crashes
    assert message == "ZeroDivisionError: no step size" and "Traceback" in details and received == [1]
    assert isinstance(runner.error, ZeroDivisionError)
    with qtbot.waitSignal(runner.finished, timeout=30_000):
        runner.start(refused, "refused")
    assert crashes[1] == ("the run folder already exists", "") and isinstance(runner.error, DdartsError)
