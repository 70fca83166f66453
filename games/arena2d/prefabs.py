"""Prefabs: short constructors for the pieces most games are built from.

Each returns a plain dataclass of :mod:`games.arena2d.spec`, so a game file reads like a level
description: ``ball("ball", 0, 0)``, ``goal("goal_red", -9.5, 0, 1, 4)``, ``gunner("red", -6, 0)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arena.social.schemes import RewardScheme
from arena.social.tree import Agent, Node, Team
from games.arena2d.spec import AgentBody, Blow, Body, Gun, Trigger, Wall, Zone


def agent(name: str, x: float, y: float, angle: float = 0.0, **kw: Any) -> AgentBody:
    """A plain agent body facing ``angle`` degrees (0 = +x)."""
    return AgentBody(name=name, x=x, y=y, angle=angle, **kw)


def gunner(name: str, x: float, y: float, angle: float = 0.0, gun: Gun | None = None, **kw: Any) -> AgentBody:
    """An agent with a gun (default :class:`Gun`: 5 shots, reload 30 steps)."""
    return AgentBody(name=name, x=x, y=y, angle=angle, gun=gun or Gun(), **kw)


def blower(name: str, x: float, y: float, angle: float = 0.0, blow: Blow | None = None, **kw: Any) -> AgentBody:
    """An agent with the ``blow`` action."""
    return AgentBody(name=name, x=x, y=y, angle=angle, blow=blow or Blow(), **kw)


def ball(name: str, x: float, y: float, radius: float = 0.5, **kw: Any) -> Body:
    """A bouncy ball (restitution 0.8 unless given)."""
    return Body(name=name, x=x, y=y, shape="ball", radius=radius, **kw)


def box(name: str, x: float, y: float, width: float = 1.5, height: float = 1.5, **kw: Any) -> Body:
    """A heavy crate that slides when pushed (mass 3, no bounce, high friction unless given)."""
    kw.setdefault("mass", 3.0)
    kw.setdefault("restitution", 0.0)
    kw.setdefault("damping", 4.0)
    return Body(name=name, x=x, y=y, shape="box", width=width, height=height, **kw)


def wall(x: float, y: float, width: float, height: float, **kw: Any) -> Wall:
    """A solid wall."""
    return Wall(x=x, y=y, width=width, height=height, **kw)


def dead_wall(x: float, y: float, width: float, height: float, **kw: Any) -> Wall:
    """A wall that kills agents touching it."""
    return Wall(x=x, y=y, width=width, height=height, dead=True, **kw)


def net(x: float, y: float, width: float, height: float) -> Wall:
    """A wall only agents feel (balls and projectiles pass): keeps players on their side."""
    return Wall(x=x, y=y, width=width, height=height, blocks="agents")


def goal(name: str, x: float, y: float, width: float, height: float) -> Zone:
    """A rectangular zone (goals, bases, halves)."""
    return Zone(name=name, x=x, y=y, width=width, height=height)


def platform(name: str, radius: float, x: float = 0.0, y: float = 0.0) -> Zone:
    """A circular zone (a sumo ring)."""
    return Zone(name=name, x=x, y=y, radius=radius)


def maze_walls(columns: int, rows: int, width: float, height: float, gap: float = 2.5,
               thickness: float = 0.5) -> list[Wall]:
    """Inner walls splitting a ``width`` x ``height`` field into ``columns`` x ``rows`` rooms, each
    wall broken by a doorway of ``gap`` metres in its middle."""
    walls: list[Wall] = []
    for c in range(1, columns):
        x = -width / 2 + c * width / columns
        seg = (height - gap * rows) / rows / 2
        for r in range(rows):
            y0 = -height / 2 + r * height / rows
            walls.append(Wall(x, y0 + seg / 2, thickness, seg))
            walls.append(Wall(x, y0 + height / rows - seg / 2, thickness, seg))
    for r in range(1, rows):
        y = -height / 2 + r * height / rows
        seg = (width - gap * columns) / columns / 2
        for c in range(columns):
            x0 = -width / 2 + c * width / columns
            walls.append(Wall(x0 + seg / 2, y, seg, thickness))
            walls.append(Wall(x0 + width / columns - seg / 2, y, seg, thickness))
    return walls


def kill_when(entity: str, zone: str, kill: str, when: str = "enter") -> Trigger:
    """``kill`` (a node path, or ``self``) when ``entity`` enters (or leaves) ``zone``."""
    return Trigger(kill=kill, entity=entity, zone=zone, when=when)


def kill_at(step: int, kill: str) -> Trigger:
    """``kill`` a node at episode step ``step`` (e.g. the attacker loses when time runs out)."""
    return Trigger(kill=kill, when="step", step=step)


def duel(agents: Sequence[str], schemes: Sequence[RewardScheme], *, condition: str = "AllLiving",
         agent_schemes: Sequence[RewardScheme] = (), **root: Any) -> Node:
    """A depth-1 tree: the root over one agent per side (``xT1P`` games)."""
    return Team(children=[Agent(agent=a, schemes=list(agent_schemes)) for a in agents], schemes=list(schemes),
                condition=condition, **root)


def teams(members: dict[str, Sequence[str]], schemes: Sequence[RewardScheme], *,
          team_schemes: dict[str, Sequence[RewardScheme]] | None = None,
          agent_schemes: Sequence[RewardScheme] = (), condition: str = "AllLiving",
          team_condition: str = "AtLeastOneLiving", **root: Any) -> Node:
    """A depth-2 tree: root -> named teams -> agents."""
    team_schemes = team_schemes or {}
    children = [Team(children=[Agent(agent=a, schemes=list(agent_schemes)) for a in names], name=team,
                     schemes=list(team_schemes.get(team, ())), condition=team_condition)
                for team, names in members.items()]
    return Team(children=children, schemes=list(schemes), condition=condition, **root)
