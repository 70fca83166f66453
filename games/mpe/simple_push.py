"""Batched port of mpe2's ``simple_push_v3``: an adversary pushes a good agent off its goal.

Agents ``adversary_0`` and ``agent_0`` (size 0.05) collide with each other; two landmarks, one
the goal. The good agent observes its velocity, the goal relative to it, its own colour (which
names the goal), every landmark relative to it, the landmarks' colours and the adversary relative
to it; the adversary observes its velocity, every landmark and the good agent relative to it.
Rewards: the good agent gets minus its distance to the goal; the adversary gets the good agent's
distance to the goal minus its own.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import prange

from games.mpe.core import dist, physics_copy
from games.mpe.engine import Body, ParticleWorld
from games.mpe.options import check_unsupported

# Landmark colours (0.1 everywhere, +0.8 in channel i + 1), then the good agent's colour for each
# goal (0.25 everywhere, +0.5 in channel goal + 1), as mpe2 builds them.
_LANDMARK_COLORS = np.full((2, 3), 0.1)
_LANDMARK_COLORS[0, 1] += 0.8
_LANDMARK_COLORS[1, 2] += 0.8
_AGENT_COLORS = np.full((2, 3), 0.25)
_AGENT_COLORS[0, 1] += 0.5
_AGENT_COLORS[1, 2] += 0.5
PARAMS = np.concatenate([_LANDMARK_COLORS.ravel(), _AGENT_COLORS.ravel()])


@numba.njit(cache=True)
def _copy(b: int, physics: bool, pos: np.ndarray, vel: np.ndarray, u: np.ndarray, force: np.ndarray,
          comm: np.ndarray, goal: np.ndarray, ent: np.ndarray, consts: np.ndarray, params: np.ndarray,
          obs: np.ndarray, rew: np.ndarray, terminal: np.ndarray) -> None:
    if physics:
        physics_copy(b, pos, vel, u, force, ent, consts)
    E = pos.shape[1]
    g = goal[b, 0]
    target = 2 + g
    good_dist = dist(pos, b, 1, target)
    rew[1, b] = -good_dist
    rew[0, b] = good_dist - dist(pos, b, target, 0)
    terminal[b] = False
    # Good agent (index 1).
    obs[1, b, 0] = vel[b, 1, 0]
    obs[1, b, 1] = vel[b, 1, 1]
    obs[1, b, 2] = pos[b, target, 0] - pos[b, 1, 0]
    obs[1, b, 3] = pos[b, target, 1] - pos[b, 1, 1]
    k = 4
    for c in range(3):
        obs[1, b, k] = params[6 + 3 * g + c]
        k += 1
    for lm in range(2, E):
        obs[1, b, k] = pos[b, lm, 0] - pos[b, 1, 0]
        obs[1, b, k + 1] = pos[b, lm, 1] - pos[b, 1, 1]
        k += 2
    for c in range(6):
        obs[1, b, k] = params[c]
        k += 1
    obs[1, b, k] = pos[b, 0, 0] - pos[b, 1, 0]
    obs[1, b, k + 1] = pos[b, 0, 1] - pos[b, 1, 1]
    # Adversary (index 0).
    obs[0, b, 0] = vel[b, 0, 0]
    obs[0, b, 1] = vel[b, 0, 1]
    k = 2
    for lm in range(2, E):
        obs[0, b, k] = pos[b, lm, 0] - pos[b, 0, 0]
        obs[0, b, k + 1] = pos[b, lm, 1] - pos[b, 0, 1]
        k += 2
    obs[0, b, k] = pos[b, 1, 0] - pos[b, 0, 0]
    obs[0, b, k + 1] = pos[b, 1, 1] - pos[b, 0, 1]


@numba.njit(cache=True)
def push_serial(physics: bool, pos: np.ndarray, vel: np.ndarray, u: np.ndarray, force: np.ndarray,
                comm: np.ndarray, goal: np.ndarray, ent: np.ndarray, consts: np.ndarray, params: np.ndarray,
                obs: np.ndarray, rew: np.ndarray, terminal: np.ndarray) -> None:
    for b in range(pos.shape[0]):
        _copy(b, physics, pos, vel, u, force, comm, goal, ent, consts, params, obs, rew, terminal)


@numba.njit(cache=True, parallel=True)
def push_parallel(physics: bool, pos: np.ndarray, vel: np.ndarray, u: np.ndarray, force: np.ndarray,
                  comm: np.ndarray, goal: np.ndarray, ent: np.ndarray, consts: np.ndarray, params: np.ndarray,
                  obs: np.ndarray, rew: np.ndarray, terminal: np.ndarray) -> None:
    for b in prange(pos.shape[0]):
        _copy(b, physics, pos, vel, u, force, comm, goal, ent, consts, params, obs, rew, terminal)


class SimplePush(ParticleWorld):
    """``num_envs`` copies of ``simple_push_v3`` (arguments as mpe2's, plus the engine's)."""

    world_name = "simple_push_v3"
    dim_c = 2
    num_goals = 1
    agents_def = (Body("adversary_0"), Body("agent_0"))
    landmarks_def = tuple(Body(f"landmark {i}", movable=False, collide=False) for i in range(2))
    obs_dims = (8, 19)
    kernel_serial = staticmethod(push_serial)
    kernel_parallel = staticmethod(push_parallel)

    def __init__(self, num_envs: int = 1, *, max_cycles: int = 25, continuous_actions: bool = False,
                 autoreset: bool = False, num_threads: int = 1, **mpe2_only: object) -> None:
        check_unsupported(self.world_name, mpe2_only)
        super().__init__(num_envs, max_cycles=max_cycles, continuous_actions=continuous_actions, autoreset=autoreset,
                         num_threads=num_threads, params=PARAMS)

    def draw(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        goal = rng.integers(2, size=n)
        return rng.uniform(-1.0, 1.0, (n, 4, 2)), goal[:, None]
