"""Numba kernels of the batched particle world: action decoding and one physics step.

These reproduce mpe2's ``World.step`` (``mpe2/_mpe_utils/core.py``) and the action handling of
its ``SimpleEnv._set_action``, operation for operation in float64, over ``B`` copies at once:

* entities are the agents first, then the landmarks (mpe2's ``world.entities``);
* ``pos``, ``vel``, ``force``: ``[B, E, 2]`` float64; ``comm``: ``[B, A, dim_c]`` float64;
* per-entity constants ``ent[E, 5]``: movable, collide, size, mass, max speed (``inf``: none);
* world constants ``consts[4]``: dt, damping, contact force, contact margin.

One step: each movable agent's force is its action ``u`` (times its acceleration, 5 by default);
every pair of colliding entities ``a < b`` adds the soft contact force
``contact_force * delta / dist * logaddexp(0, -(dist - size_a - size_b) / margin) * margin``
(to movable entities only); then every movable entity integrates ``pos += vel * dt``,
``vel *= 1 - damping``, ``vel += force / mass * dt`` and is clipped to its maximum speed.
Communication is the decoded utterance of speaking agents and zeros for silent ones.

Every kernel comes as a ``*_serial`` (``range``) and a ``*_parallel`` (``prange`` over the batch)
function; the per-copy work lives in shared helpers so both run the same code.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import prange

# Columns of the per-entity constant table ``ent[E, 5]``.
MOVABLE, COLLIDE, SIZE, MASS, MAX_SPEED = 0, 1, 2, 3, 4
# Entries of the world constant vector ``consts[4]``.
DT, DAMPING, CONTACT_FORCE, CONTACT_MARGIN = 0, 1, 2, 3
MOVE_DIM = 5  # no_action, left, right, down, up


@numba.njit(cache=True, inline="always")
def logaddexp0(x: float) -> float:
    """``numpy.logaddexp(0, x)`` with numpy's own branches (so results agree to the last bit)."""
    if x == 0.0:
        return 0.6931471805599453  # ln 2
    tmp = -x
    if tmp > 0.0:
        return math.log1p(math.exp(-tmp))
    return x + math.log1p(math.exp(tmp))


@numba.njit(cache=True, inline="always")
def dist(pos: np.ndarray, b: int, i: int, j: int) -> float:
    """Euclidean distance between entities ``i`` and ``j`` of copy ``b``."""
    dx = pos[b, i, 0] - pos[b, j, 0]
    dy = pos[b, i, 1] - pos[b, j, 1]
    return math.sqrt(dx * dx + dy * dy)


@numba.njit(cache=True)
def _decode_discrete_copy(b: int, actions: np.ndarray, ent: np.ndarray, silent: np.ndarray,
                          accel: np.ndarray, u: np.ndarray, comm: np.ndarray) -> None:
    A = actions.shape[1]
    dim_c = comm.shape[2]
    for i in range(A):
        a = actions[b, i]
        u[b, i, 0] = 0.0
        u[b, i, 1] = 0.0
        if ent[i, MOVABLE] != 0.0:
            m = a % MOVE_DIM
            if m == 1:
                u[b, i, 0] = -1.0
            elif m == 2:
                u[b, i, 0] = 1.0
            elif m == 3:
                u[b, i, 1] = -1.0
            elif m == 4:
                u[b, i, 1] = 1.0
            u[b, i, 0] *= accel[i]
            u[b, i, 1] *= accel[i]
            a = a // MOVE_DIM
        for k in range(dim_c):
            comm[b, i, k] = 0.0
        if not silent[i]:
            comm[b, i, a] = 1.0


@numba.njit(cache=True)
def _decode_continuous_copy(b: int, actions: np.ndarray, ent: np.ndarray, silent: np.ndarray,
                            accel: np.ndarray, u: np.ndarray, comm: np.ndarray) -> None:
    A = actions.shape[1]
    dim_c = comm.shape[2]
    for i in range(A):
        off = 0
        u[b, i, 0] = 0.0
        u[b, i, 1] = 0.0
        if ent[i, MOVABLE] != 0.0:
            # float32 differences, as mpe2 computes them on the float32 action before widening.
            ux = actions[b, i, 2] - actions[b, i, 1]
            uy = actions[b, i, 4] - actions[b, i, 3]
            u[b, i, 0] = np.float64(ux) * accel[i]
            u[b, i, 1] = np.float64(uy) * accel[i]
            off = MOVE_DIM
        for k in range(dim_c):
            comm[b, i, k] = 0.0 if silent[i] else np.float64(actions[b, i, off + k])


@numba.njit(cache=True)
def decode_discrete_serial(actions: np.ndarray, ent: np.ndarray, silent: np.ndarray, accel: np.ndarray,
                           u: np.ndarray, comm: np.ndarray) -> None:
    """Discrete actions ``int64[B, A]`` -> forces ``u[B, A, 2]`` and utterances ``comm``."""
    for b in range(actions.shape[0]):
        _decode_discrete_copy(b, actions, ent, silent, accel, u, comm)


@numba.njit(cache=True, parallel=True)
def decode_discrete_parallel(actions: np.ndarray, ent: np.ndarray, silent: np.ndarray, accel: np.ndarray,
                             u: np.ndarray, comm: np.ndarray) -> None:
    """:func:`decode_discrete_serial` with the batch split over threads."""
    for b in prange(actions.shape[0]):
        _decode_discrete_copy(b, actions, ent, silent, accel, u, comm)


@numba.njit(cache=True)
def decode_continuous_serial(actions: np.ndarray, ent: np.ndarray, silent: np.ndarray, accel: np.ndarray,
                             u: np.ndarray, comm: np.ndarray) -> None:
    """Continuous actions ``float32[B, A, D]`` (already clipped to [0, 1]) -> ``u`` and ``comm``."""
    for b in range(actions.shape[0]):
        _decode_continuous_copy(b, actions, ent, silent, accel, u, comm)


@numba.njit(cache=True, parallel=True)
def decode_continuous_parallel(actions: np.ndarray, ent: np.ndarray, silent: np.ndarray, accel: np.ndarray,
                               u: np.ndarray, comm: np.ndarray) -> None:
    """:func:`decode_continuous_serial` with the batch split over threads."""
    for b in prange(actions.shape[0]):
        _decode_continuous_copy(b, actions, ent, silent, accel, u, comm)


@numba.njit(cache=True)
def physics_copy(b: int, pos: np.ndarray, vel: np.ndarray, u: np.ndarray, force: np.ndarray,
                 ent: np.ndarray, consts: np.ndarray) -> None:
    """One ``World.step`` of copy ``b``: action forces, contact forces, integration."""
    E = pos.shape[1]
    A = u.shape[1]
    for i in range(E):
        if i < A and ent[i, MOVABLE] != 0.0:
            force[b, i, 0] = u[b, i, 0]
            force[b, i, 1] = u[b, i, 1]
        else:
            force[b, i, 0] = 0.0
            force[b, i, 1] = 0.0
    k = consts[CONTACT_MARGIN]
    cf = consts[CONTACT_FORCE]
    for i in range(E):
        if ent[i, COLLIDE] == 0.0:
            continue
        for j in range(i + 1, E):
            if ent[j, COLLIDE] == 0.0 or (ent[i, MOVABLE] == 0.0 and ent[j, MOVABLE] == 0.0):
                continue
            dx = pos[b, i, 0] - pos[b, j, 0]
            dy = pos[b, i, 1] - pos[b, j, 1]
            d = math.sqrt(dx * dx + dy * dy)
            dist_min = ent[i, SIZE] + ent[j, SIZE]
            penetration = logaddexp0(-(d - dist_min) / k) * k
            fx = cf * dx / d * penetration
            fy = cf * dy / d * penetration
            if ent[i, MOVABLE] != 0.0:
                force[b, i, 0] = fx + force[b, i, 0]
                force[b, i, 1] = fy + force[b, i, 1]
            if ent[j, MOVABLE] != 0.0:
                force[b, j, 0] = -fx + force[b, j, 0]
                force[b, j, 1] = -fy + force[b, j, 1]
    dt = consts[DT]
    keep = 1.0 - consts[DAMPING]
    for i in range(E):
        if ent[i, MOVABLE] == 0.0:
            continue
        pos[b, i, 0] += vel[b, i, 0] * dt
        pos[b, i, 1] += vel[b, i, 1] * dt
        vx = vel[b, i, 0] * keep
        vy = vel[b, i, 1] * keep
        mass = ent[i, MASS]
        vx += (force[b, i, 0] / mass) * dt
        vy += (force[b, i, 1] / mass) * dt
        max_speed = ent[i, MAX_SPEED]
        speed = math.sqrt(vx * vx + vy * vy)
        if speed > max_speed:
            vx = vx / speed * max_speed
            vy = vy / speed * max_speed
        vel[b, i, 0] = vx
        vel[b, i, 1] = vy
