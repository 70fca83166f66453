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


def _inner_with(env: Any, attribute: str) -> Any | None:
    """The first env down the wrapper chain (``.env``) that holds ``attribute`` in its own dict."""
    seen = env
    for _ in range(16):
        if attribute in getattr(seen, "__dict__", {}):
            return seen
        inner = getattr(seen, "__dict__", {}).get("env")
        if inner is None:
            return None
        seen = inner
    return None


def game_of(env: Any) -> Any:
    """The turn-based rules behind an AEC env, as a :class:`arena.env.TurnBasedGame`.

    Arena's own turn-based envs expose them as ``env.game``; any other copyable two-player AEC env
    (PettingZoo classic, a user's env) is wrapped in the generic :class:`arena.env.aec_game.AECGame`
    (the slow path: positions are env copies). Raises :class:`BotSpecError` saying why when the
    env cannot be driven as a turn-based game.
    """
    holder = _inner_with(env, "game")
    if holder is not None:
        return holder.game
    cached = getattr(env, "_arena_turn_based_game", None)
    if cached is not None:
        return cached
    from arena.env.aec_game import AECGame, NotATurnBasedGame

    if not hasattr(env, "agent_iter"):
        raise BotSpecError(f"{type(env).__name__} is a simultaneous-move (Parallel) env; the turn-based engines "
                           "(mcts, az, AlphaZero training, the board UI) need a turn-based AEC game; for "
                           "simultaneous-move games use ppo or maddpg")
    try:
        game = AECGame(env, name=str(getattr(env, "metadata", {}).get("name", "") or type(env).__name__))
    except NotATurnBasedGame as exc:
        raise BotSpecError(str(exc)) from None
    try:
        env._arena_turn_based_game = game
    except AttributeError:
        pass
    return game


def current_state(env: Any, game: Any, observation: Any = None) -> Any:
    """The position a bot is asked to move in, as a batch of one of ``game``'s states.

    Read from the env the bot was built for: an Arena turn-based env's ``state`` (copied), or a
    copy of a plain AEC env's position. When the env is not at that position (the bot is used with
    another env than the one it was built with) the game's optional ``state_from_observation``
    rebuilds it from the observation, else a ``ValueError`` says what to do.
    """
    from arena.env.aec_game import AECGame

    state = None
    if env is not None:
        if isinstance(game, AECGame):
            state = game.state_of_env(env)
        else:
            holder = _inner_with(env, "state")
            rules = getattr(holder, "game", None)
            if holder is not None and (rules is game or (type(rules) is type(game)
                                                         and repr(rules) == repr(game))):
                state = holder.state.copy()
    if state is not None and observation is not None and not bool(state.terminal[0]):
        seat = int(state.to_play[0])
        expected = np.asarray(game.observation(state, seat)[0])
        seen = np.asarray(observation)
        if expected.shape == seen.shape and not np.array_equal(expected, seen):
            state = None  # the env has moved on: fall back to the observation
    if state is not None:
        return state
    if observation is not None and hasattr(game, "state_from_observation"):
        return game.state_from_observation(np.asarray(observation))
    raise ValueError(f"cannot tell the position of {getattr(game, 'name', game)!r} from this observation: "
                     "use the bot with the env it was made for (arena.bots.make(spec, env))")


def bind_env(bot: Any, env: Any) -> None:
    """Tell a bot which env it plays in now (search bots read the position from it); bots that
    do not look at the env are left alone."""
    if "env" in getattr(bot, "__dict__", {}):
        bot.env = env


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
