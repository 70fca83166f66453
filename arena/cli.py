"""The ``arena`` command. Thin: each subcommand lives in :mod:`arena.commands` and calls the library.

User mistakes (bad names, bad specs, bad files) end in one line on stderr and exit status 2,
never a traceback; ``ARENA_DEBUG=1`` shows the traceback for bug reports.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from arena import __version__

# One module per subcommand; each defines ``register(subparsers)``.
COMMAND_MODULES = [
    "arena.commands.games",
    "arena.commands.match",
    "arena.commands.train",
    "arena.commands.play",
    "arena.commands.eval",
    "arena.commands.league",
    "arena.commands.verify_rewards",
    "arena.commands.new_game",
]


class UserError(Exception):
    """A mistake the user can fix; printed as one line."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="arena",
        description="Arena: multi-agent games, self-play leagues and AlphaZero, in the terminal.",
        epilog="Run `arena COMMAND --help` for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"arena {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        result = args.func(args)
    except KeyboardInterrupt:
        print("\narena: interrupted", file=sys.stderr)
        return 130
    except (UserError, ValueError, FileNotFoundError, PermissionError, KeyError) as exc:
        if os.environ.get("ARENA_DEBUG"):
            raise
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if isinstance(exc, KeyError):
            message = f"missing key {message}"
        print(f"arena: error: {message}", file=sys.stderr)
        return 2
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
