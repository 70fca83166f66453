"""Physics invariants of the 2-D engine: conservation in elastic collisions, walls, friction,
guns (hits, ammo, reload) and dead walls."""

from __future__ import annotations

import numpy as np
import pytest

from arena.social import Ranking
from games.arena2d.builder import make_batched, make_env
from games.arena2d.physics import physics_step
from games.arena2d.prefabs import agent, dead_wall, duel, gunner
from games.arena2d.spec import GameDef, Gun, Playground


def step_world(pos, vel, radius, mass, *, restitution=1.0, damping=0.0, walls=(), steps=1, dt=0.05,
               half=None, dead=False):
    """Run the kernel on one world of circles (or boxes) with optional static walls."""
    n = len(radius)
    pos = np.array(pos, dtype=np.float64)[None]
    vel = np.array(vel, dtype=np.float64)[None]
    walls = np.array(walls, dtype=np.float64).reshape(-1, 4)
    touched = np.zeros((1, n), dtype=np.bool_)
    ever_touched = np.zeros(n, dtype=np.bool_)
    for _ in range(steps):
        physics_step(pos, vel, np.zeros_like(pos), np.ones((1, n), dtype=np.bool_), np.array(radius, dtype=float),
                     np.zeros((n, 2)) if half is None else np.array(half, dtype=float),
                     1.0 / np.array(mass, dtype=float), np.full(n, restitution), np.full(n, damping),
                     np.full(n, 1e9), np.zeros(n, dtype=np.bool_), walls[:, :2].copy(), walls[:, 2:].copy(),
                     np.full(len(walls), dead, dtype=np.bool_), np.full(len(walls), restitution),
                     np.ones(len(walls), dtype=np.bool_), np.ones(len(walls), dtype=np.bool_), dt, 1, touched)
        ever_touched |= touched[0]
    return pos[0], vel[0], ever_touched


@pytest.mark.parametrize("offset", [0.0, 0.3, 0.7])
def test_elastic_collision_conserves_momentum_and_energy(offset: float) -> None:
    mass = np.array([1.0, 3.0])
    vel0 = np.array([[4.0, 0.0], [-1.0, 0.5]])
    pos, vel, _ = step_world([[-1.0, 0.0], [0.0, offset]], vel0, [0.5, 0.5], mass, steps=20)
    assert np.allclose((mass[:, None] * vel).sum(0), (mass[:, None] * vel0).sum(0))
    assert np.isclose((mass * (vel ** 2).sum(1)).sum(), (mass * (vel0 ** 2).sum(1)).sum())
    assert not np.allclose(vel, vel0), "the bodies must actually have collided"
    assert np.linalg.norm(pos[1] - pos[0]) >= 1.0 - 1e-6


def test_equal_masses_head_on_swap_velocities() -> None:
    _, vel, _ = step_world([[-0.6, 0.0], [0.6, 0.0]], [[2.0, 0.0], [-2.0, 0.0]], [0.5, 0.5], [1.0, 1.0], steps=10)
    assert np.allclose(vel, [[-2.0, 0.0], [2.0, 0.0]])


def test_inelastic_push_moves_box_with_agent_and_conserves_momentum() -> None:
    mass = np.array([1.0, 2.0])
    pos, vel, _ = step_world([[-1.0, 0.0], [0.0, 0.0]], [[3.0, 0.0], [0.0, 0.0]], [0.5, 0.0], mass,
                             restitution=0.0, half=[[0.0, 0.0], [0.5, 0.5]], steps=10)
    assert np.allclose(vel[0], vel[1]), "after a perfectly inelastic push they move together"
    assert np.isclose((mass * vel[:, 0]).sum(), 3.0)
    assert pos[1, 0] > 0.0


def test_walls_stop_bodies_and_bounce_them() -> None:
    wall = [2.0, 0.0, 0.5, 5.0]  # centre x, y, half width, half height
    pos, vel, touched = step_world([[0.0, 0.0]], [[5.0, 0.0]], [0.5], [1.0], restitution=0.0, walls=[wall], steps=40)
    assert pos[0, 0] <= 1.0 + 1e-9 and vel[0, 0] <= 1e-9
    assert not touched[0]
    _, vel, _ = step_world([[0.0, 0.0]], [[5.0, 0.0]], [0.5], [1.0], restitution=1.0, walls=[wall], steps=40)
    assert np.isclose(vel[0, 0], -5.0)
    _, _, touched = step_world([[0.0, 0.0]], [[5.0, 0.0]], [0.5], [1.0], walls=[wall], steps=40, dead=True)
    assert touched[0]


def test_friction_decays_speed_monotonically() -> None:
    speeds = []
    pos, vel = [[0.0, 0.0]], [[4.0, 3.0]]
    for _ in range(10):
        pos, vel, _ = step_world(pos, vel, [0.5], [1.0], damping=2.0, steps=1)
        speeds.append(np.linalg.norm(vel[0]))
    assert all(b < a for a, b in zip(speeds, speeds[1:]))
    assert speeds[-1] < 5.0 * 0.5
    assert np.isclose(speeds[0], 5.0 * (1 - 2.0 * 0.05))


def shooting_game(**gun) -> GameDef:
    return GameDef(
        name="Range-2T1P", playground=Playground(width=20, height=10),
        agents=[gunner("red", -3, 0, 0, gun=Gun(**gun), health=2), agent("blue", 3, 0, 180)],
        tree=duel(["red", "blue"], [Ranking("Survive")]), max_steps=100)


def test_projectiles_hit_damage_and_kill() -> None:
    env = make_env(shooting_game(ammo=5, cooldown_steps=2, speed=20.0))
    env.reset(seed=0)
    attack = env.action_names.index("attack")
    hits = []
    for _ in range(30):
        obs, rewards, term, _, _ = env.step({a: attack if a == "red" else 0 for a in env.agents})
        hits.append(env.game.health[0, 1])
        if not env.agents:
            break
    assert hits[0] == 1.0, "the first shot is still in flight"
    assert min(hits) <= 0.0, "a hit of damage 1 empties blue's single health point"
    assert term["blue"] and rewards["red"] > rewards["blue"]


def test_gun_ammo_cooldown_and_reload() -> None:
    game = make_batched(shooting_game(ammo=2, cooldown_steps=1, reload_steps=5, speed=1.0, lifetime_steps=1),
                        1, autoreset=False)
    game.reset(seed=0)
    attack = game.action_names.index("attack")
    fire = {"red": np.array([attack]), "blue": np.array([0])}
    ammo, cooldown = [], []
    for _ in range(10):
        game.step(fire)
        ammo.append(int(game.ammo[0, 0]))
        cooldown.append(int(game.cooldown[0, 0]))
    # Step 1 fires (ammo 1, cooldown 1), step 2 cools down, step 3 fires the last shot and starts a
    # 5-step reload, so the gun is full again after step 8.
    assert ammo[:3] == [1, 1, 0]
    assert cooldown[:3] == [1, 0, 1]
    assert ammo[3:7] == [0, 0, 0, 0]
    assert ammo[7] == 2


def test_dead_walls_kill_agents_that_touch_them() -> None:
    game = GameDef(name="Hazard-1T2P", playground=Playground(width=10, height=10),
                   agents=[agent("runner", 0, 0, 0), agent("idle", -3, 3, 0)], walls=[dead_wall(3, 0, 1, 10)],
                   tree=duel(["runner", "idle"], [Ranking("Survive")]), max_steps=100)
    env = make_env(game)
    env.reset(seed=0)
    forward = env.action_names.index("forward")
    for _ in range(30):
        _, rewards, term, _, _ = env.step({a: forward if a == "runner" else 0 for a in env.agents})
        if term.get("runner"):
            break
    assert term["runner"] and rewards["idle"] > rewards["runner"]
