"""Labels with live text: a longer text never raises the minimum width of what holds them (the window)."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from app.run_model import RunModel
from app.widgets.cell_diagram import CellDiagram
from app.widgets.contributions_plot import ContributionsPlot
from app.widgets.label_width import elastic
from app.widgets.loss_plot import LossPlot
from app.widgets.network_overview import NetworkOverview

LONG = "mean MC = 1.234e-05  ⚠ near 0: L_AB divides by it, so |L_AB| reaches 8.100e+04 " * 4


def test_an_elastic_label_still_asks_for_its_text_but_can_be_squeezed(qtbot):
    holder = QWidget()
    qtbot.addWidget(holder)
    row = QHBoxLayout(holder)
    plain, live = QLabel("short"), elastic(QLabel("short"))
    qtbot.addWidget(plain)
    row.addWidget(live)
    live.setText(LONG)
    assert holder.minimumSizeHint().width() < 50
    assert live.sizeHint().width() > plain.sizeHint().width() * 10  # given room, it shows the whole text
    plain.setText(LONG)
    assert plain.minimumSizeHint().width() > 1000  # what a plain label would have demanded


def test_long_live_texts_leave_the_panels_minimum_width_alone(qtbot):
    model = RunModel()
    loss, contributions = LossPlot(model), ContributionsPlot(model)
    for widget in (loss, contributions):
        qtbot.addWidget(widget)
    before = [w.minimumSizeHint().width() for w in (loss, contributions)]
    loss.readout.setText(LONG)
    contributions.readout.setText(LONG)
    contributions.mean_label.setText(LONG)
    after = [w.minimumSizeHint().width() for w in (loss, contributions)]
    assert after == before


def test_the_diagram_headers_leave_the_docks_minimum_width_alone(qtbot):
    model = RunModel()
    never = lambda dot: ""  # noqa: E731 - no run, nothing is rendered
    diagram, network = CellDiagram(model, render_fn=never), NetworkOverview(model, render_fn=never)
    for widget in (diagram, network):
        qtbot.addWidget(widget)
    before = [w.minimumSizeHint().width() for w in (diagram, network)]
    diagram.header.setText(LONG)
    network.header.setText(LONG)
    assert [w.minimumSizeHint().width() for w in (diagram, network)] == before


def test_in_a_narrow_panel_the_mean_mc_warning_has_the_options_row_to_itself(qtbot):
    plot = ContributionsPlot(RunModel())
    qtbot.addWidget(plot)
    plot.mean_label.setText(LONG)
    plot.resize(560, 520)
    plot.show()
    qtbot.waitExposed(plot)
    beside = plot.mode.geometry().right()  # nothing but the values combo comes before it
    assert plot.mean_label.width() >= plot.options.geometry().right() - beside - 20
    assert "orange bar = the selected cell" in plot.lab_plot.getAxis("bottom").labelText  # the hint moved here
