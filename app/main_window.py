"""The main window: menus, toolbar, dockable panels and the glue between runner, reader and model.

Every source of events (a search on our own thread, a run folder followed on a timer, a finished run
read at once) goes through the same RunModel, so the panels never know where the data came from.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from . import compare_menu
from .gui_gc import GuiThreadCollector
from .presets import load_presets
from .resources import PRESETS, icon, style_sheet
from .run_model import RunModel
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
from .widgets.status_bar import RunStatusBar
from .worker import SearchRunner
from ddarts import __version__
from ddarts.errors import DdartsError
from ddarts.genotype.core import Genotype
from ddarts.runs import CHECKPOINT_FILE, RunReader, RunState
from ddarts.search import SearchConfig
from ddarts.search.events import Failed, Stopped

DEFAULT_SIZE = QSize(1500, 950)
POLL_INTERVAL_MS = 1000
"""How often a run folder opened from disk is checked for new records."""
CRASH_QUIET_S = 60.0
"""A run that has not ended and wrote nothing for this long is taken for crashed (and offered for resuming)."""
LOSS_NAMES = {"ablation": "L_T", "fair": "L_F"}


def run_header_text(state: RunState, run_dir: str | None) -> str:
    """One line naming the run and its key settings (name, loss, cells, C, batch, seed)."""
    if not run_dir and not state.config:
        return "No run loaded. File › New search… starts one; File › Open run… inspects a run folder."
    cfg = state.config
    parts = [f"<b>Run:</b> {Path(run_dir).name if run_dir else 'unsaved'}"]
    if cfg:
        parts += [
            str(cfg.get("dataset", "?")),
            LOSS_NAMES.get(cfg.get("loss"), str(cfg.get("loss"))),
            f"{cfg.get('cells', '?')} cells",
            f"C={cfg.get('init_channels', '?')}",
            f"batch {cfg.get('batch_size', '?')}",
            f"seed {cfg.get('seed', '?')}",
            f"parse {cfg.get('parse', '?')}@{cfg.get('threshold', '?')}",
        ]
    parts.append(f"<i>{state.status}</i>")
    return " &nbsp;·&nbsp; ".join(parts)


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
        self.collector = GuiThreadCollector(self)
        self.collector.start()
        self.model = RunModel(parent=self)
        self.runner = SearchRunner(self)
        self.reader: RunReader | None = None
        self.poll_timer = QTimer(self)
        self.poll_timer.setInterval(POLL_INTERVAL_MS)
        self.poll_timer.timeout.connect(self.poll_reader)
        self.last_message_box: QMessageBox | None = None
        self._close_after_stop = False
        self.presets, preset_problems = load_presets(PRESETS)

        self._build_panels()
        self._build_actions()
        self._build_menus_and_toolbar()
        self.setStatusBar(RunStatusBar(self.model))

        self.runner.events.connect(self._on_events)
        self.runner.finished.connect(self._on_search_ended)
        self.runner.crashed.connect(self._on_search_crashed)
        self.runner.paused_changed.connect(lambda _p: self._update_actions())
        self.model.updated.connect(self._on_model_updated)
        self.model.run_replaced.connect(self._on_model_updated)

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
        self.header = QLabel()
        self.header.setObjectName("runHeader")
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
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
        self.recent_menu = QMenu("Recent &runs", self)
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
        self.refresh_recent_menu()

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
    def _resumable(self) -> bool:
        """A stopped or failed run, or one whose writer died (no record for CRASH_QUIET_S), with a checkpoint."""
        state, run_dir = self.model.state, self.model.run_dir
        if self.runner.is_running or not run_dir:
            return False
        if state.status in ("stopped", "failed"):
            pass
        elif state.status in ("running", "paused") and self.reader is not None:
            if self.reader.is_live(within_s=CRASH_QUIET_S):
                return False
        else:
            return False
        return (Path(run_dir) / CHECKPOINT_FILE).is_file()

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
        self.act_resume_run.setEnabled(self._resumable())
        self.act_export.setEnabled(self.current_genotype() is not None)

    def _on_model_updated(self) -> None:
        self.header.setText(run_header_text(self.model.state, self.model.run_dir))
        self._update_actions()
        run_dir = self.model.run_dir
        title = "ddarts — D-DARTS architecture search"
        self.setWindowTitle(f"{Path(run_dir).name} — {title}" if run_dir else title)

    # ------------------------------------------------------------------ messages
    def show_error(self, title: str, text: str, details: str = "") -> QMessageBox:
        """A window-modal message that does not block the event loop (the search keeps reporting)."""
        box = QMessageBox(QMessageBox.Icon.Critical, title, text, QMessageBox.StandardButton.Ok, self)
        if details:
            box.setDetailedText(details)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.last_message_box = box
        self.error_shown.emit(text)
        return box

    def confirm_stop_on_close(self) -> bool:
        """Ask whether closing may stop the running search (it stays resumable)."""
        answer = QMessageBox.question(
            self, "Search running",
            "A search is running. Stop it after the current step, save a checkpoint and quit?\n\n"
            "The run can be resumed later with Search › Resume stopped run.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes

    # ------------------------------------------------------------------ searching
    def new_search(self) -> None:
        if self.runner.is_running:
            return
        form = self.make_search_form()
        try:
            if form.exec() == SearchForm.DialogCode.Accepted and form.config() is not None:
                self.start_search(form.config(), form.run_dir())
        finally:
            form.deleteLater()

    def make_search_form(self) -> SearchForm:
        last = self.settings.last_search_config()
        initial: SearchConfig | dict | None = None
        if last:
            try:
                initial = SearchConfig.from_dict({**SearchConfig().to_dict(), **last})
            except DdartsError:
                initial = None
        return SearchForm(self.presets, initial=initial, runs_root=self.settings.runs_root(), parent=self)

    def start_search(self, config: SearchConfig, run_dir: str | os.PathLike) -> None:
        """Start a new search in `run_dir` and show it live."""
        if self.runner.is_running:
            raise RuntimeError("a search is already running")
        run_dir = str(Path(run_dir).resolve())
        self._stop_following()
        self.settings.set_last_search_config(config.to_dict())
        self.settings.set_runs_root(str(Path(run_dir).parent))
        self.model.reset(RunState(config=config.to_dict(), run_dir=run_dir), run_dir=run_dir)
        self.deriver.use_current_run()
        self.runner.start(config, run_dir)
        self._remember_run(run_dir)
        self._update_actions()
        self.statusBar().showMessage(f"Search started in {run_dir}", 5000)

    def resume_run(self) -> None:
        """Continue the stopped or failed run shown from its checkpoint, in this window."""
        run_dir = self.model.run_dir
        if not run_dir or self.runner.is_running:
            return
        try:
            reader = RunReader(run_dir)
            state = reader.read_all()
        except DdartsError as exc:
            self.show_error("Cannot resume", str(exc))
            return
        self._stop_following()
        self.model.reset(state, run_dir=run_dir)
        self.runner.start(None, run_dir, resume=True)
        self._update_actions()
        self.statusBar().showMessage(f"Resuming {run_dir}", 5000)

    def toggle_pause(self) -> None:
        self.runner.toggle_pause()
        self._update_actions()

    def stop_search(self) -> None:
        self.runner.stop()
        self.statusBar().showMessage("Stopping after the current step…")
        self._update_actions()

    def _on_events(self, events: list) -> None:
        self.model.apply(events)
        for event in events:
            if isinstance(event, Failed):
                title = "Out of memory" if event.kind == "oom" else "Search failed"
                note = "\n\nThe run is resumable: Search › Resume stopped run." if event.checkpoint else ""
                self.show_error(title, event.message + note, event.traceback)
            elif isinstance(event, Stopped):
                self.statusBar().showMessage("Search stopped; Search › Resume stopped run continues it.", 10_000)

    def _on_search_crashed(self, message: str, details: str) -> None:
        self.show_error("Search could not run", message, details)

    def _on_search_ended(self) -> None:
        self.model.flush()
        self._update_actions()
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
            run_dir = str(Path(run_dir).resolve())
        except (OSError, RuntimeError) as exc:  # a symbolic link loop
            self.show_error("Cannot open run", f"{run_dir}: {exc}")
            return False
        try:
            reader = RunReader(run_dir)
            events = reader.poll()
        except DdartsError as exc:
            self.show_error("Cannot open run", str(exc))
            return False
        self._stop_following()
        self.reader = reader
        self.model.reset(RunState(config=reader.header.get("config"), run_dir=run_dir), run_dir=run_dir)
        self.model.apply(events)
        self.model.flush()
        self.deriver.use_current_run()
        self.poll_timer.start()
        self._remember_run(run_dir)
        self.settings.set_last_open_folder(str(Path(run_dir).parent))
        self.statusBar().showMessage(f"Opened {run_dir}", 5000)
        return True

    def poll_reader(self) -> None:
        if self.reader is None:
            return
        try:
            events = self.reader.poll()
        except DdartsError as exc:
            self._stop_following()
            self.show_error("Stopped following the run", str(exc))
            return
        if events:
            self.model.apply(events)
        else:
            self._update_actions()  # a run that went quiet may have crashed: offer to resume it

    def _stop_following(self) -> None:
        self.poll_timer.stop()
        self.reader = None

    def _remember_run(self, run_dir: str) -> None:
        self.settings.add_recent_run(run_dir)
        self.refresh_recent_menu()

    def refresh_recent_menu(self) -> None:
        self.recent_menu.clear()
        runs = self.settings.recent_runs()
        for path in runs:
            action = self.recent_menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _checked=False, p=path: self.open_run(p))
        if not runs:
            empty = self.recent_menu.addAction("(none yet)")
            empty.setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            clear = self.recent_menu.addAction("Clear list")
            clear.triggered.connect(self._clear_recent)

    def _clear_recent(self) -> None:
        self.settings.clear_recent_runs()
        self.refresh_recent_menu()

    # ------------------------------------------------------------------ genotypes, deriving
    def current_genotype(self) -> Genotype | None:
        """The final genotype of the run's parse method, else the newest per-epoch genotype."""
        state = self.model.state
        if state.final_genotypes:
            method = state.config.get("parse")
            return state.final_genotypes.get(method) or next(iter(state.final_genotypes.values()))
        if state.genotypes:
            return state.genotypes[max(state.genotypes)]
        return None

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
        QMessageBox.about(
            self, "About ddarts",
            f"<h3>ddarts {__version__}</h3>"
            "<p>Run and inspect D-DARTS (distributed differentiable architecture search) searches: every cell "
            "of the supernet searches its own architecture, guided by the ablation loss L_T.</p>"
            "<p>Library, command line (<code>ddarts</code>) and this desktop application share one run-folder "
            "format.</p>",
        )

    # ------------------------------------------------------------------ closing
    def showEvent(self, event) -> None:  # noqa: ANN001 - QShowEvent
        self.collector.start()  # again, if the window was closed and shown anew
        super().showEvent(event)

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
        self._stop_following()
        self.settings.save_window(self.saveGeometry(), self.saveState())
        for widget in (self.cell_diagram, self.network_overview, self.deriver):
            widget.shutdown()
        self.collector.stop()
        super().closeEvent(event)


def create_application(argv: list[str]) -> QApplication:
    app = QApplication.instance() or QApplication(argv)
    app.setApplicationName("ddarts")
    app.setOrganizationName("ddarts")
    app.setApplicationVersion(__version__)
    app.setWindowIcon(icon("ddarts"))
    app.setStyle("Fusion")
    app.setStyleSheet(style_sheet())
    return app
