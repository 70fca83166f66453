"""The batched 2-D arena engine: ``B`` copies of a game stepped together as arrays.

:class:`Arena2DGame` turns a :class:`~games.arena2d.spec.GameDef` into a
:class:`~arena.env.batched.BatchedParallelGame`. Bodies are stored agents first, then objects:
``pos[B, N, 2]``, ``vel[B, N, 2]``, ``active[B, N]``; agents also have ``angle[B, A]``,
``health[B, A]``, ``ammo[B, A]`` and projectile slots ``proj_pos[B, A, K, 2]``. One step:

1. decode actions (discrete presets or continuous axes) into thrust, turn, attack and blow;
2. fire guns (ammo, cooldown, reload) and blow gusts;
3. the physics kernel (:mod:`games.arena2d.physics`): friction, speed limits, collisions, walls;
4. projectiles fly and hit; triggers fire; dead walls and empty health kill agents;
5. the batched social tree (:mod:`games.arena2d.social`) updates life, death ranks and rewards;
6. observations: own state, others (modes own / team / all, frames relative / absolute),
   objects, zones, ray-cast lidar and an optional top-down image.

Discrete actions (Arena's presets): none, left, right, forward, backward, turn_left, turn_right,
then attack when an agent has a gun and blow when one can blow. Continuous actions are a Box in
[-1, 1]: forward, strafe (left positive), turn (left positive), then attack and blow (> 0 fires).
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
from gymnasium import spaces

from arena.env.batched import BatchedParallelGame
from arena.env.threads import ThreadChoice
from games.arena2d.physics import (
    NUM_HIT_KINDS,
    apply_controls,
    apply_controls_parallel,
    observe,
    observe_parallel,
    physics_step,
    physics_step_parallel,
    rule_deaths,
)
from games.arena2d.social import BatchedTree, StepInputs
from games.arena2d.spec import GameDef, GameDefinitionError, validate

MOVE_ACTIONS = ("none", "left", "right", "forward", "backward", "turn_left", "turn_right")
# Rows: forward, strafe (left +), turn (left +), attack, blow.
_MOVE_TABLE = np.array([
    [0, 0, 0], [0, 1, 0], [0, -1, 0], [1, 0, 0], [-1, 0, 0], [0, 0, 1], [0, 0, -1],
], dtype=np.float64)
OWN_FEATURES = ("x", "y", "vx", "vy", "cos", "sin", "ammo", "reload", "health")
OTHER_FEATURES = 5  # dx, dy, dvx, dvy, alive
OBJECT_FEATURES = 4  # dx, dy, vx, vy
ZONE_FEATURES = 2  # dx, dy
IMAGE_CHANNELS = ("walls", "self", "teammates", "opponents", "objects")
PROJECTILE_SLOTS = 4


class Arena2DGame(BatchedParallelGame):
    """``num_envs`` copies of a 2-D game (see the module docstring for the step).

    ``autoreset``: copies whose episode ended are reset at the end of :meth:`step` (the returned
    observations are then the new episode's, and ``infos[agent]["final_observation"]`` holds the
    ``[B, ...]`` observations from before the reset); the PettingZoo view leaves it off.
    ``track_terms``: keep the per-node reward terms of the last step in ``self.reward_terms``
    ``[B, nodes, A]`` (the view reports them in ``infos[agent]["reward_terms"]``).
    ``num_threads``: split the copies over this many numba threads (``prange``; 1 runs the serial
    kernels). With threads, the serial and threaded kernels (identical results) are timed now and
    then and the faster one runs (:class:`arena.env.threads.ThreadChoice`), so a busy machine never
    makes threads much slower than one.
    """

    # (controls, physics, observation) kernels: [serial, threaded].
    _KERNELS = ((apply_controls, physics_step, observe),
                (apply_controls_parallel, physics_step_parallel, observe_parallel))

    def __init__(self, game: GameDef, num_envs: int = 1, *, autoreset: bool = False,
                 track_terms: bool = False, num_threads: int = 1) -> None:
        super().__init__(num_envs)
        self.threads = ThreadChoice(num_threads, f"game '{game.name}'")
        self.num_threads = self.threads.num_threads
        self.tree = validate(game)
        self.game = game
        self.metadata = {"render_modes": ["ansi", "human", "rgb_array"], "name": game.name,
                         "render_fps": round(1.0 / game.dt)}
        self.autoreset = autoreset
        self.track_terms = track_terms
        self.possible_agents = self.tree.agents
        by_name = {a.name: a for a in game.agents}
        self.agent_defs = [by_name[name] for name in self.possible_agents]
        self.object_defs = list(game.bodies)
        self.num_agents = len(self.agent_defs)
        self.num_objects = len(self.object_defs)
        self.num_bodies = self.num_agents + self.num_objects
        self.dt = float(game.dt)
        self.substeps = int(game.substeps)
        self.max_steps = int(game.max_steps)
        self.continuous = game.actions == "continuous"
        self._build_bodies()
        self._build_walls()
        self._build_zones()
        entities = {a.name: i for i, a in enumerate(self.agent_defs)}
        entities.update({b.name: self.num_agents + i for i, b in enumerate(self.object_defs)})
        entities.update({z.name: self.num_bodies + i for i, z in enumerate(game.zones)})
        self.entities = entities
        try:
            self.social = BatchedTree(self.tree, entities, self.num_envs, continuous=self.continuous,
                                      where=f"game '{game.name}': tree")
        except ValueError as exc:
            raise GameDefinitionError(str(exc)) from None
        # A team is a top-level subtree: teammates share the first id of their path.
        self.team = np.array([self.tree.leaf_of(a)[0] for a in self.possible_agents], dtype=np.int64)
        self.body_team = np.concatenate([self.team, np.full(self.num_objects, -1, dtype=np.int64)])
        self._build_triggers()
        self._build_actions()
        self._build_observation()
        self._allocate_state()
        self._seed_source = np.random.default_rng()
        self.reset_count = 0

    def set_num_threads(self, num_threads: int) -> None:
        """Split the copies over ``num_threads`` numba threads from the next step on (1: serial)."""
        self.threads = ThreadChoice(num_threads, f"game '{self.game.name}'")
        self.num_threads = self.threads.num_threads

    # -- construction -----------------------------------------------------------------------

    def _build_bodies(self) -> None:
        A, M = self.num_agents, self.num_objects
        n = A + M
        self.radius = np.zeros(n)
        self.half = np.zeros((n, 2))
        self.inv_mass = np.zeros(n)
        self.restitution = np.zeros(n)
        self.damping = np.zeros(n)
        self.max_speed = np.zeros(n)
        self.is_agent = np.zeros(n, dtype=np.bool_)
        self.is_agent[:A] = True
        for i, a in enumerate(self.agent_defs):
            self.radius[i] = a.radius
            self.inv_mass[i] = 1.0 / a.mass
            self.restitution[i] = a.restitution
            self.damping[i] = a.damping
            # Collisions may knock an agent faster than it can run; allow twice its top speed.
            self.max_speed[i] = 2.0 * a.max_speed
        for k, b in enumerate(self.object_defs):
            i = A + k
            if b.shape == "ball":
                self.radius[i] = b.radius
            else:
                self.half[i] = (b.width / 2.0, b.height / 2.0)
            self.inv_mass[i] = 1.0 / b.mass
            self.restitution[i] = b.restitution
            self.damping[i] = b.damping
            self.max_speed[i] = b.max_speed
        self.run_speed = np.array([a.max_speed for a in self.agent_defs])
        self.thrust = np.array([a.force for a in self.agent_defs])
        self.turn_rate = np.radians([a.turn_rate for a in self.agent_defs])
        self.max_health = np.array([a.health for a in self.agent_defs])
        self.start_pos = np.array([[a.x, a.y] for a in self.agent_defs] + [[b.x, b.y] for b in self.object_defs],
                                  dtype=np.float64).reshape(n, 2)
        self.start_angle = np.radians([a.angle for a in self.agent_defs])
        self.spawn_jitter = np.array([a.spawn_jitter for a in self.agent_defs] + [b.spawn_jitter for b in self.object_defs])
        self.angle_jitter = np.radians([a.angle_jitter for a in self.agent_defs])
        self.serve_speed = np.array([b.speed for b in self.object_defs])
        self.serve_dir = np.radians([b.direction for b in self.object_defs])
        self.serve_jitter = np.radians([b.direction_jitter for b in self.object_defs])
        # Guns: agents without one get zero ammo and never fire.
        self.has_gun = np.array([a.gun is not None for a in self.agent_defs])
        gun = [a.gun for a in self.agent_defs]
        self.gun_ammo = np.array([g.ammo if g else 0 for g in gun], dtype=np.int64)
        self.gun_reload = np.array([g.reload_steps if g else 0 for g in gun], dtype=np.int64)
        self.gun_cooldown = np.array([g.cooldown_steps if g else 0 for g in gun], dtype=np.int64)
        self.gun_speed = np.array([g.speed if g else 0.0 for g in gun])
        self.gun_damage = np.array([g.damage if g else 0.0 for g in gun])
        self.gun_life = np.array([g.lifetime_steps if g else 0 for g in gun], dtype=np.int64)
        self.gun_radius = np.array([g.radius if g else 0.0 for g in gun])
        self.friendly_fire = np.array([g.friendly_fire if g else False for g in gun])
        self.has_blow = np.array([a.blow is not None for a in self.agent_defs])
        blow = [a.blow for a in self.agent_defs]
        self.blow_strength = np.array([b.strength if b else 0.0 for b in blow])
        self.blow_range = np.array([b.range if b else 1.0 for b in blow])
        self.blow_cos = np.cos(np.radians([b.cone if b else 0.0 for b in blow]))

    def _build_walls(self) -> None:
        pg = self.game.playground
        walls: list[tuple[float, float, float, float, bool, str, float]] = []
        if pg.border != "none":
            t = pg.border_thickness
            w2, h2 = pg.width / 2.0, pg.height / 2.0
            dead = pg.border == "dead"
            r = pg.border_restitution
            walls += [(0.0, h2 + t / 2, pg.width + 2 * t, t, dead, "all", r),
                      (0.0, -h2 - t / 2, pg.width + 2 * t, t, dead, "all", r),
                      (-w2 - t / 2, 0.0, t, pg.height, dead, "all", r),
                      (w2 + t / 2, 0.0, t, pg.height, dead, "all", r)]
        walls += [(w.x, w.y, w.width, w.height, w.dead, w.blocks, w.restitution) for w in self.game.walls]
        self.wall_pos = np.array([[w[0], w[1]] for w in walls], dtype=np.float64).reshape(-1, 2)
        self.wall_half = np.array([[w[2] / 2, w[3] / 2] for w in walls], dtype=np.float64).reshape(-1, 2)
        self.wall_dead = np.array([w[4] for w in walls], dtype=np.bool_)
        self.wall_blocks_agents = np.array([w[5] in ("all", "agents") for w in walls], dtype=np.bool_)
        self.wall_blocks_objects = np.array([w[5] in ("all", "objects") for w in walls], dtype=np.bool_)
        self.wall_restitution = np.array([w[6] for w in walls], dtype=np.float64)
        self.half_extent = np.array([pg.width / 2.0, pg.height / 2.0])
        self.diameter = float(math.hypot(pg.width, pg.height))

    def _build_zones(self) -> None:
        zones = self.game.zones
        self.zone_index = {z.name: i for i, z in enumerate(zones)}
        self.zone_pos = np.array([[z.x, z.y] for z in zones], dtype=np.float64).reshape(-1, 2)
        self.zone_half = np.array([[z.width / 2, z.height / 2] for z in zones], dtype=np.float64).reshape(-1, 2)
        self.zone_radius = np.array([z.radius for z in zones], dtype=np.float64)

    def _build_triggers(self) -> None:
        tree = self.tree
        node_of = {tree.info(p).path_str: self.social.index[p] for p in tree.preorder()}
        node_of.update({a: self.social.leaf[i] for i, a in enumerate(self.possible_agents)})
        self.zone_triggers: list[tuple[np.ndarray, str, bool, int]] = []
        self.step_triggers: list[tuple[int, int]] = []
        for t in self.game.triggers:
            kill = -1 if t.kill == "self" else int(node_of[t.kill])
            if t.when == "step":
                self.step_triggers.append((t.step, kill))
                continue
            if t.entity == "agents":
                ents = np.arange(self.num_agents)
            elif t.entity in self.entities and self.entities[t.entity] < self.num_bodies:
                ents = np.array([self.entities[t.entity]])
            else:  # a node path: any agent below it
                path = tree.find(t.entity)
                below = set(tree.agents_below(path))
                ents = np.array([i for i, a in enumerate(self.possible_agents) if a in below])
            self.zone_triggers.append((ents, t.zone, t.when == "enter", kill))
        # Flat arrays for the rules kernel (trigger t watches trig_ents[trig_ptr[t]:trig_ptr[t+1]]).
        zt = self.zone_triggers
        self.trig_ptr = np.cumsum([0] + [len(e) for e, _, _, _ in zt]).astype(np.int64)
        self.trig_ents = np.concatenate([e for e, _, _, _ in zt] + [np.zeros(0, dtype=np.int64)]).astype(np.int64)
        self.trig_zone = np.array([self.zone_index[z] for _, z, _, _ in zt], dtype=np.int64)
        self.trig_enter = np.array([enter for _, _, enter, _ in zt], dtype=np.bool_)
        self.trig_kill = np.array([kill for _, _, _, kill in zt], dtype=np.int64)
        self.step_at = np.array([at for at, _ in self.step_triggers], dtype=np.int64)
        self.step_kill = np.array([kill for _, kill in self.step_triggers], dtype=np.int64)

    def _build_actions(self) -> None:
        names = list(MOVE_ACTIONS)
        rows = [list(r) + [0.0, 0.0] for r in _MOVE_TABLE]
        self.uses_gun = bool(self.has_gun.any())
        self.uses_blow = bool(self.has_blow.any())
        if self.uses_gun:
            names.append("attack")
            rows.append([0, 0, 0, 1, 0])
        if self.uses_blow:
            names.append("blow")
            rows.append([0, 0, 0, 0, 1])
        self.action_names = tuple(names)
        self.action_table = np.array(rows, dtype=np.float64)
        if self.continuous:
            dims = 3 + int(self.uses_gun) + int(self.uses_blow)
            self._action_space = spaces.Box(-1.0, 1.0, shape=(dims,), dtype=np.float32)
        else:
            self._action_space = spaces.Discrete(len(names))

    def _build_observation(self) -> None:
        cfg = self.game.observation
        self.relative = cfg.frame == "relative"
        A = self.num_agents
        others: list[list[int]] = []
        for i in range(A):
            mates = [j for j in range(A) if j != i and self.team[j] == self.team[i]]
            foes = [j for j in range(A) if self.team[j] != self.team[i]]
            others.append([] if cfg.others == "own" else mates if cfg.others == "team" else mates + foes)
        k = max((len(o) for o in others), default=0)
        self.others_idx = np.zeros((A, k), dtype=np.int64)
        self.others_mask = np.zeros((A, k), dtype=bool)
        for i, o in enumerate(others):
            self.others_idx[i, :len(o)] = o
            self.others_mask[i, :len(o)] = True
        self.num_others = k
        self.lidar_rays = cfg.lidar_rays
        self.lidar_fov = math.radians(cfg.lidar_fov)
        self.lidar_range = float(cfg.lidar_range)
        self.image_size = cfg.image_size
        self.vector_size = (len(OWN_FEATURES) + k * OTHER_FEATURES + self.num_objects * OBJECT_FEATURES
                            + len(self.zone_index) * ZONE_FEATURES + self.lidar_rays * (1 + NUM_HIT_KINDS))
        vector = spaces.Box(-1.0, 1.0, shape=(self.vector_size,), dtype=np.float32)
        if self.image_size:
            image = spaces.Box(0.0, 1.0, shape=(len(IMAGE_CHANNELS), self.image_size, self.image_size),
                               dtype=np.float32)
            self._obs_space: spaces.Space = spaces.Dict({"vector": vector, "image": image})
            self._wall_image = self._rasterize_walls()
        else:
            self._obs_space = vector
        # Speeds are normalised by the fastest agent's top speed (then clipped to [-1, 1]).
        self.speed_scale = 1.0 / (2.0 * float(self.run_speed.max()))

    def _allocate_state(self) -> None:
        B, A, N = self.num_envs, self.num_agents, self.num_bodies
        self.pos = np.zeros((B, N, 2))
        self.vel = np.zeros((B, N, 2))
        self.angle = np.zeros((B, A))
        self.active = np.ones((B, N), dtype=np.bool_)
        self.health = np.zeros((B, A))
        self.ammo = np.zeros((B, A), dtype=np.int64)
        self.cooldown = np.zeros((B, A), dtype=np.int64)
        self.reload = np.zeros((B, A), dtype=np.int64)
        self.proj_pos = np.zeros((B, A, PROJECTILE_SLOTS, 2))
        self.proj_vel = np.zeros((B, A, PROJECTILE_SLOTS, 2))
        self.proj_ttl = np.zeros((B, A, PROJECTILE_SLOTS), dtype=np.int64)
        self.steps = np.zeros(B, dtype=np.int64)
        self.touched = np.zeros((B, N), dtype=np.bool_)
        self.force = np.zeros((B, N, 2))
        self._direct = np.zeros((B, len(self.social.paths)), dtype=np.bool_)
        self.reward_terms = np.zeros((B, len(self.social.paths), A))
        self.last_rewards = np.zeros((B, A))

    # -- spaces ---------------------------------------------------------------------------

    @functools.cache  # noqa: B019 - one space object per agent, as PettingZoo asks
    def observation_space(self, agent: str) -> spaces.Space:
        return self._obs_space

    @functools.cache  # noqa: B019
    def action_space(self, agent: str) -> spaces.Space:
        return self._action_space

    # -- reset ------------------------------------------------------------------------------

    def reset(self, seed: int | list[int] | None = None) -> dict[str, np.ndarray]:
        """Reset every copy. ``seed``: an int (copy i uses ``seed + i``), a list of one seed per
        copy, or None (fresh randomness). Returns ``{agent: obs[B, ...]}``."""
        B = self.num_envs
        if seed is None:
            seeds = self._seed_source.integers(0, 2**63 - 1, size=B)
        elif isinstance(seed, int | np.integer):
            self._seed_source = np.random.default_rng(int(seed))
            seeds = np.arange(B, dtype=np.int64) + int(seed)
        else:
            seeds = np.asarray(list(seed), dtype=np.int64)
            if seeds.shape != (B,):
                raise ValueError(f"reset(seed=[...]) needs one seed per copy ({B}), got {seeds.shape[0]}")
            self._seed_source = np.random.default_rng(int(seeds[0]))
        self._reset_copies(np.arange(B), seeds)
        return self._observe()

    def _reset_copies(self, idx: np.ndarray, seeds: np.ndarray) -> None:
        """Put copies ``idx`` back at the start, each drawing its spawn noise from its seed."""
        A, M = self.num_agents, self.num_objects
        draws = 3 * (A + M)
        noise = np.stack([np.random.default_rng(int(s)).random(draws) for s in seeds]) * 2.0 - 1.0
        jitter = noise[:, :2 * (A + M)].reshape(len(idx), A + M, 2) * self.spawn_jitter[None, :, None]
        self.pos[idx] = self.start_pos[None] + jitter
        self.vel[idx] = 0.0
        self.angle[idx] = self.start_angle[None] + noise[:, 2 * (A + M):2 * (A + M) + A] * self.angle_jitter[None]
        if M:
            serve = self.serve_dir[None] + noise[:, 2 * (A + M) + A:2 * (A + M) + A + M] * self.serve_jitter[None]
            self.vel[idx, A:, 0] = np.cos(serve) * self.serve_speed[None]
            self.vel[idx, A:, 1] = np.sin(serve) * self.serve_speed[None]
        self.active[idx] = True
        self.health[idx] = self.max_health[None]
        self.ammo[idx] = self.gun_ammo[None]
        self.cooldown[idx] = 0
        self.reload[idx] = 0
        self.proj_ttl[idx] = 0
        self.steps[idx] = 0
        mask = np.zeros(self.num_envs, dtype=bool)
        mask[idx] = True
        self.social.reset(mask)
        self.reset_count += len(idx)

    # -- step -------------------------------------------------------------------------------

    def _decode(self, actions: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """``([B, A, 5] controls: forward, strafe, turn, attack, blow; raw actions for shaping)``."""
        B, A = self.num_envs, self.num_agents
        if self.continuous:
            raw = np.empty((B, A, self._action_space.shape[0]))
            for i, agent in enumerate(self.possible_agents):
                raw[:, i] = np.asarray(actions[agent], dtype=np.float64).reshape(B, -1)
            controls = np.zeros((B, A, 5))
            controls[..., :3] = np.clip(raw[..., :3], -1.0, 1.0)
            extra = 3
            if self.uses_gun:
                controls[..., 3] = raw[..., extra] > 0.0
                extra += 1
            if self.uses_blow:
                controls[..., 4] = raw[..., extra] > 0.0
            return controls, raw
        raw = np.empty((B, A), dtype=np.int64)
        for i, agent in enumerate(self.possible_agents):
            raw[:, i] = actions[agent]
        if raw.min() < 0 or raw.max() >= len(self.action_names):
            raise ValueError(f"{self.game.name}: discrete actions are 0..{len(self.action_names) - 1} "
                             f"({', '.join(self.action_names)}), got {int(raw.min())}..{int(raw.max())}")
        return self.action_table[raw], raw

    def step(self, actions: dict[str, np.ndarray]) -> tuple[
        dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray], dict[str, Any],
    ]:
        """Step every copy with ``{agent: action[B]}`` (or ``[B, D]`` continuous); returns
        ``(obs, rewards[B], terminations[B], truncations[B], infos)`` keyed by agent."""
        missing = [a for a in self.possible_agents if a not in actions]
        if missing:
            raise ValueError(f"{self.game.name}: step() needs an action for every agent; missing {', '.join(missing)}")
        A = self.num_agents
        controls, raw = self._decode(actions)
        threaded = self.threads.begin()
        apply_controls_kernel, physics_kernel, _ = self._KERNELS[threaded]
        social = self.social
        alive_before = social.alive.copy()
        points_before = self._points() if social.needs_points else None

        # Thrust in the agent's frame, capped at full force; turning is direct.
        apply_controls_kernel(controls, self.active, self.angle, self.vel, self.thrust, self.turn_rate,
                              self.run_speed, self.dt, self.force)
        if self.uses_gun or self.uses_blow:
            c, s = np.cos(self.angle), np.sin(self.angle)
        if self.uses_gun:
            self._fire(controls[..., 3] > 0.5, c, s)
        if self.uses_blow:
            self._blow(controls[..., 4] > 0.5, c, s)

        physics_kernel(self.pos, self.vel, self.force, self.active, self.radius, self.half, self.inv_mass,
                       self.restitution, self.damping, self.max_speed, self.is_agent, self.wall_pos,
                       self.wall_half, self.wall_dead, self.wall_restitution, self.wall_blocks_agents,
                       self.wall_blocks_objects, self.dt, self.substeps, self.touched)
        self.steps += 1

        # Who dies this step: timeouts first (their own event), then everything the world did.
        social.begin_step(self.steps)
        if self.uses_gun:
            self._fly_projectiles()
        if rule_deaths(self.pos, self.active, self.touched, self.health, self.steps, social.leaf, self.trig_ptr,
                       self.trig_ents, self.trig_zone, self.trig_enter, self.trig_kill, self.zone_pos,
                       self.zone_half, self.zone_radius, self.step_at, self.step_kill, self._direct):
            social.event(self._direct, record=True)
        at_limit = self.steps >= self.max_steps
        truncated_env = None
        if at_limit.any():
            truncated_env = at_limit & social.alive[:, 0]
            leaf_alive_pre_finish = social.alive[:, social.leaf]
            social.finish(truncated_env)

        headings = np.stack([np.cos(self.angle), np.sin(self.angle)], axis=-1) if social.needs_headings else None
        inputs = StepInputs(points_before, self._points() if social.needs_points else None, headings, raw,
                            self._inside_entity, engine=self)
        terms = None
        if self.track_terms:
            self.reward_terms[:] = 0.0
            terms = self.reward_terms
        rewards = social.rewards(alive_before, inputs, terms)
        self.last_rewards = rewards

        leaf_alive = social.alive[:, social.leaf]
        self.active[:, :A] = leaf_alive
        if truncated_env is None:
            truncated = np.zeros_like(leaf_alive)
            terminated = ~leaf_alive
        else:
            truncated = truncated_env[:, None] & leaf_alive_pre_finish
            terminated = ~leaf_alive & ~truncated
        done = social.over.copy()
        infos: dict[str, Any] = {a: {} for a in self.possible_agents}
        if self.autoreset and done.any():
            # The ended copies' last observations, before the reset replaces them: what a learner
            # bootstraps from at a time limit (gymnasium's vector-env convention).
            idx = np.flatnonzero(done)
            if self.image_size:
                final = self._observe(threaded=threaded)
            else:  # observe just the ended copies; the others' rows are filled in below
                ended = self._observe(idx, threaded=threaded)
                final = {a: np.empty((self.num_envs, self.vector_size), np.float32) for a in self.possible_agents}
                for a in self.possible_agents:
                    final[a][idx] = ended[a]
            self._reset_copies(idx, self._seed_source.integers(0, 2**63 - 1, size=len(idx)))
        obs = self._observe(threaded=threaded)
        self.threads.end()
        if self.autoreset and done.any():
            for a in self.possible_agents:
                if not self.image_size:
                    final[a][~done] = obs[a][~done]  # copies that go on: their last view is the current one
                infos[a]["final_observation"] = final[a]
        rew = {a: rewards[:, i] for i, a in enumerate(self.possible_agents)}
        term = {a: terminated[:, i] for i, a in enumerate(self.possible_agents)}
        trunc = {a: truncated[:, i] for i, a in enumerate(self.possible_agents)}
        return obs, rew, term, trunc, infos

    def _fire(self, want: np.ndarray, c: np.ndarray, s: np.ndarray) -> None:
        """Guns: fire where wanted, loaded and cooled down, into a free projectile slot."""
        ready = want & self.active[:, :self.num_agents] & (self.ammo > 0) & (self.cooldown == 0)
        slot = np.argmin(self.proj_ttl, axis=2)
        free = np.take_along_axis(self.proj_ttl, slot[..., None], axis=2)[..., 0] == 0
        fire = ready & free
        self.cooldown = np.where(fire, self.gun_cooldown[None], np.maximum(self.cooldown - 1, 0))
        reloading = self.reload > 0
        self.reload = np.where(reloading, self.reload - 1, self.reload)
        refilled = reloading & (self.reload == 0)
        self.ammo = np.where(refilled, self.gun_ammo[None], self.ammo)
        if not fire.any():
            return
        self.ammo = self.ammo - fire
        emptied = fire & (self.ammo == 0)
        self.reload = np.where(emptied, self.gun_reload[None], self.reload)
        self.ammo = np.where(emptied & (self.gun_reload[None] == 0), self.gun_ammo[None], self.ammo)
        b, a = np.nonzero(fire)
        k = slot[b, a]
        heading = np.stack([c[b, a], s[b, a]], axis=-1)
        muzzle = self.radius[a] + self.gun_radius[a] + 1e-3
        self.proj_pos[b, a, k] = self.pos[b, a] + heading * muzzle[:, None]
        self.proj_vel[b, a, k] = heading * self.gun_speed[a][:, None]
        self.proj_ttl[b, a, k] = self.gun_life[a]

    def _fly_projectiles(self) -> None:
        """Move projectiles along their segment this step; hits damage agents; walls and objects
        stop them."""
        live = self.proj_ttl > 0
        if not live.any():
            return
        A = self.num_agents
        start = self.proj_pos
        seg = self.proj_vel * self.dt
        end = start + seg
        # Closest approach of each projectile segment [B, A, K] to each agent [B, T].
        rel = self.pos[:, None, None, :A, :] - start[:, :, :, None, :]
        seg_len2 = np.maximum((seg ** 2).sum(-1), 1e-12)[..., None]
        t = np.clip((rel * seg[:, :, :, None, :]).sum(-1) / seg_len2, 0.0, 1.0)
        closest = start[:, :, :, None, :] + t[..., None] * seg[:, :, :, None, :]
        d2 = ((self.pos[:, None, None, :A, :] - closest) ** 2).sum(-1)
        reach = (self.radius[:A][None, :] + self.gun_radius[:, None])[None, :, None, :]  # [1, owner, 1, target]
        can_hit = ~np.eye(A, dtype=bool) & ((self.team[:, None] != self.team[None, :]) | self.friendly_fire[:, None])
        hit = (d2 <= reach ** 2) & live[..., None] & self.active[:, None, None, :A] & can_hit[None, :, None, :]
        damage = (hit * self.gun_damage[None, :, None, None]).sum(axis=(1, 2))
        self.health -= damage
        stopped = hit.any(-1)
        if self.num_objects:
            rel_o = self.pos[:, None, None, A:, :] - end[:, :, :, None, :]
            reach_o = (np.maximum(self.radius[A:], self.half[A:].max(-1)) + 0.1)[None, None, None, :]
            stopped |= (((rel_o ** 2).sum(-1) <= reach_o ** 2) & self.active[:, None, None, A:]).any(-1)
        if len(self.wall_pos):
            blocks = self.wall_blocks_objects
            inside = (np.abs(end[..., None, :] - self.wall_pos[blocks]) <= self.wall_half[blocks]).all(-1)
            stopped |= inside.any(-1)
        self.proj_pos = end
        self.proj_ttl = np.where(live & ~stopped, self.proj_ttl - 1, 0)

    def _blow(self, want: np.ndarray, c: np.ndarray, s: np.ndarray) -> None:
        """Blow gusts: push objects in the cone in front of each blowing agent."""
        A = self.num_agents
        want = want & self.active[:, :A] & self.has_blow[None]
        if not want.any() or not self.num_objects:
            return
        d = self.pos[:, None, A:, :] - self.pos[:, :A, None, :]  # [B, A, M, 2]
        dist = np.sqrt((d ** 2).sum(-1))
        unit = d / np.maximum(dist, 1e-9)[..., None]
        facing = unit[..., 0] * c[..., None] + unit[..., 1] * s[..., None]
        rng = self.blow_range[None, :, None]
        inside = want[..., None] & (dist < rng) & (facing >= self.blow_cos[None, :, None]) & self.active[:, None, A:]
        push = inside * self.blow_strength[None, :, None] * (1.0 - dist / rng)
        self.vel[:, A:] += (push[..., None] * unit).sum(axis=1) * self.inv_mass[None, A:, None]

    # -- geometry helpers ---------------------------------------------------------------------

    def _inside(self, points: np.ndarray, zone: str) -> np.ndarray:
        """``points[..., 2]`` inside the named zone -> bool ``[...]``."""
        z = self.zone_index[zone]
        d = points - self.zone_pos[z]
        if self.zone_radius[z] > 0:
            return (d ** 2).sum(-1) <= self.zone_radius[z] ** 2
        return (np.abs(d) <= self.zone_half[z]).all(-1)

    def _inside_entity(self, entity: int, zone: str) -> np.ndarray:
        points = self._points()
        return self._inside(points[:, entity], zone) & (self.active[:, entity] if entity < self.num_bodies else True)

    def inside_zone(self, zone: str, position: np.ndarray) -> bool:
        """Whether a point is inside a named zone (``InZone`` on a single env uses this)."""
        if zone not in self.zone_index:
            raise ValueError(f"{self.game.name}: no zone {zone!r}; zones are {', '.join(self.zone_index)}")
        return bool(self._inside(np.asarray(position, dtype=np.float64), zone))

    def _points(self) -> np.ndarray:
        """``[B, N + Z, 2]``: body positions then zone centres (the entities schemes name)."""
        if not len(self.zone_pos):
            return self.pos.copy()
        zones = np.broadcast_to(self.zone_pos[None], (self.num_envs,) + self.zone_pos.shape)
        return np.concatenate([self.pos, zones], axis=1)

    def positions(self, index: int = 0) -> dict[str, np.ndarray]:
        """Entity name -> position ``[2]`` in copy ``index`` (agents, objects, zone centres)."""
        points = self._points()[index]
        return {name: points[i].copy() for name, i in self.entities.items()}

    # -- observations ---------------------------------------------------------------------------

    def _observe(self, rows: np.ndarray | None = None, threaded: bool | None = None) -> dict[str, np.ndarray]:
        """``{agent: obs[B, ...]}`` from the observation kernel (see :func:`physics.observe`);
        with ``rows``, only those copies' (``[len(rows), ...]``). ``threaded``: which kernel
        (default: the one :attr:`threads` uses now)."""
        if threaded is None:
            threaded = self.threads.current()
        observe_kernel = self._KERNELS[threaded][2]
        def per_copy(a: np.ndarray) -> np.ndarray:
            return a if rows is None else a[rows]

        count = self.num_envs if rows is None else len(rows)
        vector = np.empty((count, self.num_agents, self.vector_size), dtype=np.float32)
        observe_kernel(per_copy(self.pos), per_copy(self.vel), per_copy(self.angle), per_copy(self.active), self.radius,
                self.half, self.body_team, self.wall_pos, self.wall_half, self.wall_dead, self.num_agents,
                self.others_idx, self.others_mask, self.zone_pos, self.relative, self.half_extent, self.diameter,
                self.speed_scale, per_copy(self.ammo), self.gun_ammo, per_copy(self.reload), self.gun_reload,
                per_copy(self.health), self.max_health, self.lidar_rays, self.lidar_fov, self.lidar_range, vector)
        if not self.image_size:
            return {a: vector[:, i] for i, a in enumerate(self.possible_agents)}
        if rows is not None:
            raise ValueError("observing selected copies covers vector observations only")
        images = self._images()
        return {a: {"vector": vector[:, i], "image": images[:, i]} for i, a in enumerate(self.possible_agents)}

    def _cells(self, points: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
        """Grid cell (row, col) of world points on a ``size`` x ``size`` top-down grid (row 0 at
        the top)."""
        u = (points / self.half_extent + 1.0) / 2.0
        col = np.clip((u[..., 0] * size).astype(np.int64), 0, size - 1)
        row = np.clip(((1.0 - u[..., 1]) * size).astype(np.int64), 0, size - 1)
        return row, col

    def _rasterize_walls(self) -> np.ndarray:
        size = self.image_size
        ys, xs = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
        wx = ((xs + 0.5) / size * 2.0 - 1.0) * self.half_extent[0]
        wy = (1.0 - (ys + 0.5) / size * 2.0) * self.half_extent[1]
        grid = np.zeros((size, size), dtype=np.float32)
        for p, h in zip(self.wall_pos, self.wall_half):
            grid[(np.abs(wx - p[0]) <= h[0]) & (np.abs(wy - p[1]) <= h[1])] = 1.0
        return grid

    def _images(self) -> np.ndarray:
        """``[B, A, C, S, S]`` top-down images: walls, self, teammates, opponents, objects."""
        B, A, S = self.num_envs, self.num_agents, self.image_size
        img = np.zeros((B, A, len(IMAGE_CHANNELS), S, S), dtype=np.float32)
        img[:, :, 0] = self._wall_image
        row, col = self._cells(self.pos, S)  # [B, N]
        b_idx = np.arange(B)[:, None]
        for i in range(A):
            for j in range(self.num_bodies):
                if j < A:
                    ch = 1 if j == i else 2 if self.team[j] == self.team[i] else 3
                else:
                    ch = 4
                on = self.active[:, j]
                img[b_idx[on, 0], i, ch, row[on, j], col[on, j]] = 1.0
        return img

    # -- rendering ---------------------------------------------------------------------------

    def render(self, index: int = 0) -> str:
        from games.arena2d.render import render_ansi

        return render_ansi(self, index)

    def render_rgb(self, index: int = 0) -> np.ndarray:
        """An ``[H, W, 3]`` uint8 picture of copy ``index``."""
        from games.arena2d.render import render_rgb

        return render_rgb(self, index)
