"""Gunner: a shoot-out. Guns hold 5 shots and take 30 steps to reload; 3 hits kill.

Global: Ranking(Survive) (CP). Layouts: an open field, a 2x2 maze of rooms (Maze2x2Gunner) and a
field of barriers to hide behind (BarrierGunner).
"""

from arena.social import Ranking
from games.arena2d.prefabs import duel, gunner, maze_walls, wall
from games.arena2d.spec import GameDef, ObservationConfig, Playground

LAYOUTS = {"open": "Gunner-2T1P", "maze": "Maze2x2Gunner-2T1P", "barrier": "BarrierGunner-2T1P"}


def definition(layout: str = "open") -> GameDef:
    if layout not in LAYOUTS:
        raise ValueError(f"Gunner layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
    walls = {"open": [], "maze": maze_walls(2, 2, 16, 16, gap=3.0),
             "barrier": [wall(x, y, 1, 3) for x, y in ((-3, 3), (3, -3), (0, 0), (-3, -4), (3, 4))]}[layout]
    start = 6.0 if layout != "maze" else 4.0
    return GameDef(
        name=LAYOUTS[layout],
        description=f"Gunner ({layout}): shoot the opponent three times before it shoots you",
        playground=Playground(width=16, height=16),
        agents=[gunner("red", -start, -start, 45, health=3, spawn_jitter=0.5, angle_jitter=30),
                gunner("blue", start, start, 225, health=3, spawn_jitter=0.5, angle_jitter=30)],
        walls=walls,
        observation=ObservationConfig(lidar_rays=12),
        tree=duel(["red", "blue"], [Ranking("Survive")], declared="CP"),
        max_steps=400,
    )
