"""The bot protocol and the bots that need no search."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np


class BotSpecError(ValueError):
    """A bot spec string that names no bot or has a bad argument."""


@dataclass
class SearchResult:
    """What a searching bot thinks of a position (for the player to move).

    ``visit_shares[A]`` sums to 1 over legal actions; ``value`` in [-1, 1] is the expected final
    score of the player to move; ``action`` the move the bot would play.
    """

    action: int
    visit_shares: np.ndarray
    value: float
    simulations: int = 0


@runtime_checkable
class Bot(Protocol):
    """Anything that picks a legal move from what a PettingZoo AEC agent sees."""

    name: str

    def act(self, observation: Any, action_mask: np.ndarray) -> int:
        """Return an action with ``action_mask[action] == 1``."""
        ...

    def reset(self) -> None:
        """Forget everything about the current game (called before a new game)."""
        ...


@runtime_checkable
class SearchBot(Bot, Protocol):
    def policy(self, observation: Any, action_mask: np.ndarray) -> SearchResult:
        """Search the position and report visit shares, value and the chosen action."""
        ...


def game_of(env: Any) -> Any:
    """The batched rules behind an Arena AEC env (``env.game``), unwrapping PettingZoo wrappers."""
    seen = env
    for _ in range(16):
        if hasattr(seen, "game"):
            return seen.game
        if not hasattr(seen, "env"):
            break
        seen = seen.env
    raise BotSpecError(f"{type(env).__name__} exposes no board-game rules; search bots need an Arena "
                       "board game such as arena.make('connect_four')")


def _legal(action_mask: np.ndarray) -> np.ndarray:
    legal = np.flatnonzero(np.asarray(action_mask))
    if legal.size == 0:
        raise ValueError("no legal action: the action mask is all zeros (is the game over?)")
    return legal


class RandomBot:
    """Uniform over legal moves."""

    name = "random"

    def __init__(self, seed: int | None = None) -> None:
        self.rng = np.random.default_rng(seed)

    def act(self, observation: Any, action_mask: np.ndarray) -> int:
        return int(self.rng.choice(_legal(action_mask)))

    def reset(self) -> None:
        pass


class HumanBot:
    """Reads moves from a person in the game's own coordinates; re-prompts on bad input."""

    name = "human"

    def __init__(self, game: Any, input_fn: Callable[[str], str] = input,
                 print_fn: Callable[[str], None] = print) -> None:
        self.game = game
        self.input_fn = input_fn
        self.print_fn = print_fn

    def act(self, observation: Any, action_mask: np.ndarray) -> int:
        legal = set(_legal(action_mask).tolist())
        while True:
            text = self.input_fn("your move> ")
            try:
                action = self.game.parse_action(text)
            except ValueError as exc:
                self.print_fn(str(exc))
                continue
            if action not in legal:
                self.print_fn(f"{self.game.action_to_str(action)} is not a legal move here; try another")
                continue
            return action

    def reset(self) -> None:
        pass
