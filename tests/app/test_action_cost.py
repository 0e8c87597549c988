"""app.action_cost: every kind of action is clicked and measured in a real main window (no timed assertion)."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from app.action_cost import action_costs


def test_every_action_on_a_run_folder_is_measured_until_the_views_caught_up(qtbot, window, finished_run):
    costs = action_costs(QApplication.instance(), window, finished_run, repeat=1)
    assert set(costs) == {"open folder", "select cell", "show plot tab", "raise dock", "scrub epoch", "α report"}
    assert len(costs["select cell"]) == window.cell_list.list.count() == 5
    assert len(costs["show plot tab"]) == window.tabs.count()
    assert len(costs["scrub epoch"]) == len(window.model.state.genotype_epochs())
    assert all(0.0 <= longest <= whole for values in costs.values() for longest, whole in values)
    assert not window.model.refreshes.pending  # each measure waited for the views
