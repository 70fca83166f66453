"""The social tree, batched: life, death ranks and reward schemes over ``B`` copies as arrays.

:mod:`arena.social` declares a tree and evaluates it for one episode at a time (dicts keyed by
path). The 2-D engine steps thousands of copies at once, so this module compiles a
:class:`~arena.social.SocialTree` into flat arrays (nodes in preorder, ``parent[n]``,
``below[n, agent]``) and replays the same rules with numpy over the batch:

* living conditions per inner node and ``max_living_steps``; a dead node kills its subtree;
* death ranks as in :class:`arena.social.tree.Life`: siblings dying in one event share the mean of
  the positions they occupy (ranks of n children add up to n(n-1)/2, so rankings are
  constant-sum); survivors of a dying parent die in a later event and rank after;
* the reward schemes of :mod:`arena.social.schemes` (Ranking, Time, Distance, DistanceToward,
  VelocityToward, FacingToward, EnergyPenalty, TimePenalty, HoldZone, RankByScore) plus
  :class:`InZone` and batched Custom hooks (:mod:`arena.social.hooks`), with the tree's
  coefficients and node scales: an agent's reward is the sum over the nodes of its path;
* named scores (``scores[B, nodes, K]``): what HoldZone / InZone / hooks with ``score`` fed in
  this episode, ranked by RankByScore when its node dies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from arena.social.hooks import CustomHook, HookStep
from arena.social.schemes import (
    Distance,
    DistanceToward,
    EnergyPenalty,
    FacingToward,
    HoldZone,
    RankByScore,
    Ranking,
    RewardScheme,
    StepContext,
    Time,
    TimePenalty,
    VelocityToward,
    check_score_name,
    score_ranks,
)
from arena.social.tree import (
    AllLiving,
    AtLeastNumberLiving,
    AtLeastOneLiving,
    AtLeastPortionLiving,
    Path,
    SocialTree,
    TreeError,
)
from arena.social.wrapper import DEATH_HOOKS, DeathContext


@dataclass
class InZone(RewardScheme):
    """Per step while ``entity`` is inside ``zone``: +1 broadcast to the agents below the node,
    times the ``custom`` coefficient (default 1). Pays only while the node is alive. ``score``:
    also feed the value into that score (for ``RankByScore``).

    A 2-D engine scheme (the engine knows the zones' shapes); YAML games name it ``InZone``.
    """

    entity: str = ""
    zone: str = ""
    score: str | None = None
    kind: ClassVar[str] = "custom"
    needs_positions: ClassVar[bool] = True

    def __post_init__(self) -> None:
        if not isinstance(self.entity, str) or not self.entity:
            raise TreeError(f"InZone needs an entity name, got {self.entity!r}")
        if not isinstance(self.zone, str) or not self.zone:
            raise TreeError(f"InZone needs a zone name, got {self.zone!r}")
        self.score = check_score_name(self.score, "InZone")

    def score_value(self, ctx: StepContext, path: Path) -> float:
        return 1.0 if self.values(ctx, path) else 0.0

    def values(self, ctx: StepContext, path: Path) -> dict[str, float]:
        """Per-episode evaluation (used when the tree is laid over a single env by the wrapper):
        the env must offer ``inside_zone(zone, position) -> bool`` (the 2-D envs do)."""
        if not ctx.alive_before[path] or ctx.positions is None:
            return {}
        inside = getattr(ctx.env.unwrapped, "inside_zone", None)
        if inside is None:
            raise TreeError("InZone needs an env with inside_zone(zone, position), such as the 2-D arena games")
        if not inside(self.zone, ctx.position(self.entity)):
            return {}
        return {a: 1.0 for a in ctx.receivers(path)}

    def expected_class(self, tree: SocialTree, path: Path) -> str | None:
        return "CL" if len(tree.agents_below(path)) >= 2 else None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "InZone", "entity": self.entity, "zone": self.zone}
        if self.score:
            out["score"] = self.score
        return out


def deaths_arena2d(ctx: DeathContext) -> list[set[str]]:
    """Death hook for :class:`arena.social.SocialTreeWrapper` over a 2-D game: the agents the game
    killed directly this step, as one event (terminations alone cannot tell a loser from the
    survivors that the end of the episode terminates in the same step)."""
    groups = getattr(ctx.env.unwrapped, "death_groups", None)
    if groups is None:
        raise TreeError("the 'arena2d' death hook needs a 2-D arena game env")
    return groups()


# The 2-D games' trees name this hook (SocialTree(deaths="arena2d")), so that the wrapper and the
# BMaRS measurement of arena.social replay the engine's deaths exactly.
DEATH_HOOKS.setdefault("arena2d", deaths_arena2d)

# Condition codes of the compiled tree.
_ALL, _ONE, _NUMBER, _PORTION = 0, 1, 2, 3


@dataclass
class StepInputs:
    """What the reward schemes of one batched step read.

    ``points_before`` / ``points_after``: ``[B, E, 2]`` positions of every named entity (bodies,
    then zone centres); ``headings``: ``[B, A, 2]`` unit vectors; ``actions``: ``[B, A]`` discrete
    indices or ``[B, A, D]`` continuous actions; ``inside``: callable(entity index, zone name) ->
    ``[B]`` bool. ``engine``: the batched game (handed to Custom hooks).
    """

    points_before: np.ndarray
    points_after: np.ndarray
    headings: np.ndarray
    actions: np.ndarray
    inside: Callable[[int, str], np.ndarray]
    engine: Any = None


class BatchedTree:
    """A :class:`SocialTree` compiled for ``num_envs`` copies (see the module docstring).

    ``entities`` maps every entity name (agents, objects, zones) to its row in the ``points``
    arrays of :class:`StepInputs`; ``agents`` is the engine's agent order (must equal
    ``tree.agents``).
    """

    def __init__(self, tree: SocialTree, entities: dict[str, int], num_envs: int, *,
                 continuous: bool, where: str = "tree") -> None:
        self.tree = tree
        self.num_envs = num_envs
        self.paths: list[Path] = tree.preorder()
        self.index = {p: i for i, p in enumerate(self.paths)}
        self.path_strs = [tree.info(p).path_str for p in self.paths]
        n = len(self.paths)
        self.agents = tree.agents
        num_agents = len(self.agents)
        self.parent = np.array([self.index[p[:-1]] if p else -1 for p in self.paths], dtype=np.int64)
        self.depth = np.array([len(p) for p in self.paths], dtype=np.int64)
        self.leaf = np.array([self.index[tree.leaf_of(a)] for a in self.agents], dtype=np.int64)
        self.below = np.zeros((n, num_agents), dtype=bool)
        for k, agent in enumerate(self.agents):
            for anc in tree.ancestors(tree.leaf_of(agent)):
                self.below[self.index[anc], k] = True
        self.children = [np.array([self.index[c] for c in tree.children(p)], dtype=np.int64) for p in self.paths]
        # Inner nodes deepest first: the order in which living conditions are re-checked.
        self.inner_bottom_up = sorted((i for i, p in enumerate(self.paths) if len(self.children[i])),
                                      key=lambda i: -self.depth[i])
        self.max_depth = int(self.depth.max())
        self.cond = np.zeros(n, dtype=np.int64)
        self.cond_arg = np.zeros(n, dtype=np.float64)
        self.max_steps = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
        for i, p in enumerate(self.paths):
            info = tree.info(p)
            c = info.condition
            if isinstance(c, AllLiving):
                self.cond[i] = _ALL
            elif isinstance(c, AtLeastOneLiving):
                self.cond[i] = _ONE
            elif isinstance(c, AtLeastNumberLiving):
                self.cond[i], self.cond_arg[i] = _NUMBER, c.k
            elif isinstance(c, AtLeastPortionLiving):
                self.cond[i], self.cond_arg[i] = _PORTION, c.p
            else:
                raise TreeError(f"{where}: {info.path_str}: the batched engine knows AllLiving, AtLeastOneLiving, "
                                f"AtLeastNumberLiving and AtLeastPortionLiving, not {type(c).__name__}")
            if info.max_living_steps is not None:
                self.max_steps[i] = info.max_living_steps
        self.has_timeouts = bool((self.max_steps < np.iinfo(np.int64).max).any())
        self.continuous = continuous
        self.entities = entities
        self.score_names: list[str] = []
        self.schemes: list[tuple[int, RewardScheme, float, dict[str, Any]]] = []
        for i, p in enumerate(self.paths):
            info = tree.info(p)
            for s in info.schemes:
                coef = tree.coefficients.of(s.kind) * info.scale
                data = self._compile(s, info.path_str, where)
                if s.score and not isinstance(s, RankByScore):
                    if s.score not in self.score_names:
                        self.score_names.append(s.score)
                    data["feeds"] = self.score_names.index(s.score)
                self.schemes.append((i, s, coef, data))
        for _, s, _, data in self.schemes:
            if isinstance(s, RankByScore):
                data["score"] = self.score_names.index(s.score)
        # Rankings by score last: they read the scores this step's other schemes fed.
        self.schemes.sort(key=lambda item: isinstance(item[1], RankByScore))
        position_schemes = (Distance, DistanceToward, VelocityToward, FacingToward, InZone, HoldZone, CustomHook)
        self.needs_points = any(isinstance(s, position_schemes) for _, s, _, _ in self.schemes)
        self.needs_headings = any(isinstance(s, FacingToward) for _, s, _, _ in self.schemes)
        self.alive = np.ones((num_envs, n), dtype=bool)
        self.rank = np.full((num_envs, n), np.nan)
        self.dead_children = np.zeros((num_envs, n), dtype=np.float64)
        self.newly = np.zeros((num_envs, n), dtype=bool)
        self.recorded: np.ndarray | None = None
        self.scores = np.zeros((num_envs, n, len(self.score_names)))

    def _entity(self, name: str, where: str) -> int:
        if name not in self.entities:
            raise TreeError(f"{where}: entity {name!r} is not in this game; entities are {', '.join(self.entities)}")
        return self.entities[name]

    def _compile(self, s: RewardScheme, node: str, where: str) -> dict[str, Any]:
        w = f"{where}: {node}: {type(s).__name__}"
        if isinstance(s, Distance):
            return {"a": np.array([self._entity(x, w) for x in s.a]), "b": np.array([self._entity(x, w) for x in s.b])}
        if isinstance(s, DistanceToward | VelocityToward | FacingToward):
            return {"target": self._entity(s.target, w)}
        if isinstance(s, InZone):
            return {"entity": self._entity(s.entity, w)}
        path = self.tree.find(node)
        if isinstance(s, HoldZone):
            rivals = [self.index[c] for c in self.tree.children(path[:-1]) if c != path] if path else []
            return {"rivals": self.below[rivals].any(axis=0) if rivals else np.zeros(len(self.agents), dtype=bool)}
        if isinstance(s, RankByScore):
            ch = self.children[self.index[path]]
            # sub[c, m]: node m is in the subtree of child c.
            sub = np.array([[self.paths[m][:len(self.paths[c])] == self.paths[c] for m in range(len(self.paths))]
                            for c in ch], dtype=np.float64)
            return {"sub": sub}
        if isinstance(s, CustomHook):
            try:
                return {"fn": s.fn}
            except TreeError as exc:
                raise TreeError(f"{w}: {exc}") from None
        if isinstance(s, Ranking | Time | EnergyPenalty | TimePenalty):
            return {}
        raise TreeError(f"{w}: the batched 2-D engine evaluates Ranking, RankByScore, Time, Distance, "
                        "DistanceToward, VelocityToward, FacingToward, EnergyPenalty, TimePenalty, HoldZone, "
                        "InZone and Custom hooks ({type: Custom, hook: 'package.module:function'}); "
                        "wrap a single env with arena.social's wrapper for other schemes")

    # -- life and death -------------------------------------------------------------------

    def reset(self, mask: np.ndarray | None = None) -> None:
        """Every node alive again, in all copies or in those where ``mask[B]`` is True."""
        sel = slice(None) if mask is None else mask
        self.alive[sel] = True
        self.rank[sel] = np.nan
        self.dead_children[sel] = 0.0
        self.newly[sel] = False
        self.scores[sel] = 0.0

    def _condition_holds(self, node: int, living: np.ndarray, total: int) -> np.ndarray:
        code = self.cond[node]
        if code == _ALL:
            return living == total
        if code == _ONE:
            return living >= 1
        if code == _NUMBER:
            return living >= self.cond_arg[node]
        return living / total >= self.cond_arg[node]

    def _kill(self, dying: np.ndarray) -> None:
        """Kill ``dying[B, nodes]`` (all alive) as one event: siblings share a rank."""
        self.alive &= ~dying
        self.newly |= dying
        has_parent = self.parent >= 0
        count = np.zeros_like(self.dead_children)
        child_cols = np.flatnonzero(has_parent)
        np.add.at(count.T, self.parent[child_cols], dying[:, child_cols].T.astype(np.float64))
        par = self.parent[child_cols]
        shared = self.dead_children[:, par] + (count[:, par] - 1.0) / 2.0
        rows = dying[:, child_cols]
        self.rank[:, child_cols] = np.where(rows, shared, self.rank[:, child_cols])
        self.dead_children += count
        if not has_parent[0]:
            self.rank[:, 0] = np.where(dying[:, 0], 0.0, self.rank[:, 0])

    def event(self, direct: np.ndarray, record: bool = False) -> None:
        """One death event: ``direct[B, nodes]`` die, then every ancestor whose condition fails
        (same event); survivors of dead nodes die in later events, level by level. ``record``
        keeps the direct deaths in ``self.recorded`` (see :meth:`death_groups`)."""
        dying = direct & self.alive
        if record:
            self.recorded = dying.copy()
        if not dying.any():
            return
        for node in self.inner_bottom_up:
            ch = self.children[node]
            has = dying[:, ch].any(axis=1)
            if not has.any():
                continue
            living = (self.alive[:, ch] & ~dying[:, ch]).sum(axis=1)
            fails = ~self._condition_holds(node, living, len(ch))
            dying[:, node] |= self.alive[:, node] & has & fails
        self._kill(dying)
        level = dying
        for _ in range(self.max_depth):
            survivors = np.zeros_like(level)
            survivors[:, 1:] = level[:, self.parent[1:]] & self.alive[:, 1:]
            if not survivors.any():
                break
            self._kill(survivors)
            level = survivors

    def begin_step(self, steps_after: np.ndarray) -> None:
        """Start a step: clear ``newly`` and kill nodes past ``max_living_steps`` (``steps_after``
        [B]: the episode step count after this step)."""
        self.newly[:] = False
        self.recorded = None
        if self.has_timeouts:
            timed = self.alive & (steps_after[:, None] >= self.max_steps[None, :])
            if timed.any():
                self.event(timed)

    def finish(self, mask: np.ndarray) -> None:
        """End the episode in copies ``mask[B]`` without a root death: survivors rank last."""
        direct = np.zeros_like(self.alive)
        direct[:, 0] = mask
        self.event(direct)

    def death_groups(self, index: int = 0) -> list[set[str]]:
        """The agents the last step killed directly in copy ``index`` (triggers, dead walls,
        empty health; a directly killed team counts as its living agents), as one event. Timeouts
        and deaths that follow from living conditions are left out: a per-episode
        :class:`~arena.social.Life` derives those itself, so replaying these groups reproduces
        this step's deaths and ranks (:func:`deaths_arena2d`)."""
        if self.recorded is None or not self.recorded[index].any():
            return []
        hit = self.recorded[index] @ self.below.astype(np.int64) > 0
        return [{a for a, h in zip(self.agents, hit) if h}]

    @property
    def over(self) -> np.ndarray:
        """``[B]`` True where the root is dead (the episode is over)."""
        return ~self.alive[:, 0]

    # -- rewards --------------------------------------------------------------------------

    def rewards(self, alive_before: np.ndarray, inputs: StepInputs,
                terms: np.ndarray | None = None) -> np.ndarray:
        """This step's reward ``[B, A]``; per-node terms are added into ``terms[B, nodes, A]``.

        ``alive_before[B, nodes]``: which nodes were alive when the step began; only agents alive
        then are paid (dead agents get 0)."""
        num_envs = alive_before.shape[0]
        receivers = alive_before[:, self.leaf]  # [B, A]
        total = np.zeros((num_envs, len(self.agents)), dtype=np.float64)
        self._inside_cache: dict[str, np.ndarray] = {}
        for node, scheme, coef, data in self.schemes:
            feeds = data.get("feeds")
            if coef == 0.0 and feeds is None:
                continue
            contrib = self._scheme(node, scheme, data, alive_before, receivers, inputs)
            if contrib is None:
                continue
            if feeds is not None:
                # A node-level value [B] feeds the score as is; a per-agent one as its sum over
                # the node's paid agents.
                value, contrib = contrib if isinstance(contrib, tuple) else (None, contrib)
                if value is None:
                    value = (np.asarray(contrib) * (receivers & self.below[node][None, :])).sum(axis=1)
                self.scores[:, node, feeds] += value
                if coef == 0.0:
                    continue
            elif isinstance(contrib, tuple):
                contrib = contrib[1]
            contrib = np.asarray(contrib, dtype=np.float64) * coef
            total += contrib
            if terms is not None:
                terms[:, node, :] += contrib
        total *= receivers
        if terms is not None:
            terms *= receivers[:, None, :]
        return total

    def _agents_inside(self, zone: str, x: StepInputs) -> np.ndarray:
        """``[B, A]`` which agents are inside ``zone`` after the step (once per zone and step)."""
        if zone not in self._inside_cache:
            self._inside_cache[zone] = np.stack([np.asarray(x.inside(k, zone), dtype=bool)
                                                 for k in range(len(self.agents))], axis=1)
        return self._inside_cache[zone]

    def _scheme(self, node: int, s: RewardScheme, data: dict[str, Any], alive_before: np.ndarray,
                receivers: np.ndarray, x: StepInputs) -> np.ndarray | tuple[np.ndarray, np.ndarray] | None:
        """One scheme's ``[B, A]`` contribution before its coefficient, or ``(value[B], contribution)``
        for node-level schemes (the value is what a score is fed)."""
        below = self.below[node]  # [A]
        if isinstance(s, RankByScore):
            newly = self.newly[:, node]
            if not newly.any():
                return None
            ch = self.children[node]
            rank = score_ranks(self.scores[:, :, data["score"]] @ data["sub"].T)  # [B, C]
            value = rank if s.mode == "Highest" else len(ch) - rank - 1.0
            if s.penalize_tie:
                value = value - (rank.max(axis=1) == rank.min(axis=1))[:, None]
            return (value * newly[:, None]) @ self.below[ch].astype(np.float64)
        if isinstance(s, Ranking):
            ch = self.children[node]
            newly = self.newly[:, ch]
            if not newly.any():
                return None
            rank = np.nan_to_num(self.rank[:, ch])
            value = rank if s.mode == "Survive" else len(ch) - rank - 1.0
            out = (value * newly) @ self.below[ch].astype(np.float64)
            if s.penalize_tie:
                all_dead = ~self.alive[:, ch].any(axis=1)
                tie = newly.any(axis=1) & all_dead & (rank.max(axis=1) == rank.min(axis=1))
                out -= tie[:, None] * self.below[ch].any(axis=0)[None, :]
            return out
        live = alive_before[:, node][:, None] & below[None, :]
        if isinstance(s, Time):
            return live * (1.0 if s.mode == "Longer" else -1.0)
        if isinstance(s, TimePenalty):
            return -1.0 * (receivers & below[None, :])
        if isinstance(s, Distance):
            def gap(points: np.ndarray) -> np.ndarray:
                d = points[:, data["a"], None, :] - points[:, None, data["b"], :]
                return np.sqrt((d ** 2).sum(-1)).reshape(points.shape[0], -1).min(axis=1)
            closer = gap(x.points_before) - gap(x.points_after)
            return live * closer[:, None]
        if isinstance(s, InZone):
            held = alive_before[:, node] & np.asarray(x.inside(data["entity"], s.zone), dtype=bool)
            return held.astype(np.float64), live * held[:, None]
        if isinstance(s, HoldZone):
            present = self._agents_inside(s.zone, x) & receivers  # [B, A]
            held = (alive_before[:, node] & (present & below[None, :]).any(axis=1)
                    & ~(present & data["rivals"][None, :]).any(axis=1))
            return held.astype(np.float64), live * held[:, None]
        if isinstance(s, CustomHook):
            return self._hook(node, s, data, alive_before, receivers, x, live)
        num_agents = len(self.agents)
        mine = receivers & below[None, :]
        if isinstance(s, EnergyPenalty):
            if self.continuous:
                cost = (np.asarray(x.actions, dtype=np.float64) ** 2).sum(axis=-1)
            else:
                cost = (np.asarray(x.actions) != s.noop).astype(np.float64)
            return -cost * mine
        target = data["target"]
        me_before = x.points_before[:, :num_agents]
        me_after = x.points_after[:, :num_agents]
        t_before = x.points_before[:, target][:, None, :]
        t_after = x.points_after[:, target][:, None, :]
        if isinstance(s, DistanceToward):
            value = np.linalg.norm(me_before - t_before, axis=-1) - np.linalg.norm(me_after - t_after, axis=-1)
        elif isinstance(s, VelocityToward):
            to = t_before - me_before
            norm = np.linalg.norm(to, axis=-1)
            value = ((me_after - me_before) * to).sum(-1) / np.where(norm > 0, norm, 1.0)
        else:  # FacingToward
            to = t_after - me_after
            norm = np.linalg.norm(to, axis=-1)
            value = (x.headings * to).sum(-1) / np.where(norm > 0, norm, 1.0)
        return value * mine

    def _hook(self, node: int, s: CustomHook, data: dict[str, Any], alive_before: np.ndarray,
              receivers: np.ndarray, x: StepInputs, live: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
        """Call a Custom hook on this step's batched state (see :mod:`arena.social.hooks`)."""
        num_envs, num_agents = receivers.shape
        where = f"{self.path_strs[node]}: Custom hook {s.hook!r}"
        step = HookStep(
            tree=self.tree, node=self.paths[node], node_index=node, agents=self.agents, below=self.below[node],
            paths=self.paths, alive_before=alive_before, alive=self.alive, newly_dead=self.newly,
            receivers=receivers, entities=self.entities, points_before=x.points_before,
            points_after=x.points_after, actions=x.actions,
            steps=getattr(x.engine, "steps", None), engine=x.engine, inside_fn=x.inside,
            score_fn=lambda name: self._score_table(name, where))
        out = np.asarray(data["fn"](step), dtype=np.float64)
        if out.shape == (num_envs,):
            value = out * alive_before[:, node]
            return value, live * out[:, None]
        if out.shape == (num_envs, num_agents):
            return None, out * (receivers & self.below[node][None, :])
        raise TreeError(f"{where} returned shape {out.shape}; return [B] = ({num_envs},) values (broadcast to the "
                        f"node's agents) or [B, A] = ({num_envs}, {num_agents}) per-agent values")

    def _score_table(self, name: str, where: str) -> np.ndarray:
        if name not in self.score_names:
            raise TreeError(f"{where}: no scheme feeds a score {name!r}; scores are {', '.join(self.score_names) or 'none'}")
        return self.scores[:, :, self.score_names.index(name)]
