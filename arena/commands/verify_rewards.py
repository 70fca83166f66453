"""``arena verify-rewards GAME``: measure the BMaRS class of every node of a game's social tree."""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

import arena
from arena.social import (
    BmarsConfig,
    BmarsReport,
    SocialTree,
    measure_paid,
    measure_tree,
    paid_tree,
    preset_tree,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "verify-rewards", help="measure which BMaRS class (NL/IS/CP/CL/CC) each node's reward has",
        description="Lay a social tree over GAME, play seeded episodes where one agent at a time changes "
                    "its (random, biased) policy, and classify each node's reward as NL, IS, CP, CL or CC "
                    "from the measured effects, with confidence intervals. Built-in trees exist for "
                    "tic_tac_toe, connect_four, rock_paper_scissors, mpe2.simple_tag_v3 and "
                    "mpe2.simple_spread_v3; a game whose env pays its own tree (the 2-D arena games, or an env "
                    "wrapped in a SocialTreeWrapper) is measured on exactly that tree, from the terms the env "
                    "reports; any other game needs --tree. The first line says which tree was measured.")
    p.add_argument("game", metavar="GAME", help="registered game or PettingZoo module path")
    p.add_argument("--tree", metavar="FILE.yaml",
                   help="social tree file to lay over the game (default: the tree the game's env pays, else a "
                        "built-in tree)")
    p.add_argument("--episodes", type=int, default=BmarsConfig.episodes,
                   help=f"seeds per policy profile (default {BmarsConfig.episodes})")
    p.add_argument("--contexts", type=int, default=BmarsConfig.contexts,
                   help=f"baseline policy profiles (default {BmarsConfig.contexts})")
    p.add_argument("--confidence", type=float, default=BmarsConfig.confidence,
                   help=f"family-wise confidence of the intervals (default {BmarsConfig.confidence})")
    p.add_argument("--env-arg", dest="env_args", action="append", default=[], metavar="KEY=VALUE",
                   help="keyword argument for the game (repeatable; values read as YAML)")
    p.add_argument("--seed", type=int, default=0, help="seed of the experiment (default 0)")
    p.add_argument("--strict", action="store_true", help="exit 1 when a measured class differs from the declared one")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = BmarsConfig(contexts=args.contexts, episodes=args.episodes, confidence=args.confidence,
                         seed=args.seed)
    from arena.config_input import key_values

    env_kwargs = key_values(args.env_args, "--env-arg")

    def make_env():  # noqa: ANN202 - a PettingZoo env
        return arena.make(args.game, **env_kwargs)

    env = make_env()
    agents = list(env.possible_agents)
    paid = paid_tree(env)  # the tree the env itself pays: a SocialTreeWrapper's, else the engine's own
    env.close()
    if args.tree:
        tree = SocialTree.from_yaml(args.tree, agents=agents)
        source = f"tree file {args.tree}, laid over {args.game} with SocialTreeWrapper"
        if paid is not None:
            source += f" (not what the env pays: that is {paid.describe()})"
    elif paid is not None:
        tree, source = None, paid.describe()
    else:
        tree = SocialTree.from_dict(preset_tree(args.game, agents), agents=agents)
        source = f"Arena's built-in tree for {args.game} (arena/social/presets.py), laid over it with SocialTreeWrapper"

    def measure(progress=None) -> BmarsReport:  # noqa: ANN001 - progress(done, total) or None
        if tree is None:  # exactly what the env pays, from the per-node terms it reports
            return measure_paid(make_env, config, game=args.game, progress=progress)
        return measure_tree(make_env, tree, config, game=args.game, progress=progress)

    if args.json or not sys.stderr.isatty():
        report = measure()
    else:
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      TimeRemainingColumn(), console=Console(stderr=True), transient=True) as progress:
            task = progress.add_task(f"{args.game}: episodes", total=None)
            report = measure(lambda done, total: progress.update(task, completed=done, total=total))
    report.source = source
    if args.json:
        print(json.dumps(report.to_dict()))
    else:
        print(f"tree: {source}")
        print_report(report)
    mismatched = [n for n in report.nodes if n.matches is False]
    return 1 if args.strict and mismatched else 0


def _evidence(node) -> str:  # noqa: ANN001 - a NodeEvidence
    if node.declared and node.matches is False:
        return node.counter_example(node.declared) or ""
    parts = []
    if node.opposed:
        z, a, b, da, db = node.opposed
        parts.append(f"opposed: perturbing {z} moved R[{a}] {da:+.3g} and R[{b}] {db:+.3g}")
    if node.aligned:
        z, a, b, da, db = node.aligned
        parts.append(f"aligned: perturbing {z} moved R[{a}] {da:+.3g} and R[{b}] {db:+.3g}")
    return "; ".join(parts + node.notes)


def print_report(report: BmarsReport, console: Console | None = None) -> None:
    """A summary table (one row per node), then each node's evidence and effects matrix."""
    console = console or Console()
    first = report.nodes[0]
    table = Table(title=f"BMaRS of {report.game}: {first.episodes} episodes ({report.config.contexts} contexts x "
                        f"{len(first.agents) + 1} profiles x {report.config.episodes} seeds)")
    for column in ("node", "declared", "measured", "verdict", "own", "cross", "sum over agents"):
        table.add_column(column)
    for node in report.nodes:
        diag = np.abs(np.diag(node.effects))
        off = np.abs(node.effects - np.diag(np.diag(node.effects)))
        verdict = {True: "[green]ok[/]", False: "[red]differs[/]", None: "-"}[node.matches]
        if node.matches is False and node.measured == "NL" and len(node.notes) > 0:
            verdict = "[yellow]inconclusive[/]"
        s = node.sum_stats
        moves = "moves" if node.sum_significant.any() else "constant"
        table.add_row(escape(node.path), node.declared or "-", f"[bold]{node.measured}[/]", verdict,
                      f"{diag.max():.3g}", f"{off.max():.3g}", f"{s['min']:.3g}..{s['max']:.3g} {moves}")
    console.print(table)
    console.print("own / cross: largest change of an agent's return when it / another agent changes policy")
    for node in report.nodes:
        console.print(f"\n[bold]{escape(node.path)}[/] measured {node.measured}. {escape(_evidence(node))}")
        matrix = Table(show_edge=False, box=None, padding=(0, 1))
        matrix.add_column("perturbed \\ R of")
        for agent in node.agents:
            matrix.add_column(escape(agent), justify="right")
        for x, agent in enumerate(node.agents):
            cells = [f"{node.effects[x, y]:+.3g}{'*' if node.significant[x, y] else ' '}" for y in range(len(node.agents))]
            matrix.add_row(escape(agent), *cells)
        console.print(matrix)
    console.print("\n* significant: the confidence interval excludes 0 and the effect exceeds the tolerance "
                  "(--json has the intervals)")
