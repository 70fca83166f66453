"""``arena ladder LEAGUE_DIR``: play a league's players from the lowest-rated up (the human ladder).

The league logic lives in :mod:`leagues.ladder`, imported only when the command runs (``arena``
never imports ``leagues`` at module level, as with ``arena league``).
"""

from __future__ import annotations

import argparse
import getpass
import sys

from arena.cli import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "ladder", help="climb a league: play its players from the weakest up; your games count in its ratings",
        description="Play the players of a league (fixed bots, learners, snapshots) one after another, "
                    "weakest first by the Bradley-Terry fit: a win climbs a rung, a loss costs a life. Board "
                    "games are played at the prompt, simultaneous-move games in real time from the keyboard. "
                    "Every game is stored in the league as player human:NAME and counts in the ratings that "
                    "`arena league status` and `report` show.",
        epilog="example: arena ladder runs/quick_connect_four --as ada --lives 3")
    p.add_argument("directory", metavar="LEAGUE_DIR", help="league directory (the --out of `arena league run`)")
    p.add_argument("--as", dest="name", metavar="NAME", help="your name in the league (default: your login name)")
    p.add_argument("--lives", type=int, default=3, help="losses allowed before the climb ends (default 3)")
    p.add_argument("--seed", type=int, default=0, help="seed of the bots and episodes (default 0)")
    p.add_argument("--fps", type=float, default=10.0, help="ticks per second in real-time games (default 10)")
    p.add_argument("--no-color", action="store_true", help="plain text even on a colour terminal")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.lives < 1:
        raise UserError(f"--lives must be at least 1, got {args.lives}")
    if args.fps <= 0:
        raise UserError(f"--fps must be positive, got {args.fps}")
    name = args.name
    if not name:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):
            name = "player"
    from leagues.ladder import run_ladder

    if sys.stdin.isatty():
        try:  # line editing at the board prompt
            import readline  # noqa: F401
        except ImportError:
            pass
    return run_ladder(args.directory, name, args.lives, seed=args.seed, fps=args.fps,
                      color=False if args.no_color else None)
