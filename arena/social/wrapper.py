"""Lay a social tree over any PettingZoo env: ``SocialTreeWrapper(env, tree)``.

The wrapper maps the env's agents to the tree's leaves, turns env events into deaths, keeps the
tree's :class:`~arena.social.tree.Life`, and pays each agent the weighted sum of the schemes on its
path. It works over ParallelEnv (:class:`SocialTreeParallelWrapper`) and AECEnv
(:class:`SocialTreeAECWrapper`); :func:`SocialTreeWrapper` picks the right one.

* **Agents.** A leaf stands for the env agent named by its ``agent`` field (default: its path,
  ``team_0/agent_1``); ``agent_map`` renames tree agents to env agents. Every env agent must be a
  leaf and every leaf an env agent.
* **Deaths.** A death hook ``hook(ctx: DeathContext) -> [group, ...]`` returns the env agents
  that die in this step, in groups (one group = one event sharing a rank; later groups rank
  after). Built in: ``"terminations"`` (an agent the env terminates dies), ``"by_return"`` (agents
  the env ends die in order of their episode's env return, lowest first: a board game's loser
  dies before its winner) and ``"mpe_tag"`` (mpe2 simple_tag: a good agent touching an adversary
  dies).
* **Rewards.** ``reward_mode="replace"`` pays the tree's reward only; ``"add"`` adds it to the
  env's own reward. ``infos[agent]["reward_terms"]`` holds this step's term of every node on the
  agent's path (``{"/": 1.0, "predators": 0.12, ...}``), ``infos[agent]["env_reward"]`` the env's
  reward and ``infos[agent]["alive"]`` whether the agent's leaf is alive in the tree.
* **Episode end.** When the root dies every agent is terminated, even if the env would go on. When
  the env ends on its own, the tree's survivors are ranked (:meth:`Life.finish`).
* **Leaving.** An agent stays in the game while the env keeps it (a tree-dead agent gets no more
  per-step rewards). In the Parallel API an agent the env removes while its ranking reward at a
  higher node is still unknown (its team is alive) is *held*: it stays in ``agents`` with its last
  observation, its actions are ignored, and it leaves when that reward is paid. The AEC API cannot
  hold an agent the env has removed, so such pending rewards are not paid there (turn-based board
  games end for every agent at once, where nothing is pending).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from pettingzoo import AECEnv, ParallelEnv

from arena.social.schemes import (
    Positions,
    PositionsAccessor,
    Ranking,
    StepContext,
    accumulate_scores,
    node_terms,
)
from arena.social.tree import SocialTree, TreeError


@dataclass
class DeathContext:
    """What a death hook sees after one env step (agent names are env names).

    ``terminated`` / ``truncated``: agents the env ended in this step. ``env_rewards``: the env's
    rewards of this step; ``env_returns``: the episode's env returns so far (this step included).
    ``env``: the wrapped env (``env.unwrapped`` reaches the game's state).
    """

    env: Any
    step: int
    terminated: set[str]
    truncated: set[str]
    env_rewards: Mapping[str, float]
    env_returns: Mapping[str, float]
    alive: Mapping[str, bool]


DeathHook = Callable[[DeathContext], Iterable[Iterable[str]]]


def deaths_from_terminations(ctx: DeathContext) -> list[set[str]]:
    """Every agent the env terminated in this step dies (one shared event)."""
    return [set(ctx.terminated)] if ctx.terminated else []


def deaths_by_return(ctx: DeathContext) -> list[set[str]]:
    """Agents the env ended (terminated or truncated: a match of fixed length ends by truncation)
    die in order of their episode env return, lowest first; equal returns die together (a draw
    leaves everyone sharing one rank)."""
    groups: dict[float, set[str]] = {}
    for agent in ctx.terminated | ctx.truncated:
        groups.setdefault(round(float(ctx.env_returns.get(agent, 0.0)), 9), set()).add(agent)
    return [groups[k] for k in sorted(groups)]


def deaths_mpe_tag(ctx: DeathContext) -> list[set[str]]:
    """mpe2 simple_tag / simple_world_comm: a good agent (``adversary`` false) that touches an
    adversary is caught and dies; env terminations also kill."""
    world = getattr(ctx.env.unwrapped, "world", None)
    if world is None:
        raise TreeError("the 'mpe_tag' death hook needs an mpe2 env (env.unwrapped.world)")
    adversaries = [a for a in world.agents if getattr(a, "adversary", False)]
    caught = set()
    for agent in world.agents:
        if getattr(agent, "adversary", False) or not ctx.alive.get(agent.name, False):
            continue
        for adv in adversaries:
            if np.linalg.norm(agent.state.p_pos - adv.state.p_pos) < agent.size + adv.size:
                caught.add(agent.name)
    groups = [caught] if caught else []
    rest = set(ctx.terminated) - caught
    return groups + ([rest] if rest else [])


DEATH_HOOKS: dict[str, DeathHook] = {
    "terminations": deaths_from_terminations,
    "by_return": deaths_by_return,
    "mpe_tag": deaths_mpe_tag,
}


def mpe_positions(env: Any) -> Positions:
    """Entity positions of an mpe2 world: agents by name, landmarks as ``landmark 0`` and
    ``landmark_0`` (the second spelling is easier to write in YAML)."""
    world = env.unwrapped.world
    out: Positions = {}
    for entity in world.entities:
        out[entity.name] = np.array(entity.state.p_pos, dtype=np.float64)
        out[entity.name.replace(" ", "_")] = out[entity.name]
    return out


def auto_positions(env: Any) -> PositionsAccessor | None:
    """The built-in accessor for envs Arena knows (mpe2 worlds, or an env with a ``positions()``
    method, which is how Arena's own 2-D engine exposes its entities)."""
    base = env.unwrapped
    if callable(getattr(base, "positions", None)):
        return lambda e: e.unwrapped.positions()
    if hasattr(base, "world") and hasattr(base.world, "entities"):
        return mpe_positions
    return None


class _TreeCore:
    """The part both wrappers share: agent mapping, life, death hook, reward arithmetic."""

    def __init__(self, env: Any, tree: SocialTree | Mapping[str, Any] | str, *, deaths: str | DeathHook | None,
                 reward_mode: str | None, agent_map: Mapping[str, str] | None,
                 positions: PositionsAccessor | str | None, headings: PositionsAccessor | None) -> None:
        env_agents = list(env.possible_agents)
        if isinstance(tree, str):
            tree = SocialTree.from_yaml(tree, agents=env_agents)
        elif isinstance(tree, Mapping):
            tree = SocialTree.from_dict(tree, agents=env_agents)
        if not isinstance(tree, SocialTree):
            raise TreeError(f"tree must be a SocialTree, a dict or a YAML file, got {type(tree).__name__}")
        self.tree = tree
        agent_map = dict(agent_map or {})
        for tree_agent in agent_map:
            if tree_agent not in tree.agents:
                raise TreeError(f"agent_map: {tree_agent!r} is not a tree agent; tree agents are "
                                f"{', '.join(tree.agents)}")
        self.to_env = {a: agent_map.get(a, a) for a in tree.agents}
        self.to_tree = {e: t for t, e in self.to_env.items()}
        missing = [a for a in env_agents if a not in self.to_tree]
        if missing:
            raise TreeError(f"env agent {missing[0]!r} has no leaf in the tree (tree agents: "
                            f"{', '.join(tree.agents)}); add a leaf with agent: {missing[0]} or map it with agent_map")
        extra = [t for t, e in self.to_env.items() if e not in env_agents]
        if extra:
            raise TreeError(f"tree agent {extra[0]!r} is not an env agent (env agents: {', '.join(env_agents)}); "
                            "set the leaf's agent field or map it with agent_map")
        hook = deaths if deaths is not None else tree.deaths
        if isinstance(hook, str):
            if hook not in DEATH_HOOKS:
                raise TreeError(f"unknown death hook {hook!r}; built-in hooks: {', '.join(DEATH_HOOKS)}")
            hook = DEATH_HOOKS[hook]
        self.death_hook: DeathHook = hook
        self.reward_mode = reward_mode or tree.reward_mode
        if self.reward_mode not in ("replace", "add"):
            raise TreeError(f"reward_mode: use 'replace' or 'add', got {self.reward_mode!r}")
        self.needs_positions = any(s.needs_positions for p in tree.preorder() for s in tree.info(p).schemes)
        if positions == "auto" or (positions is None and self.needs_positions):
            positions = auto_positions(env)
        if self.needs_positions and positions is None:
            raise TreeError("the tree has Distance/Toward schemes but this env has no positions accessor; "
                            "pass positions=callable(env) -> {entity name: array}")
        self.positions_fn: PositionsAccessor | None = positions if callable(positions) else None
        self.headings_fn = headings
        self.env = env
        self.path_strs = {p: tree.info(p).path_str for p in tree.preorder()}
        self._scheme_nodes = [p for p in tree.preorder() if tree.info(p).schemes]
        self._action_spaces = {self.to_tree[a]: env.action_space(a) for a in env_agents}
        # Nodes whose ranking of their children pays: agents below their children may have to wait.
        self._ranking_nodes = {p for p in tree.preorder()
                               if any(isinstance(s, Ranking) for s in tree.info(p).schemes)}
        self._scores = any(s.score for p in tree.preorder() for s in tree.info(p).schemes)

    def start(self) -> None:
        self.life = self.tree.start()
        self.env_returns = {a: 0.0 for a in self.to_tree}
        self.episode_terms: dict[str, dict[str, float]] = {a: {} for a in self.to_tree}
        self.episode_rewards = {a: 0.0 for a in self.to_tree}
        self.positions = self._read_positions()
        self.headings = self.headings_fn(self.env) if self.headings_fn else None

    def _read_positions(self) -> Positions | None:
        if self.positions_fn is None or not self.needs_positions:
            return None
        return {k: np.array(v, dtype=np.float64) for k, v in self.positions_fn(self.env).items()}

    def tree_alive(self, env_agent: str) -> bool:
        return self.life.alive[self.tree.leaf_of(self.to_tree[env_agent])]

    def pending(self, env_agent: str) -> bool:
        """A ranking reward for this agent is still to come (some ancestor below a ranking node
        is alive), though its own leaf is dead."""
        leaf = self.tree.leaf_of(self.to_tree[env_agent])
        return any(self.life.alive[leaf[:i]] and leaf[:i - 1] in self._ranking_nodes
                   for i in range(1, len(leaf)))

    def advance(self, actions: Mapping[str, Any], env_rewards: Mapping[str, float], terminated: set[str],
                truncated: set[str], env_over: bool) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
        """One env step happened. Returns (tree reward, reward terms) per env agent."""
        for agent, r in env_rewards.items():
            self.env_returns[agent] += float(r)
        alive_before = dict(self.life.alive)
        alive_env = {a: self.tree_alive(a) for a in self.to_tree}
        groups = self.death_hook(DeathContext(self.env, self.life.step_count + 1, set(terminated), set(truncated),
                                              env_rewards, self.env_returns, alive_env))
        self.life.step([[self.to_tree[a] for a in g] for g in groups])
        if env_over:
            self.life.finish()
        prev_positions = self.positions
        self.positions = self._read_positions()
        self.headings = self.headings_fn(self.env) if self.headings_fn else None
        ctx = StepContext(
            tree=self.tree, life=self.life, env=self.env, step=self.life.step_count,
            actions={self.to_tree[a]: v for a, v in actions.items() if a in self.to_tree},
            alive_before=alive_before, env_rewards={self.to_tree[a]: r for a, r in env_rewards.items()},
            action_spaces=self._action_spaces,
            positions=self.positions, prev_positions=prev_positions, headings=self.headings)
        if self._scores:
            accumulate_scores(ctx)
        terms: dict[str, dict[str, float]] = {a: {} for a in self.to_tree}
        rewards = {a: 0.0 for a in self.to_tree}
        for path in self._scheme_nodes:
            key = self.path_strs[path]
            for tree_agent, value in node_terms(ctx, path).items():
                agent = self.to_env[tree_agent]
                terms[agent][key] = terms[agent].get(key, 0.0) + value
                rewards[agent] += value
        for agent, agent_terms in terms.items():
            for key, value in agent_terms.items():
                self.episode_terms[agent][key] = self.episode_terms[agent].get(key, 0.0) + value
        if self.reward_mode == "add":
            for agent, r in env_rewards.items():
                rewards[agent] += float(r)
        for agent, r in rewards.items():
            self.episode_rewards[agent] += r
        return rewards, terms

    def info_extra(self, agent: str, terms: Mapping[str, dict[str, float]], env_reward: float) -> dict[str, Any]:
        return {"reward_terms": dict(terms.get(agent, {})), "env_reward": float(env_reward),
                "alive": self.tree_alive(agent)}


class _Delegating:
    """What both wrappers pass straight through to the wrapped env (``self.env``) or tree core."""

    env: Any
    core: _TreeCore

    @property
    def unwrapped(self) -> Any:
        return self.env.unwrapped

    @property
    def life(self):  # noqa: ANN201 - the tree's Life of the current episode
        return self.core.life

    @property
    def episode_terms(self) -> dict[str, dict[str, float]]:
        """Per agent, the episode's sum of each node's terms so far."""
        return self.core.episode_terms

    def observation_space(self, agent: str) -> Any:
        return self.env.observation_space(agent)

    def action_space(self, agent: str) -> Any:
        return self.env.action_space(agent)

    def state(self) -> np.ndarray:
        return self.env.state()

    def render(self) -> Any:
        return self.env.render()

    def close(self) -> None:
        self.env.close()


class SocialTreeParallelWrapper(_Delegating, ParallelEnv):
    """A social tree over a PettingZoo ParallelEnv (see the module docstring)."""

    def __init__(self, env: ParallelEnv, tree: SocialTree | Mapping[str, Any] | str, *,
                 deaths: str | DeathHook | None = None, reward_mode: str | None = None,
                 agent_map: Mapping[str, str] | None = None, positions: PositionsAccessor | str | None = "auto",
                 headings: PositionsAccessor | None = None) -> None:
        self.env = env
        self.core = _TreeCore(env, tree, deaths=deaths, reward_mode=reward_mode, agent_map=agent_map,
                              positions=positions, headings=headings)
        self.tree = self.core.tree
        self.possible_agents = list(env.possible_agents)
        self.agents: list[str] = []
        self.metadata = dict(getattr(env, "metadata", {}) or {})
        self.render_mode = getattr(env, "render_mode", None)
        self._last_obs: dict[str, Any] = {}
        self._env_ended: dict[str, str] = {}

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[dict, dict]:
        obs, infos = self.env.reset(seed=seed, options=options)
        self.core.start()
        self.agents = list(self.env.agents)
        self._last_obs = dict(obs)
        self._env_ended: dict[str, str] = {}
        infos = {a: {**dict(infos.get(a, {})), "reward_terms": {}, "env_reward": 0.0, "alive": True}
                 for a in self.agents}
        return dict(obs), infos

    def step(self, actions: Mapping[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        live = list(self.agents)
        missing = [a for a in self.env.agents if a not in actions]
        if missing:
            raise ValueError(f"step() needs an action for every live agent; missing: {', '.join(missing)}")
        env_live = list(self.env.agents)
        env_actions = {a: actions[a] for a in env_live}
        obs, env_rew, env_term, env_trunc, env_info = self.env.step(env_actions)
        terminated = {a for a in env_live if env_term.get(a, False)}
        truncated = {a for a in env_live if env_trunc.get(a, False) and a not in terminated}
        env_over = not self.env.agents
        rewards, terms = self.core.advance(env_actions, {a: float(env_rew.get(a, 0.0)) for a in env_live},
                                           terminated, truncated, env_over)
        self._last_obs.update(obs)
        for agent in terminated:
            self._env_ended[agent] = "terminated"
        for agent in truncated:
            self._env_ended[agent] = "truncated"
        over = self.core.life.over
        out_obs, out_rew, out_term, out_trunc, out_info = {}, {}, {}, {}, {}
        for agent in live:
            in_env = agent in self.env.agents
            out_obs[agent] = obs[agent] if agent in obs else self._last_obs[agent]
            out_rew[agent] = rewards[agent]
            leaving = over or (not in_env and not self.core.pending(agent))
            # Truncated only when the env truncated it; a root death or an env termination terminates.
            out_trunc[agent] = bool(leaving and self._env_ended.get(agent) == "truncated")
            out_term[agent] = bool(leaving and not out_trunc[agent])
            out_info[agent] = {**dict(env_info.get(agent, {})),
                               **self.core.info_extra(agent, terms, env_rew.get(agent, 0.0))}
        self.agents = [a for a in live if not (out_term[a] or out_trunc[a])]
        return out_obs, out_rew, out_term, out_trunc, out_info


class SocialTreeAECWrapper(_Delegating, AECEnv):
    """A social tree over a PettingZoo AECEnv (see the module docstring).

    Tree rewards are computed after every env step (one agent's move) and paid to every agent
    through ``rewards`` / ``_cumulative_rewards`` with AEC's usual bookkeeping.
    """

    def __init__(self, env: AECEnv, tree: SocialTree | Mapping[str, Any] | str, *,
                 deaths: str | DeathHook | None = None, reward_mode: str | None = None,
                 agent_map: Mapping[str, str] | None = None, positions: PositionsAccessor | str | None = "auto",
                 headings: PositionsAccessor | None = None) -> None:
        super().__init__()
        self.env = env
        self.core = _TreeCore(env, tree, deaths=deaths, reward_mode=reward_mode, agent_map=agent_map,
                              positions=positions, headings=headings)
        self.tree = self.core.tree
        self.possible_agents = list(env.possible_agents)
        self.metadata = dict(getattr(env, "metadata", {}) or {})
        self.render_mode = getattr(env, "render_mode", None)
        self.agents = []
        self._ended_by_tree = False

    def observe(self, agent: str) -> Any:
        return self.env.observe(agent)

    def reset(self, seed: int | None = None, options: dict | None = None) -> None:
        self.env.reset(seed=seed, options=options)
        self.core.start()
        self._ended_by_tree = False
        self.agents = list(self.env.agents)
        self.rewards = {a: 0.0 for a in self.agents}
        self._cumulative_rewards = {a: 0.0 for a in self.agents}
        self.terminations = {a: bool(self.env.terminations[a]) for a in self.agents}
        self.truncations = {a: bool(self.env.truncations[a]) for a in self.agents}
        self.infos = {a: {**dict(self.env.infos.get(a, {})), "reward_terms": {}, "env_reward": 0.0,
                          "alive": True} for a in self.agents}
        self.agent_selection = self.env.agent_selection

    def _sync_membership(self) -> None:
        """Drop agents the env has removed (after their dead step)."""
        for agent in [a for a in self.agents if a not in self.env.agents]:
            self.agents.remove(agent)
            for table in (self.rewards, self._cumulative_rewards, self.terminations, self.truncations, self.infos):
                table.pop(agent, None)

    def step(self, action: Any) -> None:
        agent = self.agent_selection
        if self._ended_by_tree:
            self._was_dead_step(action)
            return
        if self.terminations[agent] or self.truncations[agent]:
            self.env.step(action)
            self._sync_membership()
            for a in self.rewards:
                self.rewards[a] = 0.0
            self.agent_selection = self.env.agent_selection
            return
        was_done = {a: bool(self.env.terminations[a] or self.env.truncations[a]) for a in self.env.agents}
        self.env.step(action)
        terminated = {a for a in self.env.agents if self.env.terminations[a] and not was_done.get(a, False)}
        truncated = {a for a in self.env.agents if self.env.truncations[a] and not was_done.get(a, False)
                     and a not in terminated}
        env_over = all(self.env.terminations[a] or self.env.truncations[a] for a in self.env.agents)
        env_rewards = {a: float(self.env.rewards.get(a, 0.0)) for a in self.env.agents}
        rewards, terms = self.core.advance({agent: action}, env_rewards, terminated, truncated, env_over)
        self._sync_membership()
        for a in self.agents:
            self.rewards[a] = rewards.get(a, 0.0)
            self.terminations[a] = bool(self.env.terminations[a])
            self.truncations[a] = bool(self.env.truncations[a])
            self.infos[a] = {**dict(self.env.infos.get(a, {})),
                             **self.core.info_extra(a, terms, env_rewards.get(a, 0.0))}
        self._cumulative_rewards[agent] = 0.0
        self._accumulate_rewards()
        if self.core.life.over and not env_over:
            # The root died while the env would go on: the tree ends the episode for everyone.
            for a in self.agents:
                if not self.truncations[a]:
                    self.terminations[a] = True
            self._ended_by_tree = True
            self.agent_selection = self.agents[0] if self.agents else agent
            self._deads_step_first()
        else:
            self.agent_selection = self.env.agent_selection


def SocialTreeWrapper(env: Any, tree: SocialTree | Mapping[str, Any] | str, **kwargs: Any) -> Any:  # noqa: N802
    """Wrap a PettingZoo ParallelEnv or AECEnv in a social tree (see the module docstring).

    ``tree``: a :class:`SocialTree`, a dict or a YAML file path. Keyword options: ``deaths`` (hook
    name or callable), ``reward_mode`` (``"replace"``/``"add"``), ``agent_map`` (tree agent -> env
    agent), ``positions`` (``"auto"`` or ``callable(env) -> {entity: array}``), ``headings``.
    """
    if isinstance(env, ParallelEnv):
        return SocialTreeParallelWrapper(env, tree, **kwargs)
    if isinstance(env, AECEnv):
        return SocialTreeAECWrapper(env, tree, **kwargs)
    raise TypeError(f"SocialTreeWrapper needs a PettingZoo ParallelEnv or AECEnv, got {type(env).__name__}")


def glob_agent_map(tree: SocialTree, env_agents: list[str], patterns: Mapping[str, str]) -> dict[str, str]:
    """An ``agent_map`` from team patterns: for each team path string, the leaves below it (in
    order) take the env agents matching its glob pattern (in env order)."""
    mapping = {}
    for team, pattern in patterns.items():
        leaves = tree.agents_below(tree.find(team))
        members = [a for a in env_agents if fnmatch.fnmatchcase(a, pattern)]
        if len(members) != len(leaves):
            raise TreeError(f"pattern {pattern!r} matches {len(members)} env agents but team {team!r} has "
                            f"{len(leaves)} leaves")
        mapping.update(dict(zip(leaves, members)))
    return mapping
