"""``arena eval RUN_DIR``: mean returns of a trained MADDPG or PPO run, per agent and per team, and
``--render`` to watch it play in the terminal.

Terminal view: games with an ``ansi`` render mode print their own text; multi-particle (mpe2)
worlds are drawn on a character grid (agents as letters, landmarks as digits); anything else
prints each step's actions and rewards.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

GRID_WIDTH, GRID_HEIGHT = 41, 19
GRID_EXTENT = 1.6  # world coordinates shown: [-extent, extent] on both axes


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "eval", help="evaluate a trained MADDPG or PPO run: mean returns per agent and per team",
        description="Play a trained run (a directory written by `arena train maddpg` or `arena train ppo`; a PPO "
                    "run's policies play every seat) with greedy actions and print mean episode returns per "
                    "agent and per team (a team's figure is the mean over its agents; teams come from agent "
                    "names, e.g. adversary_0 -> adversary).",
        epilog="examples:\n  arena eval runs/spread --episodes 100\n  arena eval runs/spread --json\n"
               "  arena eval runs/spread --render --episodes 2\n"
               "  arena eval runs/spread_mappo --episodes 100     # a run of arena train ppo",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run_dir", metavar="RUN_DIR", help="run directory (holds config.json and checkpoint.pt)")
    p.add_argument("--episodes", type=int, default=100, help="episodes to play (default 100)")
    p.add_argument("--seed", type=int, default=12345, help="env seed (default 12345)")
    p.add_argument("--explore", action="store_true",
                   help="act as in training instead of greedily (MADDPG: sampled discrete actions, noise-free "
                        "continuous ones; PPO: sampled from the policy)")
    p.add_argument("--json", action="store_true", help="print one machine-readable JSON line")
    p.add_argument("--render", action="store_true", help="watch the team play in the terminal (one env copy)")
    p.add_argument("--fps", type=float, default=8.0, help="frames per second with --render (0: no delay)")
    p.set_defaults(func=run)


def mpe_grid(env: Any) -> str | None:
    """A character picture of an mpe2 world, or ``None`` when ``env`` is not one.

    Agents of the first team are drawn as A, B, C, ..., of the second team as a, b, c, ...
    (others as ``*``); landmarks as digits.
    """
    world = getattr(getattr(env, "unwrapped", env), "world", None)
    if world is None or not hasattr(world, "agents"):
        return None
    grid = [[" "] * GRID_WIDTH for _ in range(GRID_HEIGHT)]

    def put(pos: Any, char: str) -> None:
        x, y = float(pos[0]), float(pos[1])
        col = round((x + GRID_EXTENT) / (2 * GRID_EXTENT) * (GRID_WIDTH - 1))
        row = round((GRID_EXTENT - y) / (2 * GRID_EXTENT) * (GRID_HEIGHT - 1))
        grid[min(max(row, 0), GRID_HEIGHT - 1)][min(max(col, 0), GRID_WIDTH - 1)] = char

    for index, landmark in enumerate(getattr(world, "landmarks", [])):
        put(landmark.state.p_pos, str(index % 10))
    teams: list[str] = []
    legend = []
    for agent in world.agents:
        team = agent.name.rsplit("_", 1)[0]
        if team not in teams:
            teams.append(team)
        members = [a for a in world.agents if a.name.rsplit("_", 1)[0] == team]
        k = members.index(agent)
        team_no = teams.index(team)
        letter = chr(ord("A") + k % 26) if team_no == 0 else chr(ord("a") + k % 26) if team_no == 1 else "*"
        put(agent.state.p_pos, letter)
        legend.append(f"{letter}={agent.name}")
    border = "+" + "-" * GRID_WIDTH + "+"
    body = "\n".join("|" + "".join(row) + "|" for row in grid)
    return f"{border}\n{body}\n{border}\n{' '.join(legend)}   digits = landmarks"


def _frame(env: Any, step: int, episode: int, returns: dict[str, float]) -> str:
    picture = mpe_grid(env)
    if picture is None and "ansi" in (getattr(env, "metadata", {}) or {}).get("render_modes", []) \
            and getattr(env, "render_mode", None) == "ansi":
        picture = env.render()
    header = f"episode {episode + 1}  step {step}  " + "  ".join(f"{a} {r:+.2f}" for a, r in returns.items())
    return header if picture is None else f"{header}\n{picture}"


@contextlib.contextmanager
def _episode_progress(total: int, enabled: bool) -> Iterator[Callable[[int], None] | None]:
    """A transient bar of finished episodes (``episodes 37/100``) on a terminal; nothing otherwise."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("episodes"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  transient=True) as progress:
        task = progress.add_task("eval", total=total)
        yield lambda finished: progress.update(task, completed=finished)


def _eval_ppo(args: argparse.Namespace) -> int:
    """``arena eval`` on a run of ``arena train ppo``: its policies in every seat."""
    from arena.marl.ppo_bot import evaluate_run

    with _episode_progress(args.episodes, enabled=sys.stdout.isatty() and not args.json) as on_episode:
        result = evaluate_run(args.run_dir, args.episodes, seed=args.seed, explore=args.explore,
                              on_episode=on_episode)
    if args.json:
        print(json.dumps(result, sort_keys=True))
        return 0
    print(f"{result['env']}: {result['episodes']} episodes, run trained for {result['env_steps_trained']:,} env steps")
    print(f"{'agent':<20} {'team':<14} {'mean return':>12}")
    from arena.env.teams import team_of

    for agent, value in result["per_agent"].items():
        print(f"{agent:<20} {team_of(agent):<14} {value:>12.2f}")
    for team, value in result["per_team"].items():
        print(f"{'team ' + team:<35} {value:>12.2f}")
    print(f"{'mean per agent':<35} {result['mean_per_agent']:>12.2f}")
    return 0


def run(args: argparse.Namespace) -> int:
    from arena.marl.maddpg import evaluate, load_run

    if args.render:  # PPO runs and league directories are watched through arena.play.watch
        from arena.play.watch import watch_run

        watched = watch_run(args.run_dir, episodes=min(args.episodes, 3) if args.episodes == 100 else args.episodes,
                            fps=args.fps, seed=args.seed)
        if watched is not None:
            return watched
    else:
        from arena.play.watch import run_game

        found = run_game(Path(args.run_dir))
        if found is not None and found[0].startswith("ppo:"):
            return _eval_ppo(args)
    if Path(args.run_dir).is_dir() and not (Path(args.run_dir) / "config.json").is_file():
        raise ValueError(f"'{args.run_dir}' is not a run directory of `arena train maddpg` or `arena train ppo` "
                         "(no config.json)")
    run_ = load_run(args.run_dir)
    if not args.render:
        with _episode_progress(args.episodes, enabled=sys.stdout.isatty() and not args.json) as on_episode:
            result = evaluate(run_, args.episodes, seed=args.seed, explore=args.explore, on_episode=on_episode)
        result["episodes_trained"] = run_.episodes_trained
        if args.json:
            print(json.dumps(result, sort_keys=True))
        else:
            print(f"{run_.env_name}: {result['episodes']} episodes, run trained for {run_.episodes_trained} episodes")
            print(f"{'agent':<20} {'team':<14} {'mean return':>12}")
            for agent in run_.agents:
                print(f"{agent.name:<20} {agent.team:<14} {result['per_agent'][agent.name]:>12.2f}")
            for team, value in result["per_team"].items():
                print(f"{'team ' + team:<35} {value:>12.2f}")
            print(f"{'mean per agent':<35} {result['mean_per_agent']:>12.2f}")
        return 0

    # Watching: one env copy (in its text render mode when it has one), a frame per step.
    from arena.marl.maddpg import env_factory

    probe = env_factory(run_.env_name, run_.config.env_kwargs)()
    extra = {"render_mode": "ansi"} if "ansi" in (getattr(probe, "metadata", {}) or {}).get("render_modes", []) else {}
    probe.close()
    delay = 1.0 / args.fps if args.fps > 0 else 0.0
    names = [a.name for a in run_.agents]
    running = {name: 0.0 for name in names}

    def on_step(env: Any, episode: int, step: int, rewards: Any) -> None:
        for i, name in enumerate(names):
            running[name] += float(rewards[i])
        if env is None:  # the episode ended on this step (the copy is already reset)
            print(f"episode {episode + 1} over after {step} steps: "
                  + "  ".join(f"{a} {r:+.2f}" for a, r in running.items()), flush=True)
            for name in names:
                running[name] = 0.0
            if delay:
                time.sleep(5 * delay)
            return
        clear = "\x1b[H\x1b[2J" if sys.stdout.isatty() else ""
        print(clear + _frame(env, step, episode, running), flush=True)
        if delay:
            time.sleep(delay)

    result = evaluate(run_, args.episodes, seed=args.seed, explore=args.explore, on_step=on_step,
                      extra_env_kwargs=extra)
    print(f"mean per-agent return over {result['episodes']} episodes: {result['mean_per_agent']:.2f}")
    return 0
