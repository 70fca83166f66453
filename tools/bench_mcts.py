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

The Othello 8x8 row runs the generic search over the public turn-based protocol
(:mod:`arena.mcts.generic`, batched random playouts, PUCT with uniform priors), the path every game
without a compiled fast path takes. A second table measures the rules alone: uniformly random
games per second of Othello and Hex, Arena's batched rules (``legal_mask`` + ``step`` over 256
games at once, a uniform legal action drawn in NumPy per ply) against OpenSpiel's C++ rules
played by its C++ uniform random bots (``pyspiel.evaluate_bots``).

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
    ("othello 8x8 (generic protocol search)", "othello8", "othello"),
]
QUICK_CASES = ("connect four", "gomoku 8x8, 5 in a row", "othello 8x8 (generic protocol search)")

# Rules throughput rows: (label, Arena game factory key, OpenSpiel game string).
PLAYOUT_CASES: list[tuple[str, str, str]] = [
    ("othello 8x8", "othello8", "othello"),
    ("hex 7x7", "hex7", "hex(board_size=7)"),
    ("hex 11x11", "hex11", "hex(board_size=11)"),
]
PLAYOUT_BATCH = 256


@dataclass
class Row:
    game: str
    openspiel_game: str
    simulations: int
    repetitions: int
    arena_sims_per_s: float
    openspiel_sims_per_s: float | None
    ratio: float | None


@dataclass
class PlayoutRow:
    game: str
    openspiel_game: str
    batch: int
    repetitions: int
    arena_games_per_s: float
    openspiel_games_per_s: float | None
    ratio: float | None


def _arena_game(key: str) -> Any:
    from games.board.mnk import connect_four, gomoku

    if key == "othello8":
        from games.board.othello import OthelloGame

        return OthelloGame(8)
    if key.startswith("hex"):
        from games.board.hex import HexGame

        return HexGame(int(key[3:]))
    return connect_four() if key == "connect_four" else gomoku(8, 5)


def _arena_search(game: Any, simulations: int, seed: int) -> Any:
    """The search the ``mcts`` bot runs on ``game``: the compiled m,n,k fast path, else the generic
    protocol search (both return a result with ``.simulations``)."""
    from games.board.mnk import MNKGame

    if isinstance(game, MNKGame):
        from arena.mcts.pure import PureMCTS, PureMCTSConfig

        return PureMCTS(game, PureMCTSConfig(simulations=simulations, uct_c=2.0), seed=seed)
    from arena.mcts.generic import GenericMCTS, GenericMCTSConfig

    return GenericMCTS(game, GenericMCTSConfig(simulations=simulations), seed=seed)


def _timed(fn: Callable[[], int]) -> float:
    """Simulations per second of one call of ``fn`` (which returns the simulations it ran)."""
    start = time.perf_counter()
    sims = fn()
    return sims / (time.perf_counter() - start)


def bench_case(label: str, arena_key: str, openspiel_name: str, simulations: int, repetitions: int,
               seed: int, pyspiel: Any) -> Row:
    game = _arena_game(arena_key)
    state = game.initial_state(1)
    search = _arena_search(game, simulations, seed)

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


def _arena_random_games(game: Any, batch: int, rng: Any) -> int:
    """Play ``batch`` uniformly random games to the end through the public protocol; returns ``batch``."""
    import numpy as np

    state = game.initial_state(batch)
    for _ in range(game.max_moves + 1):
        if state.terminal.all():
            return batch
        mask = game.legal_mask(state)
        noise = rng.random(mask.shape, dtype=np.float32)
        noise += mask  # legal actions score in [1, 2), illegal ones in [0, 1)
        game.step(state, noise.argmax(axis=1))
    raise RuntimeError(f"{game.name}: a random game outlived max_moves")


def bench_playouts(label: str, arena_key: str, openspiel_name: str, seconds: float, repetitions: int,
                   seed: int, pyspiel: Any) -> PlayoutRow:
    """Uniformly random games per second: Arena's batched rules vs OpenSpiel's C++ random bots."""
    import numpy as np

    game = _arena_game(arena_key)
    rng = np.random.default_rng(seed)

    def timed(play_one: Callable[[], int]) -> float:
        start = time.perf_counter()
        games = 0
        while time.perf_counter() - start < seconds:
            games += play_one()
        return games / (time.perf_counter() - start)

    run_openspiel: Callable[[], int] | None = None
    if pyspiel is not None:
        os_game = pyspiel.load_game(openspiel_name)
        bots = [pyspiel.make_uniform_random_bot(p, seed + p) for p in range(2)]
        root = os_game.new_initial_state()
        counter = [seed]

        def run_openspiel() -> int:
            counter[0] += 1
            pyspiel.evaluate_bots(root.clone(), bots, counter[0])
            return 1

    _arena_random_games(game, 8, rng)  # warm-up: loads numba's cached code
    arena_rates: list[float] = []
    openspiel_rates: list[float] = []
    for _ in range(repetitions):
        arena_rates.append(timed(lambda: _arena_random_games(game, PLAYOUT_BATCH, rng)))
        if run_openspiel is not None:
            openspiel_rates.append(timed(run_openspiel))
    arena_rate = statistics.median(arena_rates)
    openspiel_rate = statistics.median(openspiel_rates) if openspiel_rates else None
    return PlayoutRow(game=label, openspiel_game=openspiel_name, batch=PLAYOUT_BATCH, repetitions=repetitions,
                      arena_games_per_s=arena_rate, openspiel_games_per_s=openspiel_rate,
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
    parser.add_argument("--no-playouts", action="store_true", help="skip the random-playout (rules) table")
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

    cases = [c for c in CASES if c[0] in QUICK_CASES] if args.quick else CASES
    rows = [bench_case(label, key, os_name, args.simulations, repetitions, args.seed, pyspiel)
            for label, key, os_name in cases]
    playout_rows = [] if args.no_playouts else [
        bench_playouts(label, key, os_name, 0.3 if args.quick else 1.0, 1 if args.quick else 5, args.seed, pyspiel)
        for label, key, os_name in PLAYOUT_CASES]
    match = vs_random(args.vs_random, args.simulations, args.seed, not args.json) if args.vs_random else None
    if args.vs_openspiel and pyspiel is None:
        parser.error("--vs-openspiel needs OpenSpiel: pip install -e .[bench]")
    duel = (vs_openspiel(args.vs_openspiel, args.simulations, args.seed, pyspiel, not args.json)
            if args.vs_openspiel else None)

    if args.json:
        print(json.dumps({"benchmark": "pure_mcts", "rows": [asdict(r) for r in rows], "vs_random": match,
                          "vs_openspiel": duel, "playouts": [asdict(r) for r in playout_rows]},
                         indent=2))
        return 0
    print(f"Pure MCTS, {args.simulations} simulations per move from the empty board, uct_c=2, one random "
          f"rollout each, single-threaded, median of {repetitions} (the generic search: PUCT, uniform priors, "
          f"16 playouts batched per round)")
    header = f"{'game':<40} {'Arena sims/s':>14} {'OpenSpiel C++ sims/s':>21} {'ratio':>7}"
    print(header)
    print("-" * len(header))
    for r in rows:
        ratio = "n/a" if r.ratio is None else f"{r.ratio:.2f}"
        print(f"{r.game:<40} {_fmt(r.arena_sims_per_s):>14} {_fmt(r.openspiel_sims_per_s):>21} {ratio:>7}")
    if playout_rows:
        print(f"\nRules alone: uniformly random games per second (Arena: {PLAYOUT_BATCH} games stepped together "
              f"through legal_mask/step; OpenSpiel: C++ random bots), median of {playout_rows[0].repetitions}")
        header = f"{'game':<40} {'Arena games/s':>14} {'OpenSpiel C++ games/s':>21} {'ratio':>7}"
        print(header)
        print("-" * len(header))
        for p in playout_rows:
            ratio = "n/a" if p.ratio is None else f"{p.ratio:.2f}"
            print(f"{p.game:<40} {_fmt(p.arena_games_per_s):>14} {_fmt(p.openspiel_games_per_s):>21} {ratio:>7}")
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
