"""New-search dialog: every SearchConfig field, grouped, validated live through SearchConfig itself.

Validation is not duplicated here: the form builds a SearchConfig on every edit and shows the
ConfigError it raises next to the offending field, so the GUI can never accept what the library
would refuse, and Start stays disabled until the whole form is valid.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..presets import Preset
from ddarts.search.config import ConfigError, SearchConfig
from ddarts.search.fields import FIELDS, run_folder_name
from ddarts.search.fields import GROUPS as FIELD_GROUPS

DEVICE_CHOICES = ("auto", "cpu", "cuda", "cuda:0", "cuda:1")
SPIN_RANGE = (0, 2_147_483_647)  # wide on purpose: SearchConfig decides what is valid and says why
OPTIONAL_TEXT = {"steps_per_epoch": "full epoch", "image_size": "from the images"}
FOLDER_DATASETS = ("imagenet", "folder")
CONFIG_FIELDS = tuple(f.name for f in fields(SearchConfig))
# Labels, help, groups and choices are the library's (ddarts.search.fields), shared with `ddarts search --help`.
LABELS: dict[str, str] = {name: meta.label for name, meta in FIELDS.items()}
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = tuple(
    (group, tuple(name for name in CONFIG_FIELDS if FIELDS[name].group == group)) for group in FIELD_GROUPS)
RUN_DIR_FIELD = "run_dir"


def default_run_dir(runs_root: str | Path, dataset: str, loss: str, now: float | None = None) -> str:
    return run_folder_name(runs_root, dataset, loss, now)


def _format_float(value: float) -> str:
    return f"{value:.6g}"


class SearchForm(QDialog):
    """Dialog that yields a valid SearchConfig and a fresh run folder, or nothing (Cancel)."""

    validity_changed = Signal(bool)

    def __init__(self, presets: list[Preset] | None = None, initial: SearchConfig | dict | None = None,
                 runs_root: str | Path | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("New search")
        self.setObjectName("searchForm")
        self._presets = list(presets or [])
        self._runs_root = Path(runs_root) if runs_root else Path.cwd() / "runs"
        self._run_dir_auto = True
        self._config: SearchConfig | None = None
        self._error: ConfigError | None = None
        self._loading = False
        self.widgets: dict[str, QWidget] = {}
        self._getters: dict[str, Callable[[], Any]] = {}
        self._setters: dict[str, Callable[[Any], None]] = {}

        root = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel("Preset:"))
        self.preset_combo = QComboBox()
        self.preset_combo.addItem("— keep current values —", None)
        for preset in self._presets:
            self.preset_combo.addItem(preset.name, preset.name)
        self.preset_combo.currentIndexChanged.connect(self._on_preset_chosen)
        top.addWidget(self.preset_combo, 1)
        root.addLayout(top)
        self.preset_description = QLabel("")
        self.preset_description.setObjectName("presetDescription")
        self.preset_description.setWordWrap(True)
        root.addWidget(self.preset_description)

        grid = QGridLayout()
        columns = {"Data": (0, 0), "Loss": (1, 0), "Network": (2, 0), "Parse": (3, 0),
                   "Optimisation": (0, 1, 3), "Execution": (3, 1)}
        for title, names in GROUPS:
            box = QGroupBox(title)
            form = QFormLayout(box)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
            for name in names:
                form.addRow(LABELS[name] + ":", self._make_field(name))
            pos = columns[title]
            grid.addWidget(box, pos[0], pos[1], pos[2] if len(pos) > 2 else 1, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        root.addLayout(grid)

        run_box = QGroupBox("Run folder")
        run_row = QHBoxLayout(run_box)
        self.run_dir_edit = QLineEdit()
        self.run_dir_edit.setObjectName(RUN_DIR_FIELD)
        self.run_dir_edit.textEdited.connect(self._on_run_dir_edited)
        self.run_dir_edit.textChanged.connect(lambda _text: self._revalidate(refresh_default=False))
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._choose_run_dir)
        run_row.addWidget(self.run_dir_edit, 1)
        run_row.addWidget(browse)
        root.addWidget(run_box)
        self.widgets[RUN_DIR_FIELD] = self.run_dir_edit

        self.error_label = QLabel("")
        self.error_label.setObjectName("formError")
        self.error_label.setWordWrap(True)
        root.addWidget(self.error_label)

        self.buttons = QDialogButtonBox()
        self.start_button = self.buttons.addButton("Start search", QDialogButtonBox.ButtonRole.AcceptRole)
        self.start_button.setObjectName("startButton")
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._on_accept)
        self.buttons.rejected.connect(self.reject)
        root.addWidget(self.buttons)

        self.set_config(initial if initial is not None else SearchConfig())
        self.resize(940, 700)

    # ------------------------------------------------------------------ fields
    def _make_field(self, name: str) -> QWidget:
        default = getattr(SearchConfig(), name)
        meta = FIELDS[name]
        widget: QWidget
        if meta.choices:
            combo = QComboBox()
            for value in meta.choices:
                combo.addItem(meta.label_of(value), value)
            combo.currentIndexChanged.connect(self._revalidate)
            self._getters[name] = lambda c=combo: c.currentData()
            self._setters[name] = lambda v, c=combo: c.setCurrentIndex(max(0, c.findData(v)))
            widget = combo
        elif name == "device":
            combo = QComboBox()
            combo.setEditable(True)
            combo.addItems(DEVICE_CHOICES)
            combo.currentTextChanged.connect(self._revalidate)
            self._getters[name] = lambda c=combo: c.currentText().strip()
            self._setters[name] = lambda v, c=combo: c.setCurrentText(str(v))
            widget = combo
        elif isinstance(default, bool):
            check = QCheckBox()
            check.toggled.connect(self._revalidate)
            self._getters[name] = check.isChecked
            self._setters[name] = lambda v, c=check: c.setChecked(bool(v))
            widget = check
        elif meta.integer:
            spin = QSpinBox()
            spin.setRange(*SPIN_RANGE)
            spin.setAccelerated(True)
            if meta.optional:
                spin.setSpecialValueText(OPTIONAL_TEXT.get(name, "automatic"))
                self._getters[name] = lambda s=spin: s.value() or None
                self._setters[name] = lambda v, s=spin: s.setValue(int(v or 0))
            else:
                self._getters[name] = spin.value
                self._setters[name] = lambda v, s=spin: s.setValue(int(v))
            spin.valueChanged.connect(self._revalidate)
            widget = spin
        elif meta.is_number:
            edit = QLineEdit()
            edit.textChanged.connect(self._revalidate)

            def get_float(e: QLineEdit = edit, field_name: str = name) -> float:
                text = e.text().strip()
                try:
                    return float(text)
                except ValueError:
                    raise ConfigError(field_name, f"expected a number, got {text!r}") from None

            self._getters[name] = get_float
            self._setters[name] = lambda v, e=edit: e.setText(v if isinstance(v, str) else _format_float(float(v)))
            widget = edit
        elif name == "data_dir":
            edit = QLineEdit()
            edit.textChanged.connect(self._revalidate)
            self._getters[name] = lambda e=edit: e.text().strip()
            self._setters[name] = lambda v, e=edit: e.setText(str(v))
            self.widgets[name] = edit
            edit.setObjectName(name)
            edit.setToolTip(meta.help)
            holder = QWidget()
            row = QHBoxLayout(holder)
            row.setContentsMargins(0, 0, 0, 0)
            row.addWidget(edit, 1)
            browse = QPushButton("…")
            browse.setFixedWidth(32)
            browse.setToolTip("Choose the data folder")
            browse.clicked.connect(self._choose_data_dir)
            row.addWidget(browse)
            return holder
        else:  # pragma: no cover - every SearchConfig field is listed above
            raise KeyError(f"no editor for SearchConfig field {name!r}")
        widget.setObjectName(name)
        widget.setToolTip(meta.help)
        self.widgets[name] = widget
        return widget

    def set_value(self, name: str, value: Any) -> None:
        """Set one field as a user would (tests and presets go through here)."""
        self._setters[name](value)

    def set_config(self, config: SearchConfig | dict) -> None:
        data = config.to_dict() if isinstance(config, SearchConfig) else {**SearchConfig().to_dict(), **config}
        self._loading = True
        try:
            for name, value in data.items():
                if name in self._setters:
                    self._setters[name](value)
        finally:
            self._loading = False
        self._revalidate()

    def apply_preset(self, name: str) -> None:
        for preset in self._presets:
            if preset.name == name:
                self.set_config({**SearchConfig().to_dict(), **preset.values})
                self.preset_description.setText(preset.description)
                return
        raise KeyError(f"no preset named {name!r}; known: {', '.join(p.name for p in self._presets)}")

    def _on_preset_chosen(self, index: int) -> None:
        name = self.preset_combo.itemData(index)
        if name:
            self.apply_preset(name)
        else:
            self.preset_description.setText("")

    # ------------------------------------------------------------------ run folder
    def set_run_dir(self, path: str | Path) -> None:
        """Use this folder for the run (no longer follows dataset and loss)."""
        self._run_dir_auto = False
        self.run_dir_edit.setText(str(path))

    def _on_run_dir_edited(self, _text: str) -> None:
        self._run_dir_auto = False

    def _refresh_default_run_dir(self) -> None:
        if not self._run_dir_auto:
            return
        dataset = self._getters["dataset"]() or "run"
        loss = self._getters["loss"]() or ""
        text = default_run_dir(self._runs_root, dataset, loss)
        if self.run_dir_edit.text() != text:
            self.run_dir_edit.setText(text)

    def _choose_run_dir(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Parent folder of the new run", str(self._runs_root))
        if folder:
            name = Path(self.run_dir_edit.text() or default_run_dir(folder, "run", "")).name
            self.set_run_dir(Path(folder) / name)

    def _choose_data_dir(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Data folder", self._getters["data_dir"]() or str(Path.cwd()))
        if folder:
            self._setters["data_dir"](folder)

    # ------------------------------------------------------------------ validation
    def _values(self) -> dict[str, Any]:
        return {f.name: self._getters[f.name]() for f in fields(SearchConfig)}

    def _check(self) -> SearchConfig:
        config = SearchConfig.from_dict(self._values())
        if config.dataset in FOLDER_DATASETS and not Path(config.data_dir).is_dir():
            raise ConfigError("data_dir", f"{config.dataset} reads an existing image folder, got {config.data_dir!r}")
        run_dir = self.run_dir_edit.text().strip()
        if not run_dir:
            raise ConfigError(RUN_DIR_FIELD, "choose a folder for the new run")
        path = Path(run_dir)
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise ConfigError(RUN_DIR_FIELD, f"{run_dir} already exists; a new search needs a new folder")
        return config

    def _revalidate(self, *_args: Any, refresh_default: bool = True) -> None:
        if self._loading:
            return
        if refresh_default:
            self._refresh_default_run_dir()
        ablation = self._getters["loss"]() == "ablation"
        for name in ("w_abl", "ablation_grad", "ablation_eps"):
            self.widgets[name].setEnabled(ablation)
        self.widgets["amp_dtype"].setEnabled(bool(self._getters["amp"]()))
        self.widgets["image_size"].setEnabled(self._getters["dataset"]() in FOLDER_DATASETS)
        try:
            config = self._check()
        except ConfigError as exc:
            self._config, self._error = None, exc
        else:
            self._config, self._error = config, None
        for name, widget in self.widgets.items():
            bad = self._error is not None and self._error.field == name
            if bool(widget.property("invalid")) != bad:
                widget.setProperty("invalid", bad)
                widget.style().unpolish(widget)
                widget.style().polish(widget)
        if self._error is not None:
            label = LABELS.get(self._error.field, "Run folder" if self._error.field == RUN_DIR_FIELD else self._error.field)
            message = str(self._error).split(": ", 1)[-1]
            self.error_label.setText(f"{label} ({self._error.field}): {message}")
            widget = self.widgets.get(self._error.field)
            if widget is not None:
                widget.setToolTip(message)
        else:
            self.error_label.setText("")
        valid = self._config is not None
        if self.start_button.isEnabled() != valid:
            self.start_button.setEnabled(valid)
            self.validity_changed.emit(valid)

    def _on_accept(self) -> None:
        self._revalidate(refresh_default=False)
        if self._config is not None:
            self.accept()

    # ------------------------------------------------------------------ results
    def config(self) -> SearchConfig | None:
        """The validated configuration, or None while the form is invalid."""
        return self._config

    def error(self) -> ConfigError | None:
        return self._error

    def run_dir(self) -> str:
        return self.run_dir_edit.text().strip()
