"""``arena watch GAME --team red=SPEC --team blue=SPEC``: bots play, drawn live; ``--save`` writes a video."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from arena.cli import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "watch", help="watch bots play a game, live in the terminal or saved as a GIF/MP4",
        description="Bots play GAME: one bot per side of a team game (red, blue, ...), per agent of other "
                    "simultaneous-move games, or per seat (player_0, player_1) of a board game. Each step is "
                    "drawn in the terminal; --save writes a video with one frame per step plus the opening "
                    "frame of each episode.",
        epilog="examples: arena watch Soccer-2T1P --team red=random --team blue=random | "
               "arena watch Sumo-2T1P --episodes 2 --fps 0 --save sumo.gif | "
               "arena watch connect_four --team player_0=mcts:200 --team player_1=random")
    p.add_argument("game", help="game name (see `arena games`) or PettingZoo module path")
    p.add_argument("--team", action="append", default=[], metavar="SIDE=SPEC",
                   help="bot for a side (or agent/seat): random, ppo:RUN, league:DIR[:PLAYER], mcts:N, ... "
                        "(repeatable; sides not given play random)")
    p.add_argument("--episodes", type=int, default=1, help="episodes to play (default 1)")
    p.add_argument("--fps", type=float, default=10.0, help="steps drawn per second (0: as fast as possible; default 10)")
    p.add_argument("--save", metavar="FILE", help="write a video: .gif, or .mp4 where ffmpeg is installed")
    p.add_argument("--seed", type=int, default=0, help="seed of the episodes and bots (default 0)")
    p.add_argument("--no-color", action="store_true", help="plain text even on a colour terminal")
    p.set_defaults(func=run)


def parse_teams(items: list[str], seats: list[str]) -> dict[str, str]:
    """``["red=ppo:runs/x", ...]`` -> ``{seat: spec}`` for every seat (unnamed seats play random)."""
    specs: dict[str, str] = {}
    for item in items:
        side, sep, spec = item.partition("=")
        side, spec = side.strip(), spec.strip()
        if not sep or not side or not spec:
            raise UserError(f"--team {item}: write SIDE=SPEC, e.g. --team {seats[0]}=random")
        if side not in seats:
            raise UserError(f"--team {item}: no side '{side}' in this game; sides are {', '.join(seats)}")
        if side in specs:
            raise UserError(f"--team {side} given twice")
        specs[side] = spec
    return {seat: specs.get(seat, "random") for seat in seats}


def run(args: argparse.Namespace) -> int:
    from arena import bots as bots_lib
    from arena.play.realtime import loading
    from arena.play.terminal import supports_color
    from arena.play.video import check_video_path
    from arena.play.watch import make_watch_env, seat_names, watch

    if args.episodes < 1:
        raise UserError(f"--episodes must be at least 1, got {args.episodes}")
    if args.fps < 0:
        raise UserError(f"--fps must be >= 0, got {args.fps}")
    if args.save:
        check_video_path(args.save)
    env = make_watch_env(args.game, {}, video=bool(args.save))
    try:
        seats = list(seat_names(env))
        specs = parse_teams(args.team, seats)
        live = sys.stdout.isatty()
        if live:
            loading(sys.stdout, "bots " + ", ".join(dict.fromkeys(specs.values())))
        bots: list[Any] = [bots_lib.make(spec, env, seed=args.seed + k) for k, spec in enumerate(specs.values())]
        summary = watch(env, bots, list(specs.values()), episodes=args.episodes, fps=args.fps, save=args.save,
                        seed=args.seed, live=live, color=live and not args.no_color and supports_color(sys.stdout),
                        title=args.game)
    finally:
        env.close()
    for k, scores in enumerate(summary.scores):
        print(f"episode {k + 1}: " + "  ".join(f"{seat} ({specs[seat]}) {s:+.2f}" for seat, s in zip(seats, scores))
              + f"  ({summary.steps[k]} steps)")
    if summary.video is not None:
        print(f"saved {summary.video}: {summary.frames} frames ({args.episodes} episodes, "
              f"{sum(summary.steps)} steps)")
    return 0
