"""Grab the pictures of docs/gui.md from the real application, with a real tiny search on digits.

    python docs/make_screenshots.py            # offscreen; writes docs/screenshots/*.png

Runs headless (QT_QPA_PLATFORM=offscreen unless a platform is set) with private settings, so the
user's window layout and recent runs are neither used nor changed.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OUT = ROOT / "docs" / "screenshots"
SHOT_CHANGES = {"epochs": 8, "arch_lr": 0.3, "arch_lr_min": 0.05}
"""The demo preset with a faster α learning rate and two more epochs, so that dominant ops (σ > 0.9) appear
within a few epochs of a CPU run: the pictures show a search that commits, not one still undecided."""


def main() -> int:
    from app.settings import use_settings_folder

    work = Path(tempfile.mkdtemp(prefix="ddarts-shots-"))
    use_settings_folder(work / "settings")

    from app.application import create_application
    from app.main_window import MainWindow
    from app.presets import load_presets

    app = create_application(sys.argv)
    OUT.mkdir(parents=True, exist_ok=True)
    window = MainWindow()
    window.show()

    def pump(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.02)

    def wait_for(condition, timeout: float, what: str) -> None:
        end = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > end:
                raise TimeoutError(f"gave up waiting for {what}")
            pump(0.05)

    presets, _problems = load_presets()
    demo = next(p for p in presets if p.name.startswith("Quick CPU demo"))
    config = demo.config().replace(data_dir=str(work / "data"), **SHOT_CHANGES)
    run_dir = work / "runs" / "digits-lt-demo"

    form = window.make_search_form()
    form.preset_combo.setCurrentIndex(form.preset_combo.findText(demo.name))
    form.set_run_dir(run_dir)
    form.show()
    pump(0.5)
    form.grab().save(str(OUT / "new_search.png"))
    form.close()

    try:
        window.start_search(config, run_dir)

        def dominant_ops_live() -> bool:  # dominant ops have appeared, and α is a live report within an epoch
            state = window.model.state
            shares = state.shares.series("dominant_share") if len(state.shares) else []
            return len(shares) > 0 and shares[-1] > 0.02 and state.live_alpha is not None

        wait_for(dominant_ops_live, 3000, "dominant ops in a live α report")
        per_cell = window.model.state.shares.series("dominant_share_per_cell")[-1]
        window.model.set_selected_cell(int(per_cell.argmax()))  # the most decided cell, drawn with the run's parse
        window.tabs.setCurrentWidget(window.dominant_plot)
        wait_for(lambda: window.cell_diagram.view.has_diagram, 120, "the cell diagram")
        pump(1.0)
        window.grab().save(str(OUT / "main_window.png"))
        print("main window captured during the search at step", window.model.state.step,
              "dominant share", window.header.overview.text())
        window.tabs.setCurrentWidget(window.contributions_plot)
        pump(0.5)
        window.contributions_plot.grab().save(str(OUT / "contributions.png"))
    finally:
        window.stop_search()
        wait_for(lambda: not window.runner.is_running, 600, "the search to stop")

    window.diagram_dock.raise_()
    wait_for(lambda: window.cell_diagram.view.has_diagram, 120, "the cell diagram")
    pump(0.5)
    window.cell_diagram.grab().save(str(OUT / "cell_diagram.png"))

    window.show_deriver()
    window.deriver.method_combo.setCurrentText("darts")
    window.deriver.set_layers(14)
    wait_for(lambda: window.deriver.derivation is not None and window.deriver.stats is not None, 300,
             "the derived network's size")
    pump(0.5)
    window.deriver.grab().save(str(OUT / "deriver.png"))

    window.close()
    app.processEvents()
    shutil.rmtree(work, ignore_errors=True)
    print("screenshots written to", OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
