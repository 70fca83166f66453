"""Batched, numba-compiled ports of mpe2's particle worlds, faithful to the original.

``arena.make("simple_spread_v3", N=3, max_cycles=25, continuous_actions=False)`` returns the
PettingZoo Parallel view (a batch of one) of the port; ``arena.make("mpe2.simple_spread_v3")``
keeps meaning mpe2's own module. :func:`make_batched` builds ``num_envs`` copies stepped as
arrays (:class:`games.mpe.engine.ParticleWorld`).

* :mod:`games.mpe.core` -- numba kernels: action decoding, contact forces, integration;
* :mod:`games.mpe.engine` -- :class:`~games.mpe.engine.ParticleWorld` and its Parallel view;
* one module per world: ``simple_spread``, ``simple_tag``, ``simple_adversary``,
  ``simple_reference``, ``simple_speaker_listener``, ``simple_push``.

From the same state and the same actions the ports give mpe2's observations, rewards,
terminations and truncations (``tests/test_mpe_faithful.py``); a seeded reset of a batch of one
starts where mpe2's seeded reset does. Importing this package is cheap: numba loads when a world
is built.
"""

from __future__ import annotations

import importlib
from typing import Any

# name -> (module:class, description, documented keyword arguments)
WORLDS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "simple_spread_v3": ("games.mpe.simple_spread:SimpleSpread",
                         "mpe2 simple_spread, batched numba port: N agents cover N landmarks",
                         {"N": 3, "local_ratio": 0.5, "max_cycles": 25, "continuous_actions": False}),
    "simple_tag_v3": ("games.mpe.simple_tag:SimpleTag",
                      "mpe2 simple_tag, batched numba port: adversaries chase good agents around obstacles",
                      {"num_good": 1, "num_adversaries": 3, "num_obstacles": 2, "max_cycles": 25,
                       "continuous_actions": False}),
    "simple_adversary_v3": ("games.mpe.simple_adversary:SimpleAdversary",
                            "mpe2 simple_adversary, batched numba port: good agents hide the goal from an adversary",
                            {"N": 2, "max_cycles": 25, "continuous_actions": False}),
    "simple_reference_v3": ("games.mpe.simple_reference:SimpleReference",
                            "mpe2 simple_reference, batched numba port: two agents tell each other their goals",
                            {"local_ratio": 0.5, "max_cycles": 25, "continuous_actions": False}),
    "simple_speaker_listener_v4": ("games.mpe.simple_speaker_listener:SimpleSpeakerListener",
                                   "mpe2 simple_speaker_listener, batched numba port: a speaker guides a listener",
                                   {"max_cycles": 25, "continuous_actions": False}),
    "simple_push_v3": ("games.mpe.simple_push:SimplePush",
                       "mpe2 simple_push, batched numba port: an adversary pushes an agent off its goal",
                       {"max_cycles": 25, "continuous_actions": False}),
}


def world_class(name: str) -> Any:
    """The :class:`~games.mpe.engine.ParticleWorld` subclass of a port (imports numba)."""
    if name not in WORLDS:
        raise ValueError(f"unknown particle world '{name}'; the ports are {', '.join(WORLDS)}")
    module, _, cls = WORLDS[name][0].partition(":")
    return getattr(importlib.import_module(module), cls)


def make_batched(name: str, num_envs: int = 1, **kwargs: Any) -> Any:
    """``num_envs`` copies of a port stepped as arrays; ``kwargs`` are mpe2's (``N``, ``max_cycles``,
    ``continuous_actions``, ...) plus ``autoreset`` and ``num_threads``."""
    return world_class(name)(num_envs, **kwargs)


def make(name: str, render_mode: str | None = None, **kwargs: Any) -> Any:
    """The PettingZoo Parallel view of a port (a batch of one); ``kwargs`` as mpe2's."""
    from games.mpe.engine import ParticleEnv

    cls = world_class(name)
    return ParticleEnv(lambda n: cls(n, **kwargs), render_mode=render_mode)


def register_games() -> None:
    """Register every port with :func:`arena.make` under mpe2's bare names (lazy factories)."""
    from arena.env.registry import register

    for name, (_, description, kwargs) in WORLDS.items():
        def factory(render_mode: str | None = None, _name: str = name, **kw: Any) -> Any:
            return make(_name, render_mode=render_mode, **kw)

        register(name, factory, api="parallel", description=description, kwargs=kwargs)
