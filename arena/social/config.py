"""Social trees from dicts and YAML files, with one clear error per mistake.

A tree file::

    coefficients: {ranking: 1.0, time: 0.001}   # optional, Arena's defaults otherwise
    deaths: by_return                           # optional: terminations | by_return | mpe_tag
    reward_mode: replace                        # optional: replace | add (add the env's reward)
    root:
      condition: AtLeastNumberLiving(2)
      schemes: [{type: Ranking, mode: Survive}]
      children:
        - {id: 0, name: predators, agents: "adversary_*"}   # glob shorthand: one leaf per match
        - id: 1
          name: prey
          children: [{id: 0, agent: agent_0, schemes: [{type: EnergyPenalty}]}]

Errors name the field by its path in the file, e.g. ``root.children[1].schemes[0]: unknown field
'mdoe' (did you mean 'mode'?)``. Files are read with ``yaml.safe_load``: nothing in them runs.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from arena.social.schemes import SCHEME_FIELDS, SCHEME_TYPES, Coefficients, RewardScheme
from arena.social.tree import BMARS_CLASSES, Agent, Node, SocialTree, TreeError, match_agents, parse_condition

TOP_FIELDS = ("coefficients", "deaths", "reward_mode", "root")
NODE_FIELDS = ("id", "name", "children", "agents", "agent", "entity", "schemes", "condition",
               "max_living_steps", "scale", "declared")


def _unknown(key: Any, known: Sequence[str], where: str, what: str = "field") -> TreeError:
    close = difflib.get_close_matches(str(key), list(known), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return TreeError(f"{where}: unknown {what} {key!r}{hint}; known: {', '.join(known)}")


def load_yaml(source: str) -> dict[str, Any]:
    """Parse a YAML tree from a file path (if it exists) or from the text itself."""
    from arena.config_input import ArenaLoader, read_text_file

    if os.path.exists(source):
        try:  # a binary or non-UTF-8 file is one line naming it
            text = read_text_file(source, "tree file")
        except ValueError as exc:
            raise TreeError(str(exc)) from None
        origin = source
    elif "\n" in source or ":" in source:
        text, origin = source, "tree text"
    else:
        raise FileNotFoundError(f"tree file {source!r} does not exist")
    try:
        data = yaml.load(text, Loader=ArenaLoader)  # noqa: S506 -- a SafeLoader that reads 3e-4 as a number
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise TreeError(f"{origin}: {problem}{where}") from None
    if not isinstance(data, dict):
        raise TreeError(f"{origin}: a tree file is a mapping with a 'root' field, got {type(data).__name__}")
    return data


def tree_from_dict(data: Mapping[str, Any], agents: Sequence[str] | None = None) -> SocialTree:
    """Build a :class:`SocialTree` from a dict (see the module docstring for the format)."""
    if not isinstance(data, Mapping):
        raise TreeError(f"a tree is a mapping with a 'root' field, got {type(data).__name__}")
    for key in data:
        if key not in TOP_FIELDS:
            raise _unknown(key, TOP_FIELDS, "tree")
    if "root" not in data:
        raise TreeError("tree: missing field 'root' (the root node, with its children)")
    coefficients = data.get("coefficients") or {}
    if not isinstance(coefficients, Mapping):
        raise TreeError("coefficients: must be a mapping such as {ranking: 1.0, time: 0.001}")
    deaths = data.get("deaths", "terminations")
    from arena.social.wrapper import DEATH_HOOKS

    if deaths not in DEATH_HOOKS:
        raise _unknown(deaths, list(DEATH_HOOKS), "deaths", "death hook")
    root = _node(data["root"], "root", agents, is_root=True)
    return SocialTree(root, Coefficients.from_dict(coefficients),
                      deaths=deaths, reward_mode=data.get("reward_mode", "replace"))


def _scheme(data: Any, where: str) -> RewardScheme:
    if isinstance(data, str):
        data = {"type": data}
    if not isinstance(data, Mapping):
        raise TreeError(f"{where}: a scheme is a mapping such as {{type: Ranking, mode: Survive}}, got {data!r}")
    if "type" not in data:
        raise TreeError(f"{where}: missing field 'type' (one of {', '.join(SCHEME_TYPES)})")
    kind = data["type"]
    if kind in ("Custom", "custom"):
        return _hook_scheme(data, where)
    if kind not in SCHEME_TYPES:
        raise _unknown(kind, list(SCHEME_TYPES), where, "scheme type")
    allowed = SCHEME_FIELDS[kind]
    kwargs = {}
    for key, value in data.items():
        if key == "type":
            continue
        if key not in allowed:
            raise _unknown(key, list(allowed) or ["(no fields)"], where, f"field of {kind}")
        kwargs[key] = value
    try:
        return SCHEME_TYPES[kind](**kwargs)
    except TreeError as exc:
        raise TreeError(f"{where}: {exc}") from None
    except TypeError as exc:
        raise TreeError(f"{where}: {exc}") from None


HOOK_FIELDS = ("hook", "kind", "declared", "score")


def _hook_scheme(data: Mapping[str, Any], where: str) -> RewardScheme:
    """``{type: Custom, hook: "package.module:function"}``: a batched hook (arena.social.hooks)."""
    from arena.social.hooks import CustomHook

    if "hook" not in data:
        raise TreeError(f"{where}: Custom schemes run Python code: name a batched hook with hook: "
                        "'package.module:function' (or a name given to arena.social.register_hook), or declare "
                        "arena.social.Custom in Python")
    for key in data:
        if key != "type" and key not in HOOK_FIELDS:
            raise _unknown(key, list(HOOK_FIELDS), where, "field of Custom")
    try:
        return CustomHook(**{k: v for k, v in data.items() if k != "type"})
    except TreeError as exc:
        raise TreeError(f"{where}: {exc}") from None


def _node(data: Any, where: str, agents: Sequence[str] | None, is_root: bool = False) -> Node:
    if not isinstance(data, Mapping):
        raise TreeError(f"{where}: a node is a mapping (id, name, children, ...), got {data!r}")
    for key in data:
        if key not in NODE_FIELDS:
            raise _unknown(key, NODE_FIELDS, where)
    if is_root and "id" in data:
        raise TreeError(f"{where}: the root has no id (its path tag is empty); remove 'id'")
    children_data = data.get("children")
    if "agents" in data:
        if children_data:
            raise TreeError(f"{where}: give either 'children' or the 'agents' shorthand, not both")
        if agents is None:
            raise TreeError(f"{where}: the 'agents' shorthand needs the env's agent names; build the tree "
                            "through the wrapper or pass agents=env.possible_agents")
        pattern = data["agents"]
        if not isinstance(pattern, str | list):
            raise TreeError(f"{where}.agents: a glob pattern or a list of agent names, got {pattern!r}")
        members = match_agents(agents, pattern, f"{where}.agents")
        children: list[Node] = [Agent(i, a) for i, a in enumerate(members)]
    elif children_data is None:
        children = []
    elif not isinstance(children_data, list):
        raise TreeError(f"{where}.children: must be a list of nodes, got {type(children_data).__name__}")
    else:
        children = [_node(c, f"{where}.children[{i}]", agents) for i, c in enumerate(children_data)]
    schemes_data = data.get("schemes") or []
    if not isinstance(schemes_data, list):
        raise TreeError(f"{where}.schemes: must be a list of schemes")
    schemes = [_scheme(s, f"{where}.schemes[{i}]") for i, s in enumerate(schemes_data)]
    for key, kinds in (("id", int), ("max_living_steps", int), ("scale", (int, float))):
        value = data.get(key)
        if value is not None and (not isinstance(value, kinds) or isinstance(value, bool)):
            raise TreeError(f"{where}.{key}: must be a number, got {value!r}")
    for key in ("name", "agent", "entity", "declared"):
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise TreeError(f"{where}.{key}: must be a string, got {value!r}")
    condition = data.get("condition")
    if condition is not None:
        condition = parse_condition(condition, f"{where}.condition")
    if data.get("declared") is not None and data["declared"] not in BMARS_CLASSES:
        raise TreeError(f"{where}.declared: must be one of {', '.join(BMARS_CLASSES)}, got {data['declared']!r}")
    if data.get("agent") is not None and children:
        raise TreeError(f"{where}: 'agent' names a leaf, but this node has children")
    return Node(id=data.get("id"), children=children, schemes=schemes, condition=condition,
                max_living_steps=data.get("max_living_steps"), scale=data.get("scale", 1.0),
                name=data.get("name"), agent=data.get("agent"), entity=data.get("entity"),
                declared=data.get("declared"))
