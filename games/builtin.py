"""The ``arena.games`` entry point of Arena's own games.

pyproject.toml declares ``builtin = "games.builtin"`` in the ``arena.games`` group, the same
mechanism an installed game package uses (see :mod:`arena.env.registry`): the registry imports
this module and calls its :func:`arena_register`.
"""

from __future__ import annotations


def arena_register() -> None:
    """Register the built-in games (lazy factories: nothing heavy is imported)."""
    from games import _register_builtins

    _register_builtins()
