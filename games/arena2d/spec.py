"""Declarative game definitions for the 2-D engine: prefabs as typed dataclasses.

A game is a :class:`GameDef`: a playground, agents (bodies that act), objects (balls and boxes),
walls (solid or dead), zones (goals, platforms, halves), triggers (when something enters or leaves
a zone, a node of the social tree dies) and the social tree itself (an :mod:`arena.social` tree:
teams, agents, living conditions and reward schemes per node). No engine code: the engine reads
the definition. :func:`validate` checks a definition and raises one :class:`GameDefinitionError`
naming the field (``agents[1].radius must be > 0, got -1``).

Units: metres, seconds, kilograms, degrees for angles; x to the right, y up, the playground centred
on the origin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from arena.social.schemes import Coefficients
from arena.social.tree import Node, SocialTree, TreeError


class GameDefinitionError(ValueError):
    """A game definition is invalid; the message names the field and what would fix it."""


@dataclass
class Playground:
    """The field: a ``width`` x ``height`` rectangle centred on the origin, fenced by a border of
    walls (``solid`` bounces, ``dead`` kills agents that touch it, ``none`` leaves it open)."""

    width: float = 20.0
    height: float = 20.0
    border: str = "solid"
    border_restitution: float = 0.5
    border_thickness: float = 1.0


@dataclass
class Wall:
    """A static axis-aligned wall centred at (x, y). ``dead``: touching it kills an agent.
    ``blocks``: ``all``, ``agents`` (a net that balls fly over) or ``objects``."""

    x: float
    y: float
    width: float
    height: float
    dead: bool = False
    blocks: str = "all"
    restitution: float = 0.5


@dataclass
class Zone:
    """A region that does not collide: a circle (``radius`` > 0) or a rectangle (``width`` and
    ``height`` > 0), centred at (x, y). Triggers and reward schemes refer to it by name."""

    name: str
    x: float
    y: float
    width: float = 0.0
    height: float = 0.0
    radius: float = 0.0


@dataclass
class Gun:
    """A gun: ``ammo`` shots, then ``reload_steps`` steps to refill; ``cooldown_steps`` between
    shots. Projectiles fly at ``speed`` for ``lifetime_steps`` and take ``damage`` health."""

    ammo: int = 5
    reload_steps: int = 30
    cooldown_steps: int = 4
    speed: float = 20.0
    damage: float = 1.0
    lifetime_steps: int = 20
    radius: float = 0.1
    friendly_fire: bool = False


@dataclass
class Blow:
    """A game-specific action: a gust that pushes objects (balls, boxes) within ``range`` metres
    and ``cone`` degrees either side of the heading; the push fades with distance."""

    strength: float = 6.0
    range: float = 4.0
    cone: float = 45.0


@dataclass
class AgentBody:
    """An agent's body: a circle that thrusts along/across its heading and turns.

    ``name`` must match a leaf (``agent``) of the social tree. ``spawn_jitter`` (metres) and
    ``angle_jitter`` (degrees) randomise the start uniformly.
    """

    name: str
    x: float
    y: float
    angle: float = 0.0
    radius: float = 0.5
    mass: float = 1.0
    force: float = 40.0
    max_speed: float = 6.0
    turn_rate: float = 180.0
    damping: float = 3.0
    restitution: float = 0.3
    health: float = 1.0
    gun: Gun | None = None
    blow: Blow | None = None
    spawn_jitter: float = 0.0
    angle_jitter: float = 0.0


@dataclass
class Body:
    """A passive object: a ``ball`` (circle of ``radius``) or a ``box`` (``width`` x ``height``).

    ``speed`` (with a random direction inside ``direction`` +- ``direction_jitter`` degrees) is
    its velocity at the start, e.g. a tennis serve.
    """

    name: str
    x: float
    y: float
    shape: str = "ball"
    radius: float = 0.5
    width: float = 1.0
    height: float = 1.0
    mass: float = 1.0
    restitution: float = 0.8
    damping: float = 0.5
    max_speed: float = 30.0
    spawn_jitter: float = 0.0
    speed: float = 0.0
    direction: float = 0.0
    direction_jitter: float = 0.0


@dataclass
class Trigger:
    """A rule of the game: kill a node of the social tree when something happens.

    ``when="enter"`` / ``"leave"``: ``entity`` (an agent, an object, a node path meaning "any agent
    below it", or ``agents``) is inside / outside ``zone``. ``when="step"``: at episode step
    ``step``. ``kill`` is a node path (``red``, ``red/striker``, ``/`` for the root) or ``self``
    (the agent that entered or left). A killed node "leaves" the tree: whether that is a defeat
    or a win is the parent's Ranking (``Survive`` or ``Depart``).
    """

    kill: str
    entity: str = ""
    zone: str = ""
    when: str = "enter"
    step: int = 0


@dataclass
class ObservationConfig:
    """What agents see. ``others``: ``own`` (nobody else), ``team`` (teammates) or ``all``
    (teammates, then opponents); ``frame``: ``relative`` (positions and velocities in the agent's
    own frame) or ``absolute``. Lidar: ``lidar_rays`` rays over ``lidar_fov`` degrees, up to
    ``lidar_range`` metres. ``image_size`` > 0 adds a small top-down image."""

    others: str = "all"
    frame: str = "relative"
    lidar_rays: int = 8
    lidar_fov: float = 360.0
    lidar_range: float = 10.0
    image_size: int = 0


@dataclass
class GameDef:
    """A complete game. ``tree`` is the social tree's root (:func:`arena.social.Team`)."""

    name: str
    tree: Node
    agents: list[AgentBody]
    bodies: list[Body] = field(default_factory=list)
    walls: list[Wall] = field(default_factory=list)
    zones: list[Zone] = field(default_factory=list)
    triggers: list[Trigger] = field(default_factory=list)
    playground: Playground = field(default_factory=Playground)
    observation: ObservationConfig = field(default_factory=ObservationConfig)
    coefficients: Coefficients | None = None
    actions: str = "discrete"
    max_steps: int = 500
    dt: float = 0.1
    substeps: int = 2
    description: str = ""


def _fail(where: str, message: str) -> GameDefinitionError:
    return GameDefinitionError(f"{where} {message}")


def _number(value: Any, where: str, *, positive: bool = False, non_negative: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(where, f"must be a finite number, got {value!r}")
    if positive and value <= 0:
        raise _fail(where, f"must be > 0, got {value!r}")
    if non_negative and value < 0:
        raise _fail(where, f"must be >= 0, got {value!r}")


def _integer(value: Any, where: str, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _fail(where, f"must be an integer >= {minimum}, got {value!r}")


def _choice(value: Any, where: str, options: tuple[str, ...]) -> None:
    if value not in options:
        raise _fail(where, f"must be one of {', '.join(options)}, got {value!r}")


def build_tree(game: GameDef) -> SocialTree:
    """The validated :class:`~arena.social.SocialTree` of a definition (errors name ``tree``)."""
    if not isinstance(game.tree, Node):
        raise _fail(f"game '{game.name}': tree", f"must be a social-tree root (arena.social.Team), "
                                                 f"got {type(game.tree).__name__}")
    try:
        # Deaths come from the engine's own events (see games.arena2d.social.deaths_arena2d).
        import games.arena2d.social  # noqa: F401 - registers the "arena2d" death hook

        return SocialTree(game.tree, game.coefficients, deaths="arena2d")
    except TreeError as exc:
        raise GameDefinitionError(f"game '{game.name}': tree: {exc}") from None


def validate(game: GameDef) -> SocialTree:
    """Check every field of ``game``; returns its social tree. Raises :class:`GameDefinitionError`."""
    if not isinstance(game.name, str) or not game.name:
        raise GameDefinitionError(f"name must be a non-empty string, got {game.name!r}")
    g = f"game '{game.name}':"
    pg = game.playground
    _number(pg.width, f"{g} playground.width", positive=True)
    _number(pg.height, f"{g} playground.height", positive=True)
    _choice(pg.border, f"{g} playground.border", ("solid", "dead", "none"))
    _number(pg.border_restitution, f"{g} playground.border_restitution", non_negative=True)
    _number(pg.border_thickness, f"{g} playground.border_thickness", positive=True)
    _choice(game.actions, f"{g} actions", ("discrete", "continuous"))
    _integer(game.max_steps, f"{g} max_steps", 1)
    _number(game.dt, f"{g} dt", positive=True)
    _integer(game.substeps, f"{g} substeps", 1)
    obs = game.observation
    _choice(obs.others, f"{g} observation.others", ("own", "team", "all"))
    _choice(obs.frame, f"{g} observation.frame", ("relative", "absolute"))
    _integer(obs.lidar_rays, f"{g} observation.lidar_rays", 0)
    _number(obs.lidar_fov, f"{g} observation.lidar_fov", positive=True)
    _number(obs.lidar_range, f"{g} observation.lidar_range", positive=True)
    _integer(obs.image_size, f"{g} observation.image_size", 0)

    names: dict[str, str] = {}

    def claim(name: Any, where: str) -> None:
        if not isinstance(name, str) or not name or "/" in name:
            raise _fail(f"{where}.name", f"must be a non-empty string without '/', got {name!r}")
        if name in names:
            raise _fail(f"{where}.name", f"{name!r} is already used by {names[name]}; names must be unique")
        names[name] = where

    if not game.agents:
        raise _fail(f"{g} agents", "must list at least one agent")
    for i, a in enumerate(game.agents):
        w = f"{g} agents[{i}]"
        if not isinstance(a, AgentBody):
            raise _fail(w, f"must be an AgentBody, got {type(a).__name__}")
        claim(a.name, w)
        for attr in ("x", "y", "angle"):
            _number(getattr(a, attr), f"{w}.{attr}")
        for attr in ("radius", "mass", "max_speed"):
            _number(getattr(a, attr), f"{w}.{attr}", positive=True)
        for attr in ("force", "turn_rate", "damping", "restitution", "spawn_jitter", "angle_jitter"):
            _number(getattr(a, attr), f"{w}.{attr}", non_negative=True)
        _number(a.health, f"{w}.health", positive=True)
        if a.gun is not None:
            if not isinstance(a.gun, Gun):
                raise _fail(f"{w}.gun", f"must be a Gun, got {type(a.gun).__name__}")
            _integer(a.gun.ammo, f"{w}.gun.ammo", 1)
            _integer(a.gun.reload_steps, f"{w}.gun.reload_steps", 0)
            _integer(a.gun.cooldown_steps, f"{w}.gun.cooldown_steps", 0)
            _integer(a.gun.lifetime_steps, f"{w}.gun.lifetime_steps", 1)
            _number(a.gun.speed, f"{w}.gun.speed", positive=True)
            _number(a.gun.damage, f"{w}.gun.damage", non_negative=True)
            _number(a.gun.radius, f"{w}.gun.radius", positive=True)
        if a.blow is not None:
            if not isinstance(a.blow, Blow):
                raise _fail(f"{w}.blow", f"must be a Blow, got {type(a.blow).__name__}")
            _number(a.blow.strength, f"{w}.blow.strength", non_negative=True)
            _number(a.blow.range, f"{w}.blow.range", positive=True)
            _number(a.blow.cone, f"{w}.blow.cone", positive=True)
    for i, b in enumerate(game.bodies):
        w = f"{g} bodies[{i}]"
        if not isinstance(b, Body):
            raise _fail(w, f"must be a Body, got {type(b).__name__}")
        claim(b.name, w)
        _choice(b.shape, f"{w}.shape", ("ball", "box"))
        for attr in ("x", "y", "direction"):
            _number(getattr(b, attr), f"{w}.{attr}")
        for attr in ("radius", "width", "height", "mass", "max_speed"):
            _number(getattr(b, attr), f"{w}.{attr}", positive=True)
        for attr in ("restitution", "damping", "spawn_jitter", "speed", "direction_jitter"):
            _number(getattr(b, attr), f"{w}.{attr}", non_negative=True)
    for i, wall in enumerate(game.walls):
        w = f"{g} walls[{i}]"
        if not isinstance(wall, Wall):
            raise _fail(w, f"must be a Wall, got {type(wall).__name__}")
        _number(wall.x, f"{w}.x")
        _number(wall.y, f"{w}.y")
        _number(wall.width, f"{w}.width", positive=True)
        _number(wall.height, f"{w}.height", positive=True)
        _number(wall.restitution, f"{w}.restitution", non_negative=True)
        _choice(wall.blocks, f"{w}.blocks", ("all", "agents", "objects"))
    for i, z in enumerate(game.zones):
        w = f"{g} zones[{i}]"
        if not isinstance(z, Zone):
            raise _fail(w, f"must be a Zone, got {type(z).__name__}")
        claim(z.name, w)
        _number(z.x, f"{w}.x")
        _number(z.y, f"{w}.y")
        for attr in ("width", "height", "radius"):
            _number(getattr(z, attr), f"{w}.{attr}", non_negative=True)
        if (z.radius > 0) == (z.width > 0 and z.height > 0):
            raise _fail(w, "needs either radius > 0 (a circle) or width and height > 0 (a rectangle)")

    tree = build_tree(game)
    agent_names = [a.name for a in game.agents]
    for leaf_agent in tree.agents:
        if leaf_agent not in agent_names:
            raise _fail(f"{g} tree", f"leaf {tree.info(tree.leaf_of(leaf_agent)).path_str} stands for agent "
                                     f"{leaf_agent!r}, which is not in agents ({', '.join(agent_names)}); "
                                     "give the leaf agent=<a name from agents>")
    for i, name in enumerate(agent_names):
        if name not in tree.agents:
            raise _fail(f"{g} agents[{i}].name", f"{name!r} is not a leaf of the tree; leaves stand for "
                                                 f"{', '.join(tree.agents)}")
    zone_names = {z.name for z in game.zones}
    for path in tree.preorder():
        for k, scheme in enumerate(tree.info(path).schemes):
            zone = getattr(scheme, "zone", None)
            if isinstance(zone, str) and zone not in zone_names:
                raise _fail(f"{g} tree: {tree.info(path).path_str}: schemes[{k}] ({type(scheme).__name__}).zone",
                            f"{zone!r} is not a zone; zones are {', '.join(sorted(zone_names)) or 'none'}")
    node_paths = {tree.info(p).path_str for p in tree.preorder()}
    body_names = {b.name for b in game.bodies}
    for i, t in enumerate(game.triggers):
        w = f"{g} triggers[{i}]"
        if not isinstance(t, Trigger):
            raise _fail(w, f"must be a Trigger, got {type(t).__name__}")
        _choice(t.when, f"{w}.when", ("enter", "leave", "step"))
        if t.kill != "self" and t.kill not in node_paths and t.kill not in agent_names:
            raise _fail(f"{w}.kill", f"{t.kill!r} is not a node of the tree; use self or one of "
                                     f"{', '.join(sorted(node_paths))}")
        if t.when == "step":
            _integer(t.step, f"{w}.step", 1)
            if t.kill == "self":
                raise _fail(f"{w}.kill", "self needs an entity; a when=step trigger names the node to kill")
            continue
        if t.zone not in zone_names:
            raise _fail(f"{w}.zone", f"{t.zone!r} is not a zone; zones are {', '.join(sorted(zone_names)) or 'none'}")
        if (t.entity != "agents" and t.entity not in agent_names and t.entity not in body_names
                and t.entity not in node_paths):
            raise _fail(f"{w}.entity", f"{t.entity!r} is not an agent, object or node; use agents, one of "
                                       f"{', '.join(agent_names + sorted(body_names))}, or a team path")
        if t.kill == "self" and t.entity in body_names:
            raise _fail(f"{w}.kill", f"self means the agent that triggered, but {t.entity!r} is an object")
    return tree
