"""``arena play``: a person plays a board game against a bot (or a friend) in the terminal."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import arena
from arena import bots as bots_lib
from arena.cli import UserError

DEFAULT_OPPONENT = "mcts"
# Search budget of the bot that answers `hint` when the opponent itself does not search.
HINT_SIMULATIONS = 1000


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "play", help="play any game against bots in the terminal: board games or real time",
        description="Board games (tic_tac_toe, connect_four, gomoku, ...): type a move at the prompt (h8 on "
                    "gomoku and tic-tac-toe, a column number on connect four) or hint, undo, help, quit. "
                    "Simultaneous-move games (Soccer-2T1P, Sumo-2T1P, mpe2.simple_tag_v3, ...): drive one "
                    "agent with the keys shown on screen in real time; p pauses, q quits.",
        epilog="examples: arena play connect_four --opponent mcts:1000 | "
               "arena play gomoku --size 9 --n-in-row 5 --second | arena play tic_tac_toe --opponent human | "
               "arena play Soccer-2T1P --opponent random | arena play mpe2.simple_tag_v3 --as agent_0")
    p.add_argument("game", help="board game name: tic_tac_toe, connect_four, gomoku, ...")
    p.add_argument("--opponent", default=None, metavar="SPEC",
                   help=f"bot to play against: mcts[:SIMULATIONS], random, human (hot-seat), "
                        f"az:CHECKPOINT, ppo:RUN, league:DIR[:PLAYER] (default {DEFAULT_OPPONENT} on board "
                        "games, random in real-time games, where it plays every other side)")
    seat = p.add_mutually_exclusive_group()
    seat.add_argument("--first", dest="human_seat", action="store_const", const=0,
                      help="you move first (default)")
    seat.add_argument("--second", dest="human_seat", action="store_const", const=1,
                      help="the bot moves first")
    p.add_argument("--playouts", type=int, metavar="N",
                   help="search budget per move of searching bots (mcts, az), where the spec gives none")
    p.add_argument("--seed", type=int, help="random seed of the bots (default: a new game every time)")
    p.add_argument("--no-color", action="store_true", help="plain text even on a colour terminal")
    p.add_argument("--env-arg", dest="env_args", action="append", default=[], metavar="KEY=VALUE",
                   help="keyword argument for the game (repeatable; values read as YAML), e.g. --env-arg size=6")
    gomoku = p.add_argument_group("board options (games that take them)")
    gomoku.add_argument("--size", type=int, metavar="N", help="board size: gomoku 5-19 (default 15), othello "
                                                             "even 4-10 (default 8), hex 5-11 (default 11)")
    gomoku.add_argument("--n-in-row", type=int, metavar="K", help="stones in a row to win (default 5)")
    gomoku.add_argument("--exact", action="store_true",
                        help="only exactly K in a row wins (overlines do not count)")
    realtime = p.add_argument_group("real-time (simultaneous-move) games")
    realtime.add_argument("--as", dest="agent", metavar="AGENT", help="the agent you drive (default: the first)")
    realtime.add_argument("--teammate", metavar="SPEC", help="bot for your team-mates (default random)")
    realtime.add_argument("--fps", type=float, help="ticks per second (default 10)")
    realtime.add_argument("--episodes", type=int, metavar="N", help="stop after N episodes (default: until q)")
    p.set_defaults(func=run, human_seat=0)


def game_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments for ``arena.make``: ``--env-arg`` items and the board options of games that
    take them (``--size`` for gomoku, othello and hex; ``--n-in-row`` and ``--exact`` for gomoku)."""
    kwargs: dict[str, Any] = {}
    if args.size is not None:
        kwargs["size"] = args.size
    if args.n_in_row is not None:
        kwargs["n_in_row"] = args.n_in_row
    if args.exact:
        kwargs["exact"] = True
    from arena.commands.match import check_board_options
    from arena.config_input import key_values

    try:
        check_board_options(args.game, kwargs)
    except ValueError as exc:
        raise UserError(str(exc)) from None

    return {**key_values(getattr(args, "env_args", None) or [], "--env-arg"), **kwargs}


def check_playable(name: str, env: Any) -> None:
    """The board UI needs a two-player turn-based game: an Arena :class:`arena.env.TurnBasedGame`
    or a copyable two-player PettingZoo AEC env (see :func:`arena.bots.game_of`)."""
    if not hasattr(env, "agent_iter"):
        raise UserError(f"'{name}' is a simultaneous-move game; the board UI handles turn-based games")
    try:
        game = bots_lib.game_of(env)
    except bots_lib.BotSpecError as exc:
        raise UserError(f"cannot play '{name}' on the board UI: {exc}") from None
    if getattr(game, "num_players", 2) != 2:
        raise UserError(f"'{name}' has {game.num_players} players; the board UI plays two-player games")


def make_bots(args: argparse.Namespace, env: Any) -> tuple[Any, Any]:
    """The opponent and the bot that answers ``hint`` (a search bot whenever one is available)."""
    options = {} if args.playouts is None else {"playouts": args.playouts}
    seed = args.seed
    opponent = bots_lib.make(args.opponent, env, seed=seed, **options)
    hint_seed = None if seed is None else seed + 1
    if isinstance(opponent, bots_lib.SearchBot):
        # A second instance, so that hints never disturb the opponent's own search tree.
        return opponent, bots_lib.make(args.opponent, env, seed=hint_seed, **options)
    if "mcts" in bots_lib.registered_bots():
        hint_options = {"playouts": args.playouts or HINT_SIMULATIONS}
        return opponent, bots_lib.make("mcts", env, seed=hint_seed, **hint_options)
    if isinstance(opponent, bots_lib.HumanBot):
        return opponent, None
    return opponent, opponent


def run(args: argparse.Namespace) -> int:
    from arena.play.parallel_loop import is_parallel
    from arena.play.terminal import play_terminal, supports_color

    # Simultaneous-move games go to the real-time keyboard UI; board games stay below.
    probe = arena.make(args.game, **game_kwargs(args))
    if is_parallel(probe):
        from arena.play.realtime import run_command

        probe.close()
        return run_command(args, game_kwargs(args))
    if args.opponent is None:
        args.opponent = DEFAULT_OPPONENT

    if args.playouts is not None and args.playouts < 1:
        raise UserError(f"--playouts must be at least 1, got {args.playouts}")
    kwargs = game_kwargs(args)
    env = arena.make(args.game, **kwargs)
    check_playable(args.game, env)
    opponent, hint_bot = make_bots(args, env)
    if sys.stdin.isatty():
        try:  # line editing and history at the prompt, where the platform has it
            import readline  # noqa: F401
        except ImportError:
            pass
    color = not args.no_color and supports_color(sys.stdout)
    summary = play_terminal(lambda: arena.make(args.game, **kwargs), opponent, args.human_seat,
                            input, sys.stdout, opponent_name=getattr(opponent, "name", args.opponent), hint_bot=hint_bot,
                            color=color)
    return 130 if summary.interrupted else 0
