"""Custom reward schemes over a batched engine's state: hooks named from YAML.

A *hook* is a Python function ``hook(step: HookStep) -> array`` that a batched engine (the 2-D
arena engine) calls once per step for every ``B`` copies at once, on its fast path: the game stays
batched, unlike a per-episode :class:`~arena.social.Custom` scheme laid on through
:func:`~arena.social.SocialTreeWrapper`. It returns

* ``[B]``: one value per copy, broadcast to the node's agents that were alive when the step began;
* ``[B, A]``: one value per copy and agent (engine agent order, ``step.agents``); only the node's
  living agents are paid, other columns are ignored.

A tree names a hook with ``{type: Custom, hook: "package.module:function"}`` (the module is
imported when the game is built, as a PettingZoo module path given to ``arena.make`` is) or with a
name registered in Python by :func:`register_hook`. Optional fields: ``kind`` (the coefficient,
default ``custom`` = 1), ``declared`` (its BMaRS class) and ``score`` (also feed the node-level
value, ``[B]`` or the sum over the node's agents, into that score for ``RankByScore``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from arena.social.schemes import Coefficients, RewardScheme, StepContext, check_score_name
from arena.social.tree import Path, TreeError

if TYPE_CHECKING:
    from arena.social.tree import SocialTree


@dataclass
class HookStep:
    """What a hook sees in one batched step (``B`` copies, ``A`` agents, ``E`` entities).

    ``node``: the path of the node the hook is attached to; ``below[A]``: which agents are below
    it; ``paths``: the node order of every ``[B, nodes]`` array; ``alive_before`` / ``alive``:
    ``[B, nodes]`` which nodes were alive when the step began / are alive after its deaths;
    ``newly_dead[B, nodes]``: nodes that died in this step; ``receivers[B, A]``: agents alive when
    the step began. ``points_before`` / ``points_after``: ``[B, E, 2]`` entity positions (rows by
    ``entities[name]``: agents, objects, then zone centres); ``actions``: ``[B, A]`` discrete or
    ``[B, A, D]`` continuous; ``steps[B]``: the episode step after this step. ``engine``: the
    batched game itself, for anything else (the 2-D engine's ``pos``, ``vel``, ``angle``,
    ``health``, ``ammo`` ... arrays). Helpers: :meth:`inside` and :meth:`score`.
    """

    tree: SocialTree
    node: Path
    node_index: int
    agents: list[str]
    below: np.ndarray
    paths: list[Path]
    alive_before: np.ndarray
    alive: np.ndarray
    newly_dead: np.ndarray
    receivers: np.ndarray
    entities: dict[str, int]
    points_before: np.ndarray
    points_after: np.ndarray
    actions: np.ndarray
    steps: np.ndarray | None
    engine: Any
    inside_fn: Callable[[int, str], np.ndarray]
    score_fn: Callable[[str], np.ndarray]

    @property
    def num_envs(self) -> int:
        return int(self.alive_before.shape[0])

    def inside(self, entity: str, zone: str) -> np.ndarray:
        """``[B]`` whether the named entity (agent or object) is inside the named zone after the
        step (a dead agent is never inside)."""
        if entity not in self.entities:
            raise TreeError(f"hook at {self.tree.info(self.node).path_str}: no entity {entity!r}; entities are "
                            f"{', '.join(self.entities)}")
        return np.asarray(self.inside_fn(self.entities[entity], zone), dtype=bool)

    def score(self, name: str) -> np.ndarray:
        """``[B, nodes]`` what each node has fed into the score ``name`` so far this episode."""
        return self.score_fn(name)


_HOOKS: dict[str, Callable[[HookStep], np.ndarray]] = {}


def register_hook(name: str, fn: Callable[[HookStep], np.ndarray]) -> None:
    """Make ``fn`` available to trees as ``{type: Custom, hook: NAME}``."""
    if not isinstance(name, str) or not name or ":" in name:
        raise ValueError(f"a hook name is a non-empty string without ':', got {name!r}")
    if not callable(fn):
        raise TypeError(f"register_hook({name!r}, ...) needs a callable hook(step) -> array, got {fn!r}")
    _HOOKS[name] = fn


def resolve_hook(spec: str) -> Callable[[HookStep], np.ndarray]:
    """The function a hook spec names: a registered name, or ``package.module:function``."""
    if spec in _HOOKS:
        return _HOOKS[spec]
    if ":" not in spec:
        known = ", ".join(sorted(_HOOKS)) or "none registered"
        raise TreeError(f"hook {spec!r} is not registered ({known}); name a function as 'package.module:function' "
                        "or register it with arena.social.register_hook")
    module_name, _, attr = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise TreeError(f"hook {spec!r}: cannot import {module_name!r} ({exc}); is the package installed "
                        "or on the path?") from None
    fn = module
    for part in attr.split("."):
        fn = getattr(fn, part, None)
        if fn is None:
            raise TreeError(f"hook {spec!r}: module {module_name!r} has no {attr!r}")
    if not callable(fn):
        raise TreeError(f"hook {spec!r} is {type(fn).__name__}, not a function")
    return fn  # type: ignore[return-value]


class CustomHook(RewardScheme):
    """A Custom scheme run by a batched engine: ``hook`` names a function ``hook(step) -> array``
    (see the module docstring). Times the ``kind`` coefficient (default ``custom``, 1)."""

    def __init__(self, hook: str, *, kind: str = "custom", declared: str | None = None,
                 score: str | None = None) -> None:
        if not isinstance(hook, str) or not hook:
            raise TreeError(f"Custom hook must name a function ('package.module:function' or a registered name), "
                            f"got {hook!r}")
        known = [f.name for f in fields(Coefficients)]
        if kind not in known:
            raise TreeError(f"Custom kind {kind!r} is not a reward kind; use one of {', '.join(known)}")
        from arena.social.tree import BMARS_CLASSES

        if declared is not None and declared not in BMARS_CLASSES:
            raise TreeError(f"Custom declared must be one of {', '.join(BMARS_CLASSES)}, got {declared!r}")
        self.hook = hook
        self.kind = kind  # type: ignore[misc]
        self.declared = declared
        self.score = check_score_name(score, "Custom")
        self._fn: Callable[[HookStep], np.ndarray] | None = None

    @property
    def fn(self) -> Callable[[HookStep], np.ndarray]:
        if self._fn is None:
            self._fn = resolve_hook(self.hook)
        return self._fn

    def validate(self, tree: SocialTree, path: Path) -> None:
        try:
            self.fn  # noqa: B018 - resolve now: a bad hook is an error when the tree is built
        except TreeError as exc:
            raise TreeError(f"{tree.info(path).path_str}: {exc}") from None

    def values(self, ctx: StepContext, path: Path) -> dict[str, float]:
        raise TreeError(f"{ctx.tree.info(path).path_str}: Custom hook {self.hook!r} runs on a batched engine's "
                        "state; measure the game's own rewards (arena verify-rewards GAME) instead of laying "
                        "its tree over the env with SocialTreeWrapper")

    def expected_class(self, tree: SocialTree, path: Path) -> str | None:
        return self.declared

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "Custom", "hook": self.hook, "kind": self.kind}
        if self.declared:
            out["declared"] = self.declared
        if self.score:
            out["score"] = self.score
        return out

    def __repr__(self) -> str:
        return f"CustomHook({self.hook!r}, kind={self.kind!r})"
