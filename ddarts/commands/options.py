"""Command-line options built from config-field metadata, and configuration files.

`ddarts search` and `ddarts train` get their configuration options from the same `FieldMeta` tables the
configs validate with, so names, help and choices agree between the sub-commands and with the GUI. Every
option defaults to "not given" (argparse.SUPPRESS): a config file and a resumed run can tell what was typed.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from ddarts.config import ConfigRecord, FieldMeta
from ddarts.errors import DdartsError
from ddarts.limits import loads_bounded

YAML_SUFFIXES = (".yaml", ".yml")


class DeprecatedOption(argparse.Action):
    """An old spelling of an option: still works, with a note on stderr naming the new one."""

    def __init__(self, option_strings, dest, new_flag: str = "", **kwargs):
        self.new_flag = new_flag
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"ddarts: {option_string} is deprecated; use {self.new_flag}", file=sys.stderr)
        setattr(namespace, self.dest, values)


def _type_of(field: dataclasses.Field) -> type:
    text = str(field.type)
    return int if text.startswith("int") else float if text.startswith("float") else str


def help_text(meta: FieldMeta, default: Any) -> str:
    """The help line with its default stated once (argparse adds none: no defaults formatter is used)."""
    if meta.default_text:
        return f"{meta.help} (default: {meta.default_text})"
    if default is None:
        return meta.help
    return f"{meta.help} (default: {str(default).lower() if isinstance(default, bool) else default})"


def add_config_options(parser: argparse.ArgumentParser, config_cls: type[ConfigRecord], metas: dict[str, FieldMeta],
                       groups: dict[str, Any] | None = None) -> dict[str, Any]:
    """One option per field (`meta.flag == ""` skips a field), in argument groups named by `meta.group`."""
    groups = {} if groups is None else groups
    defaults = config_cls()
    for f in dataclasses.fields(config_cls):  # type: ignore[arg-type]
        meta = metas[f.name]
        if meta.flag == "":
            continue
        group = groups.get(meta.group)
        if group is None:
            group = groups[meta.group] = parser.add_argument_group(meta.group.lower())
        default = getattr(defaults, f.name)
        kwargs: dict[str, Any] = {"dest": f.name, "default": argparse.SUPPRESS, "help": help_text(meta, default)}
        if str(f.type).startswith("bool"):
            kwargs["action"] = argparse.BooleanOptionalAction
        elif meta.choices:
            kwargs["choices"] = meta.choices
        else:
            kwargs["type"] = _type_of(f)
            if meta.metavar:
                kwargs["metavar"] = meta.metavar
        flag = meta.option(f.name)
        group.add_argument(flag, **kwargs)
        for alias in meta.aliases:
            extra = {k: v for k, v in kwargs.items() if k in ("type", "choices", "metavar")}
            group.add_argument(alias, dest=f.name, default=argparse.SUPPRESS, help=argparse.SUPPRESS,
                               action=DeprecatedOption, new_flag=flag, **extra)
    return groups


def given_options(args: argparse.Namespace, config_cls: type[ConfigRecord],
                  metas: dict[str, FieldMeta]) -> dict[str, Any]:
    """The config fields typed on the command line (fields without an option are never taken from `args`)."""
    return {f.name: getattr(args, f.name) for f in dataclasses.fields(config_cls)  # type: ignore[arg-type]
            if metas[f.name].flag != "" and hasattr(args, f.name)}


def add_file_options(parser: argparse.ArgumentParser, kind: str) -> None:
    parser.add_argument("--config", metavar="FILE", help=f"read the {kind} configuration from a JSON or YAML file "
                        "(a run's config.json works too); options given here override it")
    parser.add_argument("--print-config", action="store_true",
                        help="print the effective configuration as JSON and exit without running")


def read_config_file(path: str, kind: str) -> dict[str, Any]:
    """The field values in a JSON or YAML file, or in a run folder's config.json of this `kind`."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DdartsError(f"config file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DdartsError(f"cannot read config file {path}: {exc}") from None
    if file.suffix.lower() in YAML_SUFFIXES:
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise DdartsError(f"config file {path} is not valid YAML: {str(exc).splitlines()[0]}") from None
    else:
        try:
            data = loads_bounded(text)
        except ValueError as exc:
            hint = " (YAML files need a .yaml or .yml suffix)" if file.suffix.lower() != ".json" else ""
            raise DdartsError(f"config file {path} is not valid JSON: {exc}{hint}") from None
    if isinstance(data, dict) and isinstance(data.get("config"), dict) and "kind" in data:
        if data["kind"] != kind:
            raise DdartsError(f"{path} is the config.json of a {data['kind']} run, not of a {kind} run")
        data = data["config"]  # a run's config.json
    if not isinstance(data, dict):
        raise DdartsError(f"config file {path} must hold a mapping of field names to values")
    return data


def print_config(config: ConfigRecord) -> None:
    print(json.dumps(config.to_dict(), indent=2))
