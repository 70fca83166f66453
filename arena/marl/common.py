"""Pieces shared by the multi-agent learners: networks, a flat replay buffer, exploration noise,
the Gumbel-softmax estimator and :class:`EnvPool`, env copies stepped in lockstep in the learners'
format (over :mod:`arena.env.vector`).

Shapes: ``B`` is a batch (of replay samples or of env copies), ``K`` the number of env copies,
``N`` the number of agents; per-agent arrays are kept in Python lists indexed by agent because
observation and action sizes may differ between agents (e.g. predators and prey in simple_tag).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from torch import nn

from arena.env.teams import team_of  # noqa: F401 - re-exported for the learners


def mlp(in_dim: int, out_dim: int, hidden_sizes: Sequence[int]) -> nn.Sequential:
    """A ReLU multilayer perceptron ``[B, in_dim] -> [B, out_dim]`` with a linear output layer."""
    layers: list[nn.Module] = []
    last = in_dim
    for width in hidden_sizes:
        layers += [nn.Linear(last, width), nn.ReLU()]
        last = width
    layers.append(nn.Linear(last, out_dim))
    return nn.Sequential(*layers)


def gumbel_softmax_st(logits: torch.Tensor, temperature: float = 1.0,
                      generator: torch.Generator | None = None) -> torch.Tensor:
    """Straight-through Gumbel-softmax sample ``[B, A] -> [B, A]``.

    The forward value is a one-hot sample from ``softmax(logits)``; the gradient is that of the
    relaxed sample ``softmax((logits + g) / temperature)``, so a critic's gradient with respect
    to a discrete action reaches the actor's logits.
    """
    uniform = torch.rand(logits.shape, generator=generator, device=logits.device, dtype=logits.dtype)
    exponential = (-torch.log(uniform.clamp_min(1e-20))).clamp_min(1e-20)  # Exp(1) samples
    gumbel = -torch.log(exponential)
    soft = torch.softmax((logits + gumbel) / temperature, dim=-1)
    hard = torch.nn.functional.one_hot(soft.argmax(dim=-1), logits.shape[-1]).to(soft.dtype)
    # hard in the forward pass, d(soft) in the backward pass
    return hard + soft - soft.detach()


@dataclass(frozen=True)
class AgentSpace:
    """What the learner needs to know about one agent's spaces.

    Discrete actions are one-hot vectors of length ``act_dim`` inside the learner; Box actions
    live in ``[-1, 1]^act_dim`` inside the learner and are rescaled to ``[low, high]`` for the env.
    """

    name: str
    team: str
    obs_dim: int
    act_dim: int
    discrete: bool
    low: np.ndarray | None = None  # [act_dim] for Box actions
    high: np.ndarray | None = None

    def to_env(self, action: np.ndarray) -> Any:
        """Learner action ``[act_dim]`` (one-hot or in [-1, 1]) -> what the env's ``step`` takes."""
        if self.discrete:
            return int(np.argmax(action))
        assert self.low is not None and self.high is not None
        return (self.low + (np.clip(action, -1.0, 1.0) + 1.0) * 0.5 * (self.high - self.low)).astype(np.float32)


def agent_spaces(env: Any) -> list[AgentSpace]:
    """Describe every ``possible_agent`` of a ParallelEnv; raises ``ValueError`` for spaces MADDPG
    cannot handle (it needs Box observations and Discrete or bounded Box actions)."""
    out = []
    for agent in env.possible_agents:
        obs_space = env.observation_space(agent)
        act_space = env.action_space(agent)
        if not isinstance(obs_space, spaces.Box):
            raise ValueError(f"agent '{agent}' has a {type(obs_space).__name__} observation space; MADDPG needs "
                             "Box observations (flatten Dict/Tuple observations with a wrapper first)")
        obs_dim = int(np.prod(obs_space.shape))
        if isinstance(act_space, spaces.Discrete):
            out.append(AgentSpace(agent, team_of(agent), obs_dim, int(act_space.n), True))
        elif isinstance(act_space, spaces.Box):
            low = np.asarray(act_space.low, dtype=np.float32).reshape(-1)
            high = np.asarray(act_space.high, dtype=np.float32).reshape(-1)
            if not (np.isfinite(low).all() and np.isfinite(high).all()):
                raise ValueError(f"agent '{agent}' has an unbounded Box action space; MADDPG needs finite bounds")
            out.append(AgentSpace(agent, team_of(agent), obs_dim, int(low.size), False, low, high))
        else:
            raise ValueError(f"agent '{agent}' has a {type(act_space).__name__} action space; MADDPG supports "
                             "Discrete and Box actions")
    return out


class ReplayBuffer:
    """Preallocated ring buffer of joint transitions (numpy, float32).

    Per agent ``i``: ``obs[i]`` and ``next_obs[i]`` are ``[capacity, obs_dim_i]``, ``act[i]`` is
    ``[capacity, act_dim_i]``. Shared over agents: ``rew``, ``terminated`` and ``active`` are
    ``[capacity, N]``; ``active[t, i] = 0`` marks an agent that was no longer in the game at step
    ``t`` (its row is zeros and is left out of its own losses).
    """

    def __init__(self, capacity: int, agents: Sequence[AgentSpace]) -> None:
        self.capacity = int(capacity)
        n = len(agents)
        # np.zeros maps lazily, so an unused 1e6-row buffer costs no memory up front
        self.obs = [np.zeros((self.capacity, a.obs_dim), np.float32) for a in agents]
        self.next_obs = [np.zeros((self.capacity, a.obs_dim), np.float32) for a in agents]
        self.act = [np.zeros((self.capacity, a.act_dim), np.float32) for a in agents]
        self.rew = np.zeros((self.capacity, n), np.float32)
        self.terminated = np.zeros((self.capacity, n), np.float32)
        self.active = np.zeros((self.capacity, n), np.float32)
        self.position = 0
        self.size = 0

    def add(self, obs: Sequence[np.ndarray], act: Sequence[np.ndarray], rew: np.ndarray,
            next_obs: Sequence[np.ndarray], terminated: np.ndarray, active: np.ndarray) -> None:
        """Add ``B`` transitions: per-agent ``[B, dim]`` arrays and ``[B, N]`` arrays."""
        count = len(rew)
        idx = (self.position + np.arange(count)) % self.capacity
        for i in range(len(self.obs)):
            self.obs[i][idx] = obs[i]
            self.next_obs[i][idx] = next_obs[i]
            self.act[i][idx] = act[i]
        self.rew[idx] = rew
        self.terminated[idx] = terminated
        self.active[idx] = active
        self.position = int((self.position + count) % self.capacity)
        self.size = int(min(self.size + count, self.capacity))

    def sample(self, batch_size: int, rng: np.random.Generator, device: torch.device) -> dict[str, Any]:
        """A uniform batch as tensors on ``device``: lists ``obs``, ``act``, ``next_obs`` and
        ``[B, N]`` tensors ``rew``, ``terminated``, ``active``."""
        idx = rng.integers(0, self.size, size=batch_size)

        def t(x: np.ndarray) -> torch.Tensor:
            return torch.from_numpy(x[idx]).to(device)

        return {"obs": [t(x) for x in self.obs], "act": [t(x) for x in self.act],
                "next_obs": [t(x) for x in self.next_obs], "rew": t(self.rew),
                "terminated": t(self.terminated), "active": t(self.active)}

    def state_dict(self) -> dict[str, Any]:
        """The filled part as plain arrays (for an optional resume with the buffer)."""
        n = self.size
        state: dict[str, Any] = {"position": self.position, "size": self.size,
                                 "rew": self.rew[:n], "terminated": self.terminated[:n], "active": self.active[:n]}
        for i in range(len(self.obs)):
            state[f"obs_{i}"] = self.obs[i][:n]
            state[f"next_obs_{i}"] = self.next_obs[i][:n]
            state[f"act_{i}"] = self.act[i][:n]
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        n = int(state["size"])
        if n > self.capacity:
            raise ValueError(f"saved replay buffer holds {n} transitions, more than buffer_size={self.capacity}")
        self.rew[:n], self.terminated[:n], self.active[:n] = state["rew"], state["terminated"], state["active"]
        for i in range(len(self.obs)):
            self.obs[i][:n] = state[f"obs_{i}"]
            self.next_obs[i][:n] = state[f"next_obs_{i}"]
            self.act[i][:n] = state[f"act_{i}"]
        self.position, self.size = int(state["position"]) % self.capacity, n


class OUNoise:
    """Ornstein-Uhlenbeck noise ``[K, dim]``, one process per env copy; ``reset(k)`` at episode start."""

    def __init__(self, shape: tuple[int, int], rng: np.random.Generator, theta: float = 0.15) -> None:
        self.theta = theta
        self.rng = rng
        self.state = np.zeros(shape, np.float32)

    def reset(self, k: int) -> None:
        self.state[k] = 0.0

    def sample(self, std: float) -> np.ndarray:
        self.state += -self.theta * self.state + std * self.rng.standard_normal(self.state.shape).astype(np.float32)
        return self.state.copy()


class EnvPool:
    """``K`` copies of a simultaneous-move game in lockstep, in the learners' format: a thin layer
    over :func:`arena.env.vector.make_vector_env` (the game's batched engine when it has one --
    the particle worlds, the 2-D games -- else a list of PettingZoo ParallelEnvs).

    Observations are per-agent ``[K, obs_dim_i]`` arrays in ``agents`` order (zeros for an agent
    that has left its game); rewards, terminations and the ``active`` mask ``[K, N]`` arrays.
    Actions are the learner's (one-hot, or in ``[-1, 1]``), converted to the env's here.
    ``batched``: None picks the engine when there is one, False forces the list (``envs``).
    ``threads``: numba threads of a batched engine.
    """

    def __init__(self, make_env: Callable[[], Any], num_envs: int, agents: Sequence[AgentSpace], seed: int,
                 resets: int = 0, batched: bool | None = None, threads: int = 1) -> None:
        from arena.env.vector import make_vector_env

        self.vector = make_vector_env(make_env, num_envs, batched=batched, resets=resets, threads=threads)
        self.agents = list(agents)
        self.names = [a.name for a in agents]
        if self.names != self.vector.names:
            self.vector.close()
            raise ValueError(f"the env's agents {self.vector.names} differ from the learner's {self.names}")
        self.seed = seed
        self.vector.reset(seed + resets)

    @property
    def envs(self) -> list[Any]:
        """The ParallelEnv copies (a list of envs only; a batched engine has none)."""
        return list(getattr(self.vector, "envs", []))

    @property
    def batched(self) -> bool:
        return self.vector.batched

    @property
    def resets(self) -> int:
        return self.vector.resets

    @property
    def obs(self) -> list[np.ndarray]:
        """Per agent ``[K, obs_dim_i]``: the observations to act on next."""
        return [self.vector.obs[n] for n in self.names]

    @property
    def active(self) -> np.ndarray:
        """``[K, N]`` float32: 1 where the agent acts at the next step."""
        return self.vector.alive.astype(np.float32)

    @property
    def episode_length(self) -> np.ndarray:
        """``[K]`` steps of the episodes in progress (0 right after a copy was reset)."""
        return self.vector.episode_length

    def env_actions(self, actions: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
        """Learner actions (per agent ``[K, act_dim_i]``) -> env actions ``{agent: [K] or [K, d]}``."""
        out = {}
        for agent, action in zip(self.agents, actions):
            if agent.discrete:
                out[agent.name] = np.asarray(action).argmax(axis=-1).astype(np.int64)
            else:
                assert agent.low is not None and agent.high is not None
                scaled = agent.low + (np.clip(action, -1.0, 1.0) + 1.0) * 0.5 * (agent.high - agent.low)
                out[agent.name] = scaled.astype(np.float32)
        return out

    def step(self, actions: Sequence[np.ndarray]) -> tuple[list[np.ndarray], np.ndarray, np.ndarray,
                                                            np.ndarray, list[np.ndarray]]:
        """Step every copy with learner actions (per agent ``[K, act_dim_i]``).

        Returns ``(next_obs, rewards, terminated, active, finished)`` where ``next_obs`` are the
        observations that follow the step (before any reset; what the critic bootstraps from),
        ``terminated[k, i]`` says agent ``i``'s own game ended without a time limit (or by one, on
        an engine that does not report the last observation of a reset copy: nothing to
        bootstrap from), ``active`` is who acted, and ``finished`` lists the ``[N]`` returns of
        the episodes that ended now, in copy order. After the call :attr:`obs` holds the
        observations to act on next (reset where finished).
        """
        result = self.vector.step(self.env_actions(actions))
        terminated = result.terminated
        if not result.final_is_last:
            terminated = terminated | (result.truncated & result.over[:, None])
        next_obs = [result.final_obs[n] for n in self.names]
        finished = [result.returns[k].copy() for k in np.flatnonzero(result.over)]
        return (next_obs, result.rewards, terminated.astype(np.float32), result.acted.astype(np.float32),
                finished)

    def close(self) -> None:
        self.vector.close()
