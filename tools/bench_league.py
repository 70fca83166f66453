"""League benchmarks: Nash averaging on rock-paper-scissors, league overhead on a recipe, and a
league's main agent against pure self-play with equal compute.

    python tools/bench_league.py nash                 # cyclic game: Nash mixture vs the true equilibrium (5 seeds)
    python tools/bench_league.py overhead             # the demo recipe: where the wall time goes
    python tools/bench_league.py overhead --recipe leagues/recipes/rps_pfsp.yaml --iterations 20
    python tools/bench_league.py selfplay             # Sumo-2T1P: league main agents vs self-play (4 seeds)
    python tools/bench_league.py selfplay --steps 16384 --seeds 0 --games 100 --json
    python tools/bench_league.py nash --json
    python tools/bench_league.py scale                # local processes vs Ray actors; 1 vs 2 concurrent learners

``nash`` runs the ``rps_pfsp`` league once per seed, takes the payoff matrix over its players from the store
(empirical win rates), computes the max-entropy Nash mixture, and reports the total-variation
distance between the mixture's rock/paper/scissors frequencies and the uniform equilibrium,
next to references: Nash averaging on the exact expected payoffs of the same players, a uniform
mixture over the league's players, and the last learner alone.

``overhead`` runs a recipe and reports league overhead (matchmaking + payoff store + ratings) as
a share of wall time, next to learning and game time measured in the same run.

``scale`` (needs ``pip install 'arena-league[distributed]'``; a private Ray instance on this machine,
or ``--address``) measures, in one run:

* **games/s**, the same match tasks (connect four, ``mcts:1000`` against ``mcts:1000``) played by 2 local
  worker processes and by 2 Ray worker actors, warmed up first, then alternating ``--rounds`` times;
  the stored results of both are checked equal;
* **learner steps/s**, a PPO learner (rock-paper-scissors) learning in this process and in a Ray
  learner actor, alternating;
* **league iteration time** of ``rps_ppo`` (two PPO agents, ``--steps`` steps each per iteration) on
  Ray with 1 and with 2 learning steps in flight: the median learning phase over the iterations after
  the first (which also starts the learner actors).

``selfplay`` trains four PPO agents per seed on a two-seat game (``Sumo-2T1P`` by default), each
with the same budget of learner environment steps (``--steps``, summed over all learners of an
arm -- exploiters count against their league), then plays them head to head:

* ``pfsp``       -- ``leagues/recipes/bench_sumo_pfsp.yaml``: a main agent alone with AlphaStar's
                    main-agent matchmaking (PFSP-hard over a random member and its snapshots +
                    self-play); all ``--steps`` are its own;
* ``alphastar``  -- ``leagues/recipes/bench_sumo_alphastar.yaml``: main agent + main exploiter +
                    league exploiter; the main agent gets half of ``--steps``, each exploiter a quarter;
* ``selfplay``   -- ``leagues/recipes/bench_sumo_selfplay.yaml``: pure self-play through the same
                    league machinery (principle ``recent``: trains against a frozen copy of its
                    latest checkpoint, refreshed every iteration);
* ``selfplay-both`` -- PPO's own self-play path (``learn`` with no opponents): one network plays
                    both seats of every game and learns from both, same config and chunking.

Every league main agent plays every self-play agent ``--games`` games (seats alternate), and every
agent plays a uniform random player ``--random-games`` games; a game scores 1 / 0.5 / 0 for a win /
draw / loss, and the 95% interval is the normal approximation over per-game scores; over several
seeds the tool also prints the mean of the seed scores with a Student-t interval over seeds.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import arena  # noqa: E402
from leagues.executor import MatchTask, SerialExecutor  # noqa: E402
from leagues.learners import make_learner  # noqa: E402
from leagues.player import PlayerSpec, load_learner, save_checkpoint  # noqa: E402
from leagues.ratings import antisymmetric_payoff, nash_averaging, totals_from_games  # noqa: E402
from leagues.recipe import AgentRecipe, Recipe, load_recipe, parse_recipe  # noqa: E402
from leagues.runner import League  # noqa: E402
from leagues.store import outcome_of  # noqa: E402

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


# ---------------------------------------------------------------------------------------------- scale
def _median_rate(units: float, seconds: list[float]) -> float:
    return units / float(np.median(seconds))


def _paired_ratio(local: list[float], remote: list[float]) -> float:
    """Median over rounds of local seconds / Ray seconds (Ray's speed relative to local): each
    round's two arms ran back to back, so a change of the machine's load cancels out."""
    return float(np.median([a / b for a, b in zip(local, remote)]))


def parallel_capacity(rounds: int = 3, loops: int = 20_000_000) -> float:
    """How many cores this run really gets: 2 x (one CPU-bound process's time) / (two at once).
    2.0 on an idle 2-core machine; about 1 when other work already keeps the cores busy."""
    import subprocess

    command = [sys.executable, "-c", f"t = 0\nfor i in range({loops}): t += i"]
    ratios = []
    for _ in range(rounds):
        times = []
        for count in (1, 2):
            start = time.perf_counter()
            procs = [subprocess.Popen(command) for _ in range(count)]
            for proc in procs:
                proc.wait()
            times.append(time.perf_counter() - start)
        ratios.append(2 * times[0] / times[1])
    return float(np.median(ratios))


def bench_scale(args: argparse.Namespace) -> dict:
    """Ray against local processes at 2 workers; 1 against 2 concurrent learners (see the module doc)."""
    import os

    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    import torch

    torch.set_num_threads(1)
    from leagues.executor import ProcessExecutor
    from leagues.ray_backend import RayBackend, RayExecutor, import_ray
    from leagues.runner import LearnJob

    ray = import_ray()
    import logging

    if args.address:
        ray.init(address=args.address, log_to_driver=False, logging_level=logging.ERROR)
    else:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    result: dict[str, Any] = {"rounds": args.rounds}
    try:
        # --- games/s: 2 local worker processes against 2 Ray worker actors, same tasks
        players = (PlayerSpec(1, "a", spec="mcts:1000"), PlayerSpec(2, "b", spec="mcts:1000"))
        tasks = [MatchTask(f"s{k}", "connect_four", {}, players, 4, 1000 * k, 1) for k in range(args.tasks)]
        games = sum(t.games for t in tasks)
        local = ProcessExecutor(2, threads=1)
        remote = RayExecutor(2, threads=1, cpus=0.5, ray_module=ray)
        seconds: dict[str, list[float]] = {"local": [], "ray": []}
        outcomes: dict[str, list] = {}
        try:
            for executor in (local, remote):  # start the processes / actors and import everything
                list(executor.run(tasks[:2]))
            for r in range(args.rounds):
                order = (("local", local), ("ray", remote)) if r % 2 == 0 else (("ray", remote), ("local", local))
                for name, executor in order:
                    start = time.perf_counter()
                    played = list(executor.run(tasks))
                    seconds[name].append(time.perf_counter() - start)
                    outcomes[name] = [(g.key, g.seats, g.scores) for rs in played for g in rs]
        finally:
            local.close()
            remote.close()
        if outcomes["local"] != outcomes["ray"]:
            raise SystemExit("bench_league scale: Ray and local workers stored different results")
        result["games"] = {"games_per_round": games, "local_seconds": seconds["local"], "ray_seconds": seconds["ray"],
                           "local_games_per_second": _median_rate(games, seconds["local"]),
                           "ray_games_per_second": _median_rate(games, seconds["ray"])}
        g = result["games"]
        g["ray_over_local"] = _paired_ratio(seconds["local"], seconds["ray"])

        # --- learner steps/s: a PPO learner here against the same learner in a Ray actor
        config = {"num_envs": 4, "num_steps": 64, "num_minibatches": 4, "lr": 0.003, "device": "cpu"}
        steps = args.steps
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "ppo.pt"
            learner = make_learner("ppo", dict(config))
            save_checkpoint(path, "ppo", config, learner)
            backend = RayBackend(workers=1, agents=1, game="rock_paper_scissors", game_kwargs={"num_rounds": 10},
                                 learner_cpus=0.5, worker_cpus=0.5)

            def make_env() -> Any:
                return arena.make("rock_paper_scissors", num_rounds=10)

            learn_seconds: dict[str, list[float]] = {"local": [], "ray": []}
            current = str(path)
            try:
                list(backend.learn([LearnJob("p", "ppo", config, current, 0, (), 0, 64, str(Path(tmp) / "w.pt"))],
                                   lambda o: players[0]))  # start the actor
                current = str(Path(tmp) / "w.pt")
                learner.learn(make_env, [], 64)
                for r in range(args.rounds):
                    for name in (("local", "ray") if r % 2 == 0 else ("ray", "local")):
                        start = time.perf_counter()
                        if name == "local":  # a learning step and its checkpoint, as in a league
                            learner.learn(make_env, [], steps)
                            save_checkpoint(Path(tmp) / f"l{r}.pt", "ppo", config, learner)
                        else:
                            out = str(Path(tmp) / f"r{r}.pt")
                            list(backend.learn([LearnJob("p", "ppo", config, current, 0, (), 0, steps, out)],
                                               lambda o: players[0]))
                            current = out
                        learn_seconds[name].append(time.perf_counter() - start)
            finally:
                backend.close()
        result["learner"] = {"steps_per_round": steps, "local_seconds": learn_seconds["local"],
                             "ray_seconds": learn_seconds["ray"],
                             "local_steps_per_second": _median_rate(steps, learn_seconds["local"]),
                             "ray_steps_per_second": _median_rate(steps, learn_seconds["ray"])}
        lr = result["learner"]
        lr["ray_over_local"] = _paired_ratio(learn_seconds["local"], learn_seconds["ray"])

        # --- league iteration time: rps_ppo's two PPO agents, 1 vs 2 learning steps in flight
        recipe = load_recipe(ROOT / "leagues/recipes/rps_ppo.yaml")
        agents = [a.model_copy(update={"steps_per_iteration": args.steps,
                                       "config": {**a.config, "num_steps": 64}}) for a in recipe.agents]
        recipe = recipe.model_copy(update={"iterations": args.iterations, "workers": 1, "agents": agents})
        league_runs: dict[str, dict[str, Any]] = {}
        result["parallel_capacity"] = parallel_capacity()  # the reference for the concurrency speed-up
        for concurrent in (1, 2):
            with tempfile.TemporaryDirectory() as tmp:
                backend = RayBackend(workers=1, agents=2, game=recipe.game, game_kwargs=dict(recipe.game_kwargs),
                                     concurrent_learners=concurrent)
                learn_times: list[float] = []
                learn = backend.learn

                def timed_learn(jobs: Any, spec_of: Any, learn: Any = learn, times: list = learn_times) -> Any:
                    start = time.perf_counter()
                    yield from learn(jobs, spec_of)
                    times.append(time.perf_counter() - start)

                backend.learn = timed_learn
                league = League(recipe, Path(tmp) / "league", live_display=False, backend=backend)
                try:
                    t = league.run()
                    later = learn_times[1:]  # the first iteration also starts the learner actors
                    league_runs[str(concurrent)] = {
                        "learn_seconds": learn_times, "learn_seconds_per_iteration": float(np.median(later)),
                        "wall_seconds": t.wall, "games": league.store.count_games()}
                finally:
                    league.close()
        result["league"] = {"recipe": "rps_ppo", "iterations": args.iterations, "steps_per_agent": args.steps,
                            "concurrent": league_runs,
                            "learn_speedup": league_runs["1"]["learn_seconds_per_iteration"]
                            / league_runs["2"]["learn_seconds_per_iteration"]}
    finally:
        ray.shutdown()
    if args.json:
        print(json.dumps(result))
        return result
    g, lr, lg = result["games"], result["learner"], result["league"]
    print(f"games/s at 2 workers, {g['games_per_round']} connect-four games (mcts:1000 vs mcts:1000) per round, "
          f"median of {args.rounds} rounds:")
    print(f"  local processes {g['local_games_per_second']:.2f}   Ray actors {g['ray_games_per_second']:.2f}   "
          f"Ray/local (median of paired rounds) {g['ray_over_local']:.3f} (overhead {1 - g['ray_over_local']:+.1%})")
    print(f"PPO learner steps/s ({lr['steps_per_round']} steps per round):")
    print(f"  this process {lr['local_steps_per_second']:.0f}   Ray actor {lr['ray_steps_per_second']:.0f}   "
          f"Ray/local (median of paired rounds) {lr['ray_over_local']:.3f}")
    one, two = lg["concurrent"]["1"], lg["concurrent"]["2"]
    print(f"rps_ppo league on Ray, 2 PPO agents x {lg['steps_per_agent']} steps, {lg['iterations']} iterations:")
    print(f"  learning phase per iteration (median, iterations 2-{lg['iterations']}): one learner at a time "
          f"{one['learn_seconds_per_iteration']:.2f} s, 2 concurrent {two['learn_seconds_per_iteration']:.2f} s "
          f"(x{lg['learn_speedup']:.2f}); league wall {one['wall_seconds']:.1f} s vs {two['wall_seconds']:.1f} s")
    print(f"  reference: cores this run gets for 2 CPU-bound processes {result['parallel_capacity']:.2f} "
          "(2.00 on an idle 2-core machine: the most 2 concurrent learners can gain)")
    return result


# ---------------------------------------------------------------------------------------------- selfplay
SELFPLAY_RECIPES = {"alphastar": "bench_sumo_alphastar.yaml", "pfsp": "bench_sumo_pfsp.yaml",
                    "selfplay": "bench_sumo_selfplay.yaml"}  # the first needs the largest --steps multiple
LEAGUE_ARMS = ("pfsp", "alphastar")  # arms whose first agent is a league main agent
SELFPLAY_ARMS = ("selfplay", "selfplay-both")  # pure self-play baselines
ARMS = LEAGUE_ARMS + SELFPLAY_ARMS
ARM_LABELS = {
    "pfsp": "league main, PFSP + self-play (no exploiters)",
    "alphastar": "league main + main exploiter + league exploiter",
    "selfplay": "self-play vs latest checkpoint (league, recent)",
    "selfplay-both": "self-play, PPO plays and learns both seats",
}


def selfplay_recipe(arm: str, *, game: str, seed: int, steps: int, chunk: int | None) -> Recipe:
    """The benchmark recipe of ``arm`` with ``steps`` learner env steps in total over its agents.

    ``chunk`` rescales the recipe's step settings (steps per iteration, snapshot rules) so its first
    agent trains ``chunk`` steps per iteration (default: the recipe's own, 4096).
    """
    recipe = load_recipe(ROOT / "leagues/recipes" / SELFPLAY_RECIPES[arm])
    base = recipe.agents[0].steps_per_iteration
    chunk = chunk or base

    def scaled(value: int, what: str) -> int:
        if value * chunk % base:
            raise ValueError(f"--chunk {chunk}: {what} {value} x {chunk} / {base} is not a whole number of steps")
        return value * chunk // base

    agents = []
    for a in recipe.agents:
        snapshot = a.snapshot.model_copy(update={"max_steps": max(1, scaled(a.snapshot.max_steps, "snapshot.max_steps")),
                                                 "min_steps": scaled(a.snapshot.min_steps, "snapshot.min_steps")})
        agents.append(a.model_copy(update={"steps_per_iteration": scaled(a.steps_per_iteration, "steps_per_iteration"),
                                           "snapshot": snapshot}))
    per_iteration = sum(a.steps_per_iteration * a.copies for a in agents)
    if steps < per_iteration or steps % per_iteration:
        raise ValueError(f"--steps {steps}: must be a positive multiple of {per_iteration}, the learner steps of one "
                         f"iteration of {recipe.name} (with --chunk {chunk})")
    data = recipe.model_dump(mode="json")
    data.update(game=game, seed=seed, iterations=steps // per_iteration,
                agents=[AgentRecipe.model_validate(a.model_dump()).model_dump(mode="json") for a in agents])
    return parse_recipe(data, source=f"{recipe.name} ({game}, seed {seed})")


def _train_league(recipe: Recipe, out: Path, workers: int | None) -> dict[str, Any]:
    """Run one league; its first agent is the agent compared (the main agent, or the self-play one)."""
    league = League(recipe, out, workers=workers, live_display=False)
    timings = league.run()
    store = league.store
    agents = store.agents()
    compared = next(a for a in agents if a.position == 0)
    result = {
        "recipe": recipe.name, "iterations": recipe.iterations, "agent": compared.name,
        "steps_per_iteration": recipe.agents[0].steps_per_iteration, "agent_steps": compared.steps, "learner_steps": {a.name: a.steps for a in agents},
        "total_steps": sum(a.steps for a in agents), "learn_seconds": timings.learn, "wall_seconds": timings.wall,
        "league_games": store.count_games(), "snapshots": len(store.players(["snapshot"])),
        "checkpoint": compared.checkpoint,
    }
    league.close()
    return result


def _train_both_seats(recipe: Recipe, out: Path) -> dict[str, Any]:
    """PPO's own self-play: the self-play recipe's agent, learning with no opponents (it plays and
    learns every seat), in the same chunks of steps."""
    agent = recipe.agents[0]
    config = dict(agent.config)
    config.setdefault("seed", recipe.seed * 1000)  # the seed the league gives its first agent
    learner = make_learner(agent.learner, config)

    def make_env() -> Any:
        return arena.make(recipe.game, **recipe.game_kwargs)

    start = time.perf_counter()
    for _ in range(recipe.iterations):
        learner.learn(make_env, [], agent.steps_per_iteration)
    learn_seconds = time.perf_counter() - start
    path = out / "selfplay-both.pt"
    save_checkpoint(path, agent.learner, config, learner)
    steps = recipe.iterations * agent.steps_per_iteration
    return {"recipe": "ppo learn(opponents=[])", "iterations": recipe.iterations, "agent": "selfplay-both",
            "steps_per_iteration": agent.steps_per_iteration, "agent_steps": steps, "learner_steps": {"selfplay-both": steps}, "total_steps": steps,
            "learn_seconds": learn_seconds, "wall_seconds": time.perf_counter() - start, "league_games": 0,
            "snapshots": 0, "checkpoint": str(path)}


def score_summary(scores: list[float]) -> dict[str, Any]:
    """Win/draw/loss counts and the mean score with a 95% normal-approximation interval."""
    x = np.asarray(scores, dtype=np.float64)
    n = int(x.size)
    if n < 2:
        raise ValueError(f"a score and its interval need at least 2 games, got {n}")
    mean = float(x.mean())
    half = 1.96 * float(x.std(ddof=1)) / math.sqrt(n)
    return {"games": n, "wins": int((x == 1.0).sum()), "draws": int((x == 0.5).sum()), "losses": int((x == 0.0).sum()),
            "score": mean, "ci_low": max(0.0, mean - half), "ci_high": min(1.0, mean + half)}


def seed_summary(seed_scores: list[float]) -> dict[str, Any]:
    """Mean of per-seed scores and its 95% Student-t interval over seeds (None with one seed): the
    spread between training runs, which the per-game interval of the pooled games leaves out."""
    from scipy import stats

    x = np.asarray(seed_scores, dtype=np.float64)
    out: dict[str, Any] = {"seed_scores": [float(v) for v in x], "seed_mean": float(x.mean()),
                           "seed_ci_low": None, "seed_ci_high": None}
    if x.size > 1:
        half = float(stats.t.ppf(0.975, x.size - 1)) * float(x.std(ddof=1)) / math.sqrt(x.size)
        out.update(seed_ci_low=max(0.0, float(x.mean()) - half), seed_ci_high=min(1.0, float(x.mean()) + half))
    return out


def _play(executor: SerialExecutor, a: PlayerSpec, b: PlayerSpec, games: int, seed: int, recipe: Recipe) -> list[float]:
    """``games`` games of ``a`` against ``b`` (seats alternate); ``a``'s score in each."""
    task = MatchTask(f"{a.name}/{b.name}", recipe.game, dict(recipe.game_kwargs), (a, b), games, seed, 0)
    scores = []
    for results in executor.run([task]):
        for r in results:
            outcome = outcome_of(r.scores)
            scores.append(outcome if r.seats[0] == a.id else 1.0 - outcome)
    return scores


def selfplay_once(args: argparse.Namespace, seed: int) -> dict[str, Any]:
    """Train the four arms for one seed and play the head-to-head and reference games."""
    recipes = {arm: selfplay_recipe(arm, game=args.game, seed=seed, steps=args.steps, chunk=args.chunk)
               for arm in SELFPLAY_RECIPES}
    with tempfile.TemporaryDirectory() as tmp:
        arms: dict[str, dict[str, Any]] = {}
        for arm in ("pfsp", "alphastar", "selfplay"):
            arms[arm] = _train_league(recipes[arm], Path(tmp) / arm, args.workers)
        arms["selfplay-both"] = _train_both_seats(recipes["selfplay"], Path(tmp))
        players = {arm: PlayerSpec(i, arm, path=arms[arm]["checkpoint"]) for i, arm in enumerate(ARMS)}
        random_player = PlayerSpec(len(ARMS), "random", spec="random")
        executor = SerialExecutor()
        head_to_head: list[dict[str, Any]] = []
        start = time.perf_counter()
        for i, league_arm in enumerate(LEAGUE_ARMS):
            for j, selfplay_arm in enumerate(SELFPLAY_ARMS):
                scores = _play(executor, players[league_arm], players[selfplay_arm], args.games,
                               seed * 1_000_003 + 10_000 * (2 * i + j), recipes["selfplay"])
                head_to_head.append({"league": league_arm, "selfplay": selfplay_arm, **score_summary(scores),
                                     "scores": scores})
        vs_random: dict[str, dict[str, Any]] = {}
        for k, arm in enumerate(ARMS):
            scores = _play(executor, players[arm], random_player, args.random_games,
                           seed * 1_000_003 + 500_000 + 10_000 * k, recipes["selfplay"])
            vs_random[arm] = {**score_summary(scores), "scores": scores}
        executor.close()
        eval_seconds = time.perf_counter() - start
    for arm in arms.values():
        del arm["checkpoint"]
    return {"seed": seed, "arms": arms, "head_to_head": head_to_head, "vs_random": vs_random,
            "eval_seconds": eval_seconds}


def bench_selfplay(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    runs = [selfplay_once(args, seed) for seed in args.seeds]
    pooled_h2h = []
    for league_arm in LEAGUE_ARMS:
        for selfplay_arm in SELFPLAY_ARMS:
            rows = [h for r in runs for h in r["head_to_head"] if (h["league"], h["selfplay"]) == (league_arm, selfplay_arm)]
            pooled_h2h.append({"league": league_arm, "selfplay": selfplay_arm,
                               **score_summary([s for h in rows for s in h["scores"]]),
                               **seed_summary([h["score"] for h in rows])})
    pooled_random = {arm: {**score_summary([s for r in runs for s in r["vs_random"][arm]["scores"]]),
                           **seed_summary([r["vs_random"][arm]["score"] for r in runs])} for arm in ARMS}
    for r in runs:  # per-game scores are only needed for pooling
        for h in r["head_to_head"]:
            del h["scores"]
        for v in r["vs_random"].values():
            del v["scores"]
    result = {"game": args.game, "steps": args.steps, "chunk": runs[0]["arms"]["selfplay"]["steps_per_iteration"],
              "seeds": list(args.seeds),
              "games": args.games, "random_games": args.random_games, "threads": args.threads,
              "equal_compute": "every arm trains the same number of learner environment steps (--steps), summed "
                               "over all learners of the arm; league matchmaking/evaluation games are not training",
              "runs": runs, "pooled": {"head_to_head": pooled_h2h, "vs_random": pooled_random},
              "wall_seconds": time.perf_counter() - start}
    if args.json:
        print(json.dumps(result))
        return result
    print(f"{args.game}: {args.steps:,} learner env steps per arm (all learners of an arm together), "
          f"seeds {' '.join(map(str, args.seeds))}, torch threads {args.threads}")
    print("\ntraining")
    print(f"{'seed':>4}  {'arm':<14}{'compared agent steps':>22}{'arm steps':>11}{'learn s':>9}{'wall s':>8}"
          f"{'league games':>14}  what")
    for r in runs:
        for arm in ARMS:
            a = r["arms"][arm]
            print(f"{r['seed']:>4}  {arm:<14}{a['agent_steps']:>22,}{a['total_steps']:>11,}{a['learn_seconds']:>9.1f}"
                  f"{a['wall_seconds']:>8.1f}{a['league_games']:>14,}  {ARM_LABELS[arm]}")
    print(f"\nhead to head: the league main agent's score (win 1, draw 1/2, loss 0), {args.games} games per pair "
          "and seed, seats alternating; 95% CI")
    print(f"{'seed':>4}  {'league main':<12}{'self-play':<15}{'W':>5}{'D':>5}{'L':>5}{'score':>8}  95% CI")
    for r in runs:
        for h in r["head_to_head"]:
            print(f"{r['seed']:>4}  {h['league']:<12}{h['selfplay']:<15}{h['wins']:>5}{h['draws']:>5}{h['losses']:>5}"
                  f"{h['score']:>8.3f}  [{h['ci_low']:.3f}, {h['ci_high']:.3f}]")
    print("\nover all seeds: pooled games (95% CI over games) and the mean of the seed scores (95% Student-t "
          "interval over seeds: the run-to-run spread)")
    print(f"{'league main':<12}{'self-play':<15}{'games':>6}{'W':>6}{'D':>6}{'L':>6}{'score':>8}  {'95% CI (games)':<17}"
          f"{'seed mean':>9}  95% CI (seeds)")
    for h in pooled_h2h:
        games_ci = f"[{h['ci_low']:.3f}, {h['ci_high']:.3f}]"
        seeds_ci = "-" if h["seed_ci_low"] is None else f"[{h['seed_ci_low']:.3f}, {h['seed_ci_high']:.3f}]"
        print(f"{h['league']:<12}{h['selfplay']:<15}{h['games']:>6}{h['wins']:>6}{h['draws']:>6}{h['losses']:>6}"
              f"{h['score']:>8.3f}  {games_ci:<17}{h['seed_mean']:>9.3f}  {seeds_ci}")
    print(f"\nreference: score against a uniform random player, {args.random_games} games per agent and seed")
    print(f"{'seed':>4}" + "".join(f"{arm:>16}" for arm in ARMS))
    for r in runs:
        print(f"{r['seed']:>4}" + "".join(f"{r['vs_random'][arm]['score']:>16.3f}" for arm in ARMS))
    print(f"{'all':>4}" + "".join(f"{pooled_random[arm]['score']:>16.3f}" for arm in ARMS))
    intervals = [f"[{pooled_random[a]['ci_low']:.2f}, {pooled_random[a]['ci_high']:.2f}]" for a in ARMS]
    print(f"{'CI':>4}" + "".join(f"{c:>16}" for c in intervals))
    print(f"\nwall {result['wall_seconds']:.0f} s")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bench", choices=["nash", "overhead", "selfplay", "scale"])
    parser.add_argument("--recipe", default=str(ROOT / "leagues/recipes/quick_connect_four.yaml"))
    parser.add_argument("--iterations", type=int, help="override the recipe's iterations")
    parser.add_argument("--workers", type=int, help="override the recipe's workers")
    parser.add_argument("--seeds", type=int, nargs="+", help="nash: league seeds (default 0-4); selfplay: 0-3")
    parser.add_argument("--game", default="Sumo-2T1P", help="selfplay: a two-seat simultaneous game")
    parser.add_argument("--steps", type=int,
                        help="selfplay: learner env steps per arm, all of an arm's learners together (default "
                             "131072); scale: PPO steps per learning step (default 4096)")
    parser.add_argument("--chunk", type=int, help="selfplay: steps per iteration of the compared agents "
                                                   "(default: the recipes' 4096)")
    parser.add_argument("--games", type=int, default=400, help="selfplay: head-to-head games per pair and seed")
    parser.add_argument("--random-games", type=int, default=200,
                        help="selfplay: games of each agent against a uniform random player per seed")
    parser.add_argument("--threads", type=int, default=1, help="selfplay: torch CPU threads")
    parser.add_argument("--rounds", type=int, default=5, help="scale: timed rounds per arm (alternating)")
    parser.add_argument("--tasks", type=int, default=8, help="scale: match tasks (4 games each) per round")
    parser.add_argument("--address", help="scale: a Ray cluster to use (default: a private 2-CPU instance)")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args()
    if args.bench == "scale":
        args.steps = args.steps or 4096
        args.iterations = args.iterations or 4
        if args.iterations < 2:
            parser.error("scale: --iterations must be at least 2 (the first one starts the actors)")
        if min(args.rounds, args.tasks, args.steps, args.iterations) < 1:
            parser.error("--rounds, --tasks, --steps and --iterations must be at least 1")
        try:
            bench_scale(args)
        except ValueError as exc:
            parser.error(str(exc))
        return 0
    if args.bench == "nash":
        args.seeds = args.seeds or [0, 1, 2, 3, 4]
        bench_nash(args)
    elif args.bench == "selfplay":
        args.seeds = args.seeds or [0, 1, 2, 3]
        args.steps = args.steps or 131072
        if min(args.games, args.random_games) < 2:
            parser.error("--games and --random-games must be at least 2")
        try:
            bench_selfplay(args)
        except ValueError as exc:
            parser.error(str(exc))
    else:
        bench_overhead(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
