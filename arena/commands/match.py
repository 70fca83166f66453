"""``arena match``: two bots play a series of games and the result is printed."""

from __future__ import annotations

import argparse
import json

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

import arena
from arena import bots as bots_lib
from arena.play.match import play_match


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "match", help="play a series of games between two bots",
        description="Two bots play GAMES games of a board game, swapping seats every game.",
        epilog="example: arena match connect_four mcts:200 random --games 10")
    p.add_argument("game", help="board game name (see `arena games`)")
    p.add_argument("bot_a", help="first bot spec, e.g. mcts:200, random")
    p.add_argument("bot_b", help="second bot spec")
    p.add_argument("--games", type=int, default=10, help="number of games (default 10)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--size", type=int, help="gomoku board size")
    p.add_argument("--n-in-row", type=int, help="gomoku line length")
    p.add_argument("--json", action="store_true", help="print one JSON line instead of a table")
    p.set_defaults(func=run)


def game_kwargs(args: argparse.Namespace) -> dict:
    kwargs = {}
    if getattr(args, "size", None) is not None:
        kwargs["size"] = args.size
    if getattr(args, "n_in_row", None) is not None:
        kwargs["n_in_row"] = args.n_in_row
    if kwargs and args.game != "gomoku":
        raise ValueError("--size and --n-in-row only apply to gomoku")
    return kwargs


def run(args: argparse.Namespace) -> int:
    if args.games < 1:
        raise ValueError(f"--games must be at least 1, got {args.games}")
    kwargs = game_kwargs(args)
    env = arena.make(args.game, **kwargs)
    names = [args.bot_a, args.bot_b] if args.bot_a != args.bot_b else [f"{args.bot_a} (A)", f"{args.bot_b} (B)"]
    players = [bots_lib.make(args.bot_a, env, seed=args.seed), bots_lib.make(args.bot_b, env, seed=args.seed + 1)]
    console = Console(stderr=True)
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[score]}"), TimeElapsedColumn(), console=console,
                  disable=args.json) as progress:
        task = progress.add_task(f"{args.game}: {names[0]} vs {names[1]}", total=args.games, score="")
        tally = [0, 0, 0]

        def on_game(record):
            s = record.scores[record.seats.index(0)]
            tally[0 if s > 0 else (1 if s == 0 else 2)] += 1
            progress.update(task, advance=1, score=f"{tally[0]}-{tally[1]}-{tally[2]} (W-D-L)")

        result = play_match(lambda: arena.make(args.game, **kwargs), players, names, args.games,
                            seed=args.seed, on_game=on_game)
    if args.json:
        print(json.dumps({"game": args.game, "games": args.games, "bots": [
            {"spec": n, "wins": result.wins(i), "draws": result.draws(i), "losses": result.losses(i),
             "win_rate": result.win_rate(i)} for i, n in enumerate(names)]}))
        return 0
    table = Table(title=f"{args.game}: {args.games} games, seats alternating")
    for col in ("bot", "wins", "draws", "losses", "score"):
        table.add_column(col, justify="right" if col != "bot" else "left")
    for i, n in enumerate(names):
        table.add_row(n, str(result.wins(i)), str(result.draws(i)), str(result.losses(i)),
                      f"{result.win_rate(i):.1%}")
    Console().print(table)
    return 0
