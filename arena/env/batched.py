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

from abc import ABC, abstractmethod
from typing import Any, Protocol, runtime_checkable

import numpy as np
from gymnasium import spaces


@runtime_checkable
class TurnBasedState(Protocol):
    """What adapters and search need of a batched state."""

    to_play: np.ndarray  # [B] seat to move
    winner: np.ndarray  # [B] -1 ongoing, else the winning seat or a draw code

    @property
    def batch_size(self) -> int: ...

    @property
    def terminal(self) -> np.ndarray: ...

    def copy(self) -> TurnBasedState: ...


@runtime_checkable
class TurnBasedGame(Protocol):
    """Batched rules of an alternating-move game (see :class:`games.board.mnk.MNKGame`)."""

    name: str
    num_players: int

    @property
    def num_actions(self) -> int: ...

    @property
    def board_shape(self) -> tuple[int, int]: ...

    def initial_state(self, batch_size: int = 1) -> Any: ...

    def legal_mask(self, state: Any) -> np.ndarray: ...

    def step(self, state: Any, actions: np.ndarray) -> Any: ...

    def returns(self, state: Any) -> np.ndarray: ...

    def observation(self, state: Any, seat: np.ndarray | int) -> np.ndarray: ...

    def state_from_observation(self, observation: np.ndarray) -> Any: ...

    def action_to_str(self, action: int) -> str: ...

    def parse_action(self, text: str) -> int: ...

    def render(self, state: Any, index: int = 0, *, color: bool = False) -> str: ...


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
