"""Batched port of mpe2's ``simple_speaker_listener_v4``: a speaker guides a listener.

``speaker_0`` cannot move and says one of 3 symbols; ``listener_0`` moves and is silent; three
coloured landmarks, one the goal. The speaker observes the goal's colour; the listener observes
its own velocity, every landmark relative to it and the speaker's utterance. Both get minus the
squared distance from the listener to the goal.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import prange

from games.mpe.core import physics_copy
from games.mpe.engine import Body, ParticleWorld
from games.mpe.options import check_unsupported

COLORS = np.array([[0.65, 0.15, 0.15], [0.15, 0.65, 0.15], [0.15, 0.15, 0.65]])


@numba.njit(cache=True)
def _copy(b: int, physics: bool, pos: np.ndarray, vel: np.ndarray, u: np.ndarray, force: np.ndarray,
          comm: np.ndarray, goal: np.ndarray, ent: np.ndarray, consts: np.ndarray, params: np.ndarray,
          obs: np.ndarray, rew: np.ndarray, terminal: np.ndarray) -> None:
    if physics:
        physics_copy(b, pos, vel, u, force, ent, consts)
    E = pos.shape[1]
    dim_c = comm.shape[2]
    g = goal[b, 0]
    target = 2 + g
    dx = pos[b, 1, 0] - pos[b, target, 0]
    dy = pos[b, 1, 1] - pos[b, target, 1]
    r = -(dx * dx + dy * dy)
    terminal[b] = False
    for c in range(3):
        obs[0, b, c] = params[3 * g + c]
    obs[1, b, 0] = vel[b, 1, 0]
    obs[1, b, 1] = vel[b, 1, 1]
    k = 2
    for lm in range(2, E):
        obs[1, b, k] = pos[b, lm, 0] - pos[b, 1, 0]
        obs[1, b, k + 1] = pos[b, lm, 1] - pos[b, 1, 1]
        k += 2
    for c in range(dim_c):
        obs[1, b, k] = comm[b, 0, c]
        k += 1
    rew[0, b] = r
    rew[1, b] = r


@numba.njit(cache=True)
def speaker_listener_serial(physics: bool, pos: np.ndarray, vel: np.ndarray, u: np.ndarray, force: np.ndarray,
                            comm: np.ndarray, goal: np.ndarray, ent: np.ndarray, consts: np.ndarray,
                            params: np.ndarray, obs: np.ndarray, rew: np.ndarray, terminal: np.ndarray) -> None:
    for b in range(pos.shape[0]):
        _copy(b, physics, pos, vel, u, force, comm, goal, ent, consts, params, obs, rew, terminal)


@numba.njit(cache=True, parallel=True)
def speaker_listener_parallel(physics: bool, pos: np.ndarray, vel: np.ndarray, u: np.ndarray, force: np.ndarray,
                              comm: np.ndarray, goal: np.ndarray, ent: np.ndarray, consts: np.ndarray,
                              params: np.ndarray, obs: np.ndarray, rew: np.ndarray, terminal: np.ndarray) -> None:
    for b in prange(pos.shape[0]):
        _copy(b, physics, pos, vel, u, force, comm, goal, ent, consts, params, obs, rew, terminal)


class SimpleSpeakerListener(ParticleWorld):
    """``num_envs`` copies of ``simple_speaker_listener_v4`` (arguments as mpe2's, plus the engine's)."""

    world_name = "simple_speaker_listener_v4"
    dim_c = 3
    num_goals = 1
    agents_def = (Body("speaker_0", size=0.075, movable=False, collide=False, silent=False),
                  Body("listener_0", size=0.075, collide=False, silent=True))
    landmarks_def = tuple(Body(f"landmark {i}", size=0.04, movable=False, collide=False) for i in range(3))
    obs_dims = (3, 11)
    kernel_serial = staticmethod(speaker_listener_serial)
    kernel_parallel = staticmethod(speaker_listener_parallel)

    def __init__(self, num_envs: int = 1, *, max_cycles: int = 25, continuous_actions: bool = False,
                 autoreset: bool = False, num_threads: int = 1, **mpe2_only: object) -> None:
        check_unsupported(self.world_name, mpe2_only)
        super().__init__(num_envs, max_cycles=max_cycles, continuous_actions=continuous_actions, autoreset=autoreset,
                         num_threads=num_threads, params=COLORS.ravel())

    def draw(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        goal = rng.integers(3, size=n)
        return rng.uniform(-1.0, 1.0, (n, 5, 2)), goal[:, None]
