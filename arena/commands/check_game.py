"""``arena check-game NAME``: does a game keep the rules every engine relies on?"""

from __future__ import annotations

import argparse
import warnings
from typing import Any

from arena.cli import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "check-game", help="check a game against PettingZoo's tests and Arena's turn-based protocol",
        description="Runs PettingZoo's api and seed tests on the game's env, and for turn-based games the "
                    "checks of the TurnBasedGame protocol (docs/turn_based.md): state layout, step in place, "
                    "legal masks agree with step, turns alternate, games end within max_moves, results add "
                    "to 0, declared symmetries keep the rules, moves round-trip through the notation. "
                    "Exits 0 when everything passes, 1 naming the first broken requirement.",
        epilog="examples: arena check-game othello | arena check-game hex --env-arg size=7 | "
               "arena check-game pettingzoo.classic.connect_four_v3")
    p.add_argument("game", help="game name, PettingZoo module path, YAML file or plugin game")
    p.add_argument("--env-arg", dest="env_args", action="append", default=[], metavar="KEY=VALUE",
                   help="keyword argument for the game (repeatable)")
    p.add_argument("--games", type=int, default=64, help="random games per protocol check (default 64)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.set_defaults(func=run)


def _line(ok: bool, name: str, detail: str) -> str:
    return f"  {'ok  ' if ok else 'FAIL'} {name:<14} {detail}"


def _pettingzoo_tests(env_factory: Any, parallel: bool) -> list[tuple[str, bool, str]]:
    from pettingzoo.test import api_test, parallel_api_test, parallel_seed_test, seed_test

    out = []
    tests = ([("parallel_api_test", lambda: parallel_api_test(env_factory(), num_cycles=200)),
              ("parallel_seed_test", lambda: parallel_seed_test(env_factory))]
             if parallel else
             [("api_test", lambda: api_test(env_factory(), num_cycles=200)),
              ("seed_test", lambda: seed_test(env_factory, num_cycles=200))])
    for name, test in tests:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                test()
        except Exception as exc:  # noqa: BLE001 - PettingZoo's tests signal failure by raising
            out.append((name, False, f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ''}"))
            break
        out.append((name, True, "passed"))
    return out


def run(args: argparse.Namespace) -> int:
    import contextlib
    import io

    import arena
    from arena.bots import BotSpecError, game_of
    from arena.config_input import key_values
    from arena.env.checks import check_turn_based_game

    if args.games < 1:
        raise UserError(f"--games must be at least 1, got {args.games}")
    kwargs = key_values(args.env_args, "--env-arg")
    env = arena.make(args.game, **kwargs)
    parallel = not hasattr(env, "agent_iter")
    print(f"checking {args.game}{' ' + str(kwargs) if kwargs else ''} "
          f"({'simultaneous-move, Parallel API' if parallel else 'turn-based, AEC API'})")
    failures = []
    with contextlib.redirect_stdout(io.StringIO()):  # PettingZoo's tests print as they go
        results = _pettingzoo_tests(lambda: arena.make(args.game, **kwargs), parallel)
    for name, ok, detail in results:
        print(_line(ok, name, detail))
        if not ok:
            failures.append(f"{name}: {detail}")
    if not parallel:
        try:
            game = game_of(env)
        except BotSpecError as exc:
            print(_line(False, "protocol", str(exc)))
            failures.append(f"protocol: {exc}")
        else:
            for r in check_turn_based_game(game, games=args.games, seed=args.seed):
                print(_line(r.ok, r.name, r.detail))
                if not r.ok:
                    failures.append(f"{r.name}: {r.detail}")
    if failures:
        print(f"{args.game}: broken requirement: {failures[0]}")
        return 1
    print(f"{args.game}: every check passed")
    return 0
