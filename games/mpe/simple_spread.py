"""Batched port of mpe2's ``simple_spread_v3``: ``N`` agents cover ``N`` landmarks.

Agents (size 0.15, silent) collide with each other; landmarks do not collide. Observation of
agent ``i``: own velocity, own position, every landmark relative to it, every other agent
relative to it, every other agent's utterance (zeros: agents are silent) -- ``6N`` numbers.
Reward: ``(1 - local_ratio) * global + local_ratio * local`` with ``global`` minus the sum over
landmarks of the nearest agent's distance and ``local`` minus one per other agent overlapping it.
``terminate_on_success``: the episode ends once every landmark has an agent within 0.1.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import prange

from games.mpe.core import dist, physics_copy
from games.mpe.engine import Body, ParticleWorld
from games.mpe.options import check_unsupported

CAPTURE_RADIUS = 0.1


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
    g = 0.0
    success = True
    for lm in range(A, E):
        best = dist(pos, b, 0, lm)
        for a in range(1, A):
            d = dist(pos, b, a, lm)
            if d < best:
                best = d
        g -= best
        if best >= CAPTURE_RADIUS:
            success = False
    terminal[b] = success and params[1] != 0.0
    for i in range(A):
        obs[i, b, 0] = vel[b, i, 0]
        obs[i, b, 1] = vel[b, i, 1]
        obs[i, b, 2] = pos[b, i, 0]
        obs[i, b, 3] = pos[b, i, 1]
        k = 4
        for lm in range(A, E):
            obs[i, b, k] = pos[b, lm, 0] - pos[b, i, 0]
            obs[i, b, k + 1] = pos[b, lm, 1] - pos[b, i, 1]
            k += 2
        for o in range(A):
            if o != i:
                obs[i, b, k] = pos[b, o, 0] - pos[b, i, 0]
                obs[i, b, k + 1] = pos[b, o, 1] - pos[b, i, 1]
                k += 2
        for o in range(A):
            if o != i:
                for c in range(dim_c):
                    obs[i, b, k] = comm[b, o, c]
                    k += 1
        r = 0.0
        for a in range(A):
            if a != i and dist(pos, b, a, i) < ent[a, 2] + ent[i, 2]:
                r -= 1.0
        rew[i, b] = g * (1.0 - local_ratio) + r * local_ratio


@numba.njit(cache=True)
def spread_serial(physics: bool, pos: np.ndarray, vel: np.ndarray, u: np.ndarray, force: np.ndarray,
                  comm: np.ndarray, goal: np.ndarray, ent: np.ndarray, consts: np.ndarray, params: np.ndarray,
                  obs: np.ndarray, rew: np.ndarray, terminal: np.ndarray) -> None:
    for b in range(pos.shape[0]):
        _copy(b, physics, pos, vel, u, force, comm, goal, ent, consts, params, obs, rew, terminal)


@numba.njit(cache=True, parallel=True)
def spread_parallel(physics: bool, pos: np.ndarray, vel: np.ndarray, u: np.ndarray, force: np.ndarray,
                    comm: np.ndarray, goal: np.ndarray, ent: np.ndarray, consts: np.ndarray, params: np.ndarray,
                    obs: np.ndarray, rew: np.ndarray, terminal: np.ndarray) -> None:
    for b in prange(pos.shape[0]):
        _copy(b, physics, pos, vel, u, force, comm, goal, ent, consts, params, obs, rew, terminal)


class SimpleSpread(ParticleWorld):
    """``num_envs`` copies of ``simple_spread_v3`` (arguments as mpe2's, plus the engine's)."""

    world_name = "simple_spread_v3"
    dim_c = 2
    kernel_serial = staticmethod(spread_serial)
    kernel_parallel = staticmethod(spread_parallel)

    def __init__(self, num_envs: int = 1, *, N: int = 3, local_ratio: float = 0.5, max_cycles: int = 25,
                 continuous_actions: bool = False, terminate_on_success: bool = False, autoreset: bool = False,
                 num_threads: int = 1, **mpe2_only: object) -> None:
        check_unsupported(self.world_name, mpe2_only)
        if int(N) < 1:
            raise ValueError(f"{self.world_name}: N must be >= 1, got {N}")
        if not 0.0 <= float(local_ratio) <= 1.0:
            raise ValueError(f"{self.world_name}: local_ratio is a proportion in [0, 1], got {local_ratio}")
        self.N = int(N)
        self.agents_def = tuple(Body(f"agent_{i}", size=0.15) for i in range(self.N))
        self.landmarks_def = tuple(Body(f"landmark {i}", movable=False, collide=False) for i in range(self.N))
        self.obs_dims = (6 * self.N,) * self.N
        super().__init__(num_envs, max_cycles=max_cycles, continuous_actions=continuous_actions, autoreset=autoreset,
                         num_threads=num_threads,
                         params=np.array([float(local_ratio), float(bool(terminate_on_success))]))

    def draw(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        return rng.uniform(-1.0, 1.0, (n, 2 * self.N, 2)), np.zeros((n, 0), dtype=np.int64)
