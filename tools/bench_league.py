"""League benchmarks: Nash averaging on rock-paper-scissors, and league overhead on a recipe.

    python tools/bench_league.py nash                 # cyclic game: Nash mixture vs the true equilibrium (5 seeds)
    python tools/bench_league.py overhead             # the demo recipe: where the wall time goes
    python tools/bench_league.py overhead --recipe leagues/recipes/rps_pfsp.yaml --iterations 20
    python tools/bench_league.py nash --json

``nash`` runs the ``rps_pfsp`` league once per seed, takes the payoff matrix over its players from the store
(empirical win rates), computes the max-entropy Nash mixture, and reports the total-variation
distance between the mixture's rock/paper/scissors frequencies and the uniform equilibrium,
next to references: Nash averaging on the exact expected payoffs of the same players, a uniform
mixture over the league's players, and the last learner alone.

``overhead`` runs a recipe and reports league overhead (matchmaking + payoff store + ratings) as
a share of wall time, next to learning and game time measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from leagues.player import load_learner  # noqa: E402
from leagues.ratings import antisymmetric_payoff, nash_averaging, totals_from_games  # noqa: E402
from leagues.recipe import load_recipe  # noqa: E402
from leagues.runner import League  # noqa: E402

RPS_PAYOFF = np.array([[0.0, -1.0, 1.0], [1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]])  # row player's payoff


def _policy(player) -> np.ndarray:
    """``[3]`` rock/paper/scissors frequencies of a league player."""
    if player.spec is not None:
        if player.spec != "random":
            raise ValueError(f"nash benchmark only knows the random bot, got {player.spec}")
        return np.full(3, 1 / 3)
    return load_learner(player.path).policy()


def bench_nash(args: argparse.Namespace) -> list[dict]:
    results = [nash_once(args, seed) for seed in args.seeds]
    if args.json:
        print(json.dumps(results))
        return results
    print("rock-paper-scissors league (leagues/recipes/rps_pfsp.yaml), total variation to the uniform equilibrium")
    print(f"{'seed':>5}{'players':>9}{'games':>8}{'seconds':>9}{'Nash mixture':>14}{'exact-payoff Nash':>19}"
          f"{'uniform mix':>13}{'last learner':>14}")
    for r in results:
        print(f"{r['seed']:>5}{r['players']:>9}{r['games']:>8}{r['seconds']:>9.1f}{r['tv_nash_mixture']:>14.3f}"
              f"{r['tv_exact_nash']:>19.3f}{r['tv_uniform_mixture']:>13.3f}{r['tv_last_learner']:>14.3f}")
    nash = [r["tv_nash_mixture"] for r in results]
    print(f"median TV of the Nash mixture {np.median(nash):.3f}; within 0.05 in {sum(v <= 0.05 for v in nash)}"
          f"/{len(nash)} seeds")
    return results


def nash_once(args: argparse.Namespace, seed: int) -> dict:
    recipe = load_recipe(ROOT / "leagues/recipes/rps_pfsp.yaml").model_copy(update={"seed": seed})
    if args.iterations:
        recipe = recipe.model_copy(update={"iterations": args.iterations})
    with tempfile.TemporaryDirectory() as tmp:
        league = League(recipe, Path(tmp) / "rps", workers=0, live_display=False)
        start = time.perf_counter()
        league.run()
        seconds = time.perf_counter() - start
        store = league.store
        players = [p for p in store.players() if p.kind != "heldout" and p.games > 0]
        ids = [p.id for p in players]
        scores, counts = totals_from_games(ids, [(g.seats, g.outcome) for g in store.games()])
        win_rates = np.where(counts > 0, scores / np.maximum(counts, 1e-12), 0.5)
        nash = nash_averaging(antisymmetric_payoff(win_rates))
        policies = np.stack([_policy(p) for p in players])
        uniform = np.full(3, 1 / 3)

        def tv(p: np.ndarray) -> float:
            return float(0.5 * np.abs(p - uniform).sum())

        live = [i for i, p in enumerate(players) if p.kind == "live"]
        # Reference: the same Nash averaging on exact expected payoffs pi_i^T M pi_j (no sampling noise).
        exact = nash_averaging(policies @ RPS_PAYOFF @ policies.T)
        result = {
            "seed": seed, "players": len(players), "games": store.count_games(), "seconds": seconds,
            "tv_nash_mixture": tv(nash.mixture @ policies),
            "tv_exact_nash": tv(exact.mixture @ policies),
            "tv_uniform_mixture": tv(policies.mean(axis=0)),
            "tv_last_learner": tv(policies[live[-1]]) if live else float("nan"),
            "tv_players_mean": float(np.mean([tv(p) for p in policies])),
            "nash_support": int((nash.mixture > 1e-3).sum()),
        }
        league.close()
    return result


def bench_overhead(args: argparse.Namespace) -> dict:
    recipe = load_recipe(args.recipe)
    if args.iterations:
        recipe = recipe.model_copy(update={"iterations": args.iterations})
    with tempfile.TemporaryDirectory() as tmp:
        league = League(recipe, Path(tmp) / "league", workers=args.workers, live_display=False)
        timings = league.run()
        games = league.store.count_games()
        league.close()
    t = timings.as_dict()
    result = {"recipe": recipe.name, "games": games, **t, "overhead_share": t["overhead"] / t["wall"]}
    if args.json:
        print(json.dumps(result))
        return result
    print(f"{recipe.name}: {recipe.iterations} iterations, {games} games, workers "
          f"{recipe.workers if args.workers is None else args.workers}")
    print(f"{'activity':<34}{'seconds':>10}{'share of wall':>16}")
    for key in ("learn", "games", "checkpoints", "matchmaking", "store", "ratings", "display", "overhead"):
        label = "league overhead (mm+store+ratings)" if key == "overhead" else key
        print(f"{label:<34}{t[key]:>10.2f}{t[key] / t['wall']:>16.2%}")
    print(f"{'wall':<34}{t['wall']:>10.2f}{1:>16.1%}")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bench", choices=["nash", "overhead"])
    parser.add_argument("--recipe", default=str(ROOT / "leagues/recipes/quick_connect_four.yaml"))
    parser.add_argument("--iterations", type=int, help="override the recipe's iterations")
    parser.add_argument("--workers", type=int, help="override the recipe's workers")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4], help="nash: league seeds")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args()
    if args.bench == "nash":
        bench_nash(args)
    else:
        bench_overhead(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
