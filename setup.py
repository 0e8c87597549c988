"""The package layout pyproject.toml cannot state: the repository keeps the desktop app in app/ and its icons,
style sheet and presets in resources/ (so `python main.py` runs from a checkout), while an installed copy must not
claim the generic top-level names `app` and `resources`. Both therefore install under `ddarts_app`
(app/ uses relative imports, so it works under either name). Everything else is in pyproject.toml.
"""

from setuptools import find_packages, setup

APP = "ddarts_app"
RESOURCE_FILES = f"{APP}.resource_files"

setup(
    packages=[*find_packages(include=["ddarts", "ddarts.*"]), APP,
              *(f"{APP}.{name}" for name in find_packages("app")), RESOURCE_FILES],
    package_dir={APP: "app", RESOURCE_FILES: "resources"},
    package_data={RESOURCE_FILES: ["*.qss", "icons/*.svg", "presets/*.json"]},
)
