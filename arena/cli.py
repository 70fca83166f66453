"""The ``arena`` command. Thin: each subcommand lives in :mod:`arena.commands` and calls the library.

User mistakes (bad names, bad specs, bad files) end in one line on stderr and exit status 2,
never a traceback; ``ARENA_DEBUG=1`` shows the traceback for bug reports.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sqlite3
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from arena import __version__

# One module per subcommand; each defines ``register(subparsers)``.
COMMAND_MODULES = [
    "arena.commands.games",
    "arena.commands.match",
    "arena.commands.train",
    "arena.commands.play",
    "arena.commands.watch",
    "arena.commands.ladder",
    "arena.commands.eval",
    "arena.commands.plot",
    "arena.commands.league",
    "arena.commands.verify_rewards",
    "arena.commands.new_game",
    "arena.commands.check_game",
]


class UserError(Exception):
    """A mistake the user can fix; printed as one line."""


class ArenaParser(argparse.ArgumentParser):
    """An argument parser whose mistakes are one ``arena: error:`` line (no usage block), exit 2.

    Sub-command parsers inherit the class, so every ``arena ...`` command reports the same way."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"arena: error: {message} (see `{self.prog} --help`)\n")


# Numeric options by destination: (smallest, largest) accepted value, None for no bound. Applied to
# every sub-command's option of that name, so `--seed -1` or `--threads 0` is refused the same way
# everywhere, naming the option.
NUMERIC_LIMITS: dict[str, tuple[float | None, float | None]] = {
    "seed": (0, 2**32 - 1),
    "threads": (1, 1024),
    "workers": (0, 256),
    "episodes": (1, None),
    "games": (1, None),
    "steps": (1, None),
    "iterations": (1, None),
    "chunk": (1, None),
    "num_envs": (1, 4096),
    "playouts": (1, None),
    "contexts": (1, None),
    "fps": (0, 1000),
    "confidence": (0, 1),
}


def _bounded(convert: Callable[[str], Any], low: float | None, high: float | None) -> Callable[[str], Any]:
    def check(text: str) -> Any:
        try:
            value = convert(text)
        except (TypeError, ValueError):
            kind = "a whole number" if convert is int else "a number"
            raise argparse.ArgumentTypeError(f"expected {kind}, got '{text}'") from None
        if value != value:  # NaN
            raise argparse.ArgumentTypeError(f"expected a number, got '{text}'")
        if low is not None and value < low:
            raise argparse.ArgumentTypeError(f"must be >= {low}, got {text}")
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"must be <= {high}, got {text}")
        return value

    check.__name__ = getattr(convert, "__name__", "value")
    return check


def _apply_limits(parser: argparse.ArgumentParser) -> None:
    """Bound every numeric option named in :data:`NUMERIC_LIMITS`, in ``parser`` and its sub-commands."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                _apply_limits(sub)
        elif action.dest in NUMERIC_LIMITS and action.type in (int, float):
            action.type = _bounded(action.type, *NUMERIC_LIMITS[action.dest])


class _PrintCompletion(argparse.Action):
    """``arena --print-completion SHELL``: the completion script of every command and option (shtab)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        try:
            import shtab
        except ImportError:
            parser.error("shell completion needs the shtab package: pip install shtab")
        try:
            sys.stdout.write(shtab.complete(parser, values, root_prefix="arena"))
            sys.stdout.flush()
        except BrokenPipeError:
            _quiet_stdout()
        parser.exit(0)


def build_parser() -> argparse.ArgumentParser:
    parser = ArenaParser(
        prog="arena",
        description="Arena: multi-agent games, self-play leagues and AlphaZero, in the terminal.",
        epilog="Run `arena COMMAND --help` for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"arena {__version__}")
    parser.add_argument("--print-completion", choices=["bash", "zsh", "tcsh"], action=_PrintCompletion,
                        help="print a shell completion script, e.g. `arena --print-completion bash > "
                             "~/.local/share/bash-completion/completions/arena`")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            # A command whose module is not in this install is left out; a missing dependency is not hidden.
            if exc.name != name:
                raise
            continue
        module.register(subparsers)
    _apply_limits(parser)
    return parser


def _quiet_stdout() -> None:
    """After a broken pipe (``arena ... | head``): send the rest of stdout to /dev/null, so the
    interpreter's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _broken_pipe(console: Any) -> NoReturn:
    """rich's own broken-pipe handler exits with status 1; report it to :func:`main` instead."""
    raise BrokenPipeError


def _error(message: str) -> int:
    try:
        print(f"arena: error: {message}", file=sys.stderr)
    except (BrokenPipeError, OSError):
        pass
    return 2


def _ctrl_c_interrupts() -> None:
    """Ctrl-C raises KeyboardInterrupt even when ``arena`` was started with SIGINT ignored (a
    background job of a non-interactive shell, ``nohup``): every command relies on it to leave
    cleanly and keep finished work. Only in the main thread of the ``arena`` command itself."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread() and sys.argv and \
            os.path.basename(sys.argv[0]) in ("arena", "__main__.py"):
        signal.signal(signal.SIGINT, signal.default_int_handler)


def main(argv: list[str] | None = None) -> int:
    _ctrl_c_interrupts()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a bad option (already reported on one line)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        import rich.console

        rich.console.Console.on_broken_pipe = _broken_pipe  # type: ignore[method-assign]
    except ImportError:
        pass
    try:
        result = args.func(args)
        sys.stdout.flush()
    except KeyboardInterrupt:
        print("\narena: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`): what it wanted was printed; not an error.
        _quiet_stdout()
        return 0
    except EOFError:
        if os.environ.get("ARENA_DEBUG"):
            raise
        return _error("standard input is closed (end of file) but this command reads moves from it; "
                      "run it in a terminal, or pipe the moves in")
    except sqlite3.DatabaseError as exc:
        if os.environ.get("ARENA_DEBUG"):
            raise
        return _error(f"a league database is damaged ({exc}); restore it from a backup or start a new one")
    except UnicodeDecodeError as exc:
        if os.environ.get("ARENA_DEBUG"):
            raise
        return _error(f"a file is not text ({exc.reason} at byte {exc.start}); pass a UTF-8 YAML/text file")
    except (UserError, ValueError, FileNotFoundError, PermissionError, IsADirectoryError, KeyError) as exc:
        if os.environ.get("ARENA_DEBUG"):
            raise
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if isinstance(exc, KeyError):
            message = f"missing key {message}"
        return _error(message)
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
