"""``arena games``: list the registered games."""

from __future__ import annotations

import argparse
import json

from rich.console import Console
from rich.table import Table

from arena.env import registered, registered_prefixes


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("games", help="list the games arena.make knows",
                              description="List the registered games. Any PettingZoo module path "
                                          "(e.g. mpe2.simple_spread_v3) also works wherever a game is named.")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    specs = registered()
    if args.json:
        print(json.dumps({"games": [{"name": s.name, "api": s.api, "description": s.description,
                                     "kwargs": s.kwargs} for s in specs],
                          "prefixes": [{"prefix": p.prefix, "description": p.description}
                                       for p in registered_prefixes()]}))
        return 0
    table = Table(title="Arena games", caption="Also: any PettingZoo module path, e.g. mpe2.simple_spread_v3")
    table.add_column("name", style="bold")
    table.add_column("api")
    table.add_column("options")
    table.add_column("description")
    for s in specs:
        options = " ".join(f"{k}={v}" for k, v in s.kwargs.items())
        table.add_row(s.name, s.api, options, s.description)
    for p in registered_prefixes():
        table.add_row(f"{p.prefix}:…", "", "", p.description)
    Console().print(table)
    return 0
