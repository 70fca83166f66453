"""``arena games``: list every game a name can reach, and where each comes from."""

from __future__ import annotations

import argparse
import json
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from arena.env.registry import ENTRY_POINT_GROUP, plugin_problems, registered, registered_prefixes

ALSO = ("any PettingZoo module path, e.g. mpe2.simple_spread_v3 or pettingzoo.classic.go_v5 "
        "(--env-arg board_size=9)",
        "a path to a 2-D game YAML file, e.g. ./koth.yaml (docs/arena2d.md)")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "games", help="list the games arena.make knows and where each comes from",
        description="List the games: Arena's built-in ones and those of installed packages (entry-point group "
                    f"{ENTRY_POINT_GROUP}; `arena new-game` scaffolds one). Wherever a game is named, a PettingZoo "
                    "module path (mpe2.simple_spread_v3) or a 2-D game YAML file (./koth.yaml) works too.",
        epilog="examples: arena games | arena games --json")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.set_defaults(func=run)


def listing() -> dict[str, Any]:
    """Everything ``arena games --json`` prints: games (with their source), prefixes, other name forms
    and the plugins that failed to load."""
    specs = registered()
    return {
        "games": [{"name": s.name, "api": s.api, "source": s.source, "description": s.description,
                   "kwargs": s.kwargs} for s in specs],
        "prefixes": [{"prefix": p.prefix, "description": p.description, "suffixes": list(p.suffixes)}
                     for p in registered_prefixes()],
        "also": list(ALSO),
        "problems": plugin_problems(),
    }


def run(args: argparse.Namespace) -> int:
    data = listing()
    if args.json:
        print(json.dumps(data))
        return 0
    table = Table(title="Arena games", caption="Also: " + "; ".join(ALSO))
    table.add_column("name", style="bold")
    table.add_column("api")
    table.add_column("source")
    table.add_column("options")
    table.add_column("description")
    for game in data["games"]:
        options = " ".join(f"{k}={v}" for k, v in game["kwargs"].items())
        table.add_row(escape(game["name"]), game["api"], escape(game["source"]), escape(options),
                      escape(game["description"]))
    for prefix in data["prefixes"]:
        table.add_row(f"{prefix['prefix']}:…", "", "handler", "", escape(prefix["description"]))
    console = Console(width=None if Console().is_terminal else 160)
    console.print(table)
    for problem in data["problems"]:
        console.print(f"[yellow]warning:[/] {escape(problem)}")
    return 0
