"""Batched port of mpe2's ``simple_tag_v3``: adversaries chase faster good agents among obstacles.

Agents are the adversaries (``adversary_0..``; size 0.075, accel 3, max speed 1) then the good
agents (``agent_0..``; size 0.05, accel 4, max speed 1.3); obstacles (size 0.2) are fixed and
collide. Observation: own velocity, own position, every obstacle relative to it, every other agent
relative to it, then every other *good* agent's velocity. Rewards: a good agent loses 10 per
adversary touching it plus mpe2's boundary penalty per axis; every adversary gains 10 per touching
(good agent, adversary) pair. ``terminate_on_success``: the episode ends once every good agent
is touched by some adversary.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import prange

from games.mpe.core import SIZE, dist, physics_copy
from games.mpe.engine import Body, ParticleWorld
from games.mpe.options import check_unsupported


@numba.njit(cache=True, inline="always")
def _bound(x: float) -> float:
    if x < 0.9:
        return 0.0
    if x < 1.0:
        return (x - 0.9) * 10
    return min(math.exp(2 * x - 2), 10.0)


@numba.njit(cache=True)
def _copy(b: int, physics: bool, pos: np.ndarray, vel: np.ndarray, u: np.ndarray, force: np.ndarray,
          comm: np.ndarray, goal: np.ndarray, ent: np.ndarray, consts: np.ndarray, params: np.ndarray,
          obs: np.ndarray, rew: np.ndarray, terminal: np.ndarray) -> None:
    if physics:
        physics_copy(b, pos, vel, u, force, ent, consts)
    A = comm.shape[1]
    E = pos.shape[1]
    n_adv = int(params[0])
    # Touching (good, adversary) pairs: the adversaries' shared reward and the success test.
    adv_rew = 0.0
    all_caught = True
    for g in range(n_adv, A):
        caught = False
        for a in range(n_adv):
            if dist(pos, b, g, a) < ent[g, SIZE] + ent[a, SIZE]:
                adv_rew += 10
                caught = True
        if not caught:
            all_caught = False
    terminal[b] = all_caught and params[1] != 0.0
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
        for o in range(n_adv, A):
            if o != i:
                obs[i, b, k] = vel[b, o, 0]
                obs[i, b, k + 1] = vel[b, o, 1]
                k += 2
        if i < n_adv:
            rew[i, b] = adv_rew
        else:
            r = 0.0
            for a in range(n_adv):
                if dist(pos, b, a, i) < ent[a, SIZE] + ent[i, SIZE]:
                    r -= 10
            r -= _bound(abs(pos[b, i, 0]))
            r -= _bound(abs(pos[b, i, 1]))
            rew[i, b] = r


@numba.njit(cache=True)
def tag_serial(physics: bool, pos: np.ndarray, vel: np.ndarray, u: np.ndarray, force: np.ndarray,
               comm: np.ndarray, goal: np.ndarray, ent: np.ndarray, consts: np.ndarray, params: np.ndarray,
               obs: np.ndarray, rew: np.ndarray, terminal: np.ndarray) -> None:
    for b in range(pos.shape[0]):
        _copy(b, physics, pos, vel, u, force, comm, goal, ent, consts, params, obs, rew, terminal)


@numba.njit(cache=True, parallel=True)
def tag_parallel(physics: bool, pos: np.ndarray, vel: np.ndarray, u: np.ndarray, force: np.ndarray,
                 comm: np.ndarray, goal: np.ndarray, ent: np.ndarray, consts: np.ndarray, params: np.ndarray,
                 obs: np.ndarray, rew: np.ndarray, terminal: np.ndarray) -> None:
    for b in prange(pos.shape[0]):
        _copy(b, physics, pos, vel, u, force, comm, goal, ent, consts, params, obs, rew, terminal)


class SimpleTag(ParticleWorld):
    """``num_envs`` copies of ``simple_tag_v3`` (arguments as mpe2's, plus the engine's)."""

    world_name = "simple_tag_v3"
    dim_c = 2
    kernel_serial = staticmethod(tag_serial)
    kernel_parallel = staticmethod(tag_parallel)

    def __init__(self, num_envs: int = 1, *, num_good: int = 1, num_adversaries: int = 3, num_obstacles: int = 2,
                 max_cycles: int = 25, continuous_actions: bool = False, terminate_on_success: bool = False,
                 autoreset: bool = False, num_threads: int = 1, **mpe2_only: object) -> None:
        check_unsupported(self.world_name, mpe2_only)
        ng, na, no = int(num_good), int(num_adversaries), int(num_obstacles)
        if ng < 0 or na < 0 or no < 0 or ng + na < 1:
            raise ValueError(f"{self.world_name}: need num_good, num_adversaries, num_obstacles >= 0 and at "
                             f"least one agent, got {num_good}, {num_adversaries}, {num_obstacles}")
        self.num_good, self.num_adversaries, self.num_obstacles = ng, na, no
        adversaries = [Body(f"adversary_{i}", size=0.075, accel=3.0, max_speed=1.0) for i in range(na)]
        good = [Body(f"agent_{i}", size=0.05, accel=4.0, max_speed=1.3) for i in range(ng)]
        self.agents_def = tuple(adversaries + good)
        self.landmarks_def = tuple(Body(f"landmark {i}", size=0.2, movable=False) for i in range(no))
        n = ng + na
        self.obs_dims = tuple(4 + 2 * no + 2 * (n - 1) + 2 * (ng - (0 if i < na else 1)) for i in range(n))
        super().__init__(num_envs, max_cycles=max_cycles, continuous_actions=continuous_actions, autoreset=autoreset,
                         num_threads=num_threads, params=np.array([float(na), float(bool(terminate_on_success))]))

    def draw(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        agents = rng.uniform(-1.0, 1.0, (n, self.num_agents, 2))
        obstacles = rng.uniform(-0.9, 0.9, (n, self.num_obstacles, 2))
        return np.concatenate([agents, obstacles], axis=1), np.zeros((n, 0), dtype=np.int64)
