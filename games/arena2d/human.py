"""Keyboard control of a 2-D game.

``python -m games.arena2d.human GAME [--agent A] [--fps F]`` is an alias of ``arena play GAME``
(the real-time terminal UI of :mod:`arena.play.realtime`: the game's own key help, bot opponents,
pause, episodes with a running score, clean exit on q / Ctrl-C / Ctrl-D); see docs/play.md.

The small helpers below stay for scripts and tests that drive an agent from key strings:

* :func:`action_for_keys` / :func:`continuous_for_keys` -- the pure mapping (``w``/up forward,
  ``s``/down backward, ``a``/``d`` step, ``q``/``e`` or left/right arrows turn, space attack, ``f``
  blow; the last key of a frame wins in the discrete space);
* :class:`KeyboardController` -- a bot (``act(observation, action_mask)``) reading keys from any source;
* :func:`play_realtime` -- a minimal frame loop over such a controller (no terminal handling).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TextIO

import numpy as np

# Key -> preset action name. Arrow keys arrive as escape sequences and are translated first.
KEY_ACTIONS: dict[str, str] = {
    "w": "forward", "s": "backward", "a": "left", "d": "right", "q": "turn_left", "e": "turn_right",
    " ": "attack", "f": "blow",
}
ARROWS: dict[str, str] = {"\x1b[A": "w", "\x1b[B": "s", "\x1b[D": "q", "\x1b[C": "e"}
QUIT_KEYS = ("\x03", "\x1b\x1b", "x")  # ctrl-c, double escape, x


def _normalise(keys: str) -> str:
    for seq, key in ARROWS.items():
        keys = keys.replace(seq, key)
    return keys.lower()


def action_for_keys(keys: str, action_names: Sequence[str]) -> int:
    """The discrete action for the keys pressed in one frame: the last mapped key wins; no key
    (or only unmapped keys, or an action this game lacks) is ``none`` (0)."""
    for key in reversed(_normalise(keys)):
        name = KEY_ACTIONS.get(key)
        if name is not None and name in action_names:
            return list(action_names).index(name)
    return 0


def continuous_for_keys(keys: str, action_names: Sequence[str]) -> np.ndarray:
    """The continuous action for all keys of a frame: forward, strafe, turn, then attack and
    blow where the game has them (``action_names`` tells which)."""
    extras = [name for name in ("attack", "blow") if name in action_names]
    action = np.zeros(3 + len(extras), dtype=np.float32)
    pressed = {KEY_ACTIONS.get(k) for k in _normalise(keys)}
    action[0] = float("forward" in pressed) - float("backward" in pressed)
    action[1] = float("left" in pressed) - float("right" in pressed)
    action[2] = float("turn_left" in pressed) - float("turn_right" in pressed)
    for i, name in enumerate(extras):
        action[3 + i] = float(name in pressed)
    return action


class KeyboardController:
    """A bot driven by a person: ``act`` reads the keys pressed since the last call.

    ``read_keys()`` returns the pending key presses (e.g. :meth:`TerminalKeys.read`, or a
    scripted source in tests). ``action_names`` are the game's preset actions (``env.action_names``);
    ``continuous=True`` produces the game's continuous actions instead.
    """

    def __init__(self, read_keys: Callable[[], str], action_names: Sequence[str], continuous: bool = False) -> None:
        self.read_keys = read_keys
        self.action_names = tuple(action_names)
        self.continuous = continuous
        self.last_keys = ""

    def act(self, observation: Any = None, action_mask: np.ndarray | None = None) -> Any:
        self.last_keys = self.read_keys()
        if self.continuous:
            return continuous_for_keys(self.last_keys, self.action_names)
        return action_for_keys(self.last_keys, self.action_names)

    def reset(self) -> None:
        self.last_keys = ""

    @property
    def wants_quit(self) -> bool:
        return any(k in self.last_keys for k in QUIT_KEYS)


def play_realtime(env: Any, human: str, controller: KeyboardController,
                  others: Mapping[str, Callable[[Any], Any]] | None = None, *, fps: float = 10.0,
                  out: TextIO | None = None, seed: int | None = None, max_frames: int | None = None,
                  clear: bool = True) -> dict[str, float]:
    """Play one episode: each frame the person's keys drive ``human``; ``others[agent](obs)``
    act for the rest (default: ``none``). Draws ``env.render()`` (ANSI) every frame and returns
    every agent's episode return. Stops early on a quit key (x, ctrl-c, double escape)."""
    out = out or sys.stdout
    others = dict(others or {})
    if human not in env.possible_agents:
        raise ValueError(f"no agent {human!r} in this game; agents are {', '.join(env.possible_agents)}")
    obs, _ = env.reset(seed=seed)
    controller.reset()
    returns = {a: 0.0 for a in env.possible_agents}
    frame = 0
    period = 1.0 / fps if fps > 0 else 0.0
    while env.agents and (max_frames is None or frame < max_frames):
        started = time.perf_counter()
        actions = {}
        for agent in env.agents:
            if agent == human:
                actions[agent] = controller.act(obs[agent])
            elif agent in others:
                actions[agent] = others[agent](obs[agent])
            else:
                actions[agent] = np.zeros_like(env.action_space(agent).sample())
        if controller.wants_quit:
            break
        obs, rewards, _, _, _ = env.step(actions)
        for agent, r in rewards.items():
            returns[agent] += r
        frame += 1
        picture = env.render()
        if picture is not None:
            out.write(("\x1b[H\x1b[2J" if clear else "") + picture + "\n")
            out.write(f"you are {human}: w/s forward/back, a/d step, q/e turn, space attack, f blow, x quit\n")
            out.flush()
        spare = period - (time.perf_counter() - started)
        if spare > 0:
            time.sleep(spare)
    return returns


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m games.arena2d.human",
                                     description="Play a 2-D Arena game in the terminal (alias of `arena play`).")
    parser.add_argument("game", help="a 2-D game, e.g. Soccer-2T1P (see `arena games`)")
    parser.add_argument("--agent", help="the agent you drive (default: the first)")
    parser.add_argument("--fps", type=float, default=10.0, help="ticks per second (default 10)")
    parser.add_argument("--seed", type=int, help="episode seed")
    parser.add_argument("--opponent", default="random", help="bot for the other side (default random)")
    parser.add_argument("--teammate", default="random", help="bot for your team-mates (default random)")
    args = parser.parse_args(argv)
    from arena.cli import main as arena_main

    command = ["play", args.game, "--fps", str(args.fps), "--opponent", args.opponent, "--teammate", args.teammate]
    if args.agent:
        command += ["--as", args.agent]
    if args.seed is not None:
        command += ["--seed", str(args.seed)]
    return arena_main(command)


if __name__ == "__main__":
    sys.exit(main())
