"""Benchmark: what a game pays for each road into the turn-based engines.

Connect four searched by pure MCTS (the ``mcts:N`` bot's search, from the empty board) three
ways, in the same process, repetitions alternating:

* **compiled** -- Arena's ``connect_four`` through the m,n,k fast path (:mod:`arena.mcts.pure`);
* **protocol** -- the same rules through the generic search (:mod:`arena.mcts.generic`), the road
  of every game written to :class:`arena.env.TurnBasedGame` without a compiled kernel (Othello,
  Hex, a user's game);
* **plain AEC** -- PettingZoo's own ``connect_four_v3`` through the generic search and the
  :class:`arena.env.aec_game.AECGame` adapter (a copy of the env per move): the slow path of any
  copyable PettingZoo AEC env.

Ratios are against the protocol road (1.0 = as fast as a game written to the protocol).

    python tools/bench_turn_based.py             # table
    python tools/bench_turn_based.py --quick     # 2 repetitions, fewer simulations (smoke test)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

if __name__ == "__main__":  # the bench's own process: one thread each (imported, it leaves the process alone)
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--simulations", type=int, default=1000, help="simulations per search (default 1000)")
    parser.add_argument("--repetitions", type=int, default=5, help="timed searches per road (median)")
    parser.add_argument("--quick", action="store_true", help="2 repetitions of 200 simulations")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    sims, reps = (200, 2) if args.quick else (args.simulations, args.repetitions)

    import arena
    from arena.bots import game_of
    from arena.mcts.generic import GenericMCTS, GenericMCTSConfig
    from arena.mcts.pure import PureMCTS, PureMCTSConfig

    native = arena.make("connect_four").game
    plain = game_of(arena.make("pettingzoo.classic.connect_four_v3", api="aec"))
    roads = {
        "compiled": (PureMCTS(native, PureMCTSConfig(simulations=sims), seed=0), native),
        "protocol": (GenericMCTS(native, GenericMCTSConfig(simulations=sims), seed=0), native),
        "plain AEC": (GenericMCTS(plain, GenericMCTSConfig(simulations=sims), seed=0), plain),
    }
    rates: dict[str, list[float]] = {k: [] for k in roads}
    for search, game in roads.values():  # warm-up (numba compilation, first allocations)
        search.search(game.initial_state(1))
    for _ in range(reps):
        for name, (search, game) in roads.items():
            root = game.initial_state(1)
            start = time.perf_counter()
            search.search(root)
            rates[name].append(sims / (time.perf_counter() - start))
    medians = {k: statistics.median(v) for k, v in rates.items()}
    rows = [{"road": k, "simulations_per_second": round(v, 1), "ratio_to_protocol": round(v / medians["protocol"], 3)}
            for k, v in medians.items()]
    if args.json:
        print(json.dumps({"game": "connect four", "simulations": sims, "rows": rows}, indent=2))
        return 0
    print(f"pure MCTS on connect four, {sims} simulations from the empty board, median of {reps}")
    print(f"{'road':<12}{'sims/s':>12}{'vs protocol':>14}")
    for row in rows:
        print(f"{row['road']:<12}{row['simulations_per_second']:>12,.0f}{row['ratio_to_protocol']:>14.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
