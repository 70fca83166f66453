"""Numba kernels of the 2-D engine: rigid-body step and ray-cast lidar over a batch of worlds.

Every body is a *rounded axis-aligned box*: half extents ``half[i] = (hx, hy)`` grown by a
radius ``radius[i]``. A circle is ``half = (0, 0)``, a box is ``radius = 0``. The Minkowski sum of
two such shapes is again one (half extents add, radii add), so a single contact test covers
circle-circle, circle-box and box-box, and static walls are boxes with infinite mass. Boxes do not
rotate (walls, crates and goals are axis-aligned, as in most of Arena's playgrounds); agents carry
an ``angle`` for their heading that the physics ignores.

Shapes (B worlds, N bodies, W walls):

* ``pos``, ``vel``, ``force``: ``[B, N, 2]`` float64; ``active``: ``[B, N]`` bool (dead agents are
  inactive: no collisions, no rays);
* per-body constants ``radius[N]``, ``half[N, 2]``, ``inv_mass[N]`` (0: immovable),
  ``restitution[N]``, ``damping[N]`` (linear friction per second), ``max_speed[N]``, ``is_agent[N]``;
* walls ``wall_pos[W, 2]``, ``wall_half[W, 2]``, ``wall_dead[W]`` (touching kills an agent),
  ``wall_restitution[W]``, ``wall_blocks_agents[W]``, ``wall_blocks_objects[W]``.

Collisions are resolved pair by pair with an impulse along the contact normal (restitution
``min(e_i, e_j)``: 1 is perfectly elastic, 0 is a push) and a positional correction split by
inverse mass, so momentum is conserved exactly by every body-body contact.
"""

from __future__ import annotations

import math

import numba
import numpy as np

# Ray hit kinds, in the order of the lidar one-hot channels (0 means "nothing within range").
HIT_NONE, HIT_WALL, HIT_DEAD_WALL, HIT_TEAMMATE, HIT_OPPONENT, HIT_OBJECT = 0, 1, 2, 3, 4, 5
NUM_HIT_KINDS = 5


@numba.njit(cache=True, inline="always")
def _contact(dx: float, dy: float, hx: float, hy: float, r: float) -> tuple[float, float, float]:
    """Penetration of point (dx, dy) into a rounded box centred at the origin.

    Returns ``(depth, nx, ny)``: depth > 0 means overlap, ``n`` points from the box to the point.
    """
    qx = min(max(dx, -hx), hx)
    qy = min(max(dy, -hy), hy)
    ex = dx - qx
    ey = dy - qy
    dist = math.sqrt(ex * ex + ey * ey)
    if dist > 1e-12:
        return r - dist, ex / dist, ey / dist
    # The point is inside the core box: push out along the axis of least penetration.
    px = hx - abs(dx) + r
    py = hy - abs(dy) + r
    if px < py:
        return px, 1.0 if dx >= 0.0 else -1.0, 0.0
    return py, 0.0, 1.0 if dy >= 0.0 else -1.0


@numba.njit(cache=True)
def _physics_world(b: int, pos: np.ndarray, vel: np.ndarray, force: np.ndarray, active: np.ndarray,
                 radius: np.ndarray, half: np.ndarray, inv_mass: np.ndarray, restitution: np.ndarray,
                 damping: np.ndarray, max_speed: np.ndarray, is_agent: np.ndarray,
                 wall_pos: np.ndarray, wall_half: np.ndarray, wall_dead: np.ndarray,
                 wall_restitution: np.ndarray, wall_blocks_agents: np.ndarray,
                 wall_blocks_objects: np.ndarray, dt: float, substeps: int,
                 touched_dead: np.ndarray) -> None:
    """Advance world ``b`` (see :func:`physics_step`)."""
    n_bodies = pos.shape[1]
    for i in range(n_bodies):
        touched_dead[b, i] = False
    n_walls = wall_pos.shape[0]
    h = dt / substeps
    for _ in range(substeps):
        # Integrate: force, friction, speed limit.
        for i in range(n_bodies):
            if not active[b, i] or inv_mass[i] == 0.0:
                continue
            vx = vel[b, i, 0] + force[b, i, 0] * inv_mass[i] * h
            vy = vel[b, i, 1] + force[b, i, 1] * inv_mass[i] * h
            keep = 1.0 - damping[i] * h
            if keep < 0.0:
                keep = 0.0
            vx *= keep
            vy *= keep
            speed = math.sqrt(vx * vx + vy * vy)
            if speed > max_speed[i]:
                vx *= max_speed[i] / speed
                vy *= max_speed[i] / speed
            vel[b, i, 0] = vx
            vel[b, i, 1] = vy
            pos[b, i, 0] += vx * h
            pos[b, i, 1] += vy * h
        # Body-body contacts.
        for i in range(n_bodies):
            if not active[b, i]:
                continue
            for j in range(i + 1, n_bodies):
                if not active[b, j]:
                    continue
                inv_sum = inv_mass[i] + inv_mass[j]
                if inv_sum == 0.0:
                    continue
                depth, nx, ny = _contact(pos[b, j, 0] - pos[b, i, 0], pos[b, j, 1] - pos[b, i, 1],
                                         half[i, 0] + half[j, 0], half[i, 1] + half[j, 1],
                                         radius[i] + radius[j])
                if depth <= 0.0:
                    continue
                vn = (vel[b, j, 0] - vel[b, i, 0]) * nx + (vel[b, j, 1] - vel[b, i, 1]) * ny
                if vn < 0.0:
                    e = min(restitution[i], restitution[j])
                    impulse = -(1.0 + e) * vn / inv_sum
                    vel[b, i, 0] -= impulse * inv_mass[i] * nx
                    vel[b, i, 1] -= impulse * inv_mass[i] * ny
                    vel[b, j, 0] += impulse * inv_mass[j] * nx
                    vel[b, j, 1] += impulse * inv_mass[j] * ny
                correction = depth / inv_sum
                pos[b, i, 0] -= correction * inv_mass[i] * nx
                pos[b, i, 1] -= correction * inv_mass[i] * ny
                pos[b, j, 0] += correction * inv_mass[j] * nx
                pos[b, j, 1] += correction * inv_mass[j] * ny
        # Body-wall contacts (walls are immovable).
        for i in range(n_bodies):
            if not active[b, i] or inv_mass[i] == 0.0:
                continue
            for w in range(n_walls):
                if is_agent[i] and not wall_blocks_agents[w]:
                    continue
                if not is_agent[i] and not wall_blocks_objects[w]:
                    continue
                depth, nx, ny = _contact(pos[b, i, 0] - wall_pos[w, 0], pos[b, i, 1] - wall_pos[w, 1],
                                         half[i, 0] + wall_half[w, 0], half[i, 1] + wall_half[w, 1],
                                         radius[i])
                if depth <= 0.0:
                    continue
                if wall_dead[w]:
                    touched_dead[b, i] = True
                vn = vel[b, i, 0] * nx + vel[b, i, 1] * ny
                if vn < 0.0:
                    e = min(restitution[i], wall_restitution[w])
                    vel[b, i, 0] -= (1.0 + e) * vn * nx
                    vel[b, i, 1] -= (1.0 + e) * vn * ny
                pos[b, i, 0] += depth * nx
                pos[b, i, 1] += depth * ny


@numba.njit(cache=True)
def physics_step(pos: np.ndarray, vel: np.ndarray, force: np.ndarray, active: np.ndarray,
                 radius: np.ndarray, half: np.ndarray, inv_mass: np.ndarray, restitution: np.ndarray,
                 damping: np.ndarray, max_speed: np.ndarray, is_agent: np.ndarray,
                 wall_pos: np.ndarray, wall_half: np.ndarray, wall_dead: np.ndarray,
                 wall_restitution: np.ndarray, wall_blocks_agents: np.ndarray,
                 wall_blocks_objects: np.ndarray, dt: float, substeps: int,
                 touched_dead: np.ndarray) -> None:
    """Advance every world by ``dt`` seconds in ``substeps`` sub-steps, in place.

    ``touched_dead[B, N]`` is set to whether each body touched a dead wall during the step.
    """
    for b in range(pos.shape[0]):
        _physics_world(b, pos, vel, force, active, radius, half, inv_mass, restitution, damping, max_speed, is_agent,
                       wall_pos, wall_half, wall_dead, wall_restitution, wall_blocks_agents, wall_blocks_objects, dt,
                       substeps, touched_dead)


@numba.njit(cache=True, parallel=True)
def physics_step_parallel(pos: np.ndarray, vel: np.ndarray, force: np.ndarray, active: np.ndarray,
                          radius: np.ndarray, half: np.ndarray, inv_mass: np.ndarray, restitution: np.ndarray,
                          damping: np.ndarray, max_speed: np.ndarray, is_agent: np.ndarray,
                          wall_pos: np.ndarray, wall_half: np.ndarray, wall_dead: np.ndarray,
                          wall_restitution: np.ndarray, wall_blocks_agents: np.ndarray,
                          wall_blocks_objects: np.ndarray, dt: float, substeps: int,
                          touched_dead: np.ndarray) -> None:
    """:func:`physics_step` with the worlds split over numba's threads (the same results)."""
    for b in numba.prange(pos.shape[0]):
        _physics_world(b, pos, vel, force, active, radius, half, inv_mass, restitution, damping, max_speed, is_agent,
                       wall_pos, wall_half, wall_dead, wall_restitution, wall_blocks_agents, wall_blocks_objects, dt,
                       substeps, touched_dead)


@numba.njit(cache=True, inline="always")
def _ray_box(ox: float, oy: float, inv_dx: float, inv_dy: float, flat_x: bool, flat_y: bool,
             cx: float, cy: float, hx: float, hy: float) -> float:
    """Distance along a unit ray (given by its inverse components) to an axis-aligned box, by
    the slab method; -1 when it misses or the origin is inside."""
    tmin = -1e30
    tmax = 1e30
    if flat_x:
        if ox < cx - hx or ox > cx + hx:
            return -1.0
    else:
        t1 = (cx - hx - ox) * inv_dx
        t2 = (cx + hx - ox) * inv_dx
        tmin = min(t1, t2)
        tmax = max(t1, t2)
    if flat_y:
        if oy < cy - hy or oy > cy + hy:
            return -1.0
    else:
        t1 = (cy - hy - oy) * inv_dy
        t2 = (cy + hy - oy) * inv_dy
        tmin = max(tmin, min(t1, t2))
        tmax = min(tmax, max(t1, t2))
    if tmax < tmin or tmin < 0.0:
        return -1.0
    return tmin


@numba.njit(cache=True)
def _lidar_world(b: int, pos: np.ndarray, angle: np.ndarray, active: np.ndarray, radius: np.ndarray,
                 half: np.ndarray, team: np.ndarray, wall_pos: np.ndarray, wall_half: np.ndarray,
                 wall_dead: np.ndarray, n_agents: int, n_rays: int, max_range: float, ray_cos: np.ndarray,
                 ray_sin: np.ndarray, fx: np.ndarray, fy: np.ndarray, cc: np.ndarray, near: np.ndarray,
                 out: np.ndarray, offset: int) -> None:
    """Ray-cast lidar of world ``b`` for its first ``n_agents`` bodies.

    Ray ``k`` leaves each agent's centre at ``ray_cos[k], ray_sin[k]`` relative to its heading
    (:func:`ray_directions`) and ignores the agent itself. Writes, per ray, into
    ``out[b, a, offset + 6 k : offset + 6 k + 6]``: the hit distance / ``max_range`` (1 when nothing
    is within range), then a one-hot of what was hit (wall, dead wall, teammate, opponent,
    object), judged by ``team[N]`` (-1 for objects). Inactive agents get zeros. ``fx, fy, cc,
    near`` are scratch rows ``[N]``."""
    n_bodies = pos.shape[1]
    n_walls = wall_pos.shape[0]
    width = 1 + NUM_HIT_KINDS
    for a in range(n_agents):
        for k in range(n_rays * width):
            out[b, a, offset + k] = 0.0
        if not active[b, a]:
            continue
        ox = pos[b, a, 0]
        oy = pos[b, a, 1]
        for j in range(n_bodies):
            fx[j] = ox - pos[b, j, 0]
            fy[j] = oy - pos[b, j, 1]
            reach = radius[j] + max(half[j, 0], half[j, 1]) * 1.5
            dist2 = fx[j] * fx[j] + fy[j] * fy[j]
            cc[j] = dist2 - radius[j] * radius[j]
            near[j] = j != a and active[b, j] and math.sqrt(dist2) - reach < max_range
        c0 = math.cos(angle[b, a])
        s0 = math.sin(angle[b, a])
        for k in range(n_rays):
            dx = c0 * ray_cos[k] - s0 * ray_sin[k]
            dy = s0 * ray_cos[k] + c0 * ray_sin[k]
            flat_x = abs(dx) < 1e-12
            flat_y = abs(dy) < 1e-12
            inv_dx = 0.0 if flat_x else 1.0 / dx
            inv_dy = 0.0 if flat_y else 1.0 / dy
            best = max_range
            kind = HIT_NONE
            for w in range(n_walls):
                t = _ray_box(ox, oy, inv_dx, inv_dy, flat_x, flat_y, wall_pos[w, 0], wall_pos[w, 1],
                             wall_half[w, 0], wall_half[w, 1])
                if 0.0 <= t < best:
                    best = t
                    kind = HIT_DEAD_WALL if wall_dead[w] else HIT_WALL
            for j in range(n_bodies):
                if not near[j]:
                    continue
                if half[j, 0] > 0.0 or half[j, 1] > 0.0:
                    t = _ray_box(ox, oy, inv_dx, inv_dy, flat_x, flat_y, pos[b, j, 0], pos[b, j, 1],
                                 half[j, 0] + radius[j], half[j, 1] + radius[j])
                else:
                    bb = fx[j] * dx + fy[j] * dy
                    if bb >= 0.0 or cc[j] < 0.0:  # behind the ray, or the origin is inside
                        continue
                    disc = bb * bb - cc[j]
                    if disc < 0.0:
                        continue
                    t = -bb - math.sqrt(disc)
                if 0.0 <= t < best:
                    best = t
                    if team[j] < 0:
                        kind = HIT_OBJECT
                    elif team[j] == team[a]:
                        kind = HIT_TEAMMATE
                    else:
                        kind = HIT_OPPONENT
            out[b, a, offset + k * width] = best / max_range
            if kind != HIT_NONE:
                out[b, a, offset + k * width + kind] = 1.0


@numba.njit(cache=True)
def ray_directions(n_rays: int, fov: float) -> tuple[np.ndarray, np.ndarray]:
    """Cosine and sine ``[R]`` of each ray's angle from the heading: evenly around the circle
    when ``fov >= 2 pi``, else spread over ``fov`` centred on the heading."""
    ray_cos = np.empty(n_rays)
    ray_sin = np.empty(n_rays)
    for k in range(n_rays):
        if fov >= 2.0 * math.pi - 1e-9:
            offset = 2.0 * math.pi * k / n_rays
        elif n_rays == 1:
            offset = 0.0
        else:
            offset = -0.5 * fov + fov * k / (n_rays - 1)
        ray_cos[k] = math.cos(offset)
        ray_sin[k] = math.sin(offset)
    return ray_cos, ray_sin


@numba.njit(cache=True, inline="always")
def _controls_world(b: int, controls: np.ndarray, active: np.ndarray, angle: np.ndarray, vel: np.ndarray,
                    thrust: np.ndarray, turn_rate: np.ndarray, run_speed: np.ndarray, dt: float,
                    force: np.ndarray) -> None:
    for a in range(controls.shape[1]):
        if not active[b, a]:
            force[b, a, 0] = 0.0
            force[b, a, 1] = 0.0
            continue
        angle[b, a] += controls[b, a, 2] * turn_rate[a] * dt
        fwd = controls[b, a, 0]
        side = controls[b, a, 1]
        norm = math.sqrt(fwd * fwd + side * side)
        if norm > 1.0:
            fwd /= norm
            side /= norm
        c = math.cos(angle[b, a])
        s = math.sin(angle[b, a])
        fx = (fwd * c - side * s) * thrust[a]
        fy = (fwd * s + side * c) * thrust[a]
        vx = vel[b, a, 0]
        vy = vel[b, a, 1]
        if vx * vx + vy * vy > run_speed[a] * run_speed[a] and fx * vx + fy * vy > 0.0:
            fx = 0.0
            fy = 0.0
        force[b, a, 0] = fx
        force[b, a, 1] = fy


@numba.njit(cache=True)
def apply_controls(controls: np.ndarray, active: np.ndarray, angle: np.ndarray, vel: np.ndarray,
                   thrust: np.ndarray, turn_rate: np.ndarray, run_speed: np.ndarray, dt: float,
                   force: np.ndarray) -> None:
    """Turn agents and set their thrust from ``controls[B, A, 5]`` (forward, strafe, turn, ...).

    Thrust is along/across the heading, capped at full force; an agent already faster than its
    running speed gets no thrust that would speed it up further (collisions may still)."""
    for b in range(controls.shape[0]):
        _controls_world(b, controls, active, angle, vel, thrust, turn_rate, run_speed, dt, force)


@numba.njit(cache=True, parallel=True)
def apply_controls_parallel(controls: np.ndarray, active: np.ndarray, angle: np.ndarray, vel: np.ndarray,
                            thrust: np.ndarray, turn_rate: np.ndarray, run_speed: np.ndarray, dt: float,
                            force: np.ndarray) -> None:
    """:func:`apply_controls` with the worlds split over numba's threads."""
    for b in numba.prange(controls.shape[0]):
        _controls_world(b, controls, active, angle, vel, thrust, turn_rate, run_speed, dt, force)


@numba.njit(cache=True)
def _observe_world(b: int, pos: np.ndarray, vel: np.ndarray, angle: np.ndarray, active: np.ndarray,
            radius: np.ndarray, half: np.ndarray, body_team: np.ndarray, wall_pos: np.ndarray,
            wall_half: np.ndarray, wall_dead: np.ndarray, n_agents: int, others_idx: np.ndarray,
            others_mask: np.ndarray, zone_pos: np.ndarray, relative: bool, half_extent: np.ndarray,
            diameter: float, speed_scale: float, ammo: np.ndarray, max_ammo: np.ndarray,
            reload: np.ndarray, max_reload: np.ndarray, health: np.ndarray, max_health: np.ndarray,
            n_rays: int, max_range: float, ray_cos: np.ndarray, ray_sin: np.ndarray, fx: np.ndarray,
            fy: np.ndarray, cc: np.ndarray, near: np.ndarray, out: np.ndarray) -> None:
    """Observations of world ``b`` (see :func:`observe`); ``fx, fy, cc, near``: scratch ``[N]``."""
    n_bodies = pos.shape[1]
    n_others = others_idx.shape[1]
    n_zones = zone_pos.shape[0]
    dim = out.shape[2]
    inv_d = 1.0 / diameter
    for a in range(n_agents):
        if not active[b, a]:
            for k in range(dim):
                out[b, a, k] = 0.0
            continue
        c = math.cos(angle[b, a])
        s = math.sin(angle[b, a])
        px = pos[b, a, 0]
        py = pos[b, a, 1]
        vx = vel[b, a, 0]
        vy = vel[b, a, 1]
        o = 0
        out[b, a, 0] = px / half_extent[0]
        out[b, a, 1] = py / half_extent[1]
        if relative:
            out[b, a, 2] = (c * vx + s * vy) * speed_scale
            out[b, a, 3] = (-s * vx + c * vy) * speed_scale
        else:
            out[b, a, 2] = vx * speed_scale
            out[b, a, 3] = vy * speed_scale
        out[b, a, 4] = c
        out[b, a, 5] = s
        out[b, a, 6] = ammo[b, a] / max_ammo[a] if max_ammo[a] > 0 else 0.0
        out[b, a, 7] = reload[b, a] / max_reload[a] if max_reload[a] > 0 else 0.0
        out[b, a, 8] = health[b, a] / max_health[a]
        o = 9
        for k in range(n_others):
            j = others_idx[a, k]
            if not others_mask[a, k] or not active[b, j]:
                for q in range(5):
                    out[b, a, o + q] = 0.0
                o += 5
                continue
            dx = pos[b, j, 0] - px
            dy = pos[b, j, 1] - py
            dvx = vel[b, j, 0]
            dvy = vel[b, j, 1]
            if relative:
                dvx -= vx
                dvy -= vy
                dx, dy = c * dx + s * dy, -s * dx + c * dy
                dvx, dvy = c * dvx + s * dvy, -s * dvx + c * dvy
            out[b, a, o] = dx * inv_d
            out[b, a, o + 1] = dy * inv_d
            out[b, a, o + 2] = dvx * speed_scale
            out[b, a, o + 3] = dvy * speed_scale
            out[b, a, o + 4] = 1.0
            o += 5
        for j in range(n_agents, n_bodies):
            if relative:
                dx = pos[b, j, 0] - px
                dy = pos[b, j, 1] - py
                ox = vel[b, j, 0]
                oy = vel[b, j, 1]
                out[b, a, o] = (c * dx + s * dy) * inv_d
                out[b, a, o + 1] = (-s * dx + c * dy) * inv_d
                out[b, a, o + 2] = (c * ox + s * oy) * speed_scale
                out[b, a, o + 3] = (-s * ox + c * oy) * speed_scale
            else:
                out[b, a, o] = pos[b, j, 0] / half_extent[0]
                out[b, a, o + 1] = pos[b, j, 1] / half_extent[1]
                out[b, a, o + 2] = vel[b, j, 0] * speed_scale
                out[b, a, o + 3] = vel[b, j, 1] * speed_scale
            o += 4
        for z in range(n_zones):
            if relative:
                dx = zone_pos[z, 0] - px
                dy = zone_pos[z, 1] - py
                out[b, a, o] = (c * dx + s * dy) * inv_d
                out[b, a, o + 1] = (-s * dx + c * dy) * inv_d
            else:
                out[b, a, o] = zone_pos[z, 0] / half_extent[0]
                out[b, a, o + 1] = zone_pos[z, 1] / half_extent[1]
            o += 2
        # Everything so far may leave [-1, 1] (speeds, far objects); the lidar cannot.
        for k in range(o):
            v = out[b, a, k]
            if v > 1.0:
                out[b, a, k] = 1.0
            elif v < -1.0:
                out[b, a, k] = -1.0
    if n_rays > 0:
        _lidar_world(b, pos, angle, active, radius, half, body_team, wall_pos, wall_half, wall_dead, n_agents, n_rays,
                     max_range, ray_cos, ray_sin, fx, fy, cc, near, out, dim - n_rays * (1 + NUM_HIT_KINDS))


@numba.njit(cache=True)
def observe(pos: np.ndarray, vel: np.ndarray, angle: np.ndarray, active: np.ndarray,
            radius: np.ndarray, half: np.ndarray, body_team: np.ndarray, wall_pos: np.ndarray,
            wall_half: np.ndarray, wall_dead: np.ndarray, n_agents: int, others_idx: np.ndarray,
            others_mask: np.ndarray, zone_pos: np.ndarray, relative: bool, half_extent: np.ndarray,
            diameter: float, speed_scale: float, ammo: np.ndarray, max_ammo: np.ndarray,
            reload: np.ndarray, max_reload: np.ndarray, health: np.ndarray, max_health: np.ndarray,
            n_rays: int, fov: float, max_range: float, out: np.ndarray) -> None:
    """Every agent's observation vector into ``out[B, A, D]`` (float32, clipped to [-1, 1]).

    Layout: own state (x, y, vx, vy, cos, sin, ammo, reload, health), then per observed other
    agent (dx, dy, dvx, dvy, present), per object (dx, dy, vx, vy), per zone (dx, dy), then the
    lidar (distance + 5-way one-hot per ray). ``relative``: others, objects and zones in the
    agent's own frame (and own velocity too); otherwise world coordinates. Dead agents see zeros.
    """
    ray_cos, ray_sin = ray_directions(n_rays, fov)
    n_bodies = pos.shape[1]
    fx = np.empty(n_bodies)
    fy = np.empty(n_bodies)
    cc = np.empty(n_bodies)
    near = np.empty(n_bodies, dtype=np.bool_)
    for b in range(pos.shape[0]):
        _observe_world(b, pos, vel, angle, active, radius, half, body_team, wall_pos, wall_half, wall_dead, n_agents,
                       others_idx, others_mask, zone_pos, relative, half_extent, diameter, speed_scale, ammo, max_ammo,
                       reload, max_reload, health, max_health, n_rays, max_range, ray_cos, ray_sin, fx, fy, cc, near,
                       out)


@numba.njit(cache=True, parallel=True)
def observe_parallel(pos: np.ndarray, vel: np.ndarray, angle: np.ndarray, active: np.ndarray,
                     radius: np.ndarray, half: np.ndarray, body_team: np.ndarray, wall_pos: np.ndarray,
                     wall_half: np.ndarray, wall_dead: np.ndarray, n_agents: int, others_idx: np.ndarray,
                     others_mask: np.ndarray, zone_pos: np.ndarray, relative: bool, half_extent: np.ndarray,
                     diameter: float, speed_scale: float, ammo: np.ndarray, max_ammo: np.ndarray,
                     reload: np.ndarray, max_reload: np.ndarray, health: np.ndarray, max_health: np.ndarray,
                     n_rays: int, fov: float, max_range: float, out: np.ndarray) -> None:
    """:func:`observe` with the worlds split over numba's threads (scratch rows per world)."""
    ray_cos, ray_sin = ray_directions(n_rays, fov)
    n_worlds, n_bodies = pos.shape[0], pos.shape[1]
    fx = np.empty((n_worlds, n_bodies))
    fy = np.empty((n_worlds, n_bodies))
    cc = np.empty((n_worlds, n_bodies))
    near = np.empty((n_worlds, n_bodies), dtype=np.bool_)
    for b in numba.prange(n_worlds):
        _observe_world(b, pos, vel, angle, active, radius, half, body_team, wall_pos, wall_half, wall_dead, n_agents,
                       others_idx, others_mask, zone_pos, relative, half_extent, diameter, speed_scale, ammo, max_ammo,
                       reload, max_reload, health, max_health, n_rays, max_range, ray_cos, ray_sin, fx[b], fy[b],
                       cc[b], near[b], out)


@numba.njit(cache=True)
def _in_zone(x: float, y: float, zx: float, zy: float, hx: float, hy: float, r: float) -> bool:
    if r > 0.0:
        return (x - zx) * (x - zx) + (y - zy) * (y - zy) <= r * r
    return abs(x - zx) <= hx and abs(y - zy) <= hy


@numba.njit(cache=True)
def rule_deaths(pos: np.ndarray, active: np.ndarray, touched: np.ndarray, health: np.ndarray,
                steps: np.ndarray, leaf: np.ndarray, trig_ptr: np.ndarray, trig_ents: np.ndarray,
                trig_zone: np.ndarray, trig_enter: np.ndarray, trig_kill: np.ndarray, zone_pos: np.ndarray,
                zone_half: np.ndarray, zone_radius: np.ndarray, step_at: np.ndarray, step_kill: np.ndarray,
                direct: np.ndarray) -> bool:
    """The game's rules, applied after the physics: which nodes of the social tree die directly.

    Agents (leaf node ``leaf[a]``) die when they touched a dead wall or their health is empty.
    Zone trigger ``t`` watches bodies ``trig_ents[trig_ptr[t]:trig_ptr[t + 1]]``: when one is
    inside (``trig_enter``) or outside zone ``trig_zone[t]``, node ``trig_kill[t]`` dies, or the
    body's own leaf when ``trig_kill[t] < 0``. Step trigger ``s`` kills ``step_kill[s]`` at episode
    step ``step_at[s]``. Sets ``direct[B, nodes]`` (cleared first); returns whether any died.
    """
    n_worlds = pos.shape[0]
    n_agents = leaf.shape[0]
    anything = False
    for b in range(n_worlds):
        for n in range(direct.shape[1]):
            direct[b, n] = False
        for a in range(n_agents):
            if active[b, a] and (touched[b, a] or health[b, a] <= 0.0):
                direct[b, leaf[a]] = True
                anything = True
        for t in range(trig_zone.shape[0]):
            z = trig_zone[t]
            for k in range(trig_ptr[t], trig_ptr[t + 1]):
                e = trig_ents[k]
                if not active[b, e]:
                    continue
                inside = _in_zone(pos[b, e, 0], pos[b, e, 1], zone_pos[z, 0], zone_pos[z, 1], zone_half[z, 0],
                                  zone_half[z, 1], zone_radius[z])
                if inside == trig_enter[t]:
                    direct[b, leaf[e] if trig_kill[t] < 0 else trig_kill[t]] = True
                    anything = True
        for s in range(step_at.shape[0]):
            if steps[b] == step_at[s]:
                direct[b, step_kill[s]] = True
                anything = True
    return anything
