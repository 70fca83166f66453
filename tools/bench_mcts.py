"""Benchmark: pure MCTS simulations per second against OpenSpiel's C++ ``MCTSBot``.

Both sides search the empty board with the same budget (1000 simulations per move by default),
UCT with ``uct_c=2`` and one uniformly random rollout per simulation, single-threaded, in the
same process, alternating repetitions so that machine noise hits both alike; the table shows the
median rate of each and their ratio (Arena / OpenSpiel; above 1 means Arena is faster).

    python tools/bench_mcts.py                 # full run: table
    python tools/bench_mcts.py --json          # the same as JSON
    python tools/bench_mcts.py --quick         # a few repetitions, for smoke tests
    python tools/bench_mcts.py --vs-random 100 # also: mcts:1000 vs random, 100 connect-four games
    python tools/bench_mcts.py --vs-openspiel 40  # also: 40 games against OpenSpiel's MCTSBot

OpenSpiel comes from the ``bench`` extra (``pip install -e .[bench]``); without it only Arena's
rates are printed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

# (label, Arena game factory, OpenSpiel game string). The 8x8 gomoku row appears twice because
# OpenSpiel has two implementations of the same rules: its "gomoku" game (the faster one, the
# reference the target is set against) and its general "mnk" game.
CASES: list[tuple[str, str, str]] = [
    ("connect four", "connect_four", "connect_four"),
    ("gomoku 8x8, 5 in a row", "gomoku8", "gomoku(size=8,connect=5)"),
    ("gomoku 8x8, 5 in a row (OpenSpiel mnk)", "gomoku8", "mnk(m=8,n=8,k=5)"),
]


@dataclass
class Row:
    game: str
    openspiel_game: str
    simulations: int
    repetitions: int
    arena_sims_per_s: float
    openspiel_sims_per_s: float | None
    ratio: float | None


def _arena_game(key: str) -> Any:
    from games.board.mnk import connect_four, gomoku

    return connect_four() if key == "connect_four" else gomoku(8, 5)


def _timed(fn: Callable[[], int]) -> float:
    """Simulations per second of one call of ``fn`` (which returns the simulations it ran)."""
    start = time.perf_counter()
    sims = fn()
    return sims / (time.perf_counter() - start)


def bench_case(label: str, arena_key: str, openspiel_name: str, simulations: int, repetitions: int,
               seed: int, pyspiel: Any) -> Row:
    from arena.mcts.pure import PureMCTS, PureMCTSConfig

    game = _arena_game(arena_key)
    state = game.initial_state(1)
    search = PureMCTS(game, PureMCTSConfig(simulations=simulations, uct_c=2.0), seed=seed)

    def run_arena() -> int:
        return search.search(state).simulations

    run_openspiel: Callable[[], int] | None = None
    if pyspiel is not None:
        os_game = pyspiel.load_game(openspiel_name)
        evaluator = pyspiel.RandomRolloutEvaluator(1, seed)
        # (game, evaluator, uct_c, max_simulations, max_memory_mb, solve, seed, verbose)
        bot = pyspiel.MCTSBot(os_game, evaluator, 2.0, simulations, 1 << 20, False, seed, False)
        os_state = os_game.new_initial_state()

        def run_openspiel() -> int:
            bot.step(os_state)
            return simulations

    # Warm-up: loads numba's cached machine code and touches both sides' memory once.
    run_arena()
    if run_openspiel is not None:
        run_openspiel()
    arena_rates: list[float] = []
    openspiel_rates: list[float] = []
    for _ in range(repetitions):
        arena_rates.append(_timed(run_arena))
        if run_openspiel is not None:
            openspiel_rates.append(_timed(run_openspiel))
    arena_rate = statistics.median(arena_rates)
    openspiel_rate = statistics.median(openspiel_rates) if openspiel_rates else None
    return Row(game=label, openspiel_game=openspiel_name, simulations=simulations, repetitions=repetitions,
               arena_sims_per_s=arena_rate, openspiel_sims_per_s=openspiel_rate,
               ratio=arena_rate / openspiel_rate if openspiel_rate else None)


def vs_random(games: int, simulations: int, seed: int, show_progress: bool) -> dict[str, Any]:
    """``mcts:<simulations>`` against ``random`` on connect four, seats alternating."""
    import arena
    from arena.bots import make as make_bot
    from arena.play.match import play_match

    env = arena.make("connect_four")
    bots = [make_bot(f"mcts:{simulations}", env, seed=seed), make_bot("random", env, seed=seed + 1)]

    finished = 0

    def progress(_record: Any) -> None:
        nonlocal finished
        finished += 1
        if show_progress:
            print(f"\rvs random: game {finished}/{games}", end="", file=sys.stderr, flush=True)

    start = time.perf_counter()
    result = play_match(lambda: arena.make("connect_four"), bots, [bots[0].name, "random"], games,
                        seed=seed, on_game=progress)
    if show_progress:
        print(file=sys.stderr)
    return {"game": "connect_four", "bot": f"mcts:{simulations}", "opponent": "random", "games": games,
            "wins": result.wins(0), "draws": result.draws(0), "losses": result.losses(0),
            "seconds": time.perf_counter() - start}


def vs_openspiel(games: int, simulations: int, seed: int, pyspiel: Any, show_progress: bool) -> dict[str, Any]:
    """Arena's pure MCTS against OpenSpiel's ``MCTSBot`` with the same budget on connect four,
    seats alternating: a check that the two searches are the same algorithm (expect about 50%),
    so that the speed ratio compares like with like."""
    from arena.mcts.pure import PureMCTS, PureMCTSConfig
    from games.board.mnk import connect_four

    game = connect_four()
    search = PureMCTS(game, PureMCTSConfig(simulations=simulations, uct_c=2.0), seed=seed)
    os_game = pyspiel.load_game("connect_four")
    bot = pyspiel.MCTSBot(os_game, pyspiel.RandomRolloutEvaluator(1, seed + 1), 2.0, simulations, 1 << 20,
                          False, seed + 1, False)
    wins = draws = losses = 0
    start = time.perf_counter()
    for g in range(games):
        arena_seat = g % 2
        state = game.initial_state(1)
        os_state = os_game.new_initial_state()
        while not state.terminal[0]:
            if int(state.to_play[0]) == arena_seat:
                move = search.search(state).action
            else:
                move = int(bot.step(os_state))
            game.step(state, [move])
            os_state.apply_action(move)
        winner = int(state.winner[0])
        wins += winner == arena_seat
        losses += winner == 1 - arena_seat
        draws += winner == 2
        if show_progress:
            print(f"\rvs OpenSpiel: game {g + 1}/{games}", end="", file=sys.stderr, flush=True)
    if show_progress:
        print(file=sys.stderr)
    return {"game": "connect_four", "simulations": simulations, "games": games, "wins": wins,
            "draws": draws, "losses": losses, "score": (wins + 0.5 * draws) / games,
            "seconds": time.perf_counter() - start}


def _fmt(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate:,.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simulations", type=int, default=1000, help="simulations per search (default 1000)")
    parser.add_argument("--repetitions", type=int, default=15, help="timed searches per side and game (median)")
    parser.add_argument("--quick", action="store_true", help="3 repetitions, no OpenSpiel mnk row (smoke test)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--vs-random", type=int, default=0, metavar="GAMES",
                        help="also play GAMES connect-four games of mcts:<simulations> against random")
    parser.add_argument("--vs-openspiel", type=int, default=0, metavar="GAMES",
                        help="also play GAMES connect-four games against OpenSpiel's MCTSBot (same budget)")
    args = parser.parse_args(argv)
    if args.simulations < 1 or args.repetitions < 1 or args.vs_random < 0 or args.vs_openspiel < 0:
        parser.error("--simulations and --repetitions must be >= 1, --vs-random and --vs-openspiel >= 0")
    repetitions = 3 if args.quick else args.repetitions

    try:
        import pyspiel
    except ImportError:
        pyspiel = None
        print("OpenSpiel (pyspiel) is not installed: pip install -e .[bench] for the reference column",
              file=sys.stderr)

    cases = CASES[:2] if args.quick else CASES
    rows = [bench_case(label, key, os_name, args.simulations, repetitions, args.seed, pyspiel)
            for label, key, os_name in cases]
    match = vs_random(args.vs_random, args.simulations, args.seed, not args.json) if args.vs_random else None
    if args.vs_openspiel and pyspiel is None:
        parser.error("--vs-openspiel needs OpenSpiel: pip install -e .[bench]")
    duel = (vs_openspiel(args.vs_openspiel, args.simulations, args.seed, pyspiel, not args.json)
            if args.vs_openspiel else None)

    if args.json:
        print(json.dumps({"benchmark": "pure_mcts", "rows": [asdict(r) for r in rows], "vs_random": match,
                          "vs_openspiel": duel},
                         indent=2))
        return 0
    print(f"Pure MCTS, {args.simulations} simulations per move from the empty board, uct_c=2, one random "
          f"rollout each, single-threaded, median of {repetitions}")
    header = f"{'game':<40} {'Arena sims/s':>14} {'OpenSpiel C++ sims/s':>21} {'ratio':>7}"
    print(header)
    print("-" * len(header))
    for r in rows:
        ratio = "n/a" if r.ratio is None else f"{r.ratio:.2f}"
        print(f"{r.game:<40} {_fmt(r.arena_sims_per_s):>14} {_fmt(r.openspiel_sims_per_s):>21} {ratio:>7}")
    if match is not None:
        print(f"\n{match['bot']} vs random, {match['games']} connect-four games (seats alternating): "
              f"{match['wins']} wins, {match['draws']} draws, {match['losses']} losses "
              f"({match['seconds']:.1f} s)")
    if duel is not None:
        print(f"Arena mcts vs OpenSpiel MCTSBot, {duel['simulations']} simulations each, {duel['games']} "
              f"connect-four games (seats alternating): {duel['wins']} wins, {duel['draws']} draws, "
              f"{duel['losses']} losses, Arena score {duel['score']:.2f} ({duel['seconds']:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
