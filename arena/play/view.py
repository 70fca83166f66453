"""Text pictures of simultaneous-move games that fit an 80x24 terminal.

:func:`draw_field` picks the best picture an env allows:

1. a 2-D engine game (``env.game`` with positions, headings and walls): the field on a character
   grid, each agent an arrow pointing where it faces, in its team's colour;
2. an env that exposes positions (mpe2 particle worlds through ``env.unwrapped.world``, or
   ``env.positions()``): agents as arrows along their velocity (a dot when still) in team colours,
   landmarks as ``#``;
3. the env's own ``ansi`` render;
4. a summary of each agent's observation.

Colours are ANSI escapes (``color=False`` for plain text); the person's own agent is drawn in
reverse video. :func:`strip_ansi` removes the escapes (for video frames and tests).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from arena.play.parallel_loop import side_of

RESET = "\x1b[0m"
BOLD = "\x1b[1m"
REVERSE = "\x1b[7m"
DIM = "\x1b[2m"
COLOUR_CODES = {"red": "31", "blue": "34", "green": "32", "yellow": "33", "magenta": "35", "cyan": "36"}
TEAM_ORDER = ("red", "blue", "green", "yellow", "magenta", "cyan")
ARROWS = "\u2192\u2197\u2191\u2196\u2190\u2199\u2193\u2198"  # east, north-east, north, ... (counter-clockwise)
ASCII_ARROWS = ">>^<<<v>"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

MAX_FIELD_ROWS = 15  # inside the frame: header 1 + frame 17 + legend 2 + help 2 + message 1 = 23 lines
MAX_FIELD_COLS = 60


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def team_colours(env: Any) -> dict[str, str]:
    """``{agent: colour name}``: sides named after a colour keep it, others take the next free one."""
    sides: list[str] = []
    for agent in env.possible_agents:
        side = side_of(agent)
        if side not in sides:
            sides.append(side)
    free = [c for c in TEAM_ORDER if c not in sides]
    colour_of: dict[str, str] = {}
    for side in sides:
        colour_of[side] = side if side in COLOUR_CODES else (free.pop(0) if free else "cyan")
    return {a: colour_of[side_of(a)] for a in env.possible_agents}


def paint(text: str, colour: str | None, *, color: bool, reverse: bool = False, bold: bool = False) -> str:
    if not color:
        return text
    codes = [COLOUR_CODES[colour]] if colour in COLOUR_CODES else []
    if reverse:
        codes.append("7")
    if bold:
        codes.append("1")
    return f"\x1b[{';'.join(codes)}m{text}{RESET}" if codes else text


def arrow(angle: float, *, unicode: bool = True) -> str:
    """The arrow for a heading in radians (0 = east, counter-clockwise)."""
    k = int(round(angle / (math.pi / 4))) % 8
    return (ARROWS if unicode else ASCII_ARROWS)[k]


class Canvas:
    """A character grid with one optional style per cell."""

    def __init__(self, rows: int, cols: int) -> None:
        self.rows, self.cols = rows, cols
        self.chars = [[" "] * cols for _ in range(rows)]
        self.styles: list[list[tuple[str | None, bool, bool] | None]] = [[None] * cols for _ in range(rows)]

    def put(self, r: int, c: int, ch: str, style: tuple[str | None, bool, bool] | None = None) -> None:
        if 0 <= r < self.rows and 0 <= c < self.cols:
            self.chars[r][c] = ch
            self.styles[r][c] = style

    def lines(self, *, color: bool, border: str | None = "+") -> list[str]:
        out = []
        for r in range(self.rows):
            parts = []
            for ch, style in zip(self.chars[r], self.styles[r]):
                if style is None or not color:
                    parts.append(ch)
                else:
                    parts.append(paint(ch, style[0], color=True, reverse=style[1], bold=style[2]))
            out.append("".join(parts))
        if border:
            top = "+" + "-" * self.cols + "+"
            out = [top] + [f"|{line}|" for line in out] + [top]
        return out


def grid_size(width: float, height: float, *, max_rows: int = MAX_FIELD_ROWS, max_cols: int = MAX_FIELD_COLS) -> tuple[int, int]:
    """Rows and columns for a ``width`` x ``height`` field (terminal cells are about twice as tall as wide)."""
    cols = max_cols
    rows = max(4, int(round(cols * height / width / 2.0)))
    if rows > max_rows:
        rows = max_rows
        cols = max(8, min(max_cols, int(round(rows * 2.0 * width / height))))
    return rows, cols


def _arena2d_engine(env: Any) -> Any:
    game = getattr(env, "game", None)
    if game is not None and all(hasattr(game, k) for k in ("pos", "angle", "half_extent", "wall_pos", "active")):
        return game
    return None


def arena2d_field(env: Any, me: str | None, *, color: bool, unicode: bool = True) -> list[str]:
    """The field of a 2-D engine game (copy 0) with agents as heading arrows in team colours."""
    game = _arena2d_engine(env)
    hx, hy = (float(v) for v in game.half_extent)
    rows, cols = grid_size(2 * hx, 2 * hy)
    canvas = Canvas(rows, cols)
    ys = hy - (np.arange(rows) + 0.5) / rows * 2 * hy
    xs = (np.arange(cols) + 0.5) / cols * 2 * hx - hx
    X, Y = np.meshgrid(xs, ys)

    def cell(x: float, y: float) -> tuple[int, int]:
        return int((hy - y) / (2 * hy) * rows), int((x + hx) / (2 * hx) * cols)

    inside = getattr(game, "_inside", None)
    for name in getattr(game, "zone_index", {}) or {}:
        try:
            zone = inside(np.stack([X, Y], axis=-1), name)
        except Exception:  # a zone shape this view does not know: leave it out
            continue
        for r, c in zip(*np.nonzero(zone)):
            canvas.put(int(r), int(c), ".", ("green", False, False))
    blocks_agents = np.asarray(getattr(game, "wall_blocks_agents", np.ones(len(game.wall_pos), bool)))
    blocks_objects = np.asarray(getattr(game, "wall_blocks_objects", np.ones(len(game.wall_pos), bool)))
    for p, h, dead, net in zip(game.wall_pos, game.wall_half, game.wall_dead, blocks_agents & ~blocks_objects):
        mask = (np.abs(X - p[0]) <= max(h[0], hx / cols)) & (np.abs(Y - p[1]) <= max(h[1], hy / rows))
        for r, c in zip(*np.nonzero(mask)):
            canvas.put(int(r), int(c), "X" if dead else ":" if net else "#",
                       ("red", False, False) if dead else None)
    A = int(game.num_agents)
    for k in range(int(getattr(game, "num_objects", 0))):
        if game.active[0, A + k]:
            r, c = cell(*game.pos[0, A + k])
            ball = getattr(game.object_defs[k], "shape", "ball") == "ball"
            canvas.put(r, c, "o" if ball else "B", ("yellow", False, True))
    ttl = getattr(game, "proj_ttl", None)
    if ttl is not None:
        for p in game.proj_pos[0][ttl[0] > 0]:
            r, c = cell(*p)
            canvas.put(r, c, "*", None)
    colours = team_colours(env)
    for i, agent in enumerate(game.possible_agents):
        if not game.active[0, i]:
            continue
        r, c = cell(*game.pos[0, i])
        canvas.put(r, c, arrow(float(game.angle[0, i]), unicode=unicode),
                   (colours.get(agent), agent == me, True))
    border = getattr(getattr(getattr(game, "game", None), "playground", None), "border", "solid")
    return canvas.lines(color=color, border="+" if border != "none" else "+")


def _positions(env: Any) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], list[np.ndarray]] | None:
    """``({agent: (position, velocity)}, [landmark positions])`` where the env exposes them."""
    world = getattr(getattr(env, "unwrapped", env), "world", None)
    if world is not None and hasattr(world, "agents"):
        agents = {a.name: (np.asarray(a.state.p_pos, float), np.asarray(getattr(a.state, "p_vel", np.zeros(2)), float))
                  for a in world.agents}
        landmarks = [np.asarray(lm.state.p_pos, float) for lm in getattr(world, "landmarks", [])]
        return agents, landmarks
    positions = getattr(env, "positions", None)
    if callable(positions):
        try:
            found = positions()
        except Exception:
            return None
        agents = {a: (np.asarray(found[a], float)[:2], np.zeros(2)) for a in env.possible_agents if a in found}
        if agents:
            return agents, []
    return None


def positions_field(env: Any, me: str | None, *, color: bool, unicode: bool = True) -> list[str] | None:
    """Agents (arrows along their velocity, a dot when still) and landmarks (``#``) on a grid."""
    found = _positions(env)
    if found is None:
        return None
    agents, landmarks = found
    points = [p for p, _ in agents.values()] + landmarks
    extent = max(1.2, float(np.max(np.abs(np.stack(points)))) * 1.05) if points else 1.2
    rows, cols = grid_size(2 * extent, 2 * extent)
    canvas = Canvas(rows, cols)

    def cell(p: np.ndarray) -> tuple[int, int]:
        r = int((extent - p[1]) / (2 * extent) * rows)
        c = int((p[0] + extent) / (2 * extent) * cols)
        return min(max(r, 0), rows - 1), min(max(c, 0), cols - 1)

    for p in landmarks:
        canvas.put(*cell(p), "#", None)
    colours = team_colours(env)
    for name, (p, v) in agents.items():
        speed = float(np.hypot(v[0], v[1]))
        glyph = arrow(math.atan2(v[1], v[0]), unicode=unicode) if speed > 1e-3 else ("\u25cf" if unicode else "o")
        canvas.put(*cell(p), glyph, (colours.get(name), name == me, True))
    return canvas.lines(color=color)


def observation_summary(observations: Mapping[str, Any], width: int = 78) -> list[str]:
    """One line per agent: its observation's numbers, cut to ``width``."""
    lines = []
    for agent, obs in observations.items():
        raw = obs.get("observation", obs) if isinstance(obs, Mapping) else obs
        values = np.asarray(raw, dtype=np.float64).reshape(-1)
        text = " ".join(f"{x:+.2f}" for x in values[:16])
        line = f"{agent}: [{text}{' ...' if values.size > 16 else ''}]"
        lines.append(line[:width])
    return lines


def ansi_picture(env: Any, *, max_lines: int = 17, width: int = 80) -> list[str] | None:
    """The env's own text render, when it has one (cut to fit)."""
    if getattr(env, "render_mode", None) != "ansi":
        return None
    try:
        text = env.render()
    except Exception:
        return None
    if not isinstance(text, str):
        return None
    return [line[:width] for line in text.splitlines()[:max_lines]]


def draw_field(env: Any, me: str | None, observations: Mapping[str, Any] | None = None, *, color: bool,
               unicode: bool = True) -> list[str]:
    """The best picture of ``env`` this module can draw (see the module docstring)."""
    if _arena2d_engine(env) is not None:
        return arena2d_field(env, me, color=color, unicode=unicode)
    picture = positions_field(env, me, color=color, unicode=unicode)
    if picture is not None:
        return picture
    picture = ansi_picture(env)
    if picture is not None:
        return picture
    return observation_summary(observations or {})


def time_left(env: Any, step: int) -> tuple[int, int | None]:
    """``(step, last step)`` of the episode where the env says how long it lasts."""
    game = _arena2d_engine(env)
    if game is not None and hasattr(game, "max_steps"):
        return int(np.asarray(game.steps).reshape(-1)[0]), int(game.max_steps)
    base = getattr(env, "unwrapped", env)
    for holder in (env, base, getattr(env, "engine", None)):
        for attr in ("max_cycles", "max_steps", "num_rounds"):
            value = getattr(holder, attr, None) if holder is not None else None
            if isinstance(value, (int, np.integer)) and value > 0:
                return step, int(value)
    return step, None


def legend(env: Any, me: str | None, controllers: Mapping[str, str], returns: Mapping[str, float], *,
           color: bool, width: int = 80) -> list[str]:
    """Who is who: each agent in its team colour, who drives it, and its return so far (<= 2 lines)."""
    colours = team_colours(env)
    items = []
    for agent in env.possible_agents:
        who = controllers.get(agent, "idle")
        label = f"{agent} {who} {returns.get(agent, 0.0):+.2f}"
        items.append((paint(label, colours.get(agent), color=color, reverse=agent == me), len(label)))
    lines, line, used = [], "", 0
    for text, size in items:
        if used and used + 2 + size > width:
            lines.append(line)
            line, used = "", 0
        line += ("  " if used else "") + text
        used += (2 if used else 0) + size
    lines.append(line)
    return lines[:2]


def frame(header: str, field: Sequence[str], below: Sequence[str]) -> str:
    """A whole screen: header, picture, then the lines below it."""
    return "\n".join([header, *field, *below])
