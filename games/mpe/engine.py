"""The batched particle-world engine: ``B`` copies of an mpe2 world stepped as arrays.

:class:`ParticleWorld` is a :class:`~arena.env.batched.BatchedParallelGame`. A world is declared
by a subclass (one module per world under :mod:`games.mpe`): its agents and landmarks
(:class:`Body`), the communication width ``dim_c``, the observation widths, how a copy is drawn at
reset, and one numba step kernel (``*_serial`` and ``*_parallel``) that runs the shared physics
of :mod:`games.mpe.core` and then the world's observations, rewards and success test.

State (float64, agents first then landmarks): ``pos[B, E, 2]``, ``vel[B, E, 2]``,
``comm[B, A, dim_c]``, the world's goal indices ``goal[B, G]`` and the step counter
``steps[B]``. :meth:`ParticleWorld.set_state` loads any state (the faithfulness test copies
mpe2's world into it).

The step kernel signature, shared by every world::

    kernel(physics, pos, vel, u, force, comm, goal, ent, consts, params, obs, rew, terminal)

``physics=False`` only observes (used after a reset); ``obs`` is ``float32[A, B, D]`` (agent
``i`` uses its first ``obs_dims[i]`` columns), ``rew`` ``float64[A, B]``, ``terminal`` ``bool[B]``.
"""

from __future__ import annotations

import functools
from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from gymnasium import spaces

from arena.env.batched import BatchedParallelGame
from arena.env.parallel import BatchedParallelEnv
from arena.env.threads import ThreadChoice
from games.mpe import core

StepKernel = Callable[..., None]


@dataclass(frozen=True)
class Body:
    """An agent or landmark of a particle world (mpe2's ``Entity`` / ``Agent`` properties)."""

    name: str
    size: float = 0.05
    movable: bool = True
    collide: bool = True
    mass: float = 1.0
    max_speed: float | None = None
    accel: float | None = None
    silent: bool = True


class ParticleWorld(BatchedParallelGame):
    """``num_envs`` copies of one mpe2 particle world (see the module docstring).

    ``max_cycles``: steps until every agent is truncated (mpe2's ``max_cycles``).
    ``continuous_actions``: ``Box(0, 1)`` actions (no-op, left, right, down, up, then the
    utterance) instead of ``Discrete`` (movement ``% 5``, utterance ``// 5``), as in mpe2.
    ``autoreset``: copies whose episode ended are reset at the end of :meth:`step` and the
    returned observations are the new episode's; the old episode's last observations are in
    ``infos[agent]["final_observation"]`` (``[B, D]``, rows of copies that did not end are the
    current ones) on those steps. ``num_threads``: split the batch over this many threads
    (numba ``prange``; 1 runs the serial kernels). With threads, both kernels are timed now and
    then and the faster one runs, so a busy machine never makes threads much slower than one.
    """

    # Set by subclasses.
    world_name: str = "particle_world"
    agents_def: tuple[Body, ...] = ()
    landmarks_def: tuple[Body, ...] = ()
    dim_c: int = 2
    obs_dims: tuple[int, ...] = ()
    num_goals: int = 0
    kernel_serial: StepKernel
    kernel_parallel: StepKernel

    def __init__(self, num_envs: int = 1, *, max_cycles: int = 25, continuous_actions: bool = False,
                 autoreset: bool = False, num_threads: int = 1, params: np.ndarray | None = None) -> None:
        super().__init__(num_envs)
        if int(max_cycles) < 1:
            raise ValueError(f"{self.world_name}: max_cycles must be >= 1, got {max_cycles}")
        self.threads = ThreadChoice(num_threads, self.world_name)
        self.max_cycles = int(max_cycles)
        self.continuous = bool(continuous_actions)
        self.autoreset = bool(autoreset)
        self.num_threads = self.threads.num_threads
        self.metadata = {"render_modes": ["ansi", "human"], "name": self.world_name, "render_fps": 10,
                         "is_parallelizable": True}
        self.possible_agents = [a.name for a in self.agents_def]
        self.num_agents = len(self.agents_def)
        bodies = list(self.agents_def) + list(self.landmarks_def)
        self.num_entities = len(bodies)
        self.ent = np.array([[float(b.movable), float(b.collide), b.size, b.mass,
                              np.inf if b.max_speed is None else b.max_speed] for b in bodies], dtype=np.float64)
        self.silent = np.array([a.silent for a in self.agents_def], dtype=np.bool_)
        self.accel = np.array([5.0 if a.accel is None else a.accel for a in self.agents_def], dtype=np.float64)
        self.consts = np.array([0.1, 0.25, 1e2, 1e-3], dtype=np.float64)  # dt, damping, contact force, margin
        self.params = np.zeros(1) if params is None else np.asarray(params, dtype=np.float64)
        self._build_spaces()
        B, A, E = self.num_envs, self.num_agents, self.num_entities
        self.pos = np.zeros((B, E, 2))
        self.vel = np.zeros((B, E, 2))
        self.comm = np.zeros((B, A, self.dim_c))
        self.goal = np.zeros((B, max(self.num_goals, 1)), dtype=np.int64)
        self.steps = np.zeros(B, dtype=np.int64)
        self._u = np.zeros((B, A, 2))
        self._force = np.zeros((B, E, 2))
        self._rew_scratch = np.zeros((A, B))
        self._term_scratch = np.zeros(B, dtype=np.bool_)
        self._rng = np.random.default_rng()
        serial = (core.decode_continuous_serial if self.continuous else core.decode_discrete_serial,
                  self.kernel_serial)
        parallel = (core.decode_continuous_parallel if self.continuous else core.decode_discrete_parallel,
                    self.kernel_parallel)
        # (decode, kernel) pairs, [serial, threaded]: ThreadChoice picks one per step by timing.
        self._variants = (serial, parallel)

    def set_num_threads(self, num_threads: int) -> None:
        """Split the copies over ``num_threads`` numba threads from the next step on (1: serial)."""
        self.threads = ThreadChoice(num_threads, self.world_name)
        self.num_threads = self.threads.num_threads

    # -- spaces -----------------------------------------------------------------------------

    def _build_spaces(self) -> None:
        self._action_spaces: dict[str, spaces.Space] = {}
        self._obs_spaces: dict[str, spaces.Space] = {}
        dims = []
        for agent, obs_dim in zip(self.agents_def, self.obs_dims, strict=True):
            # mpe2's SimpleEnv: 5 movement actions if movable, times (or plus) dim_c utterances if speaking.
            if agent.movable:
                dim = core.MOVE_DIM
            else:
                dim = 0 if self.continuous else 1
            if not agent.silent:
                dim = dim + self.dim_c if self.continuous else dim * self.dim_c
            dims.append(dim)
            if self.continuous:
                self._action_spaces[agent.name] = spaces.Box(low=0.0, high=1.0, shape=(dim,), dtype=np.float32)
            else:
                self._action_spaces[agent.name] = spaces.Discrete(dim)
            self._obs_spaces[agent.name] = spaces.Box(low=-np.float32(np.inf), high=np.float32(np.inf),
                                                      shape=(obs_dim,), dtype=np.float32)
        self.action_dims = np.array(dims, dtype=np.int64)
        self.max_obs_dim = max(self.obs_dims)
        self.state_space = spaces.Box(low=-np.float32(np.inf), high=np.float32(np.inf),
                                      shape=(sum(self.obs_dims),), dtype=np.float32)

    @functools.cache  # noqa: B019 - one space object per agent, as PettingZoo asks
    def observation_space(self, agent: str) -> spaces.Space:
        return self._obs_spaces[agent]

    @functools.cache  # noqa: B019
    def action_space(self, agent: str) -> spaces.Space:
        return self._action_spaces[agent]

    # -- reset ------------------------------------------------------------------------------

    @abstractmethod
    def draw(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Initial ``(pos[n, E, 2], goal[n, G])`` of ``n`` copies, in mpe2's order of draws (so a
        batch of one reset with seed ``s`` starts where mpe2's ``reset(seed=s)`` does); each world
        module implements it."""

    def reset(self, seed: int | None = None) -> dict[str, np.ndarray]:
        """Reset every copy (``seed``: an int seeds the engine's generator; None continues it).
        Returns ``{agent: float32[B, D]}``."""
        if seed is not None:
            self._rng = np.random.default_rng(int(seed))
        self._reset_copies(np.arange(self.num_envs))
        return self._observe()

    def _reset_copies(self, idx: np.ndarray) -> None:
        pos, goal = self.draw(self._rng, len(idx))
        self.pos[idx] = pos
        self.vel[idx] = 0.0
        self.comm[idx] = 0.0
        if self.num_goals:
            self.goal[idx] = goal
        self.steps[idx] = 0

    def set_state(self, pos: np.ndarray, vel: np.ndarray, comm: np.ndarray | None = None,
                  goal: np.ndarray | None = None, steps: np.ndarray | int = 0) -> dict[str, np.ndarray]:
        """Load a state (``[B, E, 2]`` positions and velocities, agents first; ``[B, A, dim_c]``
        utterances; ``[B, G]`` goal indices) and return its observations."""
        B, A, E = self.num_envs, self.num_agents, self.num_entities
        self.pos[:] = np.broadcast_to(np.asarray(pos, dtype=np.float64), (B, E, 2))
        self.vel[:] = np.broadcast_to(np.asarray(vel, dtype=np.float64), (B, E, 2))
        self.comm[:] = 0.0 if comm is None else np.broadcast_to(np.asarray(comm, dtype=np.float64),
                                                                 (B, A, self.dim_c))
        if goal is not None and self.num_goals:
            self.goal[:] = np.broadcast_to(np.asarray(goal, dtype=np.int64), (B, self.num_goals))
        self.steps[:] = steps
        return self._observe()

    # -- step -------------------------------------------------------------------------------

    def _actions_array(self, actions: dict[str, Any]) -> np.ndarray:
        missing = [a for a in self.possible_agents if a not in actions]
        if missing:
            raise ValueError(f"{self.world_name}: step() needs an action for every agent; missing "
                             f"{', '.join(missing)}")
        B, A = self.num_envs, self.num_agents
        if self.continuous:
            width = int(self.action_dims.max())
            out = np.zeros((B, A, width), dtype=np.float32)
            for i, agent in enumerate(self.possible_agents):
                act = np.asarray(actions[agent], dtype=np.float32)
                d = int(self.action_dims[i])
                if act.size != B * d:
                    raise ValueError(f"{self.world_name}: {agent}'s continuous action needs {d} numbers per copy "
                                     f"({B} copies), got shape {act.shape}")
                out[:, i, :d] = act.reshape(B, d)
            if np.isnan(out).any():
                raise ValueError(f"{self.world_name}: continuous actions contain NaN")
            np.clip(out, 0.0, 1.0, out=out)  # mpe2 clips out-of-range actions to the Box too
            return out
        out = np.empty((B, A), dtype=np.int64)
        for i, agent in enumerate(self.possible_agents):
            act = np.asarray(actions[agent])
            if act.size != B or not np.issubdtype(act.dtype, np.integer):
                raise ValueError(f"{self.world_name}: {agent}'s discrete action must be one integer per copy "
                                 f"({B}), got dtype {act.dtype} shape {act.shape}")
            out[:, i] = act.reshape(B)
        bad = (out < 0) | (out >= self.action_dims[None, :])
        if bad.any():
            b, i = np.argwhere(bad)[0]
            raise ValueError(f"{self.world_name}: {self.possible_agents[i]}'s action must be in "
                             f"0..{self.action_dims[i] - 1}, got {out[b, i]}")
        return out

    def step(self, actions: dict[str, Any]) -> tuple[
        dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray], dict[str, Any],
    ]:
        """Step every copy with ``{agent: action[B]}`` (``[B, D]`` continuous); returns
        ``(obs, rewards[B], terminations[B], truncations[B], infos)`` keyed by agent."""
        acts = self._actions_array(actions)
        A, B = self.num_agents, self.num_envs
        obs = np.empty((A, B, self.max_obs_dim), dtype=np.float32)
        rew = np.empty((A, B), dtype=np.float64)
        terminal = np.empty(B, dtype=np.bool_)
        decode, kernel = self._variants[self.threads.begin()]
        decode(acts, self.ent, self.silent, self.accel, self._u, self.comm)
        kernel(True, self.pos, self.vel, self._u, self._force, self.comm, self.goal, self.ent, self.consts,
               self.params, obs, rew, terminal)
        self.threads.end()
        self.steps += 1
        truncated = self.steps >= self.max_cycles
        terminated = terminal & ~truncated
        infos: dict[str, Any] = {a: {} for a in self.possible_agents}
        if self.autoreset:
            done = truncated | terminated
            if done.any():
                final = {a: obs[i, :, :self.obs_dims[i]] for i, a in enumerate(self.possible_agents)}
                for a in self.possible_agents:
                    infos[a]["final_observation"] = final[a]
                self._reset_copies(np.flatnonzero(done))
                obs = np.empty_like(obs)
                kernel = self._variants[self.threads.current()][1]
                kernel(False, self.pos, self.vel, self._u, self._force, self.comm, self.goal, self.ent,
                       self.consts, self.params, obs, self._rew_scratch, self._term_scratch)
        names = self.possible_agents
        return ({a: obs[i, :, :self.obs_dims[i]] for i, a in enumerate(names)},
                {a: rew[i] for i, a in enumerate(names)},
                {a: terminated for a in names},
                {a: truncated for a in names},
                infos)

    def _observe(self) -> dict[str, np.ndarray]:
        A, B = self.num_agents, self.num_envs
        obs = np.empty((A, B, self.max_obs_dim), dtype=np.float32)
        kernel = self._variants[self.threads.current()][1]
        kernel(False, self.pos, self.vel, self._u, self._force, self.comm, self.goal, self.ent, self.consts,
               self.params, obs, self._rew_scratch, self._term_scratch)
        return {a: obs[i, :, :self.obs_dims[i]] for i, a in enumerate(self.possible_agents)}

    def observe(self) -> dict[str, np.ndarray]:
        """Observations of the current state, ``{agent: float32[B, D]}``."""
        return self._observe()

    def state(self) -> np.ndarray:
        """mpe2's global state of every copy: all agents' observations concatenated, ``float32[B, S]``."""
        obs = self._observe()
        return np.concatenate([obs[a] for a in self.possible_agents], axis=1)

    # -- text -------------------------------------------------------------------------------

    def render(self, index: int = 0) -> str:
        """Text picture of copy ``index``: every entity's position (and velocity, utterance)."""
        lines = [f"{self.world_name} copy {index}, step {int(self.steps[index])}/{self.max_cycles}"]
        A = self.num_agents
        for i, body in enumerate(list(self.agents_def) + list(self.landmarks_def)):
            x, y = self.pos[index, i]
            text = f"  {body.name:14s} pos ({x:+.3f}, {y:+.3f})"
            if body.movable:
                vx, vy = self.vel[index, i]
                text += f" vel ({vx:+.3f}, {vy:+.3f})"
            if i < A and not body.silent:
                text += " says [" + ", ".join(f"{c:.2f}" for c in self.comm[index, i]) + "]"
            lines.append(text)
        if self.num_goals:
            lines.append("  goal " + ", ".join(self.landmarks_def[g].name for g in self.goal[index, :self.num_goals]))
        return "\n".join(lines)


class ParticleEnv(BatchedParallelEnv):
    """The PettingZoo Parallel view of a particle world (a batch of one), with mpe2's
    ``state()`` and ``state_space``."""

    def __init__(self, make_world: Callable[[int], ParticleWorld], render_mode: str | None = None) -> None:
        super().__init__(make_world, render_mode=render_mode)
        self.world: ParticleWorld = self.engine  # type: ignore[assignment]
        self.state_space = self.world.state_space
        self.max_cycles = self.world.max_cycles
        self.continuous_actions = self.world.continuous

    def state(self) -> np.ndarray:
        """Every agent's observation concatenated (mpe2's ``state()``), ``float32[S]``."""
        return self.world.state()[0]
