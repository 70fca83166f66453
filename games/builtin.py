"""The ``arena.games`` entry point of Arena's own games: importing this module registers them.

pyproject.toml declares ``builtin = "games.builtin"`` in the ``arena.games`` group, the same
mechanism an installed game package uses (see :mod:`arena.env.registry`).
"""

from games import _register_builtins

_register_builtins()
