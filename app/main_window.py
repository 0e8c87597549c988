"""The main window: layout (menus, toolbar, dockable panels) and the actions the user triggers.

Where the run on show comes from (a search in its own process, a folder followed on a timer, a finished run)
is the session's business (app/session.py); the panels read every source through the same RunModel.
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from . import compare_menu
from .messages import ask_stop_on_close, open_error_box, show_about
from .presets import load_presets
from .resources import PRESETS, icon
from .run_model import RunModel
from .session import RunSession
from .settings import AppSettings
from .widgets.accuracy_plot import AccuracyPlot
from .widgets.alpha_heatmap import AlphaHeatmap
from .widgets.alpha_histogram import AlphaHistogram
from .widgets.cell_diagram import CellDiagram
from .widgets.cell_list import CellList
from .widgets.contributions_plot import ContributionsPlot
from .widgets.deriver_panel import DeriverPanel
from .widgets.dominant_ops_plot import DominantOpsPlot
from .widgets.loss_plot import LossPlot
from .widgets.network_overview import NetworkOverview
from .widgets.search_form import SearchForm
from .widgets.recent_runs_menu import RecentRunsMenu
from .widgets.run_header import RunHeader
from .widgets.status_bar import RunStatusBar
from ddarts.errors import DdartsError
from ddarts.genotype.core import Genotype
from ddarts.search import SearchConfig

DEFAULT_SIZE = QSize(1500, 950)
LIVE_ALPHA_S = 2.0  # seconds between live α reports of a search started here, so the α views move

class MainWindow(QMainWindow):
    error_shown = Signal(str)
    """A message box with this text was opened (tests and logging follow it)."""

    def __init__(self, settings: AppSettings | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings or AppSettings()
        self.setWindowTitle("ddarts — D-DARTS architecture search")
        self.setWindowIcon(icon("ddarts"))
        self.setObjectName("mainWindow")
        self.setDockOptions(QMainWindow.DockOption.AllowTabbedDocks | QMainWindow.DockOption.AnimatedDocks)
        self.model = RunModel(parent=self, parse_off_thread=True)
        self.session = RunSession(self.model, self)
        self.runner = self.session.runner
        self.poll_timer = self.session.poll_timer
        self.last_message_box: QMessageBox | None = None
        self._close_after_stop = False
        self.presets, preset_problems = load_presets(PRESETS)

        self._build_panels()
        self._build_actions()
        self._build_menus_and_toolbar()
        self.setStatusBar(RunStatusBar(self.model))

        self.session.changed.connect(self._update_actions)
        self.session.problem.connect(self.show_error)
        self.session.notice.connect(lambda text: self.statusBar().showMessage(text, 10_000))
        self.session.search_ended.connect(self._on_search_ended)
        for signal in (self.model.updated, self.model.run_replaced):  # the model is ours: no disconnect needed
            signal.connect(partial(self.model.later, self._on_model_updated))

        self.resize(DEFAULT_SIZE)
        geometry, state = self.settings.window_geometry(), self.settings.window_state()
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)
        self._update_actions()
        self._on_model_updated()
        for problem in preset_problems:
            self.statusBar().showMessage(problem, 10_000)

    # ------------------------------------------------------------------ layout
    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_panels(self) -> None:
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.header = RunHeader(self.model)
        layout.addWidget(self.header)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("plotTabs")
        self.loss_plot = LossPlot(self.model)
        self.accuracy_plot = AccuracyPlot(self.model)
        self.dominant_plot = DominantOpsPlot(self.model)
        self.contributions_plot = ContributionsPlot(self.model)
        self.tabs.addTab(self.loss_plot, "Losses")
        self.tabs.addTab(self.accuracy_plot, "Accuracy")
        self.tabs.addTab(self.dominant_plot, "Dominant ops")
        self.tabs.addTab(self.contributions_plot, "Contributions")
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)

        self.cell_list = CellList(self.model)
        self.cells_dock = self._dock("Cells", "cellsDock", self.cell_list, Qt.DockWidgetArea.LeftDockWidgetArea)

        self.histogram = AlphaHistogram(self.model)
        self.heatmap = AlphaHeatmap(self.model)
        alpha_split = QSplitter(Qt.Orientation.Horizontal)
        alpha_split.addWidget(self.histogram)
        alpha_split.addWidget(self.heatmap)
        alpha_split.setStretchFactor(0, 2)
        alpha_split.setStretchFactor(1, 3)
        self.alpha_dock = self._dock("Architecture weights α", "alphaDock", alpha_split,
                                     Qt.DockWidgetArea.BottomDockWidgetArea)

        self.cell_diagram = CellDiagram(self.model)
        self.diagram_dock = self._dock("Cell diagram", "cellDiagramDock", self.cell_diagram,
                                       Qt.DockWidgetArea.RightDockWidgetArea)
        self.network_overview = NetworkOverview(self.model)
        self.network_dock = self._dock("Network", "networkDock", self.network_overview,
                                       Qt.DockWidgetArea.RightDockWidgetArea)
        self.deriver = DeriverPanel(self.model)
        self.deriver_dock = self._dock("Derive && export", "deriverDock", self.deriver,
                                       Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.diagram_dock, self.network_dock)
        self.tabifyDockWidget(self.network_dock, self.deriver_dock)
        self.diagram_dock.raise_()
        self.resizeDocks([self.cells_dock, self.diagram_dock], [210, 430], Qt.Orientation.Horizontal)
        self.resizeDocks([self.alpha_dock], [330], Qt.Orientation.Vertical)
        if hasattr(self.network_overview, "cell_clicked"):
            self.network_overview.cell_clicked.connect(self._select_cell)

    def _select_cell(self, i: int) -> None:
        if 0 <= i < self.model.n_cells:
            self.model.set_selected_cell(i)

    def _action(self, text: str, icon_name: str | None, slot, shortcut: QKeySequence | str | None = None,
                tip: str = "") -> QAction:
        action = QAction(text, self)
        if icon_name:
            action.setIcon(icon(icon_name))
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.triggered.connect(slot)
        return action

    def _build_actions(self) -> None:
        self.act_new = self._action("&New search…", "new", self.new_search, QKeySequence.StandardKey.New,
                                    "Configure and start a new search")
        self.act_open = self._action("&Open run…", "open", self.choose_run, QKeySequence.StandardKey.Open,
                                     "Inspect a run folder (finished, or written right now by `ddarts search`)")
        self.act_export = self._action("&Export genotype…", "export", self.export_genotype, "Ctrl+E",
                                       "Save the current genotype of the run as JSON")
        self.act_derive = self._action("&Derive network…", "derive", self.show_deriver, "Ctrl+D",
                                       "Derive a deeper network from the searched cells and export it")
        self.act_derive_file = self._action("Derive from &genotype file…", None, self.choose_derive_source, None,
                                            "Derive and export a network from a genotype file (JSON or legacy)")
        self.act_quit = self._action("&Quit", "quit", self.close, QKeySequence.StandardKey.Quit, "Quit ddarts")
        self.act_start = self._action("&Start…", "start", self.new_search, "F5",
                                      "Start a new search (opens the search settings)")
        self.act_pause = self._action("&Pause", "pause", self.toggle_pause, "F6", "Pause or resume the search")
        self.act_pause.setCheckable(True)
        self.act_stop = self._action("S&top", "stop", self.stop_search, "Shift+F5",
                                     "Stop after the current step and save a checkpoint")
        self.act_resume_run = self._action("&Resume stopped run", "resume", self.resume_run, "Ctrl+R",
                                           "Continue the stopped or failed run shown, from its checkpoint")
        self.act_about = self._action("&About ddarts", "about", self.show_about, None, "About ddarts")

    def _build_menus_and_toolbar(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.act_new)
        file_menu.addAction(self.act_open)
        self.recent_menu = RecentRunsMenu(self.settings, self)
        self.recent_menu.open_requested.connect(self.open_run)
        file_menu.addMenu(self.recent_menu)
        compare_menu.install(self, file_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.act_export)
        file_menu.addAction(self.act_derive)
        file_menu.addAction(self.act_derive_file)
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)
        search_menu = bar.addMenu("&Search")
        for action in (self.act_start, self.act_pause, self.act_stop, self.act_resume_run):
            search_menu.addAction(action)
        self.view_menu = bar.addMenu("&View")
        for dock in (self.cells_dock, self.alpha_dock, self.diagram_dock, self.network_dock, self.deriver_dock):
            self.view_menu.addAction(dock.toggleViewAction())
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.act_about)

        toolbar = QToolBar("Main toolbar", self)
        toolbar.setObjectName("mainToolbar")
        toolbar.setIconSize(QSize(22, 22))
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for action in (self.act_new, self.act_open, None, self.act_start, self.act_pause, self.act_stop,
                       self.act_resume_run, None, self.act_derive, self.act_export):
            if action is None:
                toolbar.addSeparator()
            else:
                toolbar.addAction(action)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
        self.toolbar = toolbar
        self.view_menu.addSeparator()
        self.view_menu.addAction(toolbar.toggleViewAction())

    # ------------------------------------------------------------------ state of the actions
    def _update_actions(self) -> None:
        running = self.runner.is_running
        self.act_new.setEnabled(not running)
        self.act_start.setEnabled(not running)
        self.act_open.setEnabled(not running)
        self.recent_menu.setEnabled(not running)
        self.act_pause.setEnabled(running and not self.runner.stop_requested)
        self.act_pause.setChecked(self.runner.is_paused)
        self.act_pause.setText("&Resume" if self.runner.is_paused else "&Pause")
        self.act_pause.setIcon(icon("start" if self.runner.is_paused else "pause"))
        self.act_stop.setEnabled(running and not self.runner.stop_requested)
        self.act_resume_run.setEnabled(self.session.resumable())
        self.act_export.setEnabled(self.current_genotype() is not None)

    def _on_model_updated(self) -> None:
        self._update_actions()
        run_dir = self.model.run_dir
        title = "ddarts — D-DARTS architecture search"
        self.setWindowTitle(f"{Path(run_dir).name} — {title}" if run_dir else title)

    # ------------------------------------------------------------------ messages
    def show_error(self, title: str, text: str, details: str = "") -> QMessageBox:
        self.last_message_box = open_error_box(self, title, text, details)
        self.error_shown.emit(text)
        return self.last_message_box

    def confirm_stop_on_close(self) -> bool:
        return ask_stop_on_close(self)

    # ------------------------------------------------------------------ searching
    def new_search(self) -> None:
        if self.runner.is_running:
            return
        form = self.make_search_form()
        try:
            with self.session.process_ahead():  # the search's process starts while the form is filled in
                if form.exec() == SearchForm.DialogCode.Accepted and form.config() is not None:
                    self.start_search(form.config(), form.run_dir())
        finally:
            form.deleteLater()

    def make_search_form(self) -> SearchForm:
        last = self.settings.last_search_config()
        initial: SearchConfig | dict | None = SearchConfig(alpha_live_s=LIVE_ALPHA_S)
        if last:
            try:
                initial = SearchConfig.from_dict({**SearchConfig(alpha_live_s=LIVE_ALPHA_S).to_dict(), **last})
            except DdartsError:
                initial = None
        return SearchForm(self.presets, initial=initial, runs_root=self.settings.runs_root(), parent=self)

    def start_search(self, config: SearchConfig, run_dir: str | os.PathLike) -> None:
        """Start a new search in `run_dir` and show it live."""
        run_dir = self.session.start_search(config, run_dir)
        self.settings.set_last_search_config(config.to_dict())
        self.settings.set_runs_root(str(Path(run_dir).parent))
        self.deriver.use_current_run()
        self.recent_menu.remember(run_dir)
        self.statusBar().showMessage(f"Search started in {run_dir}", 5000)

    def resume_run(self) -> None:
        """Continue the stopped or failed run shown from its checkpoint, in this window."""
        if self.session.resume():
            self.statusBar().showMessage(f"Resuming {self.model.run_dir}", 5000)

    def toggle_pause(self) -> None:
        self.runner.toggle_pause()
        self._update_actions()

    def stop_search(self) -> None:
        self.runner.stop()
        self.statusBar().showMessage("Stopping after the current step…")
        self._update_actions()

    def _on_search_ended(self) -> None:
        if self._close_after_stop:
            self.close()

    # ------------------------------------------------------------------ inspecting run folders
    def choose_run(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open run folder", self.settings.last_open_folder())
        if folder:
            self.open_run(folder)

    def open_run(self, run_dir: str | os.PathLike) -> bool:
        """Show a run folder and keep following it while another process appends to it."""
        if self.runner.is_running:
            self.show_error("Search running", "Stop the running search before opening another run.")
            return False
        try:
            run_dir = self.session.open_folder(run_dir)
        except DdartsError as exc:
            self.show_error("Cannot open run", str(exc))
            return False
        self.deriver.use_current_run()
        self.recent_menu.remember(run_dir)
        self.settings.set_last_open_folder(str(Path(run_dir).parent))
        self.statusBar().showMessage(f"Opened {run_dir}", 5000)
        return True

    # ------------------------------------------------------------------ genotypes, deriving
    def current_genotype(self) -> Genotype | None:
        """The final genotype of the run's parse method, else the newest one (per epoch)."""
        try:
            choice = self.model.state.genotype_for(final_first=True)
        except (DdartsError, ValueError):
            return None  # unusable α: nothing to export, the diagrams say why
        return choice.genotype if choice is not None else None

    def export_genotype(self) -> None:
        genotype = self.current_genotype()
        if genotype is None:
            return
        start = str(Path(self.model.run_dir or Path.cwd()) / "genotype.json")
        path, _filter = QFileDialog.getSaveFileName(self, "Export genotype", start, "Genotype JSON (*.json)")
        if path:
            self.save_genotype(path)

    def save_genotype(self, path: str | os.PathLike) -> None:
        genotype = self.current_genotype()
        if genotype is None:
            raise DdartsError("the run has no genotype yet (one is parsed at the end of each epoch)")
        try:
            genotype.save(path)
        except OSError as exc:
            self.show_error("Cannot export", f"{path}: {exc.strerror or exc}")
            return
        self.statusBar().showMessage(f"Genotype saved to {path}", 5000)

    def show_deriver(self) -> None:
        self.deriver_dock.show()
        self.deriver_dock.raise_()

    def choose_derive_source(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, "Derive from a genotype file", self.settings.last_open_folder(),
            "Genotypes (*.json *.txt *.py);;All files (*)")
        if path:
            self.derive_from(path)

    def derive_from(self, path: str | os.PathLike) -> None:
        """Derive from a genotype file or another run folder instead of the run on show."""
        self.deriver.set_source_path(str(path))
        self.show_deriver()

    def show_about(self) -> None:
        show_about(self)

    # ------------------------------------------------------------------ closing
    def closeEvent(self, event: QCloseEvent) -> None:
        if self.runner.is_running:
            if not self._close_after_stop:
                if not self.confirm_stop_on_close():
                    event.ignore()
                    return
                self._close_after_stop = True
                self.runner.stop()
                self.statusBar().showMessage("Stopping the search and saving a checkpoint before quitting…")
                self._update_actions()
            event.ignore()  # closes for real once the thread has ended (_on_search_ended)
            return
        self.session.stop_following()
        self.settings.save_window(self.saveGeometry(), self.saveState())
        for part in (self.cell_diagram, self.network_overview, self.deriver, self.model):
            part.shutdown()  # waits for their worker threads: none outlives the window
        super().closeEvent(event)

