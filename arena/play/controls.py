"""From keys to actions: the key bindings of one agent, and the keyboard as a bot.

:func:`bindings_for` reads what an agent can do from its env:

* a discrete action space with named actions (the 2-D engine's ``env.action_names``, a game's
  ``action_names``, the movement actions of mpe2 particle worlds) binds each *named* action to
  familiar keys (``w``/up forward, ``a``/``d`` step, left/right arrows turn, space attack, ``f``
  blow, ...); unnamed ones get digit keys ``1``-``9``;
* a continuous ``Box`` space binds keys that push its axes: the 2-D engine's axes through the same
  movement keys, mpe2's ``[no_action, left, right, down, up]`` axes through the arrows/WASD, and
  any other box through one key pair per axis.

Only the agent's own actions are bound, so the key help lists exactly what the game has. ``q``,
``p``, Ctrl-C and Ctrl-D are kept for leaving and pausing.

:class:`KeyboardBot` is a bot (``act(observation, action_mask)``) that plays the keys set by the
real-time loop each tick. A key press holds its discrete action for ``hold`` seconds (terminals
repeat a held key only after a pause), then the agent falls back to its idle action.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from gymnasium import spaces

RESERVED = frozenset({"q", "p", "ctrl-c", "ctrl-d", "Q", "P"})

# Preferred keys for well-known action names (first key is the one shown first in the help).
NAMED_KEYS: dict[str, tuple[str, ...]] = {
    "forward": ("w", "up"), "backward": ("s", "down"), "left": ("a",), "right": ("d",),
    "turn_left": ("left", "j"), "turn_right": ("right", "l"), "attack": (" ",), "fire": (" ",),
    "shoot": (" ",), "blow": ("f",), "jump": (" ",),
    "move_up": ("w", "up"), "move_down": ("s", "down"), "move_left": ("a", "left"),
    "move_right": ("d", "right"), "up": ("w", "up"), "down": ("s", "down"),
}
IDLE_NAMES = frozenset({"none", "no_action", "noop", "no_op", "idle", "stay", "wait"})
# mpe2 particle worlds: the five movement actions (discrete) or axes (continuous) of a mover.
MPE_MOVES = ("no_action", "move_left", "move_right", "move_down", "move_up")
SPARE_KEYS = tuple("123456789") + ("0",) + tuple("zxcvbnmkiuyhgtr")
AXIS_KEYS = (("d", "a"), ("w", "s"), ("l", "j"), ("i", "k"), ("e", "z"), ("o", "u"), ("m", "n"), ("h", "g"))


def key_label(key: str) -> str:
    return {" ": "space", "up": "\u2191", "down": "\u2193", "left": "\u2190", "right": "\u2192"}.get(key, key)


def action_names_of(env: Any, agent: str) -> list[str] | None:
    """Names of ``agent``'s discrete actions, where the env says (else ``None``)."""
    space = env.action_space(agent)
    size = int(space.n) if isinstance(space, spaces.Discrete) else None
    seen: Any = env
    for _ in range(8):
        for holder in (seen, getattr(seen, "engine", None), getattr(seen, "game", None)):
            names = getattr(holder, "action_names", None) if holder is not None else None
            if names is not None and not callable(names) and (size is None or len(names) == size):
                return [str(n) for n in names]
        meanings = getattr(seen, "get_action_meanings", None)
        if callable(meanings):
            try:
                names = list(meanings())
                if size is None or len(names) == size:
                    return [str(n) for n in names]
            except TypeError:
                pass
        if not hasattr(seen, "env") or seen.env is seen:
            break
        seen = seen.env
    if _mpe_mover(env, agent) and size == len(MPE_MOVES):
        return list(MPE_MOVES)
    return None


def _mpe_mover(env: Any, agent: str) -> bool:
    """An agent of an mpe2 world that moves and does not speak (its actions are MPE_MOVES)."""
    world = getattr(getattr(env, "unwrapped", env), "world", None)
    if world is None:
        return False
    for a in getattr(world, "agents", []):
        if a.name == agent:
            return bool(a.movable) and bool(a.silent)
    return False


@dataclass
class Bindings:
    """One agent's controls: ``keys[key] = action index`` (discrete) or ``axis pushes`` (Box)."""

    agent: str
    space: spaces.Space
    names: list[str]  # discrete: one name per action; Box: one name per axis
    keys: dict[str, Any] = field(default_factory=dict)  # key -> action (int) or (axis, value) pairs
    idle: Any = 0
    sticky: bool = False  # discrete games without an idle action keep the last choice
    help_items: list[tuple[str, str]] = field(default_factory=list)  # (keys, what) for the help line

    @property
    def discrete(self) -> bool:
        return isinstance(self.space, spaces.Discrete)

    def help_text(self, width: int = 80) -> list[str]:
        """The key help, wrapped to ``width`` columns: only this game's actions, then p and q."""
        items = [f"{k} {what}" for k, what in self.help_items] + ["p pause", "q quit"]
        lines, line = [], "keys:"
        for item in items:
            if len(line) + 2 + len(item) > width:
                lines.append(line)
                line = "     "
            line += ("  " if line.strip() else " ") + item
        lines.append(line)
        return lines

    def action_for(self, pressed: Sequence[str]) -> Any:
        """The action for the keys pressed in one tick (discrete: the last bound key wins;
        Box: every pressed key pushes its axes, then clipped to the box). ``None`` when no bound
        key was pressed."""
        bound = [k for k in pressed if k in self.keys]
        if not bound:
            return None
        if self.discrete:
            return int(self.keys[bound[-1]])
        assert isinstance(self.space, spaces.Box)
        action = np.array(self.idle, dtype=np.float64, copy=True)
        for k in dict.fromkeys(bound):
            for axis, value in self.keys[k]:
                action[axis] = value if action[axis] == self.idle[axis] else action[axis] + value - self.idle[axis]
        return np.clip(action, self.space.low, self.space.high).astype(self.space.dtype)


def _pick(preferred: Sequence[str], used: set[str]) -> list[str]:
    return [k for k in preferred if k not in used and k not in RESERVED]


def bindings_for(env: Any, agent: str) -> Bindings:
    """Key bindings of ``agent`` in ``env`` (see the module docstring)."""
    space = env.action_space(agent)
    if isinstance(space, spaces.Discrete):
        return _discrete_bindings(env, agent, space)
    if isinstance(space, spaces.Box):
        return _box_bindings(env, agent, space)
    raise ValueError(f"agent {agent} has a {type(space).__name__} action space; keyboard play supports "
                     "Discrete and Box actions")


def _discrete_bindings(env: Any, agent: str, space: spaces.Discrete) -> Bindings:
    n = int(space.n)
    start = int(getattr(space, "start", 0))
    names = action_names_of(env, agent)
    known = names is not None
    names = names or [f"action {i}" for i in range(n)]
    b = Bindings(agent, space, names)
    used: set[str] = set()
    idle = [i for i, name in enumerate(names) if name.lower() in IDLE_NAMES]
    b.idle = start + (idle[0] if idle else 0)
    b.sticky = not idle
    spare = iter(k for k in SPARE_KEYS if k not in RESERVED)
    for i, name in enumerate(names):
        if i in idle:
            continue
        keys = _pick(NAMED_KEYS.get(name.lower(), ()), used) if known else []
        if not keys:
            for k in spare:
                if k not in used:
                    keys = [k]
                    break
        if not keys:
            continue  # more actions than keys: the rest stay unbound
        for k in keys:
            b.keys[k] = start + i
            used.add(k)
        b.help_items.append(("/".join(key_label(k) for k in keys), name))
    return b


def _box_bindings(env: Any, agent: str, space: spaces.Box) -> Bindings:
    low = np.where(np.isfinite(space.low), space.low, -1.0).astype(np.float64).reshape(-1)
    high = np.where(np.isfinite(space.high), space.high, 1.0).astype(np.float64).reshape(-1)
    dims = low.size
    idle = np.clip(np.zeros(dims), low, high)
    engine = getattr(env, "game", None)
    table = getattr(engine, "action_table", None)
    names = getattr(env, "action_names", None)
    b = Bindings(agent, space, [f"axis {i}" for i in range(dims)], idle=idle)
    used: set[str] = set()
    if table is not None and names is not None and getattr(engine, "continuous", False):
        # 2-D engine: axes forward, strafe, turn (+ attack, blow where the game has them); each
        # named preset is a row of the control table, so its keys push those axes.
        columns = [0, 1, 2] + ([3] if "attack" in names else []) + ([4] if "blow" in names else [])
        columns = columns[:dims]
        b.names = ["forward", "strafe", "turn", "attack", "blow"][:3] + \
            [n for n in ("attack", "blow") if n in names]
        for row, name in zip(np.asarray(table), names):
            pushes = [(axis, float(np.clip(row[c], low[axis], high[axis]))) for axis, c in enumerate(columns)
                      if row[c] != 0]
            keys = _pick(NAMED_KEYS.get(name, ()), used)
            if not pushes or not keys:
                continue
            for k in keys:
                b.keys[k] = pushes
                used.add(k)
            b.help_items.append(("/".join(key_label(k) for k in keys), name))
        return b
    if _mpe_mover(env, agent) and dims == len(MPE_MOVES):
        b.names = list(MPE_MOVES)
        for axis, name in enumerate(MPE_MOVES[1:], start=1):
            keys = _pick(NAMED_KEYS[name], used)
            for k in keys:
                b.keys[k] = [(axis, float(high[axis]))]
                used.add(k)
            b.help_items.append(("/".join(key_label(k) for k in keys), name))
        return b
    for axis in range(min(dims, len(AXIS_KEYS))):
        plus, minus = AXIS_KEYS[axis]
        b.keys[plus] = [(axis, float(high[axis]))]
        b.keys[minus] = [(axis, float(low[axis]))]
        b.help_items.append((f"{plus}/{minus}", f"axis {axis} +/-"))
    return b


class KeyboardBot:
    """A person at the keyboard, as a bot. The real-time loop calls :meth:`press` once a tick with
    the keys typed since the last tick; :meth:`act` returns the action they mean."""

    def __init__(self, bindings: Bindings, *, hold: float = 0.3, clock: Any = time.monotonic) -> None:
        self.name = "you"
        self.bindings = bindings
        self.hold = hold
        self.clock = clock
        self.reset()

    def reset(self) -> None:
        self.pressed: list[str] = []
        self.last: Any = None
        self.last_time = -1e9

    def press(self, keys: Sequence[str]) -> None:
        self.pressed = list(keys)

    def act(self, observation: Any = None, action_mask: Any = None) -> Any:
        now = self.clock()
        action = self.bindings.action_for(self.pressed)
        self.pressed = []
        if action is not None:
            self.last, self.last_time = action, now
            return action
        if self.last is not None and (self.bindings.sticky or now - self.last_time < self.hold):
            return self.last
        return self.bindings.idle
