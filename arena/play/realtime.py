"""Play a simultaneous-move game in real time from the keyboard.

:func:`play_realtime` runs episodes of a PettingZoo Parallel env at a fixed tick (``fps``): each
tick the keys typed since the last one become your agent's action (:mod:`arena.play.controls`),
every other agent is played by its bot, and the screen is redrawn (:mod:`arena.play.view`, fits
80x24). ``p`` pauses, ``q`` or Ctrl-D leaves (status 0), Ctrl-C leaves with status 130. Episodes
repeat with a running score (your side against the best other side) until you leave or
``episodes`` have been played.

Everything goes through :func:`arena.play.parallel_loop.play_parallel_episode`: you are one seat
(your agent), your team-mates another (``teammate`` bot), and each other side one seat
(``opponents``), so the same loop plays league games, matches and videos.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from arena.bots import Bot
from arena.play.controls import Bindings, KeyboardBot, bindings_for
from arena.play.parallel_loop import EpisodeResult, play_parallel_episode, side_of, sides_of
from arena.play.view import draw_field, frame, legend, paint, team_colours, time_left

HOME, CLEAR_BELOW, CLEAR_LINE = "\x1b[H", "\x1b[J", "\x1b[K"
HIDE_CURSOR, SHOW_CURSOR = "\x1b[?25l", "\x1b[?25h"
QUIT_KEYS = frozenset({"q", "Q", "ctrl-d"})
PAUSE_KEYS = frozenset({"p", "P"})


@dataclass
class RealtimeSummary:
    """What happened in a :func:`play_realtime` session (results from your side's point of view)."""

    episodes: list[EpisodeResult] = field(default_factory=list)
    results: list[str] = field(default_factory=list)  # "win" / "loss" / "draw" per finished episode
    interrupted: bool = False  # Ctrl-C

    @property
    def score(self) -> tuple[int, int, int]:
        return (self.results.count("win"), self.results.count("draw"), self.results.count("loss"))


class _Leave(Exception):
    """q or Ctrl-D: leave the session."""


def table_for(env: Any, me: str, opponents: Sequence[Bot], teammate: Bot | None,
              human: Bot) -> tuple[list[Bot], list[list[str]], dict[str, str], int | None]:
    """Seats of a real-time game: you, your team-mates, then one seat per other side.

    ``opponents[k]`` plays the ``k``-th other side (the last one plays any further sides).
    Returns ``(bots, seats, {agent: who drives it}, seat of your team-mates or None)``.
    """
    sides = sides_of(env)
    if me not in env.possible_agents:
        raise ValueError(f"no agent '{me}' in this game; agents are {', '.join(env.possible_agents)}")
    my_side = side_of(me)
    if len(sides) == 1:  # no teams: every agent is its own side
        sides = {a: [a] for a in env.possible_agents}
        my_side = me
    bots: list[Bot] = [human]
    seats: list[list[str]] = [[me]]
    who = {me: "you"}
    mates = [a for a in sides[my_side] if a != me]
    mate_seat = None
    if mates:
        if teammate is None:
            raise ValueError("this game has team-mates: give a --teammate bot")
        bots.append(teammate)
        seats.append(mates)
        mate_seat = 1
        who.update({a: f"mate:{getattr(teammate, 'name', 'bot')}" for a in mates})
    others = [s for s in sides if s != my_side]
    if others and not opponents:
        raise ValueError("give an --opponent bot")
    for k, side in enumerate(others):
        bot = opponents[min(k, len(opponents) - 1)]
        bots.append(bot)
        seats.append(sides[side])
        who.update({a: str(getattr(bot, "name", "bot")) for a in sides[side]})
    return bots, seats, who, mate_seat


def result_of(episode: EpisodeResult, my_seat: int = 0, mate_seat: int | None = None) -> str:
    """``win``/``loss``/``draw`` of your side: its mean return against the best other side's."""
    mine = [episode.returns[a] for s in ([my_seat] + ([mate_seat] if mate_seat is not None else []))
            for a in episode.seats[s]]
    own = sum(mine) / len(mine)
    others = [episode.scores[s] for s in range(len(episode.seats)) if s not in (my_seat, mate_seat)]
    if not others:
        return "draw"
    best = max(others)
    return "win" if own > best else "loss" if own < best else "draw"


class RealtimeSession:
    """One person at the keyboard; see :func:`play_realtime`."""

    def __init__(self, env: Any, me: str, opponents: Sequence[Bot], teammate: Bot | None, *,
                 read_keys: Callable[[float], list[str]], output: TextIO, fps: float = 10.0,
                 color: bool = False, unicode: bool = True, episodes: int | None = None, seed: int | None = None,
                 title: str | None = None, clear: bool = True, hold: float = 0.3, between: float = 2.0) -> None:
        if fps <= 0:
            raise ValueError(f"--fps must be positive, got {fps}")
        self.env = env
        self.me = me
        self.bindings: Bindings = bindings_for(env, me)
        self.human = KeyboardBot(self.bindings, hold=hold)
        self.bots, self.seats, self.who, self.mate_seat = table_for(env, me, opponents, teammate, self.human)
        self.read_keys = read_keys
        self.output = output
        self.period = 1.0 / fps
        self.fps = fps
        self.color = color
        self.unicode = unicode
        self.episodes = episodes
        self.seed = seed
        self.title = title or str(getattr(env, "metadata", {}).get("name", "game"))
        self.clear = clear
        self.between = between
        self.summary = RealtimeSummary()
        self.message = ""
        self.paused = False
        self.deadline = 0.0
        self.observations: Mapping[str, Any] = {}
        self.returns: dict[str, float] = {}
        self.step = 0

    # ----------------------------------------------------------------- drawing
    def header(self) -> str:
        win, draw, loss = self.summary.score
        step, last = time_left(self.env, self.step)
        clock = f"step {step}"
        if last is not None:
            clock = f"step {step}/{last} {max(0, last - step) / self.fps:.1f}s left"
        state = "  [paused]" if self.paused else ""
        mine = paint(f"you {self.me}", team_colours(self.env).get(self.me), color=self.color, bold=True)
        return (f"{self.title} #{len(self.summary.results) + 1}  {mine}  "
                f"W-D-L {win}-{draw}-{loss}  {clock}{state}")

    def draw(self) -> None:
        field = draw_field(self.env, self.me, self.observations, color=self.color, unicode=self.unicode)
        below = legend(self.env, self.me, self.who, self.returns, color=self.color)
        below += self.bindings.help_text()
        below.append(self.message)
        text = frame(self.header(), field, below)
        if self.clear:
            text = HOME + text.replace("\n", CLEAR_LINE + "\n") + CLEAR_LINE + CLEAR_BELOW
        else:
            text += "\n"
        self.output.write(text)
        self.output.flush()

    # ----------------------------------------------------------------- the tick
    def handle(self, keys: list[str]) -> list[str]:
        """Quit/pause keys; returns the keys left for the agent."""
        if "ctrl-c" in keys:
            raise KeyboardInterrupt
        if any(k in QUIT_KEYS for k in keys):
            raise _Leave
        play = []
        for k in keys:
            if k in PAUSE_KEYS:
                self.paused = not self.paused
            else:
                play.append(k)
        return play

    def wait_while_paused(self) -> None:
        self.draw()
        while self.paused:
            self.handle(self.read_keys(0.2))
        self.deadline = time.monotonic()

    def before_step(self, env: Any, step: int) -> bool:
        # Wait for the tick, collecting every key typed meanwhile.
        keys: list[str] = []
        while True:
            spare = self.deadline + self.period - time.monotonic()
            keys += self.read_keys(max(0.0, spare))
            if spare <= 0:
                break
        self.deadline += self.period
        if time.monotonic() - self.deadline > self.period:  # far behind (a slow bot): do not catch up
            self.deadline = time.monotonic()
        play = self.handle(keys)
        if self.paused:
            self.wait_while_paused()
        self.human.press(play)
        return True

    def on_reset(self, env: Any) -> None:
        self.step = 0
        self.returns = dict.fromkeys(env.possible_agents, 0.0)
        self.deadline = time.monotonic()
        self.draw()

    def on_step(self, env: Any, step: int, rewards: Mapping[str, float], returns: Mapping[str, float]) -> None:
        self.step = step
        self.returns = dict(returns)
        self.draw()

    def play_episode(self, index: int) -> EpisodeResult:
        seed = None if self.seed is None else self.seed + index
        return play_parallel_episode(self.env, self.bots, seats=self.seats, seed=seed, on_reset=self.on_reset,
                                     before_step=self.before_step, on_step=self.on_step)

    def end_of_episode(self, result: EpisodeResult) -> None:
        outcome = result_of(result, 0, self.mate_seat)
        self.summary.episodes.append(result)
        self.summary.results.append(outcome)
        win, draw, loss = self.summary.score
        self.message = (f"episode over: you {'win' if outcome == 'win' else 'lose' if outcome == 'loss' else 'draw'}"
                        f" ({win}-{draw}-{loss}); next episode in {self.between:g} s, q quits")
        self.draw()
        end = time.monotonic() + self.between
        if self.episodes is not None and len(self.summary.results) >= self.episodes:
            return
        while time.monotonic() < end:
            self.handle(self.read_keys(min(0.2, max(0.0, end - time.monotonic()))))
        self.message = ""

    def run(self) -> RealtimeSummary:
        index = 0
        if self.clear:
            self.output.write(HIDE_CURSOR + "\x1b[2J")
        try:
            while self.episodes is None or index < self.episodes:
                result = self.play_episode(index)
                index += 1
                self.end_of_episode(result)
        except _Leave:
            pass
        except KeyboardInterrupt:
            self.summary.interrupted = True
        finally:
            if self.clear:
                self.output.write(SHOW_CURSOR)
            win, draw, loss = self.summary.score
            self.output.write(f"\nbye: {len(self.summary.results)} episodes, you {win}-{draw}-{loss} (W-D-L)"
                              + (" (interrupted)" if self.summary.interrupted else "") + "\n")
            self.output.flush()
        return self.summary


def play_realtime(env: Any, me: str, opponents: Sequence[Bot], teammate: Bot | None = None, *,
                  read_keys: Callable[[float], list[str]], output: TextIO | None = None, fps: float = 10.0,
                  color: bool = False, unicode: bool = True, episodes: int | None = None,
                  seed: int | None = None, title: str | None = None, clear: bool = True,
                  between: float = 2.0) -> RealtimeSummary:
    """Play ``env`` (a Parallel env) as agent ``me`` from the keyboard until q / Ctrl-D / Ctrl-C
    or ``episodes`` episodes.

    ``read_keys(timeout)`` returns the key names typed since the last call, waiting up to
    ``timeout`` seconds for the first (:meth:`arena.play.keys.TerminalKeys.read`, or a script in
    tests). ``opponents[k]`` plays the ``k``-th other side, ``teammate`` the rest of your side.
    Never raises on Ctrl-C: ``RealtimeSummary.interrupted`` tells.
    """
    session = RealtimeSession(env, me, opponents, teammate, read_keys=read_keys, output=output or sys.stdout,
                              fps=fps, color=color, unicode=unicode, episodes=episodes, seed=seed, title=title,
                              clear=clear, between=between)
    return session.run()


# ---------------------------------------------------------------------------- the command
def make_env(name: str, kwargs: Mapping[str, Any] | None = None, *, render_mode: str | None = "ansi") -> Any:
    """``arena.make(name)`` in ``render_mode`` where the game takes it, else without one."""
    import arena

    kwargs = dict(kwargs or {})
    if render_mode is not None:
        try:
            return arena.make(name, render_mode=render_mode, **kwargs)
        except (TypeError, ValueError, AssertionError):
            pass
    return arena.make(name, **kwargs)


def loading(output: TextIO, what: str) -> None:
    """The line shown before a slow load (so the screen is never blank)."""
    output.write(f"loading {what} ...\n")
    output.flush()


def build_side_bots(env: Any, me: str, opponent_specs: Sequence[str], teammate_spec: str | None,
                    seed: int | None) -> tuple[list[Bot], Bot | None]:
    """One opponent bot per other side (the last spec repeats) and the team-mates' bot."""
    from arena import bots as bots_lib

    sides = sides_of(env)
    my_side = side_of(me) if len(sides) > 1 else me
    others = [s for s in sides if s != my_side] if len(sides) > 1 else [a for a in env.possible_agents if a != me]
    specs = list(opponent_specs) or ["random"]
    opponents = []
    for k, _ in enumerate(others):
        spec = specs[min(k, len(specs) - 1)]
        opponents.append(bots_lib.make(spec, env, seed=None if seed is None else seed + 1 + k))
    mates = [a for a in sides.get(my_side, []) if a != me] if len(sides) > 1 else []
    teammate = bots_lib.make(teammate_spec or "random", env, seed=None if seed is None else seed + 100) \
        if mates else None
    return opponents, teammate


def run_command(args: Any, kwargs: Mapping[str, Any] | None = None) -> int:
    """``arena play GAME`` on a simultaneous-move game (see :func:`play_realtime`); returns the exit status."""
    from arena.cli import UserError
    from arena.play.keys import TerminalKeys, discard_typed_keys
    from arena.play.terminal import supports_color

    fps = getattr(args, "fps", None) or 10.0
    if fps <= 0 or fps > 120:
        raise UserError(f"--fps must be between 0 and 120, got {fps}")
    episodes = getattr(args, "episodes", None)
    if episodes is not None and episodes < 1:
        raise UserError(f"--episodes must be at least 1, got {episodes}")
    if not sys.stdin.isatty():
        raise UserError(f"{args.game} is played in real time from the keyboard: run arena play in a terminal "
                        f"(to let bots play it, use arena watch {args.game} or arena match)")
    out = sys.stdout
    env = make_env(args.game, kwargs)
    me = getattr(args, "agent", None) or env.possible_agents[0]
    if me not in env.possible_agents:
        raise UserError(f"--as {me}: no such agent in {args.game}; agents are {', '.join(env.possible_agents)}")
    opponent = getattr(args, "opponent", None)
    specs = opponent if isinstance(opponent, list) else ([opponent] if opponent else [])
    loading(out, "bots " + ", ".join(specs or ["random"]))
    opponents, teammate = build_side_bots(env, me, specs, getattr(args, "teammate", None), args.seed)
    color = not getattr(args, "no_color", False) and supports_color(out)
    unicode = (getattr(out, "encoding", "") or "").lower().replace("-", "") in ("utf8",)
    discard_typed_keys()
    try:
        with TerminalKeys() as keys:
            summary = play_realtime(env, me, opponents, teammate, read_keys=keys.read, output=out, fps=fps,
                                    color=color, unicode=unicode, episodes=episodes, seed=args.seed,
                                    title=args.game)
    except OSError as exc:
        raise UserError(str(exc)) from None
    finally:
        env.close()
    return 130 if summary.interrupted else 0
