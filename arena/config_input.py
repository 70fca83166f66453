"""Reading configuration from the command line: ``KEY=VALUE`` items and YAML mapping files.

Shared by the ``arena train`` learners; every user mistake is one ``ValueError`` line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def key_values(items: list[str], what: str) -> dict[str, Any]:
    """``["lr=3e-4", "hidden=[64, 64]"]`` -> ``{"lr": 0.0003, "hidden": [64, 64]}`` (values parsed as YAML).

    ``what`` names the option in errors, e.g. ``"--set"``."""
    import yaml

    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{what} '{item}' must look like KEY=VALUE")
        try:
            out[key.strip()] = yaml.safe_load(value) if value.strip() else ""
        except yaml.YAMLError:
            out[key.strip()] = value
    return out


def read_yaml_mapping(path: str, example: str) -> dict[str, Any]:
    """The mapping in the YAML file ``path`` (``yaml.safe_load``); ``example`` shows a valid line."""
    import yaml

    file = Path(path)
    if not file.is_file():
        raise ValueError(f"config file '{path}' does not exist")
    try:
        data = yaml.safe_load(file.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"config file '{path}' is not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise ValueError(f"config file '{path}' must hold a mapping of config keys, e.g. '{example}'")
    return data
