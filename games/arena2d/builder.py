"""Build games from definitions: Python :class:`GameDef` objects or YAML files.

``make_env(definition)`` gives the PettingZoo Parallel env, ``make_batched(definition, B)`` the
batched engine. :func:`game_from_dict` / :func:`load_game` read the YAML form (``safe_load``: no
code runs from a file) and report the first bad field by its path (``agents[1].radius``).

YAML layout (every key maps onto a :class:`GameDef` field; the tree is an :mod:`arena.social`
tree in its dict form, and may also use the 2-D ``InZone`` scheme and batched Custom hooks)::

    name: Tag-1T2P
    playground: {width: 12, height: 12}
    agents:
      - {name: runner, x: -4, y: 0}
    zones:
      - {name: home, x: 4, y: 0, radius: 1.5}
    triggers:
      - {entity: runner, zone: home, kill: self}
    tree:
      condition: AllLiving
      schemes: [{type: Ranking, mode: Depart}]
      children: [{agent: runner}, {agent: chaser}]
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from pathlib import Path
from typing import Any

import yaml

from arena.social.config import HOOK_FIELDS
from arena.social.hooks import CustomHook
from arena.social.schemes import SCHEME_FIELDS, SCHEME_TYPES, Coefficients, RewardScheme
from arena.social.tree import Node, TreeError
from games.arena2d.engine import Arena2DGame
from games.arena2d.env import Arena2DEnv
from games.arena2d.social import InZone
from games.arena2d.spec import (
    AgentBody,
    Blow,
    Body,
    GameDef,
    GameDefinitionError,
    Gun,
    ObservationConfig,
    Playground,
    Trigger,
    Wall,
    Zone,
    validate,
)

# Scheme types a YAML game may name: arena.social's file-safe schemes, the engine's InZone and
# batched Custom hooks ({type: Custom, hook: "package.module:function"}, arena.social.hooks).
GAME_SCHEMES: dict[str, Any] = {**SCHEME_TYPES, "InZone": InZone, "Custom": CustomHook}
GAME_SCHEME_FIELDS: dict[str, tuple[str, ...]] = {**SCHEME_FIELDS, "InZone": ("entity", "zone", "score"),
                                                  "Custom": HOOK_FIELDS}
NODE_FIELDS = ("id", "name", "agent", "entity", "children", "schemes", "condition", "max_living_steps",
               "scale", "declared")


def make_env(definition: GameDef, render_mode: str | None = None, *, reward_terms: bool = False,
             actions: str | None = None) -> Arena2DEnv:
    """The PettingZoo Parallel env of a definition. ``actions`` overrides discrete/continuous."""
    if actions is not None:
        definition = dataclasses.replace(definition, actions=actions)
    return Arena2DEnv(definition, render_mode=render_mode, reward_terms=reward_terms)


def make_batched(definition: GameDef, num_envs: int = 1, *, autoreset: bool = True,
                 actions: str | None = None, track_terms: bool = False, num_threads: int = 1) -> Arena2DGame:
    """The batched engine of a definition: ``num_envs`` copies, reset automatically by default,
    stepped on ``num_threads`` numba threads (see :class:`~games.arena2d.engine.Arena2DGame`)."""
    if actions is not None:
        definition = dataclasses.replace(definition, actions=actions)
    return Arena2DGame(definition, num_envs, autoreset=autoreset, track_terms=track_terms, num_threads=num_threads)


# -- YAML ---------------------------------------------------------------------------------------


def _unknown(key: Any, known: list[str], where: str) -> GameDefinitionError:
    close = difflib.get_close_matches(str(key), known, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return GameDefinitionError(f"{where}: unknown field {key!r}{hint}; fields are {', '.join(known)}")


def _dataclass(cls: type, data: Any, where: str) -> Any:
    """Build dataclass ``cls`` from a mapping, checking field names and simple types."""
    if not isinstance(data, dict):
        raise GameDefinitionError(f"{where}: must be a mapping of {cls.__name__} fields, got {data!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key not in fields:
            raise _unknown(key, list(fields), where)
        kwargs[key] = _convert(hints[key], value, f"{where}.{key}")
    missing = [n for n, f in fields.items() if n not in kwargs and f.default is dataclasses.MISSING
               and f.default_factory is dataclasses.MISSING]
    if missing:
        raise GameDefinitionError(f"{where}: missing field {missing[0]!r}")
    return cls(**kwargs)


def _convert(hint: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None:
            return None
        return _convert(options[0], value, where)
    if origin is list:
        if not isinstance(value, list):
            raise GameDefinitionError(f"{where}: must be a list, got {value!r}")
        (item,) = typing.get_args(hint)
        return [_convert(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
    if hint in (Playground, Wall, Zone, Gun, Blow, AgentBody, Body, Trigger, ObservationConfig):
        return _dataclass(hint, value, where)
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise GameDefinitionError(f"{where}: must be a number, got {value!r}")
        return float(value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise GameDefinitionError(f"{where}: must be an integer, got {value!r}")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise GameDefinitionError(f"{where}: must be true or false, got {value!r}")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise GameDefinitionError(f"{where}: must be a string, got {value!r}")
        return value
    return value


def _scheme(data: Any, where: str) -> RewardScheme:
    if isinstance(data, str):
        data = {"type": data}
    if not isinstance(data, dict) or "type" not in data:
        raise GameDefinitionError(f"{where}: a scheme is a mapping with a type, e.g. {{type: Ranking, mode: Survive}}")
    kind = "Custom" if data["type"] == "custom" else data["type"]
    if kind == "Custom" and "hook" not in data:
        raise GameDefinitionError(f"{where}: a Custom scheme names its batched hook: "
                                  "{type: Custom, hook: 'package.module:function'}")
    if kind not in GAME_SCHEMES:
        raise _unknown(kind, list(GAME_SCHEMES), f"{where}.type")
    kwargs = {k: v for k, v in data.items() if k != "type"}
    for key in kwargs:
        if key not in GAME_SCHEME_FIELDS[kind]:
            raise _unknown(key, list(GAME_SCHEME_FIELDS[kind]) or ["(none)"], where)
    try:
        return GAME_SCHEMES[kind](**kwargs)
    except (TreeError, TypeError) as exc:
        raise GameDefinitionError(f"{where}: {exc}") from None


def _node(data: Any, where: str) -> Node:
    if not isinstance(data, dict):
        raise GameDefinitionError(f"{where}: a tree node is a mapping (agent, children, schemes, ...), got {data!r}")
    for key in data:
        if key not in NODE_FIELDS:
            raise _unknown(key, list(NODE_FIELDS), where)
    children = data.get("children") or []
    if not isinstance(children, list):
        raise GameDefinitionError(f"{where}.children: must be a list of nodes")
    schemes = data.get("schemes") or []
    if not isinstance(schemes, list):
        raise GameDefinitionError(f"{where}.schemes: must be a list of schemes")
    return Node(id=data.get("id"), children=[_node(c, f"{where}.children[{i}]") for i, c in enumerate(children)],
                schemes=[_scheme(s, f"{where}.schemes[{i}]") for i, s in enumerate(schemes)],
                condition=data.get("condition"), max_living_steps=data.get("max_living_steps"),
                scale=data.get("scale", 1.0), name=data.get("name"), agent=data.get("agent"),
                entity=data.get("entity"), declared=data.get("declared"))


def game_from_dict(data: dict[str, Any]) -> GameDef:
    """A validated :class:`GameDef` from a dict (parsed YAML)."""
    if not isinstance(data, dict):
        raise GameDefinitionError(f"a game file is a mapping with name, agents and tree, got {type(data).__name__}")
    data = dict(data)
    name = data.get("name", "<unnamed>")
    where = f"game '{name}'"
    if "tree" not in data:
        raise GameDefinitionError(f"{where}: missing field 'tree' (the social tree: root, teams, agents)")
    tree = _node(data.pop("tree"), f"{where}: tree")
    coefficients = data.pop("coefficients", None)
    if coefficients is not None:
        if not isinstance(coefficients, dict):
            raise GameDefinitionError(f"{where}: coefficients must be a mapping such as {{ranking: 1, time: 0.001}}")
        try:
            coefficients = Coefficients.from_dict(coefficients)
        except TreeError as exc:
            raise GameDefinitionError(f"{where}: {exc}") from None
    hints = typing.get_type_hints(GameDef)
    known = [f.name for f in dataclasses.fields(GameDef)]
    kwargs: dict[str, Any] = {"tree": tree, "coefficients": coefficients}
    for key, value in data.items():
        if key not in known:
            raise _unknown(key, known, where)
        kwargs[key] = _convert(hints[key], value, f"{where}: {key}")
    for required in ("name", "agents"):
        if required not in kwargs:
            raise GameDefinitionError(f"{where}: missing field {required!r}")
    game = GameDef(**kwargs)
    validate(game)
    return game


def load_game(source: str | Path) -> GameDef:
    """A :class:`GameDef` from a YAML file path or a YAML string."""
    text = str(source)
    path = Path(text)
    origin = "game YAML"
    if "\n" not in text and path.suffix in (".yaml", ".yml"):
        if not path.is_file():
            raise FileNotFoundError(f"no game file {text}")
        text = path.read_text()
        origin = str(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise GameDefinitionError(f"{origin}: not valid YAML{at}: {getattr(exc, 'problem', exc)}") from None
    return game_from_dict(data)
