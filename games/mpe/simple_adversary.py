"""Batched port of mpe2's ``simple_adversary_v3``: ``N`` good agents guard a hidden goal landmark.

Agents are ``adversary_0`` then ``agent_0..agent_{N-1}`` (size 0.15, no collisions); ``N``
landmarks, one of them the goal. Observation of a good agent: the goal relative to it, every
landmark relative to it, every other agent relative to it; the adversary sees the same without
the goal. Rewards: the adversary gets minus its distance to the goal; a good agent gets minus the
nearest good agent's distance to the goal plus the adversary's distance to it.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import prange

from games.mpe.core import dist, physics_copy
from games.mpe.engine import Body, ParticleWorld
from games.mpe.options import check_unsupported


@numba.njit(cache=True)
def _copy(b: int, physics: bool, pos: np.ndarray, vel: np.ndarray, u: np.ndarray, force: np.ndarray,
          comm: np.ndarray, goal: np.ndarray, ent: np.ndarray, consts: np.ndarray, params: np.ndarray,
          obs: np.ndarray, rew: np.ndarray, terminal: np.ndarray) -> None:
    if physics:
        physics_copy(b, pos, vel, u, force, ent, consts)
    A = comm.shape[1]
    E = pos.shape[1]
    target = A + goal[b, 0]
    adv_dist = dist(pos, b, 0, target)
    nearest = dist(pos, b, 1, target)
    for a in range(2, A):
        d = dist(pos, b, a, target)
        if d < nearest:
            nearest = d
    good_rew = -nearest + adv_dist
    terminal[b] = False
    for i in range(A):
        k = 0
        if i > 0:
            obs[i, b, 0] = pos[b, target, 0] - pos[b, i, 0]
            obs[i, b, 1] = pos[b, target, 1] - pos[b, i, 1]
            k = 2
        for lm in range(A, E):
            obs[i, b, k] = pos[b, lm, 0] - pos[b, i, 0]
            obs[i, b, k + 1] = pos[b, lm, 1] - pos[b, i, 1]
            k += 2
        for o in range(A):
            if o != i:
                obs[i, b, k] = pos[b, o, 0] - pos[b, i, 0]
                obs[i, b, k + 1] = pos[b, o, 1] - pos[b, i, 1]
                k += 2
        rew[i, b] = -adv_dist if i == 0 else good_rew


@numba.njit(cache=True)
def adversary_serial(physics: bool, pos: np.ndarray, vel: np.ndarray, u: np.ndarray, force: np.ndarray,
                     comm: np.ndarray, goal: np.ndarray, ent: np.ndarray, consts: np.ndarray, params: np.ndarray,
                     obs: np.ndarray, rew: np.ndarray, terminal: np.ndarray) -> None:
    for b in range(pos.shape[0]):
        _copy(b, physics, pos, vel, u, force, comm, goal, ent, consts, params, obs, rew, terminal)


@numba.njit(cache=True, parallel=True)
def adversary_parallel(physics: bool, pos: np.ndarray, vel: np.ndarray, u: np.ndarray, force: np.ndarray,
                       comm: np.ndarray, goal: np.ndarray, ent: np.ndarray, consts: np.ndarray, params: np.ndarray,
                       obs: np.ndarray, rew: np.ndarray, terminal: np.ndarray) -> None:
    for b in prange(pos.shape[0]):
        _copy(b, physics, pos, vel, u, force, comm, goal, ent, consts, params, obs, rew, terminal)


class SimpleAdversary(ParticleWorld):
    """``num_envs`` copies of ``simple_adversary_v3`` (arguments as mpe2's, plus the engine's)."""

    world_name = "simple_adversary_v3"
    dim_c = 2
    num_goals = 1
    kernel_serial = staticmethod(adversary_serial)
    kernel_parallel = staticmethod(adversary_parallel)

    def __init__(self, num_envs: int = 1, *, N: int = 2, max_cycles: int = 25, continuous_actions: bool = False,
                 autoreset: bool = False, num_threads: int = 1, **mpe2_only: object) -> None:
        check_unsupported(self.world_name, mpe2_only)
        if int(N) < 1:
            raise ValueError(f"{self.world_name}: N must be >= 1, got {N}")
        self.N = int(N)
        self.agents_def = tuple([Body("adversary_0", size=0.15, collide=False)]
                                + [Body(f"agent_{i}", size=0.15, collide=False) for i in range(self.N)])
        self.landmarks_def = tuple(Body(f"landmark {i}", size=0.08, movable=False, collide=False)
                                   for i in range(self.N))
        self.obs_dims = (4 * self.N,) + (4 * self.N + 2,) * self.N
        super().__init__(num_envs, max_cycles=max_cycles, continuous_actions=continuous_actions, autoreset=autoreset,
                         num_threads=num_threads)

    def draw(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        goal = rng.integers(self.N, size=n)
        return rng.uniform(-1.0, 1.0, (n, 2 * self.N + 1, 2)), goal[:, None]
