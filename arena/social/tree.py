"""The social tree: who is on whose side, who lives, and in which order they die.

A game's agents are the leaves of a tree: root (global) -> teams -> (sub-teams) -> agents, of any
depth and branching. Nodes are keyed by their *path tag*, the tuple of sibling ids from the root
(the root is ``()``); the sibling ids under a parent are exactly ``0..n-1``. The structure lives in
a :class:`networkx.DiGraph` (``tree.graph``) whose edges point from parent to child.

The tree is a declaration; one episode's life and death is a :class:`Life` (``tree.start()``):

* every inner node has a :class:`LivingCondition` over its children (default
  :class:`AtLeastOneLiving`) and an optional ``max_living_steps``;
* a dead node kills all its descendants; when a child dies its parent's condition is checked
  again, up to the root; when the root dies the episode is over;
* each child gets a *death rank* among its siblings. Siblings that die in the same event share one
  rank, the mean of the positions they occupy (two children dying first share ``(0 + 1) / 2 =
  0.5``), so that the ranks of n children always add up to ``n (n - 1) / 2`` and a ranking reward is
  constant-sum. Children still alive when their parent dies (or when the episode ends) are the
  survivors: they rank after every sibling that died before or in the event that killed the parent.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import networkx as nx

if TYPE_CHECKING:
    from arena.social.schemes import Coefficients, RewardScheme

Path = tuple[int, ...]

BMARS_CLASSES = ("NL", "IS", "CP", "CL", "CC")


class TreeError(ValueError):
    """A social tree declaration is invalid; the message names the node path and the field."""


# --------------------------------------------------------------------------------------------
# Living conditions
# --------------------------------------------------------------------------------------------


class LivingCondition:
    """Whether an inner node is alive, given how many of its children are alive."""

    def alive(self, living: int, total: int) -> bool:
        raise TypeError(f"{type(self).__name__} does not define alive()")

    def to_dict(self) -> dict[str, Any] | str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class AllLiving(LivingCondition):
    """Alive while every child is alive (one death kills the node)."""

    def alive(self, living: int, total: int) -> bool:
        return living == total


class AtLeastOneLiving(LivingCondition):
    """Alive while at least one child is alive (the default)."""

    def alive(self, living: int, total: int) -> bool:
        return living >= 1


@dataclass(frozen=True, repr=False)
class AtLeastNumberLiving(LivingCondition):
    """Alive while at least ``k`` children are alive (``k=2`` ends a duel at the first death)."""

    k: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.k, int) or isinstance(self.k, bool) or self.k < 1:
            raise TreeError(f"AtLeastNumberLiving needs an integer k >= 1, got {self.k!r}")

    def alive(self, living: int, total: int) -> bool:
        return living >= self.k

    def to_dict(self) -> dict[str, Any]:
        return {"type": "AtLeastNumberLiving", "k": self.k}

    def __repr__(self) -> str:
        return f"AtLeastNumberLiving({self.k})"


@dataclass(frozen=True, repr=False)
class AtLeastPortionLiving(LivingCondition):
    """Alive while ``living / total >= p``."""

    p: float = 0.5

    def __post_init__(self) -> None:
        if not isinstance(self.p, int | float) or isinstance(self.p, bool) or not 0.0 < self.p <= 1.0:
            raise TreeError(f"AtLeastPortionLiving needs a portion p in (0, 1], got {self.p!r}")

    def alive(self, living: int, total: int) -> bool:
        return total > 0 and living / total >= self.p

    def to_dict(self) -> dict[str, Any]:
        return {"type": "AtLeastPortionLiving", "p": self.p}

    def __repr__(self) -> str:
        return f"AtLeastPortionLiving({self.p})"


_CONDITIONS: dict[str, type[LivingCondition]] = {
    "AllLiving": AllLiving,
    "AtLeastOneLiving": AtLeastOneLiving,
    "AtLeastNumberLiving": AtLeastNumberLiving,
    "AtLeastPortionLiving": AtLeastPortionLiving,
}


def parse_condition(value: Any, where: str = "condition") -> LivingCondition:
    """A living condition from an object, a name (``"AllLiving"``), a call-like string
    (``"AtLeastNumberLiving(2)"``) or a dict (``{"type": "AtLeastPortionLiving", "p": 0.75}``)."""
    if isinstance(value, LivingCondition):
        return value
    kwargs: dict[str, Any] = {}
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\w+)\s*(?:\(\s*([^)]*)\s*\))?\s*", value)
        name = match.group(1) if match else value
        if match and match.group(2):
            arg = match.group(2)
            try:
                number: float = int(arg) if re.fullmatch(r"-?\d+", arg) else float(arg)
            except ValueError:
                raise TreeError(f"{where}: cannot read the argument of {value!r}; write e.g. "
                                "AtLeastNumberLiving(2) or AtLeastPortionLiving(0.5)") from None
            kwargs = {"k": number} if name == "AtLeastNumberLiving" else {"p": number}
    elif isinstance(value, Mapping):
        if "type" not in value:
            raise TreeError(f"{where}: a condition mapping needs a 'type' field, one of {', '.join(_CONDITIONS)}")
        name = str(value["type"])
        kwargs = {k: v for k, v in value.items() if k != "type"}
    else:
        raise TreeError(f"{where}: expected a condition name such as 'AllLiving', got {value!r}")
    if name not in _CONDITIONS:
        close = difflib.get_close_matches(name, list(_CONDITIONS), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise TreeError(f"{where}: unknown living condition {name!r}{hint}; use one of {', '.join(_CONDITIONS)}")
    allowed = {"AtLeastNumberLiving": {"k"}, "AtLeastPortionLiving": {"p"}}.get(name, set())
    extra = set(kwargs) - allowed
    if extra:
        raise TreeError(f"{where}: {name} takes {', '.join(sorted(allowed)) or 'no arguments'}, "
                        f"not {', '.join(sorted(extra))}")
    try:
        return _CONDITIONS[name](**kwargs)
    except TreeError as exc:
        raise TreeError(f"{where}: {exc}") from None


# --------------------------------------------------------------------------------------------
# Declaring a tree
# --------------------------------------------------------------------------------------------


@dataclass
class Node:
    """One node of a tree declaration. Inner nodes have ``children``; leaves are agents.

    ``id``: sibling id (``None`` everywhere under a parent means "0..n-1 in order"). ``name``: the
    path segment (default ``team_<id>`` / ``agent_<id>``, or the env agent name for a leaf that
    names one). ``agent``: the env agent this leaf stands for (default: the path, e.g.
    ``team_0/agent_1``). ``entity``: the name this agent has in the env's positions accessor
    (default: the agent name). ``scale``: the weight of this node's schemes in the weighted sum.
    ``declared``: the BMaRS class the author expects of this node's reward (checked by
    ``arena verify-rewards``).
    """

    id: int | None = None
    children: Sequence[Node] = ()
    schemes: Sequence[RewardScheme] = ()
    condition: LivingCondition | str | None = None
    max_living_steps: int | None = None
    scale: float = 1.0
    name: str | None = None
    agent: str | None = None
    entity: str | None = None
    declared: str | None = None


def Team(id: int | None = None, children: Sequence[Node] = (), **fields: Any) -> Node:  # noqa: N802
    """An inner node (a team or sub-team); see :class:`Node` for the fields."""
    return Node(id=id, children=list(children), **fields)


def Agent(id: int | None = None, agent: str | None = None, **fields: Any) -> Node:  # noqa: N802
    """A leaf: one env agent; see :class:`Node` for the fields."""
    return Node(id=id, agent=agent, **fields)


@dataclass
class NodeInfo:
    """What the tree stores for each node (``tree.info(path)``)."""

    path: Path
    name: str
    path_str: str
    condition: LivingCondition
    max_living_steps: int | None
    scale: float
    schemes: list[RewardScheme]
    is_leaf: bool
    agent: str | None
    entity: str | None
    declared: str | None


def path_str_of(names: Sequence[str]) -> str:
    """The printable form of a path: segment names joined by ``/``; the root is ``/``."""
    return "/".join(names) if names else "/"


class SocialTree:
    """A validated social tree over networkx (see the module docstring).

    Build it from Python (``SocialTree(Team(children=[...]))``), from a dict or YAML file
    (:meth:`from_dict`, :meth:`from_yaml`), or from env agent names and glob patterns
    (:meth:`from_patterns`).

    ``deaths`` and ``reward_mode`` are the defaults a :class:`~arena.social.wrapper` uses for this
    tree: the name of a death hook (``"terminations"``, ``"by_return"``, ``"mpe_tag"``) and
    ``"replace"`` (the tree's reward only) or ``"add"`` (the env's reward plus the tree's).
    """

    def __init__(self, root: Node, coefficients: Coefficients | None = None, *,
                 deaths: str = "terminations", reward_mode: str = "replace") -> None:
        from arena.social.schemes import Coefficients

        if not isinstance(root, Node):
            raise TreeError(f"the root must be a Node (use Team(...)), got {type(root).__name__}")
        if reward_mode not in ("replace", "add"):
            raise TreeError(f"reward_mode: use 'replace' or 'add', got {reward_mode!r}")
        self.coefficients = coefficients if coefficients is not None else Coefficients()
        self.deaths = deaths
        self.reward_mode = reward_mode
        self.graph = nx.DiGraph()
        self._add(root, (), [], parent_where="root")
        self._preorder: list[Path] = sorted(self.graph.nodes)
        self._children: dict[Path, list[Path]] = {p: sorted(self.graph.successors(p)) for p in self.graph.nodes}
        self._agents: list[str] = []
        self._leaf_of_agent: dict[str, Path] = {}
        for path in self.preorder():
            info = self.info(path)
            if info.is_leaf:
                if info.agent in self._leaf_of_agent:
                    other = self.info(self._leaf_of_agent[info.agent]).path_str
                    raise TreeError(f"leaves {other} and {info.path_str} both stand for agent {info.agent!r}; "
                                    "each env agent may appear once")
                self._leaf_of_agent[info.agent] = path
                self._agents.append(info.agent)
        if not self._agents:
            raise TreeError("the tree has no agents: give the root children")
        # Subtree membership is asked every step by every scheme: computed once.
        self._below: dict[Path, list[str]] = {p: [] for p in self.graph.nodes}
        for agent in self._agents:
            leaf = self._leaf_of_agent[agent]
            for i in range(len(leaf) + 1):
                self._below[leaf[:i]].append(agent)

        for path in self.preorder():
            for scheme in self.info(path).schemes:
                scheme.validate(self, path)

    # -- construction ---------------------------------------------------------------------

    def _add(self, node: Node, path: Path, names: list[str], parent_where: str) -> None:
        is_leaf = not node.children
        default_name = f"team_{path[-1]}" if path else ""
        if is_leaf:
            default_name = node.agent if node.agent is not None else f"agent_{path[-1] if path else 0}"
        name = node.name if node.name is not None else default_name
        where = path_str_of(names + [str(name)]) if path else "root"
        if path and (not isinstance(name, str) or not name or "/" in name):
            raise TreeError(f"{parent_where}: child {path[-1]} has name {name!r}; a name is a non-empty "
                            "string without '/'")
        if node.scale is None or not isinstance(node.scale, int | float) or isinstance(node.scale, bool):
            raise TreeError(f"{where}: scale must be a number, got {node.scale!r}")
        if node.max_living_steps is not None and (
                not isinstance(node.max_living_steps, int) or node.max_living_steps < 1):
            raise TreeError(f"{where}: max_living_steps must be an integer >= 1, got {node.max_living_steps!r}")
        if node.declared is not None and node.declared not in BMARS_CLASSES:
            raise TreeError(f"{where}: declared must be one of {', '.join(BMARS_CLASSES)}, got {node.declared!r}")
        if is_leaf and node.condition is not None:
            raise TreeError(f"{where}: a leaf (agent) has no children, so it takes no living condition")
        condition = parse_condition(node.condition, f"{where}: condition") if node.condition is not None \
            else AtLeastOneLiving()
        schemes = list(node.schemes)
        from arena.social.schemes import RewardScheme

        for i, s in enumerate(schemes):
            if not isinstance(s, RewardScheme):
                raise TreeError(f"{where}: schemes[{i}] is {type(s).__name__}, not a reward scheme")
        agent = node.agent if is_leaf else None
        if node.agent is not None and not is_leaf:
            raise TreeError(f"{where}: 'agent' belongs on leaves; this node has children")
        full = names + [name] if path else []
        if is_leaf and agent is None:
            agent = path_str_of(full)
        info = NodeInfo(path=path, name=name, path_str=path_str_of(full), condition=condition,
                        max_living_steps=node.max_living_steps, scale=float(node.scale), schemes=schemes,
                        is_leaf=is_leaf, agent=agent, entity=node.entity or agent, declared=node.declared)
        self.graph.add_node(path, info=info)
        children = list(node.children)
        ids = [c.id for c in children]
        if all(i is None for i in ids):
            ids = list(range(len(children)))
        elif any(i is None for i in ids):
            raise TreeError(f"{where}: give every child an id or none of them (ids {ids})")
        for i, child_id in enumerate(ids):
            if not isinstance(child_id, int) or isinstance(child_id, bool):
                raise TreeError(f"{where}: child {i} has id {child_id!r}; ids are integers 0..n-1")
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise TreeError(f"{where}: sibling id {dupes[0]} is used twice; sibling ids must be exactly "
                            f"0..{len(ids) - 1}")
        missing = sorted(set(range(len(ids))) - set(ids))
        if missing:
            raise TreeError(f"{where}: sibling ids must be exactly 0..{len(ids) - 1}, but id {missing[0]} "
                            f"is missing (got {sorted(ids)})")
        seen_names: dict[str, int] = {}
        for child, child_id in sorted(zip(children, ids), key=lambda pair: pair[1]):
            if not isinstance(child, Node):
                raise TreeError(f"{where}: child {child_id} is {type(child).__name__}, not a Node")
            child_path = path + (child_id,)
            self._add(child, child_path, full, where)
            child_name = self.info(child_path).name
            if child_name in seen_names:
                raise TreeError(f"{where}: children {seen_names[child_name]} and {child_id} are both named "
                                f"{child_name!r}; sibling names must differ")
            seen_names[child_name] = child_id
            self.graph.add_edge(path, child_path)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], agents: Sequence[str] | None = None) -> SocialTree:
        """Build from a dict (e.g. parsed YAML). ``agents`` (the env's agent names) resolves
        ``agents: "glob*"`` shorthands on team nodes. Raises :class:`TreeError` naming the field."""
        from arena.social.config import tree_from_dict

        return tree_from_dict(data, agents)

    @classmethod
    def from_yaml(cls, source: str, agents: Sequence[str] | None = None) -> SocialTree:
        """Build from a YAML file path or a YAML string (safe_load: no code runs from the file)."""
        from arena.social.config import load_yaml

        return cls.from_dict(load_yaml(source), agents)

    @classmethod
    def from_patterns(cls, agents: Sequence[str], teams: Mapping[str, str | Sequence[str]], *,
                      root_schemes: Sequence[RewardScheme] = (), root_condition: Any = None,
                      coefficients: Coefficients | None = None, **tree_kwargs: Any) -> SocialTree:
        """Two-level tree: one team per entry of ``teams`` (name -> glob pattern or list of agent
        names, in order), each env agent a leaf of the team whose pattern matches it."""
        children = []
        for team_id, (team_name, pattern) in enumerate(teams.items()):
            members = match_agents(agents, pattern, where=f"team {team_name!r}")
            children.append(Team(team_id, [Agent(i, a) for i, a in enumerate(members)], name=team_name))
        return cls(Team(children=children, schemes=list(root_schemes), condition=root_condition),
                   coefficients, **tree_kwargs)

    # -- queries --------------------------------------------------------------------------

    def info(self, path: Path) -> NodeInfo:
        try:
            return self.graph.nodes[tuple(path)]["info"]
        except KeyError:
            raise TreeError(f"no node with path tag {list(path)} in this tree") from None

    @property
    def root(self) -> Path:
        return ()

    @property
    def agents(self) -> list[str]:
        """The env agent names of the leaves, in depth-first order."""
        return list(self._agents)

    def children(self, path: Path) -> list[Path]:
        return list(self._children[tuple(path)])

    def parent(self, path: Path) -> Path | None:
        return tuple(path[:-1]) if path else None

    def preorder(self) -> list[Path]:
        """Every node, parents before children, siblings by id."""
        return list(self._preorder)

    def leaf_of(self, agent: str) -> Path:
        if agent not in self._leaf_of_agent:
            raise TreeError(f"agent {agent!r} is not a leaf of this tree; its agents are {', '.join(self._agents)}")
        return self._leaf_of_agent[agent]

    def agents_below(self, path: Path) -> list[str]:
        """Env agent names of the leaves in the subtree of ``path`` (itself included)."""
        path = tuple(path)
        if path not in self._below:
            raise TreeError(f"no node with path tag {list(path)} in this tree")
        return list(self._below[path])

    def ancestors(self, path: Path) -> list[Path]:
        """Paths from the root down to ``path`` inclusive."""
        return [tuple(path[:i]) for i in range(len(path) + 1)]

    def team_id(self, agent: str) -> int | None:
        """An agent's team id: its parent's id (``None`` when the parent is the root)."""
        leaf = self.leaf_of(agent)
        return leaf[-2] if len(leaf) >= 2 else None

    def find(self, key: str | Sequence[int]) -> Path:
        """A node by path string (``team_0/agent_1``, ``/`` for the root) or path tag list."""
        if not isinstance(key, str):
            return self.info(tuple(key)).path
        for path in self.graph.nodes:
            if self.info(path).path_str == key or (key in ("root", "") and path == ()):
                return path
        known = [self.info(p).path_str for p in self.preorder()]
        raise TreeError(f"no node {key!r} in the tree; nodes are {', '.join(known)}")

    def start(self) -> Life:
        """A fresh episode: every node alive."""
        return Life(self)

    def to_dict(self) -> dict[str, Any]:
        """A dict that :meth:`from_dict` rebuilds (user callables are written by name only)."""
        def node(path: Path) -> dict[str, Any]:
            info = self.info(path)
            out: dict[str, Any] = {"id": path[-1]} if path else {}
            if info.is_leaf:
                out["agent"] = info.agent
            else:
                out["name"] = info.name
                out["condition"] = info.condition.to_dict()
            if info.max_living_steps is not None:
                out["max_living_steps"] = info.max_living_steps
            if info.scale != 1.0:
                out["scale"] = info.scale
            if info.declared:
                out["declared"] = info.declared
            if info.schemes:
                out["schemes"] = [s.to_dict() for s in info.schemes]
            if not info.is_leaf:
                out["children"] = [node(c) for c in self.children(path)]
            return out

        return {"coefficients": self.coefficients.to_dict(), "deaths": self.deaths,
                "reward_mode": self.reward_mode, "root": node(())}

    def __repr__(self) -> str:
        return f"SocialTree({len(self.graph)} nodes, agents={self._agents})"


def match_agents(agents: Sequence[str], pattern: str | Sequence[str], where: str) -> list[str]:
    """The env agents matching a glob pattern (in env order), or an explicit list checked
    against the env's agents."""
    if isinstance(pattern, str):
        members = [a for a in agents if fnmatch.fnmatchcase(a, pattern)]
        if not members:
            raise TreeError(f"{where}: pattern {pattern!r} matches none of the env agents {', '.join(agents)}")
        return members
    members = list(pattern)
    unknown = [a for a in members if a not in agents]
    if unknown:
        raise TreeError(f"{where}: {unknown[0]!r} is not an env agent; the env has {', '.join(agents)}")
    return members


# --------------------------------------------------------------------------------------------
# One episode of life and death
# --------------------------------------------------------------------------------------------


@dataclass
class Life:
    """Alive/dead state, steps lived and death ranks of every node during one episode.

    ``rank[path]`` is the death rank of a node among its siblings (fractional when shared, see the
    module docstring); ``died_at[path]`` the step it died. ``newly_dead`` lists the nodes that died
    in the last :meth:`step` / :meth:`finish` call. ``scores[name][path]`` holds what the schemes
    of node ``path`` fed into the score ``name`` so far (see ``RankByScore``).
    """

    tree: SocialTree
    alive: dict[Path, bool] = field(init=False)
    steps_lived: dict[Path, int] = field(init=False)
    rank: dict[Path, float] = field(init=False)
    died_at: dict[Path, int] = field(init=False)
    newly_dead: list[Path] = field(init=False)
    scores: dict[str, dict[Path, float]] = field(init=False)
    step_count: int = field(init=False, default=0)
    _dead_children: dict[Path, int] = field(init=False)
    _limits: list[tuple[Path, int]] = field(init=False)

    def __post_init__(self) -> None:
        nodes = self.tree.preorder()
        self.alive = {p: True for p in nodes}
        self.steps_lived = {p: 0 for p in nodes}
        self.rank = {}
        self.died_at = {}
        self.newly_dead = []
        self.scores = {}
        self._dead_children = {p: 0 for p in nodes}
        self._limits = [(p, self.tree.info(p).max_living_steps) for p in nodes
                        if self.tree.info(p).max_living_steps is not None]

    @property
    def over(self) -> bool:
        """The root is dead: the episode is over."""
        return not self.alive[()]

    def add_score(self, name: str, path: Path, value: float) -> None:
        """Add ``value`` to what node ``path`` fed into the score ``name``."""
        table = self.scores.setdefault(name, {})
        table[tuple(path)] = table.get(tuple(path), 0.0) + float(value)

    def score_of(self, name: str, path: Path) -> float:
        """The score ``name`` of a node: what the nodes of its subtree (itself included) fed into it."""
        path = tuple(path)
        return sum(v for p, v in self.scores.get(name, {}).items() if p[:len(path)] == path)

    def living_children(self, path: Path) -> int:
        return sum(self.alive[c] for c in self.tree.children(path))

    def step(self, death_groups: Iterable[Iterable[str | Path]] = ()) -> list[Path]:
        """Advance one env step. ``death_groups`` are the leaves (agent names or paths) that die in
        this step, in order: each group is one death event whose members share a rank; a later
        group ranks after an earlier one. Nodes past their ``max_living_steps`` die first.

        Returns the nodes that died (also in ``self.newly_dead``)."""
        self.newly_dead = []
        if self.over:
            return []
        self.step_count += 1
        for path in self.tree.preorder():
            if self.alive[path]:
                self.steps_lived[path] += 1
        timed_out = [p for p, limit in self._limits if self.alive[p] and self.steps_lived[p] >= limit]
        if timed_out:
            self._event(timed_out)
        for group in death_groups:
            paths = [self.tree.leaf_of(x) if isinstance(x, str) else tuple(x) for x in group]
            self._event([p for p in paths if self.alive[p]])
        return list(self.newly_dead)

    def finish(self) -> list[Path]:
        """End the episode without a root death (the env ended it): every node still alive
        survives to the end, ranking after its dead siblings. Call it after the last :meth:`step`;
        the nodes it kills are appended to ``newly_dead``. Returns the nodes that died here."""
        before = len(self.newly_dead)
        if not self.over:
            self._event([()])
        return list(self.newly_dead[before:])

    def _kill(self, paths: list[Path]) -> None:
        """Kill ``paths`` (all alive) as one event: siblings among them share one rank."""
        by_parent: dict[Path, list[Path]] = {}
        for p in paths:
            self.alive[p] = False
            self.died_at[p] = self.step_count
            self.newly_dead.append(p)
            if p:
                by_parent.setdefault(p[:-1], []).append(p)
        for parent, group in by_parent.items():
            first = self._dead_children[parent]
            shared = first + (len(group) - 1) / 2.0
            for p in group:
                self.rank[p] = shared
            self._dead_children[parent] += len(group)

    def _event(self, direct: list[Path]) -> None:
        if not direct:
            return
        # Bottom-up: the direct deaths, then every ancestor whose living condition now fails
        # (all of them die in this one event and share ranks with siblings dying with them).
        dying = set(direct)
        frontier = {p[:-1] for p in direct if p}
        while frontier:
            deepest = max(len(p) for p in frontier)
            level = {p for p in frontier if len(p) == deepest}
            frontier -= level
            for parent in sorted(level):
                if not self.alive[parent] or parent in dying:
                    continue
                children = self.tree.children(parent)
                living = sum(self.alive[c] and c not in dying for c in children)
                if not self.tree.info(parent).condition.alive(living, len(children)):
                    dying.add(parent)
                    if parent:
                        frontier.add(parent[:-1])
        self._kill(sorted(dying))
        # Top-down: children of nodes that just died survived their siblings; they die now, in
        # a later event (so they rank after), one level at a time.
        dead_now = sorted(dying, key=len)
        while dead_now:
            survivors = [c for p in dead_now for c in self.tree.children(p) if self.alive[c]]
            if survivors:
                self._kill(survivors)
            dead_now = survivors
