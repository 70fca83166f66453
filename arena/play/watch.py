"""Watch bots play: live in the terminal, and as a video (``arena watch``, league report GIFs).

:func:`watch` plays ``episodes`` episodes of any game between bots -- one bot per side of a
simultaneous-move game (through :func:`arena.play.parallel_loop.play_parallel_episode`) or per
seat of a turn-based one -- drawing every step in the terminal and, with ``save``, writing a GIF
(or MP4) with one frame per step plus the opening frame of each episode. Frames come from the
env's ``rgb_array`` renderer where it has one, else from the text picture.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from arena.bots import Bot
from arena.play.parallel_loop import is_parallel, play_parallel_episode, sides_of
from arena.play.view import draw_field, legend, strip_ansi

HOME_CLEAR = "\x1b[H\x1b[J"


@dataclass
class WatchSummary:
    """Per episode: each seat's score; and the video written, with its frame count."""

    seats: list[str]
    scores: list[tuple[float, ...]] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)
    video: Path | None = None
    frames: int = 0


def seat_names(env: Any) -> dict[str, list[str]]:
    """``{seat name: agents}``: the sides of a team game, else one seat per agent."""
    if is_parallel(env):
        sides = sides_of(env)
        if len(sides) > 1:
            return sides
    return {a: [a] for a in env.possible_agents}


def make_watch_env(name: str, kwargs: Mapping[str, Any] | None, *, video: bool) -> Any:
    """The env in the best render mode for watching: ``rgb_array`` for videos where it exists, else ``ansi``."""
    from arena.play.realtime import make_env

    if video:
        env = make_env(name, kwargs, render_mode="rgb_array")
        if getattr(env, "render_mode", None) == "rgb_array":
            return env
    return make_env(name, kwargs, render_mode="ansi")


def _board_text(env: Any) -> str:
    from arena.bots import game_of

    try:
        return str(game_of(env).render(env.unwrapped.state, 0))
    except Exception:
        text = env.render() if getattr(env, "render_mode", None) == "ansi" else None
        return text if isinstance(text, str) else ""


def _text_frame(env: Any, header: str, returns: Mapping[str, float], who: Mapping[str, str], *, color: bool,
                observations: Mapping[str, Any] | None = None) -> str:
    if not is_parallel(env):
        return header + "\n" + _board_text(env)
    field_lines = draw_field(env, None, observations or {}, color=color)
    return "\n".join([header, *field_lines, *legend(env, None, who, returns, color=color)])


def watch(env: Any, bots: Sequence[Bot], names: Sequence[str], *, episodes: int = 1, fps: float = 10.0,
          save: str | Path | None = None, seed: int | None = None, output: TextIO | None = None,
          live: bool | None = None, color: bool = False, title: str = "", max_frames: int | None = None,
          on_episode: Callable[[int, tuple[float, ...]], None] | None = None) -> WatchSummary:
    """Bots play ``episodes`` episodes of ``env``; ``bots[k]`` plays seat ``k`` of :func:`seat_names`
    (named ``names[k]`` on screen). Draws each step when ``live`` (default: output is a terminal)
    at ``fps`` steps per second (0: as fast as possible), and writes ``save`` (.gif/.mp4)."""
    from arena.play.video import VideoWriter, text_image

    output = output or sys.stdout
    if live is None:
        live = bool(getattr(output, "isatty", lambda: False)())
    if episodes < 1:
        raise ValueError(f"--episodes must be at least 1, got {episodes}")
    if fps < 0:
        raise ValueError(f"--fps must be >= 0, got {fps}")
    seats = seat_names(env)
    if len(bots) != len(seats):
        raise ValueError(f"{len(bots)} bots for {len(seats)} seats ({', '.join(seats)})")
    writer = VideoWriter(save, fps or 10.0) if save is not None else None
    rgb = getattr(env, "render_mode", None) == "rgb_array"
    who = {a: names[k] for k, agents in enumerate(seats.values()) for a in agents}
    summary = WatchSummary(list(seats))
    period = 1.0 / fps if fps > 0 else 0.0
    state = {"episode": 0, "next": time.monotonic()}

    def show(env: Any, step: int, returns: Mapping[str, float], observations: Mapping[str, Any] | None = None) -> None:
        header = f"{title}  episode {state['episode'] + 1}/{episodes}  step {step}  " + "  ".join(
            f"{seat} ({names[k]})" for k, seat in enumerate(seats))
        text = None
        if live:
            text = _text_frame(env, header, returns, who, color=color, observations=observations)
            output.write(HOME_CLEAR + text + "\n")
            output.flush()
        if writer is not None and (max_frames is None or len(writer) < max_frames):
            if rgb:
                writer.add(env.render())
            else:
                writer.add(text_image(strip_ansi(text) if text is not None else
                                      _text_frame(env, header, returns, who, color=False, observations=observations)))
        if live and period:
            state["next"] += period
            spare = state["next"] - time.monotonic()
            if spare > 0:
                time.sleep(spare)
            else:
                state["next"] = time.monotonic()

    moves = {"n": 0}

    def on_move(agent: str, action: int) -> None:
        show(env, moves["n"], {})
        moves["n"] += 1

    for episode in range(episodes):
        state["episode"] = episode
        state["next"] = time.monotonic()
        episode_seed = None if seed is None else seed + episode
        if is_parallel(env):
            result = play_parallel_episode(
                env, list(bots), seats=list(seats.values()), seed=episode_seed,
                on_reset=lambda e: show(e, 0, dict.fromkeys(e.possible_agents, 0.0)),
                on_step=lambda e, step, rewards, returns: show(e, step, returns))
            scores, steps = result.scores, result.steps
        else:
            from arena.play.match import play_game

            moves["n"] = 0
            record = play_game(env, list(bots), seed=episode_seed, on_move=on_move)
            show(env, moves["n"], {})
            scores, steps = record.scores, moves["n"]
        summary.scores.append(tuple(float(s) for s in scores))
        summary.steps.append(int(steps))
        if on_episode is not None:
            on_episode(episode, summary.scores[-1])
    if writer is not None:
        summary.frames = len(writer)
        summary.video = writer.close()
    return summary


def record_video(game: str, kwargs: Mapping[str, Any] | None, bots: Sequence[Bot], names: Sequence[str],
                 path: str | Path, *, seed: int = 0, fps: float = 10.0, max_frames: int = 150) -> WatchSummary:
    """One episode between ``bots`` saved to ``path`` (at most ``max_frames`` frames), nothing drawn."""
    env = make_watch_env(game, kwargs, video=True)
    try:
        return watch(env, bots, names, episodes=1, fps=fps, save=path, seed=seed, live=False, title=game,
                     max_frames=max_frames)
    finally:
        env.close()


def frame_count(path: str | Path) -> int:
    """Frames in a saved GIF (for tests and reports)."""
    from PIL import Image

    with Image.open(path) as image:
        return int(getattr(image, "n_frames", 1))



def run_game(run_dir: Path) -> tuple[str, str, dict[str, Any]] | None:
    """``(bot spec, game, game kwargs)`` for a PPO run directory or a league directory, else ``None``."""
    import json
    import sqlite3

    if (run_dir / "league.db").is_file():
        uri = f"{(run_dir / 'league.db').resolve().as_uri()}?mode=ro"
        try:
            db = sqlite3.connect(uri, uri=True)
            try:
                row = db.execute("SELECT value FROM meta WHERE key = 'recipe'").fetchone()
            finally:
                db.close()
            recipe = json.loads(row[0]) if row else {}
        except (sqlite3.Error, ValueError) as exc:
            raise ValueError(f"{run_dir}/league.db cannot be read ({exc})") from None
        return f"league:{run_dir}", str(recipe.get("game") or ""), dict(recipe.get("game_kwargs") or {})
    config = run_dir / "config.json"
    if config.is_file() and (run_dir / "checkpoint.pt").is_file():
        try:
            saved = json.loads(config.read_text())
        except (OSError, ValueError):
            return None
        if isinstance(saved, dict) and "game" in saved and "env_args" in saved:  # written by arena train ppo
            return f"ppo:{run_dir}", str(saved["game"]), dict(saved["env_args"] or {})
    return None


def watch_run(run_dir: str | Path, *, episodes: int = 1, fps: float = 10.0, seed: int = 0) -> int | None:
    """``arena eval RUN --render`` for PPO runs and league directories: the run (or the league's
    top trained player) plays every side. ``None`` when ``run_dir`` is neither (a MADDPG run)."""
    from arena import bots as bots_lib

    found = run_game(Path(run_dir))
    if found is None:
        return None
    spec, game, kwargs = found
    if not game:
        raise ValueError(f"{run_dir}: the run names no game")
    env = make_watch_env(game, kwargs, video=False)
    try:
        seats = seat_names(env)
        bots = [bots_lib.make(spec, env, seed=seed + k) for k in range(len(seats))]
        summary = watch(env, bots, [spec] * len(seats), episodes=episodes, fps=fps, seed=seed, live=True,
                        color=bool(getattr(sys.stdout, "isatty", lambda: False)()), title=game)
    finally:
        env.close()
    for k, scores in enumerate(summary.scores):
        print(f"episode {k + 1}: " + "  ".join(f"{seat} {s:+.2f}" for seat, s in zip(seats, scores)))
    return 0
