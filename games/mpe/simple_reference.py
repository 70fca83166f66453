"""Batched port of mpe2's ``simple_reference_v3``: two agents tell each other where to go.

Agents ``agent_0`` and ``agent_1`` move and speak (10 symbols); three coloured landmarks. Each
agent knows the landmark the *other* agent should reach. Observation: own velocity, every
landmark relative to it, the colour of the landmark it knows, the other agent's utterance.
Discrete actions are ``move + 5 * say`` (50); continuous ones are 5 movement numbers then 10
utterance numbers. Reward: ``(1 - local_ratio) * mean + local_ratio * own`` where ``own`` is
minus the other agent's distance to the landmark this agent knows.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import prange

from games.mpe.core import dist, physics_copy
from games.mpe.engine import Body, ParticleWorld
from games.mpe.options import check_unsupported

COLORS = np.array([[0.75, 0.25, 0.25], [0.25, 0.75, 0.25], [0.25, 0.25, 0.75]])


@numba.njit(cache=True)
def _copy(b: int, physics: bool, pos: np.ndarray, vel: np.ndarray, u: np.ndarray, force: np.ndarray,
          comm: np.ndarray, goal: np.ndarray, ent: np.ndarray, consts: np.ndarray, params: np.ndarray,
          obs: np.ndarray, rew: np.ndarray, terminal: np.ndarray) -> None:
    if physics:
        physics_copy(b, pos, vel, u, force, ent, consts)
    A = comm.shape[1]
    E = pos.shape[1]
    dim_c = comm.shape[2]
    local_ratio = params[0]
    r0 = -dist(pos, b, 1, A + goal[b, 0])
    r1 = -dist(pos, b, 0, A + goal[b, 1])
    mean = (0.0 + r0 + r1) / 2
    terminal[b] = False
    for i in range(A):
        obs[i, b, 0] = vel[b, i, 0]
        obs[i, b, 1] = vel[b, i, 1]
        k = 2
        for lm in range(A, E):
            obs[i, b, k] = pos[b, lm, 0] - pos[b, i, 0]
            obs[i, b, k + 1] = pos[b, lm, 1] - pos[b, i, 1]
            k += 2
        g = goal[b, i]
        for c in range(3):
            obs[i, b, k] = params[1 + 3 * g + c]
            k += 1
        for c in range(dim_c):
            obs[i, b, k] = comm[b, 1 - i, c]
            k += 1
        own = r0 if i == 0 else r1
        rew[i, b] = mean * (1.0 - local_ratio) + own * local_ratio


@numba.njit(cache=True)
def reference_serial(physics: bool, pos: np.ndarray, vel: np.ndarray, u: np.ndarray, force: np.ndarray,
                     comm: np.ndarray, goal: np.ndarray, ent: np.ndarray, consts: np.ndarray, params: np.ndarray,
                     obs: np.ndarray, rew: np.ndarray, terminal: np.ndarray) -> None:
    for b in range(pos.shape[0]):
        _copy(b, physics, pos, vel, u, force, comm, goal, ent, consts, params, obs, rew, terminal)


@numba.njit(cache=True, parallel=True)
def reference_parallel(physics: bool, pos: np.ndarray, vel: np.ndarray, u: np.ndarray, force: np.ndarray,
                       comm: np.ndarray, goal: np.ndarray, ent: np.ndarray, consts: np.ndarray, params: np.ndarray,
                       obs: np.ndarray, rew: np.ndarray, terminal: np.ndarray) -> None:
    for b in prange(pos.shape[0]):
        _copy(b, physics, pos, vel, u, force, comm, goal, ent, consts, params, obs, rew, terminal)


class SimpleReference(ParticleWorld):
    """``num_envs`` copies of ``simple_reference_v3`` (arguments as mpe2's, plus the engine's)."""

    world_name = "simple_reference_v3"
    dim_c = 10
    num_goals = 2
    agents_def = (Body("agent_0", collide=False, silent=False), Body("agent_1", collide=False, silent=False))
    landmarks_def = tuple(Body(f"landmark {i}", movable=False, collide=False) for i in range(3))
    obs_dims = (21, 21)
    kernel_serial = staticmethod(reference_serial)
    kernel_parallel = staticmethod(reference_parallel)

    def __init__(self, num_envs: int = 1, *, local_ratio: float = 0.5, max_cycles: int = 25,
                 continuous_actions: bool = False, autoreset: bool = False, num_threads: int = 1,
                 **mpe2_only: object) -> None:
        check_unsupported(self.world_name, mpe2_only)
        if not 0.0 <= float(local_ratio) <= 1.0:
            raise ValueError(f"{self.world_name}: local_ratio is a proportion in [0, 1], got {local_ratio}")
        super().__init__(num_envs, max_cycles=max_cycles, continuous_actions=continuous_actions, autoreset=autoreset,
                         num_threads=num_threads, params=np.concatenate([[float(local_ratio)], COLORS.ravel()]))

    def draw(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        g0 = rng.integers(3, size=n)
        g1 = rng.integers(3, size=n)
        return rng.uniform(-1.0, 1.0, (n, 5, 2)), np.stack([g0, g1], axis=1)
