"""MADDPG behind the :class:`arena.learner.Learner` interface, so that leagues can train it.

:class:`MADDPGLearner` drives the networks and update equations of :mod:`arena.marl.maddpg`
(:class:`~arena.marl.maddpg.MADDPG`, the shared replay buffer, the update schedule and the
exploration noise) on any simultaneous-move PettingZoo ParallelEnv, against opponents a league
picks:

* **sides** -- agents are grouped by name (``adversary_0, adversary_1 -> adversary``); when every
  agent has the same prefix (``player_0``, ``player_1``) each agent is its own side. These are the
  seats a league game gives a bot (:func:`leagues.executor.seats_of`). The learner keeps actors
  and critics for *every* agent, so one learner plays either side.
* :meth:`MADDPGLearner.learn` -- ``num_envs`` env copies in lockstep. With opponents, each copy's
  episode gives the learner one side (alternating, or random with ``side_choice='random'``) and
  one opponent, drawn uniformly, all the other sides; without opponents the learner plays every
  side (pure self-play). ``steps`` counts environment steps summed over the copies.
* **what trains what** -- every joint transition, the opponent's moves included, goes into the
  replay buffer and trains the networks of every agent. Critics are centralised over the agent's
  own side (``critic_scope='team'``, the league default): the opponent is part of the
  environment, its moves are off-policy experience for the learner's networks of that side (as
  exploration is for DDPG), and the critic target takes the side's next actions from the
  learner's own target actors, as MADDPG does. With ``critic_scope='all'`` the critics also see
  the other side, whose next actions then come from the learner's target actors of that side:
  exact in pure self-play, an approximation against any other opponent.
* :meth:`MADDPGLearner.bot` -- a frozen deep copy of the actors on the CPU
  (:class:`MADDPGBot`), greedy (argmax, as ``arena eval``) unless ``explore=True``.
* :meth:`MADDPGLearner.state_dict` -- config, agent layout, networks, optimisers, counters and
  RNG states as tensors and plain values (loads with ``torch.load(weights_only=True)``); the
  replay buffer too when ``save_buffer`` is on (otherwise a learner rebuilt from a checkpoint
  starts with an empty buffer). :meth:`MADDPGLearner.clone` copies the buffer always.
* PBT-tunable hyperparameters: ``lr_actor``, ``lr_critic``, ``logit_reg``, ``gumbel_temperature``.

A league recipe's ``config:`` holds :class:`~arena.marl.maddpg.MADDPGConfig` fields (except the
run-directory ones: ``checkpoint_every``, ``log_every``, ``tensorboard``, ``env_kwargs``) and
``side_choice``; see :func:`make_maddpg_learner`.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from arena.marl.common import AgentSpace, EnvPool, ReplayBuffer, agent_spaces, team_of
from arena.marl.maddpg import (
    MADDPG,
    MADDPGConfig,
    config_with,
    exploration_noise,
    noise_std,
    ou_processes,
    resolve_device,
    scheduled_updates,
)

STATE_FORMAT = 1
# MADDPGConfig fields that describe an `arena train maddpg` run directory, not a league learner.
RUN_ONLY_FIELDS = ("checkpoint_every", "checkpoint_seconds", "log_every", "tensorboard", "env_kwargs")
LEAGUE_DEFAULTS: dict[str, Any] = {"critic_scope": "team"}
SIDE_CHOICES = ("alternate", "random")
TUNABLE = ("lr_actor", "lr_critic", "logit_reg", "gumbel_temperature")


def league_sides(names: Sequence[str]) -> list[str]:
    """Side of each agent: its name prefix, or the agent itself when all agents share one prefix."""
    teams = [team_of(n) for n in names]
    if len(set(teams)) == 1 and len(names) > 1:
        return list(names)
    return teams


def side_spaces(env: Any) -> tuple[list[AgentSpace], list[tuple[int, ...]]]:
    """The learner's view of ``env``: agent spaces whose ``team`` is the agent's side, and the
    observation shape of each agent (what a bot is given)."""
    if hasattr(env, "agent_iter") or not hasattr(env, "possible_agents"):
        raise ValueError(f"the maddpg learner needs a simultaneous-move PettingZoo ParallelEnv (mpe2.*, "
                         f"rock_paper_scissors, the 2-D games), not {type(env).__name__}")
    agents = agent_spaces(env)
    sides = league_sides([a.name for a in agents])
    agents = [dataclasses.replace(a, team=side) for a, side in zip(agents, sides)]
    shapes = [tuple(int(d) for d in env.observation_space(a.name).shape) for a in agents]
    return agents, shapes


def _signature(agents: Sequence[AgentSpace]) -> list[tuple[Any, ...]]:
    return [(a.name, a.team, a.obs_dim, a.act_dim, a.discrete,
             None if a.low is None else tuple(float(x) for x in a.low),
             None if a.high is None else tuple(float(x) for x in a.high)) for a in agents]


def _to_learner_action(agent: AgentSpace, action: Any) -> np.ndarray:
    """An env action -> the learner's format (one-hot, or in [-1, 1])."""
    if agent.discrete:
        out = np.zeros(agent.act_dim, np.float32)
        out[int(np.asarray(action).reshape(-1)[0])] = 1.0
        return out
    assert agent.low is not None and agent.high is not None
    value = np.asarray(action, np.float32).reshape(-1)
    return np.clip(2.0 * (value - agent.low) / np.maximum(agent.high - agent.low, 1e-12) - 1.0, -1.0, 1.0)


def _cpu(value: Any) -> Any:
    """A deep copy of nested dicts/lists with every tensor cloned onto the CPU."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().clone()
    if isinstance(value, Mapping):
        return {k: _cpu(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_cpu(v) for v in value)
    return copy.deepcopy(value)


def _seeded_torch_state(seed: int) -> torch.Tensor:
    generator = torch.Generator()
    generator.manual_seed(int(seed))
    return generator.get_state()


class MADDPGBot:
    """A frozen copy of a MADDPG learner's actors (CPU), playing any of its agents.

    :meth:`act` takes one agent's observation (the agent is found by observation size, or fixed
    with :meth:`for_agent`), :meth:`act_team` a whole side's, :meth:`act_batch` many copies of one
    agent's seat. Greedy (argmax / the deterministic ``tanh`` action) unless ``explore``: then
    discrete actions are sampled from ``softmax(logits)`` (Gumbel-max, the learner's behaviour
    policy) and continuous ones get Gaussian noise of scale ``noise_std``.
    """

    def __init__(self, agents: Sequence[AgentSpace], actors: Sequence[nn.Module], actor_index: Sequence[int],
                 obs_shapes: Sequence[tuple[int, ...]], *, explore: bool = False, noise_std: float = 0.0,
                 seed: int | None = None, agent: str | None = None, rng: np.random.Generator | None = None) -> None:
        self.name = "maddpg"
        self.agents = list(agents)
        self.index = {a.name: i for i, a in enumerate(self.agents)}
        self.actors = list(actors)
        self.actor_index = list(actor_index)
        self.obs_shapes = list(obs_shapes)
        self.explore = explore
        self.noise_std = float(noise_std)
        if agent is not None and agent not in self.index:
            raise ValueError(f"this MADDPG bot plays agents {', '.join(self.index)}, not '{agent}'")
        self.agent = agent
        self.rng = rng if rng is not None else np.random.default_rng(seed)

    def for_agent(self, agent: str) -> MADDPGBot:
        """A view bound to ``agent`` (same frozen actors and random stream)."""
        return MADDPGBot(self.agents, self.actors, self.actor_index, self.obs_shapes, explore=self.explore,
                         noise_std=self.noise_std, agent=agent, rng=self.rng)

    def plays(self, agent: AgentSpace) -> bool:
        """Whether this bot has an actor for ``agent`` with the same spaces."""
        i = self.index.get(agent.name)
        return i is not None and _signature([self.agents[i]]) == _signature([agent])

    def _resolve(self, observation: Any) -> str:
        if self.agent is not None:
            return self.agent
        size = int(np.asarray(observation).size)
        candidates = [i for i, a in enumerate(self.agents) if a.obs_dim == size]
        if not candidates:
            sizes = ", ".join(sorted({str(a.obs_dim) for a in self.agents}))
            raise ValueError(f"this MADDPG bot has no actor for observations of {size} numbers (it plays {sizes})")
        if len({self.actor_index[i] for i in candidates}) > 1:
            names = ", ".join(self.agents[i].name for i in candidates)
            raise ValueError(f"observations of {size} numbers fit agents {names}; bind the bot to its seat with "
                             "bot.for_agent(name), or use act_team({agent: obs})")
        return self.agents[candidates[0]].name

    @torch.no_grad()
    def act_batch(self, agent: str, observations: np.ndarray, action_masks: np.ndarray | None = None) -> np.ndarray:
        """Env actions for ``B`` copies of ``agent``'s seat: ``observations [B, ...]`` -> ``[B]`` int64
        (discrete; ``action_masks [B, A]`` marks the legal ones) or ``[B, act_dim]`` float32 in the env's bounds."""
        i = self.index[agent]
        space = self.agents[i]
        obs = torch.as_tensor(np.asarray(observations, np.float32).reshape(len(observations), -1))
        if obs.shape[1] != space.obs_dim:
            raise ValueError(f"agent '{agent}' observations have {obs.shape[1]} numbers, its actor expects "
                             f"{space.obs_dim}")
        out = self.actors[self.actor_index[i]](obs).numpy().astype(np.float64)
        if space.discrete:
            if action_masks is not None:
                out = np.where(np.asarray(action_masks).reshape(out.shape) > 0, out, -np.inf)
            if self.explore:
                out = out + self.rng.gumbel(size=out.shape)
            return out.argmax(-1).astype(np.int64)
        action = np.tanh(out)
        if self.explore and self.noise_std > 0:
            action = np.clip(action + self.noise_std * self.rng.standard_normal(action.shape), -1.0, 1.0)
        assert space.low is not None and space.high is not None
        return (space.low + (action + 1.0) * 0.5 * (space.high - space.low)).astype(np.float32)

    def _act_one(self, agent: str, observation: Any, action_mask: Any) -> Any:
        mask = None if action_mask is None else np.asarray(action_mask)[None]
        action = self.act_batch(agent, np.asarray(observation, np.float32)[None], mask)[0]
        return int(action) if self.agents[self.index[agent]].discrete else action

    def act(self, observation: Any, action_mask: np.ndarray | None = None) -> Any:
        """One agent's observation -> its action (int, or a float32 array for Box actions)."""
        return self._act_one(self._resolve(observation), observation, action_mask)

    def act_team(self, observations: Mapping[str, Any], action_masks: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """A whole side's step: ``{agent: observation}`` -> ``{agent: action}``."""
        unknown = [a for a in observations if a not in self.index]
        if unknown:
            raise ValueError(f"this MADDPG bot plays agents {', '.join(self.index)}, not '{unknown[0]}'")
        masks = action_masks or {}
        return {a: self._act_one(a, obs, masks.get(a)) for a, obs in observations.items()}

    def reset(self) -> None:
        """Nothing to forget: the actors are feed-forward."""


class MADDPGLearner:
    """MADDPG for one side of a simultaneous-move game at a time, against league opponents.

    Networks are built from the first env the learner sees (in :meth:`learn` or :meth:`bot`),
    seeded by ``config.seed``; checkpoints carry the agent layout so :meth:`load_state_dict`
    rebuilds them. See the module docstring for sides, data and state.
    """

    name = "maddpg"
    TUNABLE = TUNABLE

    def __init__(self, config: MADDPGConfig | None = None, *, side_choice: str = "alternate") -> None:
        self.config = config if config is not None else config_with(MADDPGConfig(), LEAGUE_DEFAULTS)
        self.config.validate()
        if side_choice not in SIDE_CHOICES:
            raise ValueError(f"maddpg learner: side_choice={side_choice!r}: use 'alternate' or 'random'")
        self.side_choice = side_choice
        self.device = resolve_device(self.config.device)
        self.agents: list[AgentSpace] | None = None
        self.obs_shapes: list[tuple[int, ...]] = []
        self.model: MADDPG | None = None
        self.buffer: ReplayBuffer | None = None
        self.transitions = 0  # environment steps, summed over copies
        self.updates = 0
        self.since_update = 0  # transitions since the last update (the update clock)
        self.episodes = 0  # episodes begun
        self.rng = np.random.default_rng(self.config.seed)
        self.torch_rng = _seeded_torch_state(self.config.seed + 1)  # Gumbel noise of acting and updates

    # -- building ---------------------------------------------------------------------------
    def _build(self, agents: list[AgentSpace], obs_shapes: list[tuple[int, ...]]) -> None:
        with torch.random.fork_rng(devices=[]):  # reproducible init that leaves the global RNG alone
            torch.manual_seed(self.config.seed)
            self.model = MADDPG(agents, self.config, self.device)
        self.agents = list(agents)
        self.obs_shapes = list(obs_shapes)
        self.buffer = ReplayBuffer(self.config.buffer_size, agents)

    def _ensure_built(self, env: Any) -> None:
        agents, shapes = side_spaces(env)
        if self.agents is None:
            self._build(agents, shapes)
            return
        if _signature(self.agents) != _signature(agents):
            raise ValueError(f"this MADDPG learner was trained on agents {', '.join(a.name for a in self.agents)}; "
                             f"this game has {', '.join(a.name for a in agents)} (or other spaces): train a fresh "
                             "learner for it")

    def _cuda_devices(self) -> list[int]:
        if self.device.type != "cuda":
            return []
        return [self.device.index if self.device.index is not None else torch.cuda.current_device()]

    # -- Learner protocol -------------------------------------------------------------------
    def learn(self, make_env: Callable[[], Any], opponents: Sequence[Any], steps: int) -> dict[str, float]:
        """Train for ``steps`` environment steps (summed over the ``num_envs`` copies).

        Returns ``mean_return`` (mean episode return of the agents the learner played),
        ``return_<side>`` per side it played, ``episodes``, ``critic_loss``, ``actor_loss``,
        ``updates``, ``buffer`` (transitions held), ``steps`` and ``steps_per_second``.
        """
        if steps < 1:
            raise ValueError(f"learn(steps={steps}): steps must be >= 1")
        started = time.perf_counter()
        probe = make_env()
        try:
            self._ensure_built(probe)
        finally:
            probe.close()
        assert self.agents is not None and self.model is not None and self.buffer is not None
        cfg, agents, model, buffer = self.config, self.agents, self.model, self.buffer
        sides = list(dict.fromkeys(a.team for a in agents))
        side_of = np.array([sides.index(a.team) for a in agents])
        opponents = list(opponents)
        for bot in opponents:
            reset = getattr(bot, "reset", None)
            if callable(reset):
                reset()
        num_envs = cfg.num_envs
        learner_side = np.zeros(num_envs, np.int64)
        opponent_of = np.full(num_envs, -1, np.int64)

        def assign(k: int) -> None:
            if opponents:
                if self.side_choice == "random":
                    learner_side[k] = self.rng.integers(len(sides))
                else:
                    learner_side[k] = self.episodes % len(sides)
                opponent_of[k] = self.rng.integers(len(opponents))
            self.episodes += 1

        mine: list[float] = []
        by_side: dict[str, list[float]] = {}
        losses: list[dict[str, float]] = []
        collected = 0
        previous_threads = torch.get_num_threads()
        torch.set_num_threads(cfg.torch_threads)
        pool = None
        try:
            with torch.random.fork_rng(devices=self._cuda_devices()):
                torch.set_rng_state(self.torch_rng)
                if self.device.type == "cuda":
                    torch.cuda.manual_seed(int(self.rng.integers(2**63)))
                pool = EnvPool(make_env, num_envs, agents, seed=int(self.rng.integers(2**31)), threads=cfg.env_threads)
                for k in range(num_envs):
                    assign(k)
                ou = ou_processes(cfg, agents, self.rng)
                while collected < steps:
                    if opponents:
                        controlled = side_of[None, :] == learner_side[:, None]
                    else:
                        controlled = np.ones((num_envs, len(agents)), bool)
                    noise = exploration_noise(cfg, agents, noise_std(cfg, self.episodes), self.rng, ou)
                    obs = [o.copy() for o in pool.obs]
                    actions = model.act(obs, explore=True, noise=noise)
                    if opponents:
                        self._opponent_actions(pool, opponents, opponent_of, controlled, side_of, actions)
                    next_obs, rewards, terminated, active, finished = pool.step(actions)
                    buffer.add(obs, actions, rewards, next_obs, terminated, active)
                    collected += num_envs
                    self.transitions += num_envs
                    self.since_update, new_losses = scheduled_updates(model, buffer, cfg, self.rng,
                                                                      self.since_update, num_envs)
                    losses += new_losses
                    self.updates += len(new_losses)
                    # copies whose episode just ended were reset (episode_length 0), in copy order
                    for k, episode_return in zip(np.flatnonzero(pool.episode_length == 0), finished):
                        for process in ou.values():
                            process.reset(int(k))
                        mine.append(float(episode_return[controlled[k]].mean()))
                        for s, side in enumerate(sides):
                            members = side_of == s
                            if controlled[k][members].all():
                                by_side.setdefault(side, []).append(float(episode_return[members].mean()))
                        assign(int(k))
                self.torch_rng = torch.get_rng_state()
        finally:
            if pool is not None:
                pool.close()
            torch.set_num_threads(previous_threads)

        def mean(values: Sequence[float]) -> float:
            return float(np.mean(values)) if len(values) else math.nan

        metrics = {"mean_return": mean(mine), "episodes": float(len(mine)),
                   "critic_loss": mean([x["critic_loss"] for x in losses]),
                   "actor_loss": mean([x["actor_loss"] for x in losses]),
                   "updates": float(len(losses)), "buffer": float(buffer.size), "steps": float(collected),
                   "steps_per_second": collected / max(time.perf_counter() - started, 1e-9)}
        for side in sides:
            metrics[f"return_{side}"] = mean(by_side.get(side, []))
        return metrics

    def _opponent_actions(self, pool: EnvPool, opponents: Sequence[Any], opponent_of: np.ndarray,
                          controlled: np.ndarray, side_of: np.ndarray, actions: list[np.ndarray]) -> None:
        """Overwrite ``actions`` (learner format, per agent ``[K, act_dim]``) where an opponent plays.

        MADDPG bots act batched over copies; any other bot is asked copy by copy, a side of several
        agents through ``act_team`` when the bot has it (as in a league game), discrete agents with
        an all-ones action mask.
        """
        assert self.agents is not None
        agents = self.agents
        batched: dict[tuple[int, int], list[int]] = {}
        for k in range(len(opponent_of)):
            o = int(opponent_of[k])
            playing = [i for i in range(len(agents)) if not controlled[k, i] and pool.active[k, i] > 0]
            if o < 0 or not playing:
                continue
            bot = opponents[o]
            if isinstance(bot, MADDPGBot) and all(bot.plays(agents[i]) for i in playing):
                for i in playing:
                    batched.setdefault((o, i), []).append(k)
                continue
            for s in dict.fromkeys(int(side_of[i]) for i in playing):
                team = [i for i in playing if side_of[i] == s]
                observations = {agents[i].name: pool.obs[i][k].reshape(self.obs_shapes[i]) for i in team}
                masks = {agents[i].name: np.ones(agents[i].act_dim, np.int8) if agents[i].discrete else None
                         for i in team}
                if int(np.sum(side_of == s)) > 1 and hasattr(bot, "act_team"):
                    chosen = bot.act_team(observations, masks)
                else:
                    chosen = {name: bot.act(obs, masks[name]) for name, obs in observations.items()}
                for i in team:
                    actions[i][k] = _to_learner_action(agents[i], chosen[agents[i].name])
        for (o, i), rows in batched.items():
            env_actions = opponents[o].act_batch(agents[i].name, pool.obs[i][rows])
            actions[i][rows] = np.stack([_to_learner_action(agents[i], a) for a in env_actions])

    # -- bots, checkpoints, copies ----------------------------------------------------------
    def bot(self, env: Any, *, seed: int | None = None, explore: bool = False) -> MADDPGBot:
        """A frozen copy of the current actors (on the CPU) that plays ``env``'s agents."""
        self._ensure_built(env)
        assert self.agents is not None and self.model is not None
        actors = copy.deepcopy(self.model.actors).to("cpu").eval()
        for p in actors.parameters():
            p.requires_grad_(False)
        return MADDPGBot(self.agents, list(actors), self.model.actor_index, self.obs_shapes, explore=explore,
                         noise_std=self.config.noise_std_end, seed=seed)

    def _state(self, *, include_buffer: bool) -> dict[str, Any]:
        agents = None if self.agents is None else [
            {"name": a.name, "team": a.team, "obs_dim": a.obs_dim, "act_dim": a.act_dim, "discrete": a.discrete,
             "low": None if a.low is None else [float(x) for x in a.low],
             "high": None if a.high is None else [float(x) for x in a.high],
             "obs_shape": list(shape)} for a, shape in zip(self.agents, self.obs_shapes)]
        buffer = None
        if include_buffer and self.buffer is not None:
            buffer = {k: torch.from_numpy(np.ascontiguousarray(v)).clone() if isinstance(v, np.ndarray) else int(v)
                      for k, v in self.buffer.state_dict().items()}
        return {
            "kind": "maddpg",
            "format": STATE_FORMAT,
            "config": self.config.to_dict(),
            "side_choice": self.side_choice,
            "agents": agents,
            "model": None if self.model is None else _cpu(self.model.full_state_dict()),
            "buffer": buffer,
            "transitions": int(self.transitions), "updates": int(self.updates),
            "since_update": int(self.since_update), "episodes": int(self.episodes),
            "rng": copy.deepcopy(self.rng.bit_generator.state),
            "torch_rng": self.torch_rng.clone(),
        }

    def state_dict(self) -> dict[str, Any]:
        """Config, layout, networks, optimisers, counters and RNG states, plus the replay buffer with
        ``save_buffer`` (tensors and plain values only: loads with ``torch.load(weights_only=True)``)."""
        return self._state(include_buffer=self.config.save_buffer)

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` saved (networks are rebuilt from the layout)."""
        if state.get("kind") != "maddpg" or state.get("format") != STATE_FORMAT:
            raise ValueError(f"not a MADDPG learner state (kind={state.get('kind')!r}, format={state.get('format')!r}; "
                             f"this Arena reads format {STATE_FORMAT})")
        self.config = config_with(MADDPGConfig(), state["config"])
        self.side_choice = str(state["side_choice"])
        self.device = resolve_device(self.config.device)
        self.agents, self.obs_shapes, self.model, self.buffer = None, [], None, None
        if state["agents"] is not None:
            agents = [AgentSpace(d["name"], d["team"], int(d["obs_dim"]), int(d["act_dim"]), bool(d["discrete"]),
                                 None if d["low"] is None else np.asarray(d["low"], np.float32),
                                 None if d["high"] is None else np.asarray(d["high"], np.float32))
                      for d in state["agents"]]
            self._build(agents, [tuple(int(x) for x in d["obs_shape"]) for d in state["agents"]])
            assert self.model is not None and self.buffer is not None
            self.model.load_full_state_dict(state["model"])
            if state["buffer"] is not None:
                self.buffer.load_state_dict({k: v.numpy() if isinstance(v, torch.Tensor) else v
                                             for k, v in state["buffer"].items()})
        self.transitions, self.updates = int(state["transitions"]), int(state["updates"])
        self.since_update, self.episodes = int(state["since_update"]), int(state["episodes"])
        self.rng = np.random.default_rng()
        self.rng.bit_generator.state = copy.deepcopy(state["rng"])
        self.torch_rng = state["torch_rng"].clone()

    def clone(self) -> MADDPGLearner:
        """An independent deep copy, replay buffer included (PBT exploit, exploiter resets)."""
        twin = MADDPGLearner(config_with(MADDPGConfig(), self.config.to_dict()), side_choice=self.side_choice)
        twin.load_state_dict(self._state(include_buffer=True))
        return twin

    @property
    def hyperparameters(self) -> dict[str, float]:
        """The PBT-tunable floats: ``lr_actor``, ``lr_critic``, ``logit_reg``, ``gumbel_temperature``."""
        return {name: float(getattr(self.config, name)) for name in self.TUNABLE}

    def set_hyperparameters(self, values: Mapping[str, float]) -> None:
        """Apply new values (validated); learning rates reach the optimisers immediately."""
        unknown = sorted(set(values) - set(self.TUNABLE))
        if unknown:
            raise ValueError(f"maddpg learner has no tunable hyperparameter '{unknown[0]}' "
                             f"(has {', '.join(self.TUNABLE)})")
        updated = dataclasses.replace(self.config, **{k: float(v) for k, v in values.items()})
        updated.validate()
        self.config = updated
        if self.model is not None:
            self.model.config = updated
            for group in self.model.actor_optimizer.param_groups:
                group["lr"] = updated.lr_actor
            for group in self.model.critic_optimizer.param_groups:
                group["lr"] = updated.lr_critic


def league_config_fields() -> list[str]:
    """The config fields a league recipe may give the ``maddpg`` learner."""
    fields = {f.name for f in dataclasses.fields(MADDPGConfig)} - set(RUN_ONLY_FIELDS)
    return sorted(fields | {"side_choice"})


def make_maddpg_learner(config: Mapping[str, Any] | None = None) -> MADDPGLearner:
    """A fresh :class:`MADDPGLearner` from plain values (a league recipe's ``config:`` block).

    Fields are :class:`~arena.marl.maddpg.MADDPGConfig`'s (``critic_scope`` defaults to ``team``
    here) except the run-directory ones, plus ``side_choice`` (``alternate`` | ``random``). A bad
    field raises one ``ValueError`` naming it and the valid ones.
    """
    values = dict(config or {})
    valid = league_config_fields()
    unknown = sorted(set(values) - set(valid))
    if unknown:
        hint = " (it belongs to `arena train maddpg` run directories)" if unknown[0] in RUN_ONLY_FIELDS else ""
        raise ValueError(f"maddpg learner: unknown config field '{unknown[0]}'{hint} (valid: {', '.join(valid)})")
    side_choice = values.pop("side_choice", "alternate")
    try:
        parsed = config_with(config_with(MADDPGConfig(), LEAGUE_DEFAULTS), values)
    except ValueError as exc:
        raise ValueError(f"maddpg learner: {exc}") from None
    return MADDPGLearner(parsed, side_choice=str(side_choice))
