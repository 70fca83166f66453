"""``arena league run|status|report``: self-play leagues from a recipe.

``leagues`` is imported inside the command functions only: ``arena`` never imports ``leagues``
at module level (the league package builds on the engine, not the other way round).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "league", help="run self-play leagues and inspect them",
        description="League training: learners, fixed bots and snapshots play each other; ratings, "
                    "payoff matrix and reports.",
        epilog="example: arena league run leagues/recipes/quick_connect_four.yaml")
    commands = p.add_subparsers(dest="league_command", metavar="COMMAND")

    run = commands.add_parser("run", help="run (or --resume) a league from a recipe",
                              description="Run a league recipe. Kill it at any moment and run again with --resume.")
    run.add_argument("recipe", help="recipe YAML file, or a built-in recipe's name (quick_connect_four)")
    run.add_argument("--out", help="league directory (default runs/<recipe name>)")
    run.add_argument("--resume", action="store_true", help="continue the league in --out")
    run.add_argument("--workers", type=int, help="match worker processes (0: in this process; default from recipe)")
    run.add_argument("--iterations", type=int, help="override the recipe's number of iterations")
    run.add_argument("--threads", type=int,
                     help="thread budget of the whole league (default: this machine's cores), divided among the "
                          "coordinator and the workers: each gets threads // (1 + workers), at least 1")
    run.add_argument("--backend", choices=("local", "ray"), default="local",
                     help="where games and learning steps run: local processes (default) or Ray actors "
                          "(docs/distributed.md; needs pip install 'arena-league[distributed]')")
    run.add_argument("--address", metavar="auto|HOST:PORT",
                     help="--backend ray: the cluster to join (auto: the one running on this machine; default: "
                          "$RAY_ADDRESS, else a private Ray instance on this machine for the run)")
    run.add_argument("--learner-gpus", type=float, default=0.0, metavar="F",
                     help="--backend ray: GPUs (or a fraction) each learner actor reserves (default 0)")
    run.add_argument("--learner-cpus", type=float, metavar="F",
                     help="--backend ray: CPUs each learner actor reserves (default: the cluster's CPUs shared "
                          "equally among the game workers and the learners)")
    run.add_argument("--worker-cpus", type=float, metavar="F",
                     help="--backend ray: CPUs each game worker actor reserves (default: as --learner-cpus)")
    run.add_argument("--no-live", action="store_true", help="no live display (plain progress lines)")
    run.add_argument("--json", action="store_true", help="print the final ratings as JSON instead of a table")
    run.set_defaults(func=run_command)

    status = commands.add_parser("status", help="ratings and progress of a league directory")
    status.add_argument("directory", help="league directory (the --out of `arena league run`)")
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(func=status_command)

    report = commands.add_parser("report", help="write payoff heatmap, rating curves, composition and summary.md")
    report.add_argument("directory", help="league directory")
    report.set_defaults(func=report_command)
    p.set_defaults(func=lambda args: p.print_help() or 2)


def run_command(args: argparse.Namespace) -> int:
    from rich.console import Console

    from leagues.recipe import load_recipe
    from leagues.report import compute_ratings, learner_progress, ratings_table
    from leagues.runner import League

    recipe = load_recipe(args.recipe)
    if args.iterations is not None:
        if args.iterations < 1:
            raise ValueError(f"--iterations must be >= 1, got {args.iterations}")
        recipe = recipe.model_copy(update={"iterations": args.iterations})
    if args.workers is not None and args.workers < 0:
        raise ValueError(f"--workers must be >= 0, got {args.workers}")
    out = Path(args.out) if args.out else Path("runs") / recipe.name
    err = Console(stderr=True)
    # The live table only on a terminal: in a pipe or a file it would be printed into the final output.
    live = not args.no_live and not args.json and Console().is_terminal and err.is_terminal
    backend = _backend(args, recipe)
    try:
        league = League(recipe, out, resume=args.resume, workers=args.workers, threads=args.threads,
                        live_display=live, on_progress=(lambda m: err.print(m)) if args.no_live else None,
                        backend=backend)
    except BaseException:
        if backend is not None:
            backend.close()
        raise
    if args.resume:
        err.print(f"resumed {out} at iteration {league.iteration} of {recipe.iterations} "
                  f"({league.games_done} games stored)")
    try:
        timings = league.run()
        rows = compute_ratings(league.store)
        progress = learner_progress(league.store, rows)
    finally:
        league.close()
    if args.json:
        print(json.dumps({"directory": str(out), "players": [r.as_dict() for r in rows],
                          "timings": timings.as_dict()}))
        return 0
    console = Console(width=None if Console().is_terminal else 120)
    console.print(ratings_table(rows, title=f"{recipe.name}: ratings after {recipe.iterations} iterations"))
    for line in progress:
        console.print(line)
    share = timings.overhead / max(timings.wall, 1e-9)
    hint = f"arena league report {out}"
    if _board_game(recipe.game, recipe.game_kwargs):
        hint += f"; arena play {recipe.game} --opponent league:{out}"
    console.print(f"league directory: {out}   ({hint})")
    console.print(f"wall {timings.wall:.1f}s, league overhead {share:.2%}")
    return 0


def _backend(args: argparse.Namespace, recipe: Any) -> Any:
    """The league's backend: None for local processes, else a Ray backend connected to its cluster."""
    ray_only = [flag for flag, value in (("--address", args.address), ("--learner-cpus", args.learner_cpus),
                                         ("--worker-cpus", args.worker_cpus)) if value is not None]
    if args.learner_gpus:
        ray_only.append("--learner-gpus")
    if args.backend == "local":
        if ray_only:
            raise ValueError(f"{ray_only[0]} applies to --backend ray only")
        return None
    from leagues.ray_backend import RayBackend

    workers = recipe.workers if args.workers is None else args.workers
    return RayBackend(address=args.address, workers=workers, agents=len(recipe.agent_names()),
                      threads=args.threads, worker_cpus=args.worker_cpus, learner_cpus=args.learner_cpus,
                      learner_gpus=args.learner_gpus, game=recipe.game,
                      game_kwargs=dict(recipe.game_kwargs), cache_size=recipe.cache_size)


def _board_game(name: str, kwargs: dict) -> bool:
    """Whether ``arena play`` (turn-based board games) can play this league's game."""
    import arena

    try:
        env = arena.make(name, **kwargs)
    except Exception:  # the league already ran on it; be quiet here
        return False
    return hasattr(env, "agent_iter") and hasattr(env, "game") and hasattr(env.game, "board_shape")


def status_command(args: argparse.Namespace) -> int:
    from rich.console import Console

    from leagues.report import compute_ratings, ratings_table
    from leagues.runner import DB_NAME
    from leagues.store import PayoffStore

    path = Path(args.directory) / DB_NAME
    if not path.is_file():
        raise ValueError(f"{args.directory} is not a league directory (no {DB_NAME})")
    store = PayoffStore(path)
    try:
        recipe = store.get_meta("recipe", {})
        iteration = store.get_meta("iteration", 0)
        rows = compute_ratings(store)
        games = store.count_games()
        agents = store.agents()
    finally:
        store.close()
    if args.json:
        print(json.dumps({"name": recipe.get("name"), "game": recipe.get("game"), "iteration": iteration,
                          "games": games, "players": [r.as_dict() for r in rows],
                          "agents": [{"name": a.name, "role": a.role, "steps": a.steps, "generation": a.generation,
                                      "hyperparameters": a.hyperparameters} for a in agents]}))
        return 0
    console = Console(width=None if Console().is_terminal else 120)
    console.print(f"[bold]{recipe.get('name')}[/] on {recipe.get('game')}: iteration {iteration}, {games} games")
    for a in agents:
        hp = ", ".join(f"{k}={v:.3g}" for k, v in a.hyperparameters.items())
        console.print(f"  agent {a.name} ({a.role}): {a.steps} steps, generation {a.generation}" + (f", {hp}" if hp else ""))
    console.print(ratings_table(rows))
    return 0


def report_command(args: argparse.Namespace) -> int:
    from leagues.report import write_report

    for path in write_report(args.directory):
        print(path)
    return 0
