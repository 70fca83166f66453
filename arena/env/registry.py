"""Game registry: ``arena.make(name, **kwargs)``, the one way to turn a game's name into an env.

Every command, recipe and bot spec names a game through :func:`make` / :func:`spec`. A name is

* a **registered game**: Arena's built-in games and the games of installed packages, both found
  through the entry-point group ``arena.games`` (see below), or a game registered in this process
  with :func:`register`;
* a **2-D game file**: a path ending in ``.yaml`` / ``.yml`` (``arena.make("./koth.yaml")``), read
  by the handler registered for that suffix (:func:`register_prefix` with ``suffixes=``);
* ``prefix:argument``, routed to the handler registered with :func:`register_prefix`
  (``unity:PATH`` opens a Unity build, ``yaml:PATH`` a 2-D game file);
* any importable **PettingZoo module path**: ``arena.make("mpe2.simple_spread_v3")`` returns its
  ``parallel_env`` when it has one and ``env`` otherwise; ``api="aec"`` or ``api="parallel"``
  chooses explicitly.

Entry points (``[project.entry-points."arena.games"]`` in a package's ``pyproject.toml``) are read
from the installed distributions' metadata the first time a game is looked up:

* ``NAME = "package.module:factory"`` -- the game ``NAME`` is ``factory(**kwargs)``; the module is
  imported only when the game is built or listed. The API (AEC or Parallel) comes from the
  factory's ``arena_api`` attribute, else from its name (``parallel_env`` -> Parallel, ``env`` /
  ``raw_env`` -> AEC), else from the env it builds; the description from ``arena_description`` or
  the docstring's first line;
* ``LABEL = "package.module"`` -- a registration module: the registry imports it and calls its
  ``arena_register()`` when it has one (how Arena's own ``games.builtin`` registers the
  built-ins); either may call :func:`register` for any number of games. If it registers nothing
  under ``LABEL`` but has ``parallel_env`` / ``env``, it is the PettingZoo game ``LABEL``.

A plugin that fails to load never breaks the others: :func:`plugin_problems` lists what went wrong
(``arena games`` prints it), and an unknown name's error mentions it.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

Api = Literal["aec", "parallel"]

ENTRY_POINT_GROUP = "arena.games"
# The distribution whose entry points are Arena's own games (shown as "built-in").
BUILTIN_DISTRIBUTION = "arena-league"
# Arena's own registration module, as pyproject.toml declares it; used only when the installed
# metadata predates the entry point (an old editable install, or a source tree on sys.path).
BUILTIN_ENTRY_POINT = ("builtin", "games.builtin")
BUILTIN_SOURCE = "built-in"
PROCESS_SOURCE = "this process"


class UnknownGameError(ValueError):
    """The name is neither a registered game, a game file nor an importable PettingZoo module."""


@dataclass(frozen=True)
class GameSpec:
    """A game a name resolves to: how to build it, what it is and where it comes from.

    ``source`` is ``"built-in"``, ``"package NAME"`` (an installed plugin), ``"this process"``
    (:func:`register` called directly), ``"file PATH"``, ``"module NAME"`` or ``"prefix NAME:"``.
    """

    name: str
    factory: Callable[..., Any]
    api: Api
    description: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    source: str = PROCESS_SOURCE
    passes_api: bool = False  # factory takes api=... (module paths, prefixes, game files)


_registry: dict[str, GameSpec] = {}
_builtins_loaded = False
_problems: list[str] = []
_loading_source: str | None = None


@dataclass(frozen=True)
class PrefixSpec:
    """A family of games opened by ``prefix:argument`` (e.g. ``unity:builds/Soccer.x86_64``).

    ``factory`` is ``factory(argument, api=..., **kwargs)``, or a ``"module:function"`` string
    imported on first use (so that optional dependencies load only when needed). Names ending in
    one of ``suffixes`` (``.yaml``) also go to it, with the whole name as the argument. ``api`` is
    the API its games have when none is asked for.
    """

    prefix: str
    factory: Callable[..., Any] | str
    description: str
    suffixes: tuple[str, ...] = ()
    api: Api = "parallel"


_prefixes: dict[str, PrefixSpec] = {}


def register_prefix(prefix: str, factory: Callable[..., Any] | str, *, description: str,
                    overwrite: bool = False, suffixes: tuple[str, ...] | list[str] = (),
                    api: Api = "parallel") -> None:
    """Route ``arena.make("prefix:argument", api=..., **kwargs)`` to ``factory(argument, api=..., **kwargs)``.

    With ``suffixes`` (e.g. ``(".yaml", ".yml")``) a name ending in one of them is a file for this
    handler too: ``arena.make("./koth.yaml")`` calls ``factory("./koth.yaml", api=None)``.
    """
    if not prefix.isidentifier():
        raise ValueError(f"prefix {prefix!r} must be a plain name such as 'unity'")
    if prefix in _prefixes and not overwrite:
        raise ValueError(f"prefix '{prefix}' is already registered (pass overwrite=True to replace it)")
    cleaned = tuple(s.lower() for s in suffixes)
    for suffix in cleaned:
        if not suffix.startswith(".") or len(suffix) < 2:
            raise ValueError(f"suffix {suffix!r} for prefix '{prefix}' must look like '.yaml'")
    _prefixes[prefix] = PrefixSpec(prefix, factory, description, cleaned, api)


def registered_prefixes() -> list[PrefixSpec]:
    """All ``prefix:argument`` handlers, sorted by prefix."""
    _load_builtins()
    return [_prefixes[p] for p in sorted(_prefixes)]


def register(name: str, factory: Callable[..., Any], *, api: Api, description: str,
             kwargs: dict[str, Any] | None = None, overwrite: bool = False) -> None:
    """Register a game under ``name``; ``kwargs`` documents the keyword arguments it takes.

    Called while an ``arena.games`` entry point loads, the game's source is that entry point's
    package; called anywhere else, it is ``"this process"``.
    """
    if api not in ("aec", "parallel"):
        raise ValueError(f"api={api!r} for game '{name}': use 'aec' or 'parallel'")
    if not name or any(c.isspace() for c in name):
        raise ValueError(f"game name {name!r} must be non-empty and contain no spaces")
    if name in _registry and not overwrite:
        raise ValueError(f"game '{name}' is already registered ({_registry[name].source}); "
                         "pass overwrite=True to replace it")
    _registry[name] = GameSpec(name, factory, api, description, dict(kwargs or {}),
                               source=_loading_source or PROCESS_SOURCE)


# -- entry points -------------------------------------------------------------------------------


def _distribution_name(entry_point: metadata.EntryPoint) -> str | None:
    dist = getattr(entry_point, "dist", None)
    name = getattr(dist, "name", None) if dist is not None else None
    return None if name is None else str(name)


def _source_of(distribution: str | None) -> str:
    if distribution is None or distribution.replace("_", "-").lower() == BUILTIN_DISTRIBUTION:
        return BUILTIN_SOURCE
    return f"package {distribution}"


@contextlib.contextmanager
def _source(source: str) -> Iterator[None]:
    global _loading_source
    previous, _loading_source = _loading_source, source
    try:
        yield
    finally:
        _loading_source = previous


def _game_entry_points() -> list[tuple[metadata.EntryPoint, str]]:
    """``(entry point, source)`` for every ``arena.games`` entry point, built-ins first."""
    found = [(ep, _source_of(_distribution_name(ep))) for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)]
    # One entry point per (source, name): an editable install can expose its metadata twice.
    unique: dict[tuple[str, str], tuple[metadata.EntryPoint, str]] = {}
    for ep, source in found:
        unique.setdefault((source, ep.name), (ep, source))
    found = list(unique.values())
    if not any(source == BUILTIN_SOURCE for _, source in found):
        label, value = BUILTIN_ENTRY_POINT
        found.insert(0, (metadata.EntryPoint(name=label, value=value, group=ENTRY_POINT_GROUP), BUILTIN_SOURCE))
    found.sort(key=lambda item: item[1] != BUILTIN_SOURCE)
    return found


class _EntryPointFactory:
    """The factory of an ``arena.games`` entry point ``NAME = "module:function"``, imported on first use."""

    def __init__(self, entry_point: metadata.EntryPoint, source: str) -> None:
        self.entry_point = entry_point
        self.source = source
        self._loaded: Callable[..., Any] | None = None

    def load(self) -> Callable[..., Any]:
        if self._loaded is None:
            ep = self.entry_point
            try:
                loaded = ep.load()
            except Exception as exc:  # a broken plugin: one line naming it
                raise UnknownGameError(
                    f"game '{ep.name}' from {self.source} cannot be loaded: entry point "
                    f"'{ep.name} = {ep.value}' failed with {type(exc).__name__}: {exc}") from None
            if not callable(loaded):
                raise UnknownGameError(f"game '{ep.name}' from {self.source}: entry point '{ep.value}' is "
                                       f"not callable (a {type(loaded).__name__}); point it at a function "
                                       "returning a PettingZoo env")
            self._loaded = loaded
        return self._loaded

    def __call__(self, **kwargs: Any) -> Any:
        return self.load()(**kwargs)


def _factory_api(factory: Callable[..., Any]) -> Api | None:
    declared = getattr(factory, "arena_api", None)
    if declared in ("aec", "parallel"):
        return declared
    if inspect.isclass(factory):
        from pettingzoo import AECEnv, ParallelEnv

        if issubclass(factory, ParallelEnv):
            return "parallel"
        if issubclass(factory, AECEnv):
            return "aec"
    name = getattr(factory, "__name__", "")
    if name == "parallel_env":
        return "parallel"
    if name in ("env", "raw_env"):
        return "aec"
    return None


def _factory_kwargs(factory: Callable[..., Any]) -> dict[str, Any]:
    declared = getattr(factory, "arena_kwargs", None)
    if isinstance(declared, dict):
        return dict(declared)
    try:
        parameters = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return {}
    return {p.name: p.default for p in parameters
            if p.default is not inspect.Parameter.empty and p.name != "render_mode"
            and isinstance(p.default, int | float | str | bool)}


def _resolve_entry_point(game: GameSpec) -> GameSpec:
    """Import a lazily registered entry-point game and fill in its API, description and options."""
    lazy = game.factory
    if not isinstance(lazy, _EntryPointFactory):
        return game
    factory = lazy.load()
    api = _factory_api(factory)
    if api is None:  # nothing declared: build it once and look
        probe = factory()
        api = "aec" if hasattr(probe, "agent_iter") else "parallel"
        with contextlib.suppress(Exception):
            probe.close()
    doc = (inspect.getdoc(factory) or "").strip().splitlines()
    description = getattr(factory, "arena_description", None) or (doc[0] if doc else f"a game from {lazy.source}")
    resolved = GameSpec(game.name, factory, api, str(description), _factory_kwargs(factory), source=game.source)
    if _registry.get(game.name) is game:
        _registry[game.name] = resolved
    return resolved


def _load_entry_point(entry_point: metadata.EntryPoint, source: str) -> None:
    name = entry_point.name
    if entry_point.attr:  # NAME = "module:function": a factory, imported on first use
        if name in _registry:
            _problems.append(f"game '{name}' from {source} is ignored: the name is already taken by "
                             f"{_registry[name].source}")
            return
        _registry[name] = GameSpec(name, _EntryPointFactory(entry_point, source), "parallel", "",
                                   source=source)
        return
    before = set(_registry)
    try:
        with _source(source):
            module = importlib.import_module(entry_point.module)
            hook = getattr(module, "arena_register", None)
            if callable(hook):
                hook()
    except Exception as exc:  # a broken plugin must not hide the other games
        _problems.append(f"{source}: entry point '{name} = {entry_point.value}' failed to load "
                         f"({type(exc).__name__}: {exc})")
        return
    if set(_registry) - before or name in _registry:
        return
    if hasattr(module, "parallel_env") or hasattr(module, "env"):
        _registry[name] = GameSpec(name, partial(_module_env, module), "parallel" if hasattr(
            module, "parallel_env") else "aec", (inspect.getdoc(module) or f"{module.__name__}").splitlines()[0],
            source=source, passes_api=True)
        return
    _problems.append(f"{source}: entry point '{name} = {entry_point.value}' registered no game "
                     "(point it at a factory, 'module:function', or a module that calls arena.register)")


def _load_builtins() -> None:
    """Load the ``arena.games`` entry points once (built-ins first); nothing heavy is imported."""
    global _builtins_loaded
    if _builtins_loaded:
        return
    _builtins_loaded = True
    for entry_point, source in _game_entry_points():
        _load_entry_point(entry_point, source)


def plugin_problems() -> list[str]:
    """One line per ``arena.games`` entry point that failed to load or clashed with another game."""
    _load_builtins()
    return list(_problems)


def registered() -> list[GameSpec]:
    """All registered games (built-in, from installed packages, from this process), sorted by name.

    Games of installed packages are imported here (not built) to read their description.
    """
    _load_builtins()
    out = []
    for name in sorted(_registry):
        try:
            out.append(_resolve_entry_point(_registry[name]))
        except UnknownGameError as exc:
            message = str(exc)
            if message not in _problems:
                _problems.append(message)
    return out


# -- resolving names ----------------------------------------------------------------------------


def _module_env(module: Any, api: Api | None = None, **kwargs: Any) -> Any:
    want_parallel = api == "parallel" or (api is None and hasattr(module, "parallel_env"))
    if want_parallel:
        if not hasattr(module, "parallel_env"):
            raise ValueError(f"module '{module.__name__}' is turn-based and only has the AEC API (no parallel_env()); "
                             "use api='aec'")
        return module.parallel_env(**kwargs)
    return module.env(**kwargs)


def _prefix_env(prefix: PrefixSpec, argument: str, api: Api | None = None, **kwargs: Any) -> Any:
    factory = prefix.factory
    if isinstance(factory, str):
        module_name, _, function = factory.partition(":")
        factory = getattr(importlib.import_module(module_name), function)
    return factory(argument, api=api, **kwargs)


def _file_prefix(name: str) -> PrefixSpec | None:
    lowered = name.lower()
    for prefix in _prefixes.values():
        if any(lowered.endswith(s) for s in prefix.suffixes):
            return prefix
    return None


def _unknown(name: str) -> UnknownGameError:
    close = difflib.get_close_matches(name, list(_registry), n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    broken = f" ({len(_problems)} game plugin(s) failed to load: see `arena games`)" if _problems else ""
    return UnknownGameError(
        f"unknown game '{name}'.{hint} Run `arena games` for the list, or name a PettingZoo module "
        f"path such as mpe2.simple_spread_v3 or a 2-D game file such as ./koth.yaml{broken}")


def spec(name: str) -> GameSpec:
    """What ``name`` resolves to (raises :class:`UnknownGameError`, one line, with suggestions).

    Registered games come back as registered; a game file, ``prefix:argument`` or module path
    comes back as a :class:`GameSpec` built for the name (the file is checked to exist, the module
    is imported, nothing is built).
    """
    _load_builtins()
    if not isinstance(name, str) or not name.strip():
        raise UnknownGameError(f"a game name must be a non-empty string, got {name!r}")
    if name in _registry:
        return _resolve_entry_point(_registry[name])
    prefix_name, colon, argument = name.partition(":")
    if colon and prefix_name in _prefixes:
        prefix = _prefixes[prefix_name]
        return GameSpec(name, partial(_prefix_env, prefix, argument), prefix.api, prefix.description,
                        source=f"prefix {prefix_name}:", passes_api=True)
    file_prefix = _file_prefix(name)
    if file_prefix is not None:
        path = Path(name).expanduser()
        if not path.is_file():
            where = "is a directory" if path.is_dir() else "does not exist"
            raise UnknownGameError(f"game file '{name}' {where} (a name ending in "
                                   f"{'/'.join(file_prefix.suffixes)} is read as a game file)")
        return GameSpec(name, partial(_prefix_env, file_prefix, str(path)), file_prefix.api,
                        file_prefix.description, source=f"file {name}", passes_api=True)
    if "/" in name or "\\" in name:
        suffixes = sorted({s for p in _prefixes.values() for s in p.suffixes})
        raise UnknownGameError(f"'{name}' looks like a file path, but game files end in "
                               f"{' or '.join(suffixes) or 'a registered suffix'}")
    if "." not in name:
        raise _unknown(name)
    try:
        module = importlib.import_module(name)
    except ImportError as exc:
        raise UnknownGameError(
            f"cannot import '{name}' ({exc}). Run `arena games` for the known games, or install "
            "the package that provides this PettingZoo module") from None
    if not hasattr(module, "parallel_env") and not hasattr(module, "env"):
        raise UnknownGameError(f"module '{name}' is not a PettingZoo environment: it has no env() or parallel_env()")
    doc = (inspect.getdoc(module) or "").strip().splitlines()
    return GameSpec(name, partial(_module_env, module), "parallel" if hasattr(module, "parallel_env") else "aec",
                    doc[0] if doc else f"PettingZoo module {name}", source=f"module {name}", passes_api=True)


def describe_name(name: str) -> str:
    """A short phrase saying what ``name`` is, for messages: ``"connect_four (built-in game)"``,
    ``"Keepaway-2T2P (game from package keepaway)"``, ``"./koth.yaml (2-D game file)"``,
    ``"mpe2.simple_spread_v3 (PettingZoo module)"``. Never raises."""
    try:
        game = spec(name)
    except Exception as exc:  # noqa: BLE001 - a description must not fail
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return f"{name} (not a game: {reason})"
    source = game.source
    if source == BUILTIN_SOURCE:
        return f"{name} (built-in game)"
    if source.startswith("package "):
        return f"{name} (game from {source})"
    if source.startswith("file "):
        handler = _file_prefix(name)
        return f"{name} (2-D game file)" if handler is not None and handler.prefix == "yaml" else f"{name} (game file)"
    if source.startswith("module "):
        return f"{name} (PettingZoo module)"
    if source.startswith("prefix "):
        return f"{name} ({source.removeprefix('prefix ')} game)"
    return f"{name} (game registered in this process)"


def game_signature(env: Any) -> tuple[Any, ...]:
    """What identifies a game regardless of the name it was built from: its agents and, per
    agent, its observation and action spaces (``./koth.yaml`` and the package game built from the
    same file match; ``go_v5`` with ``board_size=9`` and with 19 do not)."""
    base = getattr(env, "unwrapped", env)
    agents = tuple(getattr(base, "possible_agents", ()) or getattr(env, "possible_agents", ()))
    spaces = []
    for agent in agents:
        try:
            spaces.append((repr(env.observation_space(agent)), repr(env.action_space(agent))))
        except Exception:  # noqa: BLE001 - an env without per-agent spaces: agents alone identify it
            spaces.append(("?", "?"))
    return agents, tuple(spaces)


def make(name: str, *, api: Api | None = None, **kwargs: Any) -> Any:
    """Build a game by registered name, game file path, ``prefix:argument`` or PettingZoo module path.

    ``api`` picks the AEC or Parallel view where a game offers both (a Parallel game is converted
    to AEC on request); ``kwargs`` go to the game's factory. A keyword the game does not take is a
    one-line ``ValueError`` naming the game.
    """
    if api not in (None, "aec", "parallel"):
        raise ValueError(f"api={api!r}: use 'aec', 'parallel' or leave it out")
    game = spec(name)
    try:
        if game.passes_api:
            return game.factory(api=api, **kwargs)
        if api is not None and api != game.api:
            if api == "aec" and game.api == "parallel":
                from pettingzoo.utils.conversions import parallel_to_aec

                return parallel_to_aec(game.factory(**kwargs))
            raise ValueError(f"game '{name}' is turn-based and only has the AEC API; drop api='{api}'")
        return game.factory(**kwargs)
    except TypeError as exc:
        if "keyword argument" not in str(exc) or not kwargs:
            raise
        options = ", ".join(f"{k}={v!r}" for k, v in (game.kwargs or _factory_kwargs(game.factory)).items())
        raise ValueError(f"{describe_name(name)}: bad game arguments {', '.join(sorted(kwargs))} ({exc}); "
                         f"its options: {options or 'none listed'}") from None


register_prefix("unity", "arena.unity:make_unity",
                description="unity:PATH opens a Unity ML-Agents build (unity: alone waits for the Editor); "
                            "needs pip install 'arena-league[unity]'")
