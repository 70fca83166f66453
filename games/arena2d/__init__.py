"""The batched 2-D arena engine, its prefabs and builder, and Arena's games in 2-D.

* :mod:`games.arena2d.engine` -- :class:`Arena2DGame`, ``B`` copies stepped as arrays;
* :mod:`games.arena2d.spec` / :mod:`games.arena2d.prefabs` -- declare a game in dataclasses;
* :mod:`games.arena2d.builder` -- ``make_env``, ``make_batched``, ``load_game`` (YAML);
* :mod:`games.arena2d.games` -- Soccer, Sumo, Push, Crossroads, RunToGoal, Gunner, Tennis,
  BlowBlow, YouShallNotPass, CaptureTheFlag;
* :mod:`games.arena2d.human` -- keyboard control for real-time play in a terminal.

Importing this package is cheap: the engine (numpy + numba kernels) loads when a game is built.
"""

from __future__ import annotations

from typing import Any

from games.arena2d.catalogue import GAMES


def make(name: str, render_mode: str | None = None, actions: str | None = None,
         reward_terms: bool = False) -> Any:
    """The PettingZoo Parallel env of a registered 2-D game (``actions``: discrete/continuous)."""
    from games.arena2d.builder import make_env
    from games.arena2d.catalogue import definition

    return make_env(definition(name), render_mode, actions=actions, reward_terms=reward_terms)


def make_batched(name: str, num_envs: int = 1, *, autoreset: bool = True, actions: str | None = None,
                 num_threads: int = 1) -> Any:
    """The batched engine of a registered 2-D game with ``num_envs`` copies on ``num_threads``
    numba threads."""
    from games.arena2d.builder import make_batched as build
    from games.arena2d.catalogue import definition

    return build(definition(name), num_envs, autoreset=autoreset, actions=actions, num_threads=num_threads)


def register_games() -> None:
    """Register every 2-D game with :func:`arena.make` (lazy factories; nothing heavy imported)."""
    from arena.env.registry import register

    for name, (_, _, description) in GAMES.items():
        def factory(render_mode: str | None = None, actions: str | None = None, reward_terms: bool = False,
                    _name: str = name) -> Any:
            return make(_name, render_mode=render_mode, actions=actions, reward_terms=reward_terms)

        register(name, factory, api="parallel", description=description,
                 kwargs={"actions": "discrete"})
