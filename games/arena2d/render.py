"""Pictures of a 2-D game: ANSI text for terminals and ``rgb_array`` images.

Text legend: ``#`` solid wall, ``X`` dead wall, ``:`` the net (a wall only agents feel),
``.`` a zone, ``o`` ball, ``B`` box, ``*`` projectile, and each agent as a digit (its index among
the agents) followed on the status lines by its name, team and state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from games.arena2d.engine import Arena2DGame

TEXT_COLUMNS = 48
# Team colours (RGB) for agents; objects, walls and zones get fixed colours.
TEAM_COLOURS = [(220, 60, 60), (60, 110, 230), (60, 180, 90), (230, 180, 40), (160, 80, 200)]
BACKGROUND = (245, 245, 240)
WALL = (70, 70, 70)
DEAD_WALL = (200, 40, 40)
ZONE = (215, 230, 215)
OBJECT = (140, 90, 40)
PROJECTILE = (20, 20, 20)


def _grid_size(game: Arena2DGame) -> tuple[int, int]:
    w, h = game.half_extent * 2
    cols = TEXT_COLUMNS
    # Terminal cells are about twice as tall as wide.
    rows = max(6, int(round(cols * h / w / 2.0)))
    return rows, cols


def render_ansi(game: Arena2DGame, index: int = 0) -> str:
    """A text picture of copy ``index`` with status lines below it."""
    rows, cols = _grid_size(game)
    grid = [[" "] * cols for _ in range(rows)]
    hx, hy = game.half_extent

    def cell(x: float, y: float) -> tuple[int, int] | None:
        c = int((x + hx) / (2 * hx) * cols)
        r = int((hy - y) / (2 * hy) * rows)
        return (r, c) if 0 <= r < rows and 0 <= c < cols else None

    ys = hy - (np.arange(rows) + 0.5) / rows * 2 * hy
    xs = (np.arange(cols) + 0.5) / cols * 2 * hx - hx
    X, Y = np.meshgrid(xs, ys)
    for name in game.zone_index:
        inside = game._inside(np.stack([X, Y], axis=-1), name)
        for r, c in zip(*np.nonzero(inside)):
            grid[r][c] = "."
    for p, h, dead, agents_only in zip(game.wall_pos, game.wall_half, game.wall_dead,
                                       game.wall_blocks_agents & ~game.wall_blocks_objects):
        mask = (np.abs(X - p[0]) <= max(h[0], hx / cols)) & (np.abs(Y - p[1]) <= max(h[1], hy / rows))
        for r, c in zip(*np.nonzero(mask)):
            grid[r][c] = "X" if dead else ":" if agents_only else "#"
    A = game.num_agents
    for k in range(game.num_objects):
        if game.active[index, A + k]:
            rc = cell(*game.pos[index, A + k])
            if rc:
                grid[rc[0]][rc[1]] = "o" if game.object_defs[k].shape == "ball" else "B"
    live = game.proj_ttl[index] > 0
    for p in game.proj_pos[index][live]:
        rc = cell(*p)
        if rc:
            grid[rc[0]][rc[1]] = "*"
    for i in range(A):
        if game.active[index, i]:
            rc = cell(*game.pos[index, i])
            if rc:
                grid[rc[0]][rc[1]] = str(i % 10)
    lines = ["".join(row) for row in grid]
    border = {"solid": "#", "dead": "X"}.get(game.game.playground.border)
    if border:  # the fence lies outside the field: draw it as a frame
        lines = [border * (cols + 2)] + [border + line + border for line in lines] + [border * (cols + 2)]
    lines.append(f"{game.game.name}  step {int(game.steps[index])}/{game.max_steps}")
    for i, agent in enumerate(game.possible_agents):
        state = "alive" if game.active[index, i] else "out"
        extra = ""
        if game.has_gun[i]:
            extra = f" hp {game.health[index, i]:g} ammo {int(game.ammo[index, i])}"
        lines.append(f"  {i % 10}={agent} ({state}{extra}) reward {game.last_rewards[index, i]:+.3f}")
    return "\n".join(lines)


def render_rgb(game: Arena2DGame, index: int = 0, pixels_per_metre: float = 16.0) -> np.ndarray:
    """An ``[H, W, 3]`` uint8 top-down image of copy ``index``."""
    hx, hy = game.half_extent
    margin = 1.0 if game.game.playground.border != "none" else 0.0
    W = int(round(2 * (hx + margin) * pixels_per_metre))
    H = int(round(2 * (hy + margin) * pixels_per_metre))
    img = np.empty((H, W, 3), dtype=np.uint8)
    img[:] = BACKGROUND
    xs = (np.arange(W) + 0.5) / pixels_per_metre - (hx + margin)
    ys = (hy + margin) - (np.arange(H) + 0.5) / pixels_per_metre
    X, Y = np.meshgrid(xs, ys)
    points = np.stack([X, Y], axis=-1)
    for name in game.zone_index:
        img[game._inside(points, name)] = ZONE
    for p, h, dead in zip(game.wall_pos, game.wall_half, game.wall_dead):
        img[(np.abs(X - p[0]) <= h[0]) & (np.abs(Y - p[1]) <= h[1])] = DEAD_WALL if dead else WALL
    A = game.num_agents
    for j in range(game.num_bodies):
        if not game.active[index, j]:
            continue
        p = game.pos[index, j]
        qx = np.clip(X - p[0], -game.half[j, 0], game.half[j, 0])
        qy = np.clip(Y - p[1], -game.half[j, 1], game.half[j, 1])
        d2 = (X - p[0] - qx) ** 2 + (Y - p[1] - qy) ** 2
        mask = d2 <= max(game.radius[j], 1e-9) ** 2
        colour = TEAM_COLOURS[game.team[j] % len(TEAM_COLOURS)] if j < A else OBJECT
        img[mask] = colour
        if j < A:  # a nose toward the heading
            tip = p + 0.8 * game.radius[j] * np.array([np.cos(game.angle[index, j]), np.sin(game.angle[index, j])])
            img[(X - tip[0]) ** 2 + (Y - tip[1]) ** 2 <= (0.3 * game.radius[j]) ** 2] = (255, 255, 255)
    live = game.proj_ttl[index] > 0
    for p in game.proj_pos[index][live]:
        img[(X - p[0]) ** 2 + (Y - p[1]) ** 2 <= 0.15 ** 2] = PROJECTILE
    return img
