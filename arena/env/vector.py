"""Vector envs: ``K`` copies of a simultaneous-move game stepped in lockstep, for the learners.

One interface, two implementations, chosen by :func:`make_vector_env`:

* :class:`BatchedVectorEnv` -- ``K`` copies inside one :class:`~arena.env.batched.BatchedParallelGame`
  (the 2-D engine, the particle worlds): one array step for all copies, with the engine's own
  autoreset. Used when the env is a plain :class:`~arena.env.parallel.BatchedParallelEnv` (no
  wrapper around it, since a wrapper must see every step itself).
* :class:`ParallelEnvList` -- a list of ``K`` PettingZoo ParallelEnvs, one Python step per copy
  (any env).

After :meth:`VectorEnv.reset` and :meth:`VectorEnv.step`:

* ``obs[agent]`` -- ``[K, obs_dim]`` float32, flattened (a dict observation contributes its
  ``observation`` entry); zeros for an agent that is not in its copy's game;
* ``masks[agent]`` -- ``[K, A]`` bool action masks when the env gives them, else None;
* ``alive`` -- ``[K, N]`` bool: the agent acts at the next step;
* ``episode_return`` ``[K, N]`` and ``episode_length`` ``[K]`` of the episodes in progress;
* :meth:`VectorEnv.raw` -- one copy's observation in the env's own format.

:meth:`VectorEnv.step` takes env-format actions (``{agent: [K] ints or [K, d] floats}``; rows of
agents that are not alive are ignored) and returns a :class:`VectorStep`. A copy whose episode
ended is reset before ``step`` returns: ``obs`` then holds the new episode's first observation and
``VectorStep.final_obs`` the last observation of the old one (what a critic bootstraps from).
Copy resets are seeded ``seed, seed + 1, ...`` in the order they happen (a list of envs) or drawn
from the engine's generator seeded once with ``seed`` (a batched engine).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from gymnasium import spaces

from arena.env.parallel import BatchedParallelEnv


@dataclass
class VectorStep:
    """What one lockstep step of ``K`` copies gives back (``N`` agents in ``possible_agents`` order).

    ``rewards`` ``[K, N]`` float32 (0 for agents that did not act); ``terminated`` / ``truncated``
    ``[K, N]`` bool: the agent's game ended at this step, without / by a time limit; ``acted``
    ``[K, N]`` bool: the agent was alive before the step; ``final_obs[agent]`` ``[K, obs_dim]``:
    the observation that followed the step, before any reset (zeros for agents that left);
    ``over`` ``[K]``: the copy's episode ended (it has been reset); ``returns`` ``[K, N]``: the
    episode returns of the copies that are ``over`` (rows of other copies are meaningless);
    ``final_is_last``: False when a copy was reset and the engine did not report its last
    observations (``final_obs`` then holds the new episode's first ones on those rows).
    """

    rewards: np.ndarray
    terminated: np.ndarray
    truncated: np.ndarray
    acted: np.ndarray
    final_obs: dict[str, np.ndarray]
    over: np.ndarray
    returns: np.ndarray
    final_is_last: bool = True

    @property
    def dones(self) -> np.ndarray:
        """``[K, N]`` bool: the agent's game ended at this step (either way)."""
        return self.terminated | self.truncated


@dataclass(frozen=True)
class AgentObs:
    """How one agent's observations are flattened: ``obs_dim`` numbers, a dict with an
    ``observation`` entry (and maybe ``action_mask``), and the action count for masks."""

    name: str
    obs_dim: int
    dict_obs: bool
    action_dim: int  # Discrete n (masks), or the Box size


def agent_obs(env: Any, agent: str) -> AgentObs:
    """Describe ``agent``'s observation and action space of ``env`` (Box or Dict observations)."""
    space = env.observation_space(agent)
    dict_obs = isinstance(space, spaces.Dict)
    if dict_obs:
        if "observation" not in space.spaces:
            raise ValueError(f"agent '{agent}': dict observations need an 'observation' entry")
        space = space["observation"]
    if not isinstance(space, spaces.Box):
        raise ValueError(f"agent '{agent}' has a {type(space).__name__} observation space; the learners need Box "
                         "observations (flatten other spaces with a wrapper first)")
    act = env.action_space(agent)
    action_dim = int(act.n) if isinstance(act, spaces.Discrete) else int(np.prod(getattr(act, "shape", ()) or (1,)))
    return AgentObs(agent, int(np.prod(space.shape)), dict_obs, action_dim)


def flatten_observation(value: Any, info: AgentObs) -> tuple[np.ndarray, np.ndarray | None]:
    """An env observation -> ``(flat obs [obs_dim] float32, action mask [A] or None)``."""
    mask = None
    if isinstance(value, Mapping):
        mask = value.get("action_mask")
        value = value["observation"]
    obs = np.asarray(value, np.float32).reshape(-1)
    if obs.size != info.obs_dim:
        raise ValueError(f"agent '{info.name}' observation has {obs.size} numbers, expected {info.obs_dim}")
    return obs, None if mask is None else np.asarray(mask).reshape(-1)


class VectorEnv(ABC):
    """``K`` copies of a simultaneous-move game in lockstep (see the module docstring)."""

    names: list[str]
    infos: list[AgentObs]
    num_envs: int
    obs: dict[str, np.ndarray]
    masks: dict[str, np.ndarray | None]
    alive: np.ndarray
    episode_return: np.ndarray
    episode_length: np.ndarray
    resets: int  # copy resets so far (a resumed run continues its count)
    batched: bool  # one array step for every copy (a batched engine)

    def _init_arrays(self, env: Any, num_envs: int) -> None:
        self.names = list(env.possible_agents)
        self.infos = [agent_obs(env, a) for a in self.names]
        self.num_envs = int(num_envs)
        n = len(self.names)
        self.obs = {i.name: np.zeros((num_envs, i.obs_dim), np.float32) for i in self.infos}
        self.masks = {i.name: (np.ones((num_envs, i.action_dim), bool) if i.dict_obs else None) for i in self.infos}
        self.alive = np.zeros((num_envs, n), bool)
        self.episode_return = np.zeros((num_envs, n), np.float64)
        self.episode_length = np.zeros(num_envs, np.int64)

    @abstractmethod
    def reset(self, seed: int) -> None:
        """Start every copy's first episode."""

    @abstractmethod
    def raw(self, k: int, agent: str) -> Any:
        """Copy ``k``'s current observation of ``agent`` as the env gave it."""

    @abstractmethod
    def step(self, actions: Mapping[str, np.ndarray]) -> VectorStep:
        """Step every copy with env-format actions ``{agent: [K] or [K, d]}``."""

    @abstractmethod
    def close(self) -> None:
        """Release the copies."""

    def _finish(self, rewards: np.ndarray, over: np.ndarray) -> np.ndarray:
        """Add ``rewards`` to the running returns; return the finished returns and zero them."""
        self.episode_return += rewards
        self.episode_length += 1
        returns = self.episode_return.copy()
        self.episode_return[over] = 0.0
        self.episode_length[over] = 0
        return returns


class ParallelEnvList(VectorEnv):
    """A list of PettingZoo ParallelEnv copies (any env; one Python step per copy)."""

    batched = False

    def __init__(self, make_env: Callable[[], Any], num_envs: int, first: Any | None = None,
                 resets: int = 0) -> None:
        if num_envs < 1:
            raise ValueError(f"num_envs must be >= 1, got {num_envs}")
        first = make_env() if first is None else first
        self.envs = [first] + [make_env() for _ in range(num_envs - 1)]
        self._init_arrays(first, num_envs)
        self._raw: list[dict[str, Any]] = [{} for _ in range(num_envs)]
        self._seed = 0
        self.resets = resets

    def _write(self, k: int, observations: Mapping[str, Any], into: dict[str, np.ndarray], *,
               current: bool) -> None:
        live = self.envs[k].agents
        for i, info in enumerate(self.infos):
            present = info.name in observations and (info.name in live or not current)
            if current:
                self.alive[k, i] = present and info.name in live
            if present:
                obs, mask = flatten_observation(observations[info.name], info)
                into[info.name][k] = obs
                if current and mask is not None:
                    target = self.masks[info.name]
                    if target is not None:
                        target[k] = mask.astype(bool)
            else:
                into[info.name][k] = 0.0
        if current:
            self._raw[k] = dict(observations)

    def _reset_copy(self, k: int) -> None:
        observations, _ = self.envs[k].reset(seed=self._seed)
        self._seed += 1
        self.resets += 1
        self._write(k, observations, self.obs, current=True)
        self.episode_return[k] = 0.0
        self.episode_length[k] = 0

    def reset(self, seed: int) -> None:
        self._seed = int(seed)
        for k in range(self.num_envs):
            self._reset_copy(k)

    def raw(self, k: int, agent: str) -> Any:
        return self._raw[k][agent]

    def step(self, actions: Mapping[str, np.ndarray]) -> VectorStep:
        K, n = self.num_envs, len(self.names)
        rewards = np.zeros((K, n), np.float32)
        terminated = np.zeros((K, n), bool)
        truncated = np.zeros((K, n), bool)
        acted = self.alive.copy()
        over = np.zeros(K, bool)
        final = {i.name: np.zeros_like(self.obs[i.name]) for i in self.infos}
        for k, env in enumerate(self.envs):
            step_actions = {}
            for name in self.names:
                if name in env.agents:
                    value = np.asarray(actions[name][k])
                    step_actions[name] = int(value) if value.ndim == 0 and np.issubdtype(value.dtype, np.integer) \
                        else value.astype(np.float32)
            observations, rew, term, trunc, _ = env.step(step_actions)
            self._write(k, observations, final, current=False)
            for i, name in enumerate(self.names):
                if name in rew:
                    rewards[k, i] = float(np.sum(rew[name]))
                    truncated[k, i] = bool(trunc.get(name, False))
                    terminated[k, i] = bool(term.get(name, False)) and not truncated[k, i]
            if not env.agents:
                over[k] = True
            else:
                self._write(k, observations, self.obs, current=True)
        returns = self._finish(rewards, over)
        for k in np.flatnonzero(over):
            self._reset_copy(int(k))
        return VectorStep(rewards, terminated, truncated, acted, final, over, returns)

    def close(self) -> None:
        for env in self.envs:
            env.close()


class BatchedVectorEnv(VectorEnv):
    """``K`` copies inside one batched engine (autoreset on): one array step for all of them.

    Copies end when every agent's game has ended; an agent whose game ended earlier (a dead
    agent in a 2-D game) stays out of ``alive`` until its copy resets. When the engine reports
    the old episode's last observations (``infos[agent]["final_observation"]``, as the particle
    worlds and the 2-D engine do) they are ``final_obs``; an engine that does not gives the new
    episode's first observation there and ``VectorStep.final_is_last`` is False, so that a learner
    can treat a truncation as the end of the return.
    """

    batched = True

    def __init__(self, engine: Any, view: Any, resets: int = 0) -> None:
        self.engine = engine
        engine.autoreset = True
        self._init_arrays(view, engine.num_envs)
        self.resets = resets

    def _write(self, observations: Mapping[str, np.ndarray]) -> None:
        self.obs = {i.name: np.asarray(observations[i.name], np.float32).reshape(self.num_envs, -1)
                    for i in self.infos}

    def reset(self, seed: int) -> None:
        self._write(self.engine.reset(seed=int(seed)))
        self.alive[:] = True
        self.episode_return[:] = 0.0
        self.episode_length[:] = 0
        self.resets += self.num_envs

    def raw(self, k: int, agent: str) -> Any:
        return self.obs[agent][k]

    def step(self, actions: Mapping[str, np.ndarray]) -> VectorStep:
        batched = {}
        for name in self.names:
            value = np.asarray(actions[name])
            batched[name] = value.astype(np.int64) if np.issubdtype(value.dtype, np.integer) \
                else value.astype(np.float32)
        observations, rew, term, trunc, infos = self.engine.step(batched)
        acted = self.alive.copy()
        rewards = np.stack([np.asarray(rew[a], np.float32) for a in self.names], axis=1) * acted
        truncated = np.stack([np.asarray(trunc[a], bool) for a in self.names], axis=1) & acted
        terminated = np.stack([np.asarray(term[a], bool) for a in self.names], axis=1) & acted & ~truncated
        ended = terminated | truncated | ~acted
        over = ended.all(axis=1)  # every agent's game is over: the engine reset the copy
        new_obs = {i.name: np.asarray(observations[i.name], np.float32).reshape(self.num_envs, -1)
                   for i in self.infos}
        final = {}
        final_is_last = True
        for name in self.names:
            info = infos.get(name)
            last = info.get("final_observation") if isinstance(info, Mapping) else None
            if last is None:
                final[name] = new_obs[name]
                final_is_last = final_is_last and not over.any()
            else:
                final[name] = np.asarray(last, np.float32).reshape(self.num_envs, -1)
        for i, name in enumerate(self.names):
            final[name] = final[name] * acted[:, i:i + 1]
        self.alive = ~ended
        self.alive[over] = True
        self.obs = new_obs
        self.resets += int(over.sum())
        returns = self._finish(rewards, over)
        return VectorStep(rewards, terminated, truncated, acted, final, over, returns, final_is_last)

    def close(self) -> None:
        self.engine.close()


def batched_engine(env: Any, num_envs: int, threads: int = 1) -> Any | None:
    """``num_envs`` fresh copies of ``env``'s engine when ``env`` is a plain
    :class:`~arena.env.parallel.BatchedParallelEnv` whose engine can reset copies by itself
    (``autoreset``); None for any other env, wrappers around one included. ``threads``: the
    engine's numba threads (engines with ``set_num_threads``; the others step on one)."""
    if not isinstance(env, BatchedParallelEnv) or getattr(env, "make_game", None) is None:
        return None
    if not hasattr(env.engine, "autoreset"):
        return None
    engine = env.make_game(num_envs)
    engine.autoreset = True
    if threads != 1 and hasattr(engine, "set_num_threads"):
        engine.set_num_threads(threads)
    return engine


def make_vector_env(make_env: Callable[[], Any], num_envs: int, *, batched: bool | None = None,
                    resets: int = 0, threads: int = 1) -> VectorEnv:
    """The fastest vector env for what ``make_env`` builds: the env's own batched engine when it
    has one (``batched=None`` or True), else a list of copies. ``batched=True`` on an env without
    an engine raises ``ValueError``; ``batched=False`` always gives a list. ``threads``: numba
    threads of a batched engine (the 2-D games, the particle worlds); a list steps on one."""
    env = make_env()
    engine = batched_engine(env, num_envs, threads) if batched is not False else None
    if engine is not None:
        vector = BatchedVectorEnv(engine, env, resets=resets)
        env.close()
        return vector
    if batched:
        env.close()
        raise ValueError(f"{type(env).__name__} has no batched engine; use a list of env copies (batched=False)")
    return ParallelEnvList(make_env, num_envs, first=env, resets=resets)

