"""Game registry: ``arena.make(name, **kwargs)``.

Built-in games register themselves when the ``games`` package is imported (the registry imports
it on first use). Any importable PettingZoo module path also works: ``arena.make(
"mpe2.simple_spread_v3")`` returns its ``parallel_env`` when it has one and ``env`` otherwise;
``api="aec"`` or ``api="parallel"`` chooses explicitly.
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
