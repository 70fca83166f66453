"""Reading what users write: ``KEY=VALUE`` items and YAML files (configs, recipes, social trees).

One reader for every place a user writes numbers. Plain YAML 1.1 (PyYAML) reads ``3e-4``, ``1E-3``
and ``5e3`` as *strings* (it wants a dot and a signed exponent); :class:`ArenaLoader` reads them,
and ``.5``, ``-1e-2``, ``+2.0E+3``, as floats. It is a ``yaml.SafeLoader``: no tag runs code.
A file that is not UTF-8 text (random or binary bytes) is one :class:`ValueError` line naming the
file. Every user mistake here is one ``ValueError`` line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

# Decimal floats in any of the spellings people write: 3e-4, 1E-3, .5, -1e-2, 2., 1_000.5 (YAML 1.1),
# plus the YAML specials .inf/.nan. Integers (no dot, no exponent) stay integers.
_FLOAT = re.compile(r"""^(?:
    [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
  | [-+]?\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?
  | [-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
  | [-+]?\.(?:inf|Inf|INF)
  | \.(?:nan|NaN|NAN)
)$""", re.X)


class ArenaLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that also reads ``3e-4``-style numbers as floats."""


# Replace the float resolver (SafeLoader's own misses "3e-4" and "1E-3").
ArenaLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:float"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
ArenaLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))


def parse_yaml(text: str, source: str = "YAML") -> Any:
    """``text`` parsed with :class:`ArenaLoader`; a syntax error is one line naming ``source``."""
    try:
        return yaml.load(text, Loader=ArenaLoader)  # noqa: S506 -- ArenaLoader is a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ValueError(f"{source} is not valid YAML ({problem}{where})") from None


def read_text_file(path: str | Path, what: str = "file") -> str:
    """The text of ``path``; a missing, unreadable or non-UTF-8 (binary) file is one line naming it."""
    file = Path(path)
    if file.is_dir():
        raise ValueError(f"{what} '{path}' is a directory, not a file")
    if not file.is_file():
        raise ValueError(f"{what} '{path}' does not exist")
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read {what} '{path}' ({exc.strerror})") from None
    if b"\x00" in data:
        raise ValueError(f"{what} '{path}' is a binary file, not YAML text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{what} '{path}' is not UTF-8 text (byte {exc.start}); is it the right file?") from None


def read_yaml_file(path: str | Path, what: str = "file") -> Any:
    """The YAML document in ``path`` (``None`` when empty), read with :class:`ArenaLoader`."""
    return parse_yaml(read_text_file(path, what), f"{what} '{path}'")


def parse_value(text: str) -> Any:
    """One ``--set`` value: YAML with Arena's number rules (``3e-4`` -> 0.0003); plain text if not YAML."""
    if not text.strip():
        return ""
    try:
        return yaml.load(text, Loader=ArenaLoader)  # noqa: S506 -- ArenaLoader is a SafeLoader
    except yaml.YAMLError:
        return text


def key_values(items: list[str], what: str) -> dict[str, Any]:
    """``["lr=3e-4", "hidden=[64, 64]"]`` -> ``{"lr": 0.0003, "hidden": [64, 64]}`` (values parsed as YAML).

    ``what`` names the option in errors, e.g. ``"--set"``."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{what} '{item}' must look like KEY=VALUE")
        out[key.strip()] = parse_value(value)
    return out


def read_yaml_mapping(path: str, example: str) -> dict[str, Any]:
    """The mapping in the YAML file ``path``; ``example`` shows a valid line."""
    data = read_yaml_file(path, "config file") or {}
    if not isinstance(data, dict):
        raise ValueError(f"config file '{path}' must hold a mapping of config keys, e.g. '{example}'")
    return data
