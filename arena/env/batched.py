"""Batched game engines: many copies of a game stepped together as arrays.

Two kinds of engine, one per PettingZoo API:

* :class:`TurnBasedGame` -- alternating-move games (board games). Pure rules over a batched state
  object: ``initial_state(B)``, ``legal_mask(state) -> [B, A]``, ``step(state, actions[B])``,
  ``returns(state) -> [B, P]``. Search (MCTS, AlphaZero) drives these directly; the AEC view
  (:mod:`arena.env.aec`) is a thin adapter over a batch of one.
* :class:`BatchedParallelGame` -- simultaneous-move games (real-time games). ``reset`` and
  ``step`` take and return dicts of ``[B, ...]`` arrays keyed by agent; the Parallel view
  (:mod:`arena.env.parallel`) is a thin adapter over a batch of one.
"""

from __future__ import annotations

import copy as copy_module
import dataclasses
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
from gymnasium import spaces


class BatchedState:
    """Base of a turn-based game's batched state: a ``@dataclass`` of ``[B, ...]`` numpy arrays.

    Subclass it with ``@dataclass`` and declare at least ``to_play: np.ndarray`` (int8 ``[B]``, the
    seat to move) and ``winner: np.ndarray`` (int8 ``[B]``: -1 while the game goes on, anything else
    once it is over -- by convention the winning seat, or ``num_players`` for a draw). Every field
    must be an array whose first axis is the batch: the batched search stores node states field by
    field as ``[B, N, ...]`` arrays. This base derives ``batch_size``, ``terminal``, ``copy`` and
    ``take`` from the fields.
    """

    to_play: np.ndarray
    winner: np.ndarray

    @property
    def batch_size(self) -> int:
        return int(self.to_play.shape[0])

    @property
    def terminal(self) -> np.ndarray:
        """``[B]`` bool: the game is over."""
        return self.winner != -1

    def _arrays(self) -> dict[str, np.ndarray]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    def copy(self) -> Any:
        """A deep copy (object-dtype fields copy their elements with ``copy.deepcopy``)."""
        out = {}
        for k, v in self._arrays().items():
            out[k] = copy_module.deepcopy(v) if v.dtype == object else v.copy()
        return type(self)(**out)

    def take(self, index: np.ndarray | list[int] | slice | int) -> Any:
        """A copy holding the positions ``index`` of the batch (an int keeps a batch of one)."""
        if isinstance(index, int | np.integer):
            index = [int(index)]
        out = {}
        for k, v in self._arrays().items():
            part = v[index]
            out[k] = copy_module.deepcopy(part) if v.dtype == object else np.ascontiguousarray(part)
        return type(self)(**out)


@runtime_checkable
class TurnBasedState(Protocol):
    """What adapters and search need of a batched state (see :class:`BatchedState`)."""

    to_play: np.ndarray  # [B] seat to move
    winner: np.ndarray  # [B] -1 ongoing, else finished (winning seat, or num_players for a draw)

    @property
    def batch_size(self) -> int: ...

    @property
    def terminal(self) -> np.ndarray: ...

    def copy(self) -> TurnBasedState: ...

    def take(self, index: Any) -> TurnBasedState: ...


@dataclass(frozen=True)
class Symmetry:
    """A relabelling of the board that preserves the rules and the start position.

    Applying it moves observation cell ``i`` (row-major over the ``H x W`` planes) to cell
    ``cell_perm[i]`` and action ``a`` to ``action_perm[a]`` (actions that are not cells, such as a
    pass, map to themselves). AlphaZero augments its training data with exactly the symmetries a
    game declares.
    """

    name: str
    cell_perm: np.ndarray  # int [H * W]
    action_perm: np.ndarray  # int [A]

    def apply_planes(self, planes: np.ndarray) -> np.ndarray:
        """``planes[N, H, W, C]`` (channels last) -> the relabelled planes."""
        n, h, w, c = planes.shape
        flat = planes.reshape(n, h * w, c)
        out = np.empty_like(flat)
        out[:, self.cell_perm] = flat
        return out.reshape(n, h, w, c)

    def apply_policy(self, policy: np.ndarray) -> np.ndarray:
        """``policy[N, A]`` -> the relabelled policy (``out[:, action_perm[a]] = policy[:, a]``)."""
        out = np.empty_like(policy)
        out[:, self.action_perm] = policy
        return out


_GRID_MAPS = {
    # name: (square only, function (r, c, rows, cols) -> (r', c'))
    "identity": (False, lambda r, c, R, C: (r, c)),
    "flip_lr": (False, lambda r, c, R, C: (r, C - 1 - c)),
    "flip_ud": (False, lambda r, c, R, C: (R - 1 - r, c)),
    "rot180": (False, lambda r, c, R, C: (R - 1 - r, C - 1 - c)),
    "rot90": (True, lambda r, c, R, C: (c, R - 1 - r)),
    "rot270": (True, lambda r, c, R, C: (C - 1 - c, r)),
    "transpose": (True, lambda r, c, R, C: (c, r)),
    "antitranspose": (True, lambda r, c, R, C: (C - 1 - c, R - 1 - r)),
}
GRID_SYMMETRY_NAMES = tuple(_GRID_MAPS)
DIHEDRAL = ("identity", "rot90", "rot180", "rot270", "flip_lr", "flip_ud", "transpose", "antitranspose")


def grid_symmetries(rows: int, cols: int, names: tuple[str, ...] | list[str], *,
                    extra_actions: int = 0, column_actions: bool = False) -> list[Symmetry]:
    """Symmetries of a ``rows x cols`` board, by name (see :data:`GRID_SYMMETRY_NAMES`).

    Actions are the cells row by row followed by ``extra_actions`` non-cell actions (a pass, a
    swap), which map to themselves; with ``column_actions=True`` the actions are the ``cols``
    columns instead (gravity games: only ``identity`` and ``flip_lr`` keep the rules).
    """
    out = []
    for name in names:
        if name not in _GRID_MAPS:
            raise ValueError(f"unknown symmetry {name!r}: choose from {', '.join(GRID_SYMMETRY_NAMES)}")
        square_only, fn = _GRID_MAPS[name]
        if square_only and rows != cols:
            raise ValueError(f"symmetry {name!r} needs a square board, not {rows}x{cols}")
        cell_perm = np.empty(rows * cols, dtype=np.int64)
        for r in range(rows):
            for c in range(cols):
                r2, c2 = fn(r, c, rows, cols)
                cell_perm[r * cols + c] = r2 * cols + c2
        if column_actions:
            if name not in ("identity", "flip_lr"):
                raise ValueError(f"symmetry {name!r} does not keep column moves; use identity or flip_lr")
            action_perm = np.arange(cols)[::-1].copy() if name == "flip_lr" else np.arange(cols)
            action_perm = np.concatenate([action_perm, cols + np.arange(extra_actions)])
        else:
            action_perm = np.concatenate([cell_perm, rows * cols + np.arange(extra_actions)])
        out.append(Symmetry(name, cell_perm, action_perm.astype(np.int64)))
    return out


@runtime_checkable
class TurnBasedGame(Protocol):
    """Batched rules of a two-player alternating-move game: the one turn-based protocol.

    Every turn-based engine (pure MCTS, AlphaZero, ``arena play``, league learners, benchmarks)
    consumes only these members; ``docs/turn_based.md`` states every requirement and
    ``arena check-game NAME`` checks them. :class:`games.board.mnk.MNKGame` is the worked example.

    * ``step`` plays **in place**: it mutates the state it is given and returns that same object;
      finished games ignore their action; an illegal action raises ``ValueError``.
    * Strict alternation: after every move (the one that ends the game too) ``to_play`` becomes
      ``1 - to_play``; a player who cannot move plays an explicit pass action. (The search reads a
      finished position's value for its ``to_play``: the opponent of the player who ended it.)
    * ``returns`` is ``[B, num_players]`` float32: +1 win, -1 loss, 0 draw (zeros while ongoing).
    * ``observation(state, seat)`` is ``[B, *observation_shape]`` planes (``(H, W, C)``, channels
      last) from ``seat``'s point of view.

    Optional members: ``symmetries()`` (list of :class:`Symmetry`; none by default),
    ``board_shape`` (rows, cols for drawing), ``cell_of_action``, ``state_from_observation``.
    """

    name: str
    num_players: int

    @property
    def num_actions(self) -> int: ...

    @property
    def observation_shape(self) -> tuple[int, int, int]: ...

    @property
    def max_moves(self) -> int: ...

    def initial_state(self, batch_size: int = 1) -> Any: ...

    def legal_mask(self, state: Any) -> np.ndarray: ...

    def step(self, state: Any, actions: np.ndarray) -> Any: ...

    def returns(self, state: Any) -> np.ndarray: ...

    def observation(self, state: Any, seat: np.ndarray | int) -> np.ndarray: ...

    def action_to_str(self, action: int) -> str: ...

    def parse_action(self, text: str) -> int: ...

    def render(self, state: Any, index: int = 0, *, color: bool = False) -> str: ...


REQUIRED_MEMBERS = ("name", "num_players", "num_actions", "observation_shape", "max_moves", "initial_state",
                    "legal_mask", "step", "returns", "observation", "action_to_str", "parse_action", "render")


def missing_members(game: Any) -> list[str]:
    """The members of the :class:`TurnBasedGame` protocol that ``game`` lacks."""
    return [m for m in REQUIRED_MEMBERS if not hasattr(game, m)]


def symmetries_of(game: Any) -> list[Symmetry]:
    """The game's declared symmetries without the identity (none when it declares none)."""
    declared = getattr(game, "symmetries", None)
    found = list(declared()) if callable(declared) else []
    return [s for s in found if not (np.array_equal(s.cell_perm, np.arange(s.cell_perm.size))
                                     and np.array_equal(s.action_perm, np.arange(s.action_perm.size)))]


def position_key(state: Any, index: int = 0) -> bytes:
    """Bytes that identify position ``index`` of a batched state: every array field except object
    ones (an adapter keeps its move history in an array field so positions stay comparable)."""
    parts = []
    for f in dataclasses.fields(state):
        arr = getattr(state, f.name)
        if arr.dtype != object:
            parts.append(np.ascontiguousarray(arr[index]).tobytes())
    return b"|".join(parts)


def board_shape_of(game: Any) -> tuple[int, int]:
    """(rows, cols) for drawing: ``game.board_shape`` when declared, else the observation's H, W."""
    shape = getattr(game, "board_shape", None)
    if shape is not None:
        return (int(shape[0]), int(shape[1]))
    obs = game.observation_shape
    return (int(obs[0]), int(obs[1]))


class BatchedParallelGame(ABC):
    """Base for simultaneous-move engines over ``num_envs`` copies.

    Subclasses set ``possible_agents`` and implement the spaces, :meth:`reset` and :meth:`step`.
    Every returned value is a dict keyed by agent of arrays whose first axis is the batch.
    Agents that are dead in a copy keep receiving (ignored) actions and zero rewards; the
    adapter removes them from the PettingZoo view.
    """

    possible_agents: list[str]
    metadata: dict[str, Any] = {"render_modes": ["ansi"], "name": "batched_game"}

    def __init__(self, num_envs: int = 1) -> None:
        if num_envs < 1:
            raise ValueError(f"num_envs must be >= 1, got {num_envs}")
        self.num_envs = int(num_envs)

    @abstractmethod
    def observation_space(self, agent: str) -> spaces.Space:
        """Space of one copy's observation for ``agent``."""

    @abstractmethod
    def action_space(self, agent: str) -> spaces.Space:
        """Space of one copy's action for ``agent``."""

    @abstractmethod
    def reset(self, seed: int | None = None) -> dict[str, np.ndarray]:
        """Reset every copy; returns ``{agent: obs[B, ...]}``."""

    @abstractmethod
    def step(self, actions: dict[str, np.ndarray]) -> tuple[
        dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray],
        dict[str, Any],
    ]:
        """Step every copy with ``{agent: action[B, ...]}``.

        Returns ``(obs, rewards[B], terminations[B], truncations[B], infos)`` keyed by agent;
        ``infos`` holds per-agent dicts of ``[B]`` arrays.
        """

    def render(self, index: int = 0) -> str:
        """Text picture of copy ``index`` (override for a real picture)."""
        return f"{self.metadata.get('name', type(self).__name__)} (copy {index})"

    def close(self) -> None:
        """Release resources (nothing by default)."""
