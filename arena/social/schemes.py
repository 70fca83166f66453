"""Reward schemes: what a node of the social tree pays, and to whom.

A scheme attached to a node pays the agents below it: a value broadcast unchanged to every agent
of the subtree (Distance, Time, most user callables), or one value per child subtree (Ranking), or
one value per agent (agent-level shaping). An agent's reward in a step is the weighted sum over the
nodes of its root-to-leaf path::

    r_x = sum over nodes n on path(x) of  scale(n) * sum over schemes s of n  coef[kind(s)] * value_s(x)

``coef`` are the global :class:`Coefficients` (Arena's defaults: ranking 1, distance 1, velocity
0.03, direction 0.01, time 0.001). Per-step schemes pay only agents whose leaf was alive when the
step began; ranking rewards are paid in the step when the rank becomes known.

Positions come from the env through an *entity accessor* ``positions(env) -> {name: array[D]}``
(a built-in one reads mpe2 worlds; a 2-D engine supplies its own), so Distance works between any
two named entities: agents, landmarks, boxes, goals.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from gymnasium import spaces

from arena.social.tree import Path, TreeError

if TYPE_CHECKING:
    from arena.social.tree import Life, SocialTree


@dataclass
class Coefficients:
    """Global coefficient per reward kind (multiplies every scheme of that kind)."""

    ranking: float = 1.0     # Ranking (Survive / Depart / tie penalty)
    distance: float = 1.0    # Distance between entities, DistanceToward a target
    velocity: float = 0.03   # VelocityToward a target
    direction: float = 0.01  # FacingToward a target
    time: float = 0.001      # Time (Longer / Shorter), TimePenalty
    energy: float = 0.01     # EnergyPenalty (not one of Arena's published values: ours)
    zone: float = 1.0        # HoldZone (ours: 1 per step held; 0.001 weighs it like Time)
    custom: float = 1.0      # user callables

    def of(self, kind: str) -> float:
        return float(getattr(self, kind))

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "coefficients") -> Coefficients:
        import difflib

        known = [f.name for f in fields(cls)]
        for key, value in data.items():
            if key not in known:
                close = difflib.get_close_matches(str(key), known, n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                raise TreeError(f"{where}: unknown reward kind {key!r}{hint}; kinds are {', '.join(known)}")
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise TreeError(f"{where}.{key}: must be a number, got {value!r}")
        return cls(**{k: float(v) for k, v in data.items()})


Positions = dict[str, np.ndarray]
PositionsAccessor = Callable[[Any], Positions]


@dataclass
class StepContext:
    """Everything a scheme may look at in one step.

    ``positions`` / ``prev_positions``: entity name -> position array [D] after / before the step
    (``None`` when no accessor is available). ``headings``: optional entity -> unit vector [D].
    ``actions``: the actions the agents took in this step (empty at reset). ``alive_before``:
    which nodes were alive when the step began. ``env_rewards``: the env's own rewards this step.
    """

    tree: SocialTree
    life: Life
    env: Any
    step: int
    actions: Mapping[str, Any]
    alive_before: Mapping[Path, bool]
    env_rewards: Mapping[str, float]
    action_spaces: Mapping[str, spaces.Space]
    positions: Positions | None = None
    prev_positions: Positions | None = None
    headings: Positions | None = None

    def receivers(self, path: Path) -> list[str]:
        """Agents below ``path`` whose leaf was alive when the step began."""
        return [a for a in self.tree.agents_below(path) if self.alive_before[self.tree.leaf_of(a)]]

    def position(self, name: str, *, previous: bool = False) -> np.ndarray:
        table = self.prev_positions if previous else self.positions
        if table is None:
            raise TreeError("a Distance/Toward scheme needs entity positions, but this env has no positions "
                            "accessor: pass positions=callable(env) -> {name: array} to the wrapper")
        if name not in table:
            raise TreeError(f"entity {name!r} is not in the env's positions; known entities: {', '.join(table)}")
        return np.asarray(table[name], dtype=np.float64)


class RewardScheme:
    """Base class. Subclasses set ``kind`` (the coefficient they use) and implement :meth:`values`.

    A scheme that can feed a named score (:class:`RankByScore`) has a ``score`` attribute (the
    name, or ``None``) and implements :meth:`score_value`."""

    kind: ClassVar[str] = "custom"
    needs_positions: ClassVar[bool] = False
    score: str | None = None

    def score_value(self, ctx: StepContext, path: Path) -> float:
        """This step's node-level value added to the score ``self.score`` of the node ``path``
        (before coefficient and scale, so a score counts even when the coefficient is 0)."""
        raise TypeError(f"{type(self).__name__} cannot feed a score")

    def validate(self, tree: SocialTree, path: Path) -> None:
        """Check the scheme fits its node (raise :class:`TreeError` naming the node)."""

    def values(self, ctx: StepContext, path: Path) -> dict[str, float]:
        """Raw values (before coefficient and scale) per agent below ``path`` for this step."""
        raise TypeError(f"{type(self).__name__} does not define values()")

    def expected_class(self, tree: SocialTree, path: Path) -> str | None:
        """The BMaRS class this scheme is designed to have at this node, if it has one."""
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"type": type(self).__name__}

    def describe(self) -> str:
        items = [f"{k}={v!r}" for k, v in self.to_dict().items() if k != "type"]
        return f"{type(self).__name__}({', '.join(items)})"


def _broadcast(ctx: StepContext, path: Path, value: float) -> dict[str, float]:
    return {a: value for a in ctx.receivers(path)} if value != 0.0 else {}


def _team_class(tree: SocialTree, path: Path) -> str | None:
    """A shared per-step value: collaborative when two or more agents share it."""
    return "CL" if len(tree.agents_below(path)) >= 2 else None


@dataclass
class Ranking(RewardScheme):
    """Competitive ranking among the node's children, paid when a child's death rank is known.

    ``Survive``: child reward = death_rank (first to die gets 0, the survivor gets most);
    ``Depart``: n_children - death_rank - 1 (first to leave gets most). ``penalize_tie``: when
    every child shares one rank, each additionally gets -1. Times the ``ranking`` coefficient.
    """

    mode: str = "Survive"
    penalize_tie: bool = False
    kind: ClassVar[str] = "ranking"

    def __post_init__(self) -> None:
        if self.mode not in ("Survive", "Depart"):
            raise TreeError(f"Ranking mode must be 'Survive' or 'Depart', got {self.mode!r}")
        if not isinstance(self.penalize_tie, bool):
            raise TreeError(f"Ranking penalize_tie must be true or false, got {self.penalize_tie!r}")

    def validate(self, tree: SocialTree, path: Path) -> None:
        if len(tree.children(path)) < 2:
            raise TreeError(f"{tree.info(path).path_str}: Ranking needs a node with at least two children "
                            "to rank")

    def values(self, ctx: StepContext, path: Path) -> dict[str, float]:
        children = ctx.tree.children(path)
        n = len(children)
        out: dict[str, float] = {}
        newly = set(ctx.life.newly_dead)
        for child in children:
            if child not in newly:
                continue
            rank = ctx.life.rank[child]
            value = rank if self.mode == "Survive" else n - rank - 1.0
            for agent in ctx.tree.agents_below(child):
                out[agent] = out.get(agent, 0.0) + value
        if self.penalize_tie and newly.intersection(children) and all(not ctx.life.alive[c] for c in children):
            ranks = {ctx.life.rank[c] for c in children}
            if len(ranks) == 1:
                for child in children:
                    for agent in ctx.tree.agents_below(child):
                        out[agent] = out.get(agent, 0.0) - 1.0
        return out

    def expected_class(self, tree: SocialTree, path: Path) -> str | None:
        sizes = {len(tree.agents_below(c)) for c in tree.children(path)}
        # Broadcast to teams of equal size the ranks add up to a constant; otherwise, or with a tie
        # penalty (paid only on ties), the sum over agents moves with the outcome.
        return "CP" if len(sizes) == 1 and not self.penalize_tie else "CC"

    def to_dict(self) -> dict[str, Any]:
        return {"type": "Ranking", "mode": self.mode, "penalize_tie": self.penalize_tie}


@dataclass
class Time(RewardScheme):
    """Per step while the node is alive: +1 (``Longer``: living longer is better, e.g. a team's
    survival time) or -1 (``Shorter``: finishing sooner is better), broadcast; times ``time``."""

    mode: str = "Longer"
    kind: ClassVar[str] = "time"

    def __post_init__(self) -> None:
        if self.mode not in ("Longer", "Shorter"):
            raise TreeError(f"Time mode must be 'Longer' or 'Shorter', got {self.mode!r}")

    def values(self, ctx: StepContext, path: Path) -> dict[str, float]:
        if not ctx.alive_before[path]:
            return {}
        return _broadcast(ctx, path, 1.0 if self.mode == "Longer" else -1.0)

    def expected_class(self, tree: SocialTree, path: Path) -> str | None:
        return _team_class(tree, path)

    def to_dict(self) -> dict[str, Any]:
        return {"type": "Time", "mode": self.mode}


def SurvivalTime() -> Time:  # noqa: N802
    """Team survival time: ``Time("Longer")`` on a team node pays each member every step the team lives."""
    return Time("Longer")


def _names(value: str | Sequence[str], what: str) -> list[str]:
    names = [value] if isinstance(value, str) else list(value)
    if not names or not all(isinstance(n, str) for n in names):
        raise TreeError(f"{what} must be an entity name or a non-empty list of names, got {value!r}")
    return names


def _pair_distance(ctx: StepContext, a: list[str], b: list[str], previous: bool, reduce: str) -> float:
    d = [float(np.linalg.norm(ctx.position(x, previous=previous) - ctx.position(y, previous=previous)))
         for x in a for y in b]
    return min(d) if reduce == "min" else sum(d) / len(d)


@dataclass
class Distance(RewardScheme):
    """Per step (d_{t-1} - d_t) between two named entities, broadcast; times ``distance``.

    ``a`` / ``b`` may be lists: the distance is then the smallest over pairs (``reduce="min"``,
    e.g. "any agent of the team to the landmark", mpe2 simple_spread's coverage) or their mean
    (``reduce="mean"``, e.g. "the whole pack closes in on the prey").
    """

    a: str | Sequence[str] = ""
    b: str | Sequence[str] = ""
    reduce: str = "min"
    kind: ClassVar[str] = "distance"
    needs_positions: ClassVar[bool] = True

    def __post_init__(self) -> None:
        self.a = _names(self.a, "Distance a")
        self.b = _names(self.b, "Distance b")
        if self.reduce not in ("min", "mean"):
            raise TreeError(f"Distance reduce must be 'min' or 'mean', got {self.reduce!r}")

    def values(self, ctx: StepContext, path: Path) -> dict[str, float]:
        if not ctx.alive_before[path] or ctx.prev_positions is None:
            return {}
        closer = (_pair_distance(ctx, self.a, self.b, True, self.reduce)
                  - _pair_distance(ctx, self.a, self.b, False, self.reduce))
        return _broadcast(ctx, path, closer)

    def expected_class(self, tree: SocialTree, path: Path) -> str | None:
        return _team_class(tree, path)

    def to_dict(self) -> dict[str, Any]:
        return {"type": "Distance", "a": self.a, "b": self.b, "reduce": self.reduce}


class _Toward(RewardScheme):
    """Agent-level shaping toward a target entity: one value per agent below the node."""

    needs_positions: ClassVar[bool] = True

    def __init__(self, target: str) -> None:
        if not isinstance(target, str) or not target:
            raise TreeError(f"{type(self).__name__} needs a target entity name, got {target!r}")
        self.target = target

    def values(self, ctx: StepContext, path: Path) -> dict[str, float]:
        if ctx.prev_positions is None:
            return {}
        out = {}
        for agent in ctx.receivers(path):
            entity = ctx.tree.info(ctx.tree.leaf_of(agent)).entity
            value = self.measure(ctx, entity)
            if value != 0.0:
                out[agent] = value
        return out

    def measure(self, ctx: StepContext, entity: str) -> float:
        raise TypeError(f"{type(self).__name__} does not define measure()")

    def expected_class(self, tree: SocialTree, path: Path) -> str | None:
        return "IS"

    def to_dict(self) -> dict[str, Any]:
        return {"type": type(self).__name__, "target": self.target}

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.target == self.target  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.target!r})"


class DistanceToward(_Toward):
    """Per step, per agent: how much closer the agent got to ``target``; times ``distance``."""

    kind: ClassVar[str] = "distance"

    def measure(self, ctx: StepContext, entity: str) -> float:
        before = np.linalg.norm(ctx.position(entity, previous=True) - ctx.position(self.target, previous=True))
        after = np.linalg.norm(ctx.position(entity) - ctx.position(self.target))
        return float(before - after)


class VelocityToward(_Toward):
    """Per step, per agent: displacement along the direction to ``target``; times ``velocity``."""

    kind: ClassVar[str] = "velocity"

    def measure(self, ctx: StepContext, entity: str) -> float:
        start = ctx.position(entity, previous=True)
        to_target = ctx.position(self.target, previous=True) - start
        norm = np.linalg.norm(to_target)
        if norm == 0.0:
            return 0.0
        return float(np.dot(ctx.position(entity) - start, to_target / norm))


class FacingToward(_Toward):
    """Per step, per agent: cosine between the agent's heading and the direction to ``target``
    (heading from the env's headings accessor, else the direction of motion); times ``direction``."""

    kind: ClassVar[str] = "direction"

    def measure(self, ctx: StepContext, entity: str) -> float:
        here = ctx.position(entity)
        if ctx.headings is not None and entity in ctx.headings:
            heading = np.asarray(ctx.headings[entity], dtype=np.float64)
        else:
            heading = here - ctx.position(entity, previous=True)
        to_target = ctx.position(self.target) - here
        denom = np.linalg.norm(heading) * np.linalg.norm(to_target)
        return float(np.dot(heading, to_target) / denom) if denom > 0.0 else 0.0


@dataclass
class EnergyPenalty(RewardScheme):
    """Per step, per agent: -|a|^2 for continuous actions, -1 for any discrete action other than
    ``noop`` (the force an agent spends); times ``energy``."""

    noop: int = 0
    kind: ClassVar[str] = "energy"

    def values(self, ctx: StepContext, path: Path) -> dict[str, float]:
        out = {}
        for agent in ctx.receivers(path):
            if agent not in ctx.actions or ctx.actions[agent] is None:
                continue
            action = ctx.actions[agent]
            space = ctx.action_spaces.get(agent)
            if isinstance(space, spaces.Box):
                cost = float(np.sum(np.square(np.asarray(action, dtype=np.float64))))
            else:
                cost = float(np.any(np.asarray(action) != self.noop))
            if cost:
                out[agent] = -cost
        return out

    def expected_class(self, tree: SocialTree, path: Path) -> str | None:
        return "IS"

    def to_dict(self) -> dict[str, Any]:
        return {"type": "EnergyPenalty", "noop": self.noop}


@dataclass
class TimePenalty(RewardScheme):
    """Per step, per agent still alive: -1 (finish sooner); times ``time``."""

    kind: ClassVar[str] = "time"

    def values(self, ctx: StepContext, path: Path) -> dict[str, float]:
        return {a: -1.0 for a in ctx.receivers(path)}

    def to_dict(self) -> dict[str, Any]:
        return {"type": "TimePenalty"}


def check_score_name(value: Any, what: str) -> str | None:
    """A score name (``None`` for none): a non-empty string."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise TreeError(f"{what} score must be a name such as 'hill', got {value!r}")
    return value


def _zone_test(ctx: StepContext, scheme: str) -> Callable[[str, np.ndarray], bool]:
    inside = getattr(getattr(ctx.env, "unwrapped", ctx.env), "inside_zone", None)
    if inside is None:
        raise TreeError(f"{scheme} needs an env with inside_zone(zone, position), such as the 2-D arena games")
    return inside


@dataclass
class HoldZone(RewardScheme):
    """Exclusive control of a zone: +1 per step, broadcast to the agents below the node, while
    some living agent below the node is inside ``zone`` and no living agent below any sibling
    node is (a contested zone pays nobody). Times the ``zone`` coefficient (default 1). On the
    root (no siblings) it pays while any living agent is inside.

    "Living" means alive when the step began (the agents a per-step scheme pays); positions are
    those after the step. ``score``: also add the value (1 or 0, before the coefficient) to the
    node's score of that name, for :class:`RankByScore`.
    """

    zone: str = ""
    score: str | None = None
    kind: ClassVar[str] = "zone"
    needs_positions: ClassVar[bool] = True

    def __post_init__(self) -> None:
        if not isinstance(self.zone, str) or not self.zone:
            raise TreeError(f"HoldZone needs a zone name, got {self.zone!r}")
        self.score = check_score_name(self.score, "HoldZone")

    def held(self, ctx: StepContext, path: Path) -> bool:
        """Whether the node holds the zone alone in this step."""
        if not ctx.alive_before[path]:
            return False
        inside = _zone_test(ctx, "HoldZone")

        def occupied(node: Path) -> bool:
            return any(inside(self.zone, ctx.position(ctx.tree.info(ctx.tree.leaf_of(a)).entity or a))
                       for a in ctx.receivers(node))

        if not occupied(path):
            return False
        siblings = [c for c in ctx.tree.children(path[:-1]) if c != path] if path else []
        return not any(occupied(s) for s in siblings)

    def values(self, ctx: StepContext, path: Path) -> dict[str, float]:
        return _broadcast(ctx, path, 1.0) if self.held(ctx, path) else {}

    def score_value(self, ctx: StepContext, path: Path) -> float:
        return 1.0 if self.held(ctx, path) else 0.0

    def expected_class(self, tree: SocialTree, path: Path) -> str | None:
        return _team_class(tree, path)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "HoldZone", "zone": self.zone}
        if self.score:
            out["score"] = self.score
        return out


def score_ranks(scores: np.ndarray, decimals: int = 9) -> np.ndarray:
    """Ranks of ``scores[..., n]`` along the last axis in ascending order, ties sharing the mean
    of the places they take: rank_c = #{j: s_j < s_c} + #{j != c: s_j = s_c} / 2 (so the ranks of
    n always add up to n (n - 1) / 2). Scores are compared after rounding to ``decimals``."""
    s = np.round(np.asarray(scores, dtype=np.float64), decimals)
    less = (s[..., None, :] < s[..., :, None]).sum(-1)
    equal = (s[..., None, :] == s[..., :, None]).sum(-1) - 1
    return less + 0.5 * equal


@dataclass
class RankByScore(RewardScheme):
    """End-of-episode ranking of the node's children by their accumulated score.

    A child's score is the sum, over the episode, of every value fed into the score named
    ``score`` by the schemes in the child's subtree (``HoldZone(zone, score=...)``, ``InZone``,
    a ``Custom`` hook with ``score``). When the node dies (the root: when the episode ends, by the
    root's death or the time limit) each child gets its rank among its siblings in ascending score,
    ties sharing the mean of their places (two of three tied last get 0.5 each), exactly like
    :class:`Ranking`'s death ranks: ``Highest`` pays the rank (the top scorer of n gets n - 1, like
    ``Survive``), ``Lowest`` pays n - rank - 1 (like ``Depart``). ``penalize_tie``: when every
    child has the same score each additionally gets -1. Broadcast to the agents below each child
    that were alive when that last step began; times the ``ranking`` coefficient. Paid once.
    """

    score: str | None = None
    mode: str = "Highest"
    penalize_tie: bool = False
    kind: ClassVar[str] = "ranking"

    def __post_init__(self) -> None:
        self.score = check_score_name(self.score, "RankByScore")
        if self.score is None:
            raise TreeError("RankByScore needs score: the name of the score to rank by (fed by e.g. "
                            "HoldZone(zone, score=NAME))")
        if self.mode not in ("Highest", "Lowest"):
            raise TreeError(f"RankByScore mode must be 'Highest' or 'Lowest', got {self.mode!r}")
        if not isinstance(self.penalize_tie, bool):
            raise TreeError(f"RankByScore penalize_tie must be true or false, got {self.penalize_tie!r}")

    def validate(self, tree: SocialTree, path: Path) -> None:
        where = tree.info(path).path_str
        if len(tree.children(path)) < 2:
            raise TreeError(f"{where}: RankByScore needs a node with at least two children to rank")
        fed = [p for p in tree.preorder() if len(p) > len(path) and p[:len(path)] == tuple(path)
               and any(getattr(s, "score", None) == self.score and not isinstance(s, RankByScore)
                       for s in tree.info(p).schemes)]
        if not fed:
            raise TreeError(f"{where}: RankByScore ranks by score {self.score!r}, but no scheme below this node "
                            f"feeds it; add score: {self.score} to a HoldZone, InZone or Custom hook of the children")

    def values(self, ctx: StepContext, path: Path) -> dict[str, float]:
        if path not in ctx.life.newly_dead:
            return {}
        children = ctx.tree.children(path)
        n = len(children)
        totals = np.array([ctx.life.score_of(self.score, c) for c in children])
        rank = score_ranks(totals)
        value = rank if self.mode == "Highest" else n - rank - 1.0
        if self.penalize_tie and np.all(rank == rank[0]):
            value = value - 1.0
        out: dict[str, float] = {}
        for child, v in zip(children, value):
            for agent in ctx.receivers(child):
                out[agent] = out.get(agent, 0.0) + float(v)
        return out

    def expected_class(self, tree: SocialTree, path: Path) -> str | None:
        sizes = {len(tree.agents_below(c)) for c in tree.children(path)}
        return "CP" if len(sizes) == 1 and not self.penalize_tie else "CC"

    def to_dict(self) -> dict[str, Any]:
        return {"type": "RankByScore", "score": self.score, "mode": self.mode, "penalize_tie": self.penalize_tie}


def accumulate_scores(ctx: StepContext) -> None:
    """Add this step's value of every score-feeding scheme to ``ctx.life``'s scores (call it
    before the step's rewards, so a ranking paid in this step counts this step)."""
    for path in ctx.tree.preorder():
        for scheme in ctx.tree.info(path).schemes:
            if scheme.score and not isinstance(scheme, RankByScore):
                ctx.life.add_score(scheme.score, path, scheme.score_value(ctx, path))


class Custom(RewardScheme):
    """A user callable ``fn(ctx, path) -> float | {agent: float}``: a float is broadcast to the
    agents below the node, a dict pays the named agents (each must be below the node). Times the
    ``kind`` coefficient (default ``custom``, 1). Python only: tree files cannot name code."""

    def __init__(self, fn: Callable[[StepContext, Path], float | Mapping[str, float]], *,
                 kind: str = "custom", name: str | None = None, declared: str | None = None) -> None:
        if not callable(fn):
            raise TreeError(f"Custom needs a callable fn(ctx, path), got {fn!r}")
        if kind not in {f.name for f in fields(Coefficients)}:
            raise TreeError(f"Custom kind {kind!r} is not a reward kind; use one of "
                            f"{', '.join(f.name for f in fields(Coefficients))}")
        self.fn = fn
        self.kind = kind  # type: ignore[misc]
        self.name = name or getattr(fn, "__name__", "custom")
        self.declared = declared

    def values(self, ctx: StepContext, path: Path) -> dict[str, float]:
        result = self.fn(ctx, path)
        if isinstance(result, Mapping):
            below = set(ctx.tree.agents_below(path))
            out = {}
            for agent, value in result.items():
                if agent not in below:
                    raise TreeError(f"Custom scheme {self.name!r} at {ctx.tree.info(path).path_str} paid "
                                    f"{agent!r}, which is not an agent below that node")
                if value:
                    out[agent] = float(value)
            return out
        value = float(result)
        if not math.isfinite(value):
            raise TreeError(f"Custom scheme {self.name!r} returned {value}")
        return _broadcast(ctx, path, value)

    def expected_class(self, tree: SocialTree, path: Path) -> str | None:
        return self.declared

    def to_dict(self) -> dict[str, Any]:
        return {"type": "Custom", "name": self.name, "kind": self.kind}

    def __repr__(self) -> str:
        return f"Custom({self.name!r}, kind={self.kind!r})"


# Scheme types a tree file may name (no Custom: a file must not name code to run).
SCHEME_TYPES: dict[str, Callable[..., RewardScheme]] = {
    "Ranking": Ranking,
    "Time": Time,
    "SurvivalTime": SurvivalTime,
    "Distance": Distance,
    "DistanceToward": DistanceToward,
    "VelocityToward": VelocityToward,
    "FacingToward": FacingToward,
    "EnergyPenalty": EnergyPenalty,
    "TimePenalty": TimePenalty,
    "HoldZone": HoldZone,
    "RankByScore": RankByScore,
}

SCHEME_FIELDS: dict[str, tuple[str, ...]] = {
    "Ranking": ("mode", "penalize_tie"),
    "Time": ("mode",),
    "SurvivalTime": (),
    "Distance": ("a", "b", "reduce"),
    "DistanceToward": ("target",),
    "VelocityToward": ("target",),
    "FacingToward": ("target",),
    "EnergyPenalty": ("noop",),
    "TimePenalty": (),
    "HoldZone": ("zone", "score"),
    "RankByScore": ("score", "mode", "penalize_tie"),
}


def node_terms(ctx: StepContext, path: Path) -> dict[str, float]:
    """One node's contribution this step: agent -> scale * sum_s coef[kind_s] * value_s."""
    info = ctx.tree.info(path)
    out: dict[str, float] = {}
    for scheme in info.schemes:
        coef = ctx.tree.coefficients.of(scheme.kind) * info.scale
        if coef == 0.0:
            continue
        for agent, value in scheme.values(ctx, path).items():
            out[agent] = out.get(agent, 0.0) + coef * value
    return out


def expected_node_class(tree: SocialTree, path: Path) -> str | None:
    """The node's declared class, else the one its schemes agree on (``None`` if they differ)."""
    info = tree.info(path)
    if info.declared:
        return info.declared
    classes = {s.expected_class(tree, path) for s in info.schemes}
    return classes.pop() if len(classes) == 1 else None
