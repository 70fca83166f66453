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
from arena.play.parallel_loop import is_parallel, play_parallel_match, seats_of


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "match", help="play a series of games between two bots",
        description="Two bots play GAMES games, swapping seats every game: a board game (who moves first "
                    "alternates) or a simultaneous-move game (each bot plays one side -- a team in xTyP "
                    "games -- and the bots change sides every game; the side with the higher mean return "
                    "wins).",
        epilog="examples: arena match connect_four mcts:200 random --games 10 | "
               "arena match Sumo-2T1P random random --games 2")
    p.add_argument("game", help="game name (see `arena games`) or PettingZoo module path")
    p.add_argument("bot_a", help="first bot spec, e.g. mcts:200, random")
    p.add_argument("bot_b", help="second bot spec")
    p.add_argument("--games", type=int, default=10, help="number of games (default 10)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--size", type=int, help="board size of games that take one (gomoku, othello, hex)")
    p.add_argument("--n-in-row", type=int, help="gomoku line length")
    add_env_arg_option(p)
    p.add_argument("--json", action="store_true", help="print one JSON line instead of a table")
    p.set_defaults(func=run)


def add_env_arg_option(parser: argparse.ArgumentParser) -> None:
    """``--env-arg KEY=VALUE`` (repeatable): keyword arguments for ``arena.make``."""
    parser.add_argument("--env-arg", dest="env_args", action="append", default=[], metavar="KEY=VALUE",
                        help="keyword argument for the game (repeatable; values read as YAML), "
                             "e.g. --env-arg board_size=9")


def game_kwargs(args: argparse.Namespace) -> dict:
    """Keyword arguments for ``arena.make``: ``--env-arg`` items, then gomoku's --size/--n-in-row."""
    from arena.config_input import key_values

    kwargs = key_values(getattr(args, "env_args", None) or [], "--env-arg")
    board = {}
    if getattr(args, "size", None) is not None:
        board["size"] = args.size
    if getattr(args, "n_in_row", None) is not None:
        board["n_in_row"] = args.n_in_row
    check_board_options(args.game, board)
    return {**kwargs, **board}


def check_board_options(game: str, options: dict) -> None:
    """The board flags (--size, --n-in-row, --exact) work for every registered game that takes the
    keyword (gomoku, othello, hex, a plugin's game); otherwise one line naming what the game takes."""
    if not options:
        return
    from arena.env.registry import UnknownGameError, spec

    try:
        accepted = set(spec(game).kwargs)
    except (UnknownGameError, ValueError):
        accepted = set()
    refused = [k for k in options if k not in accepted]
    if refused:
        flags = ", ".join("--" + k.replace("_", "-") for k in refused)
        takes = f"it takes {', '.join(sorted(accepted))}" if accepted else "it takes no board options"
        raise ValueError(f"{flags}: {game} has no such option ({takes}; other keywords go in --env-arg KEY=VALUE)")


def run(args: argparse.Namespace) -> int:
    if args.games < 1:
        raise ValueError(f"--games must be at least 1, got {args.games}")
    kwargs = game_kwargs(args)
    env = arena.make(args.game, **kwargs)
    names = [args.bot_a, args.bot_b] if args.bot_a != args.bot_b else [f"{args.bot_a} (A)", f"{args.bot_b} (B)"]
    players = [bots_lib.make(args.bot_a, env, seed=args.seed), bots_lib.make(args.bot_b, env, seed=args.seed + 1)]
    parallel = is_parallel(env)
    if parallel:
        seats_of(env, 2)  # two agents, or two sides (teams); otherwise a one-line error naming them
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

        play = play_parallel_match if parallel else play_match
        result = play(lambda: arena.make(args.game, **kwargs), players, names, args.games,
                      seed=args.seed, on_game=on_game)
    if args.json:
        print(json.dumps({"game": args.game, "games": args.games, "bots": [
            {"spec": n, "wins": result.wins(i), "draws": result.draws(i), "losses": result.losses(i),
             "win_rate": result.win_rate(i)} for i, n in enumerate(names)]}))
        return 0
    how = "sides alternating" if parallel else "seats alternating"
    table = Table(title=f"{args.game}: {args.games} games, {how}")
    for col in ("bot", "wins", "draws", "losses", "score"):
        table.add_column(col, justify="right" if col != "bot" else "left")
    for i, n in enumerate(names):
        table.add_row(n, str(result.wins(i)), str(result.draws(i)), str(result.losses(i)),
                      f"{result.win_rate(i):.1%}")
    Console().print(table)
    return 0
