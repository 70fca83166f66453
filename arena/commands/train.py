"""``arena train ALGORITHM ...``: one sub-command per training algorithm.

Each algorithm module defines ``register(subparsers)`` adding its own ``arena train NAME`` parser.
Those modules import torch and the algorithm lazily (inside the command), so ``arena --help``
stays fast.
"""

from __future__ import annotations

import argparse
import importlib

# algorithm name -> module that registers `arena train NAME`
ALGORITHM_MODULES = {
    "alphazero": "arena.alphazero.cli",
    "maddpg": "arena.marl.maddpg_cli",
    "ppo": "arena.marl.ppo_cli",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("train", help="train agents (alphazero, maddpg, ppo)",
                              description="Train an agent. Run `arena train ALGORITHM --help` for its options.")
    algorithms = p.add_subparsers(dest="algorithm", metavar="ALGORITHM")
    for module_name in ALGORITHM_MODULES.values():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            # Skip an algorithm whose module is not in this install; re-raise a real missing dependency.
            if exc.name is None or not (module_name == exc.name or module_name.startswith(exc.name + ".")):
                raise
            continue
        module.register(algorithms)
    p.set_defaults(func=lambda args: p.print_help() or 2)
