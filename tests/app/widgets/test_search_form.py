"""New-search form: every field maps to SearchConfig, invalid input names the field and blocks Start."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from app.presets import load_presets
from app.widgets.search_form import RUN_DIR_FIELD, SearchForm
from ddarts.search.config import SearchConfig


def make_form(qtbot, tmp_path, **kwargs) -> SearchForm:
    presets, _ = load_presets()
    form = SearchForm(presets, runs_root=tmp_path / "runs", **kwargs)
    qtbot.addWidget(form)
    return form


def test_every_config_field_has_an_editor_and_round_trips(qtbot, tmp_path):
    config = SearchConfig(dataset="cifar10", cells=6, init_channels=8, loss="fair", epochs=7, batch_size=32,
                          steps_per_epoch=11, lr=0.01, parse="sparse", threshold=0.7, device="cpu", amp=False,
                          seed=9, mixing="softmax", checkpoint_every=5)
    form = make_form(qtbot, tmp_path, initial=config)
    assert {f.name for f in fields(SearchConfig)} <= set(form.widgets)
    assert form.config() == config
    assert form.start_button.isEnabled()


def test_default_run_folder_names_dataset_and_loss(qtbot, tmp_path):
    form = make_form(qtbot, tmp_path)
    name = Path(form.run_dir()).name
    assert Path(form.run_dir()).parent == tmp_path / "runs" and name.startswith("cifar100-lt-")
    form.set_value("dataset", "digits")
    form.set_value("loss", "fair")
    assert Path(form.run_dir()).name.startswith("digits-lf-")
    form.run_dir_edit.clear()
    qtbot.keyClicks(form.run_dir_edit, str(tmp_path / "mine"))
    form.set_value("dataset", "cifar10")
    assert form.run_dir() == str(tmp_path / "mine")  # a folder the user typed is kept


def test_invalid_input_names_the_field_and_disables_start(qtbot, tmp_path):
    form = make_form(qtbot, tmp_path)
    cases = [("cells", 2, "must be >= 3"), ("init_channels", 5, "must be even"), ("lr", "abc", "expected a number"),
             ("threshold", "1.5", "must be <= 1"), ("device", "gpu", "expected auto")]
    for name, bad, message in cases:
        good = form._getters[name]()
        form.set_value(name, bad)
        assert form.config() is None and not form.start_button.isEnabled(), name
        assert form.error().field == name
        assert message in form.error_label.text() and name in form.error_label.text()
        assert form.widgets[name].property("invalid") is True
        form.set_value(name, good)
        assert form.config() is not None and form.start_button.isEnabled(), name
        assert not form.widgets[name].property("invalid")


def test_existing_run_folder_and_missing_imagenet_folder_are_refused(qtbot, tmp_path):
    form = make_form(qtbot, tmp_path)
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "config.json").write_text("{}")
    form.run_dir_edit.setText(str(taken))
    assert form.error().field == RUN_DIR_FIELD and "already exists" in form.error_label.text()
    form.run_dir_edit.setText(str(tmp_path / "fresh"))
    assert form.config() is not None
    form.set_value("dataset", "imagenet")
    form.set_value("data_dir", str(tmp_path / "no-such-imagenet"))
    assert form.error().field == "data_dir"


def test_presets_fill_the_form_and_loss_toggles_ablation_fields(qtbot, tmp_path):
    form = make_form(qtbot, tmp_path)
    form.preset_combo.setCurrentIndex(form.preset_combo.findText("Quick CPU demo (digits)"))
    config = form.config()
    assert (config.dataset, config.cells, config.device, config.amp) == ("digits", 5, "cpu", False)
    assert "digits" in form.preset_description.text()
    form.set_value("loss", "fair")
    assert not form.widgets["w_abl"].isEnabled() and not form.widgets["ablation_grad"].isEnabled()
    form.set_value("loss", "ablation")
    assert form.widgets["w_abl"].isEnabled()
    form.set_value("steps_per_epoch", None)
    assert form.config().steps_per_epoch is None


def test_rows_read_the_librarys_field_metadata_and_offer_image_folders(qtbot, tmp_path, image_folder):
    from ddarts.search.fields import FIELDS, run_folder_name

    form = make_form(qtbot, tmp_path)
    combo = form.widgets["dataset"]
    assert [combo.itemData(i) for i in range(combo.count())] == list(FIELDS["dataset"].choices)
    assert combo.itemText(combo.findData("folder")) == FIELDS["dataset"].label_of("folder")
    assert form.widgets["cells"].toolTip() == FIELDS["cells"].help
    assert not form.widgets["image_size"].isEnabled()
    data = image_folder(tmp_path / "imgs", 20)
    form.set_value("dataset", "folder")
    form.set_value("data_dir", str(data))
    form.set_value("image_size", 24)
    assert form.widgets["image_size"].isEnabled()
    assert form.config().dataset == "folder" and form.config().image_size == 24
    # the CLI names a default run folder the same way
    assert Path(form.run_dir()).name[:-15] == Path(run_folder_name("runs", "folder", "ablation")).name[:-15]
    form.set_value("data_dir", str(tmp_path / "missing"))
    assert form.config() is None and "reads an existing image folder" in form.error_label.text()
