"""File › Open sweep / Compare runs…: many runs side by side, followed while they run.

The table on top selects runs; the tabs below overlay their curves and draw the paper's Fig. 3, 4 and 5 from
all of them. A timer polls the run folders (only what was appended is read); double-clicking a row asks the
main window to open that run in the single-run views.
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QMainWindow, QSplitter, QTabWidget, QWidget

from ..viewmodels.compare import CompareModel
from ..widgets.compare_curves import CompareCurves
from ..widgets.compare_figure import CompareFigure
from ..widgets.compare_table import CompareTable

FIGURE_TABS = (("fig3", "Fig. 3: loss vs w_abl"), ("fig4", "Fig. 4: shares vs w01"), ("fig5", "Fig. 5: best top-1"))


class CompareWindow(QMainWindow):
    open_run_requested = Signal(str)

    def __init__(self, paths: list[str | os.PathLike], poll_ms: int = 2000, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = CompareModel(paths)
        self.setWindowTitle(f"{self.model.title} — ddarts")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.table = CompareTable(self.model)
        self.curves = CompareCurves(self.model)
        self.figures = {name: CompareFigure(self.model, name) for name, _ in FIGURE_TABS}
        self.tabs = QTabWidget()
        self.tabs.addTab(self.curves, "Curves")
        for name, title in FIGURE_TABS:
            self.tabs.addTab(self.figures[name], title)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(1, 2)
        self.setCentralWidget(splitter)
        self.resize(1100, 800)
        self.table.selection_changed.connect(self.curves.set_selection)
        self.table.run_activated.connect(self.open_run_requested)
        self.tabs.currentChanged.connect(lambda _i: self._redraw_current())
        if self.model.names:
            self.table.selectAll()
        self.timer = QTimer(self)
        self.timer.setInterval(poll_ms)
        self.timer.timeout.connect(self.poll)
        self.timer.start()
        self._update_status()

    def poll(self) -> None:
        """Read what the runs appended; redraw only if something changed (the visible tab now, others when shown)."""
        if not self.model.refresh():
            return
        self.table.update_rows()
        self._redraw_current()
        self._update_status()

    def _redraw_current(self) -> None:
        widget = self.tabs.currentWidget()
        if isinstance(widget, (CompareCurves, CompareFigure)):
            widget.redraw()

    def _update_status(self) -> None:
        rows = self.model.rows()
        running = sum(r.status in ("running", "preparing", "paused") for r in rows)
        self.statusBar().showMessage(f"{len(rows)} runs, {running} running" + (" (following)" if self.model.live
                                                                              else ""))

    def closeEvent(self, event) -> None:  # noqa: ANN001 - QCloseEvent
        self.timer.stop()
        super().closeEvent(event)
