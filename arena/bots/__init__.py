"""Bots: one protocol for everything that picks moves -- play, evaluation and leagues.

``arena.bots.make(spec, env)`` builds a bot from a spec string:

* ``random`` -- uniform over legal moves;
* ``human`` -- asks on the terminal (used by scripts; ``arena play`` has its own richer UI);
* ``mcts:<simulations>`` -- pure UCT search with random rollouts (:mod:`arena.mcts.pure`);

and whatever other modules register with :func:`register_bot` (AlphaZero checkpoints as
``az:<checkpoint>``, league snapshots as ``league:<dir>[:player]``).

A bot's :meth:`Bot.act` takes what a PettingZoo AEC agent sees -- the ``observation`` planes and
the ``action_mask`` -- and returns an action. Search bots also have :meth:`SearchBot.policy`,
which returns the visit shares and the value of the position for the player to move.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from arena.bots.base import (
    Bot,
    BotSpecError,
    HumanBot,
    RandomBot,
    SearchBot,
    SearchResult,
    bind_env,
    current_state,
    game_of,
)

__all__ = [
    "Bot",
    "BotSpecError",
    "HumanBot",
    "RandomBot",
    "SearchBot",
    "SearchResult",
    "bind_env",
    "current_state",
    "game_of",
    "make",
    "register_bot",
    "registered_bots",
]

# factory(argument, env, seed, **options) -> Bot; options come from the caller (e.g. playouts=400).
BotFactory = Callable[..., Bot]


@dataclass(frozen=True)
class _BotKind:
    prefix: str
    factory: BotFactory
    usage: str


_kinds: dict[str, _BotKind] = {}
_loaded_plugins = False


def register_bot(prefix: str, factory: BotFactory, usage: str, *, overwrite: bool = False) -> None:
    """Register a bot kind: ``factory(argument, env, seed, **options)`` builds one from
    ``prefix:argument``; it must reject options it does not understand with :class:`BotSpecError`."""
    if prefix in _kinds and not overwrite:
        raise ValueError(f"bot kind '{prefix}' is already registered")
    _kinds[prefix] = _BotKind(prefix, factory, usage)


def _load_plugins() -> None:
    """Import the modules that register bot kinds (done lazily: they pull in numba/torch).

    Besides Arena's own modules, any installed package can add bot kinds through the entry-point
    group ``arena.bots`` (the ``leagues`` package adds ``league:`` this way, so that ``arena``
    never imports ``leagues``): each entry point names a module or a callable run once.
    """
    global _loaded_plugins
    if _loaded_plugins:
        return
    _loaded_plugins = True
    import importlib
    from importlib.metadata import entry_points

    for module in _PLUGIN_MODULES:
        importlib.import_module(module)
    for entry_point in entry_points(group="arena.bots"):
        loaded = entry_point.load()
        if callable(loaded):
            loaded()


# Modules whose import registers a bot kind.
_PLUGIN_MODULES: list[str] = ["arena.mcts.bot", "arena.alphazero.bot", "arena.marl.ppo_bot", "arena.marl.maddpg_bot"]


def registered_bots() -> dict[str, str]:
    """``{prefix: usage}`` for every bot kind."""
    _load_plugins()
    return {k: v.usage for k, v in sorted(_kinds.items())}


def make(spec: str, env: Any, *, seed: int | None = None, **options: Any) -> Bot:
    """Build the bot described by ``spec`` for ``env`` (an AEC env from ``arena.make``).

    ``options`` are passed to the bot kind's factory; ``playouts=N`` sets the search budget of
    searching bots (``mcts``, ``az``) where the spec does not give one.

    Raises :class:`BotSpecError` (a one-line message listing the valid specs) for a bad spec.
    """
    _load_plugins()
    if not isinstance(spec, str) or not spec.strip():
        raise BotSpecError(f"bot spec must be a non-empty string, got {spec!r}")
    prefix, _, argument = spec.strip().partition(":")
    kind = _kinds.get(prefix)
    if kind is None:
        valid = ", ".join(v.usage for v in sorted(_kinds.values(), key=lambda k: k.prefix))
        raise BotSpecError(f"unknown bot '{spec}': valid bots are {valid}")
    return kind.factory(argument, env, seed, **options)


def _no_options(kind: str, options: dict[str, Any]) -> None:
    unknown = {k: v for k, v in options.items() if v is not None}
    if unknown:
        raise BotSpecError(f"'{kind}' takes no options, got {', '.join(unknown)}")


def _make_random(argument: str, env: Any, seed: int | None, **options: Any) -> Bot:
    _no_options("random", options)
    if argument:
        raise BotSpecError(f"'random' takes no argument, got 'random:{argument}'")
    return RandomBot(seed=seed)


def _make_human(argument: str, env: Any, seed: int | None, **options: Any) -> Bot:
    _no_options("human", options)
    if argument:
        raise BotSpecError(f"'human' takes no argument, got 'human:{argument}'")
    return HumanBot(game_of(env))


register_bot("random", _make_random, "random")
register_bot("human", _make_human, "human")
