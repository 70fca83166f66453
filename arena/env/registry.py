"""Game registry: ``arena.make(name, **kwargs)``.

Built-in games register themselves when the ``games`` package is imported (the registry imports
it on first use). Any importable PettingZoo module path also works: ``arena.make(
"mpe2.simple_spread_v3")`` returns its ``parallel_env`` when it has one and ``env`` otherwise;
``api="aec"`` or ``api="parallel"`` chooses explicitly. Names of the form ``prefix:argument`` go to
the handler registered with :func:`register_prefix` (``unity:PATH`` opens a Unity build).
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

Api = Literal["aec", "parallel"]


class UnknownGameError(ValueError):
    """The name is neither a registered game nor an importable PettingZoo module."""


@dataclass(frozen=True)
class GameSpec:
    """A registered game: how to build it and what it is."""

    name: str
    factory: Callable[..., Any]
    api: Api
    description: str
    kwargs: dict[str, Any] = field(default_factory=dict)


_registry: dict[str, GameSpec] = {}
_builtins_loaded = False


@dataclass(frozen=True)
class PrefixSpec:
    """A family of games opened by ``prefix:argument`` (e.g. ``unity:builds/Soccer.x86_64``).

    ``factory`` is ``factory(argument, api=..., **kwargs)``, or a ``"module:function"`` string
    imported on first use (so that optional dependencies load only when needed).
    """

    prefix: str
    factory: Callable[..., Any] | str
    description: str


_prefixes: dict[str, PrefixSpec] = {}


def register_prefix(prefix: str, factory: Callable[..., Any] | str, *, description: str,
                    overwrite: bool = False) -> None:
    """Route ``arena.make("prefix:argument", api=..., **kwargs)`` to ``factory(argument, api=..., **kwargs)``."""
    if not prefix.isidentifier():
        raise ValueError(f"prefix {prefix!r} must be a plain name such as 'unity'")
    if prefix in _prefixes and not overwrite:
        raise ValueError(f"prefix '{prefix}' is already registered (pass overwrite=True to replace it)")
    _prefixes[prefix] = PrefixSpec(prefix, factory, description)


def registered_prefixes() -> list[PrefixSpec]:
    """All ``prefix:argument`` handlers, sorted by prefix."""
    return [_prefixes[p] for p in sorted(_prefixes)]


def register(name: str, factory: Callable[..., Any], *, api: Api, description: str,
             kwargs: dict[str, Any] | None = None, overwrite: bool = False) -> None:
    """Register a game under ``name``; ``kwargs`` documents the keyword arguments it takes."""
    if api not in ("aec", "parallel"):
        raise ValueError(f"api={api!r} for game '{name}': use 'aec' or 'parallel'")
    if name in _registry and not overwrite:
        raise ValueError(f"game '{name}' is already registered (pass overwrite=True to replace it)")
    _registry[name] = GameSpec(name, factory, api, description, dict(kwargs or {}))


def _load_builtins() -> None:
    global _builtins_loaded
    if not _builtins_loaded:
        _builtins_loaded = True
        importlib.import_module("games")


def registered() -> list[GameSpec]:
    """All registered games, sorted by name."""
    _load_builtins()
    return [_registry[n] for n in sorted(_registry)]


def spec(name: str) -> GameSpec:
    """The registration of ``name`` (raises :class:`UnknownGameError` with suggestions)."""
    _load_builtins()
    if name in _registry:
        return _registry[name]
    close = difflib.get_close_matches(name, list(_registry), n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise UnknownGameError(
        f"unknown game '{name}'.{hint} Run `arena games` for the list, or pass a PettingZoo module "
        "path such as mpe2.simple_spread_v3")


def make(name: str, *, api: Api | None = None, **kwargs: Any) -> Any:
    """Build a game by registered name or PettingZoo module path.

    ``api`` picks the AEC or Parallel view where a game offers both; registered games are
    returned in their native API.
    """
    _load_builtins()
    prefix, colon, argument = name.partition(":")
    if colon and prefix in _prefixes:
        factory = _prefixes[prefix].factory
        if isinstance(factory, str):
            module_name, _, function = factory.partition(":")
            factory = getattr(importlib.import_module(module_name), function)
        return factory(argument, api=api, **kwargs)
    if name in _registry:
        game = _registry[name]
        if api is not None and api != game.api:
            if api == "aec" and game.api == "parallel":
                from pettingzoo.utils.conversions import parallel_to_aec

                return parallel_to_aec(game.factory(**kwargs))
            raise ValueError(f"game '{name}' is turn-based and only has the AEC API; drop api='{api}'")
        return game.factory(**kwargs)
    if "." not in name:
        spec(name)  # raises with suggestions
    try:
        module = importlib.import_module(name)
    except ImportError as exc:
        raise UnknownGameError(
            f"cannot import '{name}' ({exc}). Run `arena games` for the built-in games, or install "
            "the package that provides this PettingZoo module") from None
    want_parallel = api == "parallel" or (api is None and hasattr(module, "parallel_env"))
    if want_parallel:
        if not hasattr(module, "parallel_env"):
            raise ValueError(f"module '{name}' has no parallel_env(); use api='aec'")
        return module.parallel_env(**kwargs)
    if not hasattr(module, "env"):
        raise UnknownGameError(f"module '{name}' is not a PettingZoo environment: it has no env() or parallel_env()")
    return module.env(**kwargs)


register_prefix("unity", "arena.unity:make_unity",
                description="unity:PATH opens a Unity ML-Agents build (unity: alone waits for the Editor); "
                            "needs pip install 'arena-league[unity]'")
