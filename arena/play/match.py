"""Bot-versus-bot games on any Arena AEC board game, with seats alternating between games."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from arena.bots import Bot, bind_env


@dataclass
class GameRecord:
    """One finished game: who sat where, the final score per seat, the moves played, and the time
    the whole game took, and each seat's bot's moves and time spent choosing them."""

    seats: tuple[int, ...]  # seats[s] = index of the bot in seat s
    scores: tuple[float, ...]  # final reward per seat
    moves: list[int] = field(default_factory=list)
    seconds: float = 0.0
    think_seconds: tuple[float, ...] = ()  # per seat: time inside the bot's act()
    move_counts: tuple[int, ...] = ()  # per seat: moves its bot chose


@dataclass
class MatchResult:
    """Results of a match between bots (indices into ``names``)."""

    names: list[str]
    games: list[GameRecord] = field(default_factory=list)

    def score_of(self, bot: int) -> np.ndarray:
        """Final score (+1 / 0 / -1) of ``bot`` in each game."""
        return np.array([g.scores[g.seats.index(bot)] for g in self.games], dtype=np.float64)

    def wins(self, bot: int) -> int:
        return int((self.score_of(bot) > 0).sum())

    def losses(self, bot: int) -> int:
        return int((self.score_of(bot) < 0).sum())

    def draws(self, bot: int) -> int:
        return int((self.score_of(bot) == 0).sum())

    def win_rate(self, bot: int) -> float:
        """Wins count 1, draws 1/2."""
        if not self.games:
            return 0.5
        s = self.score_of(bot)
        return float(((s > 0) + 0.5 * (s == 0)).mean())


def play_game(env: Any, bots: Sequence[Bot], *, seed: int | None = None,
              on_move: Callable[[str, int], None] | None = None) -> GameRecord:
    """Play one game of an AEC env; ``bots[s]`` plays seat ``s`` (``env.possible_agents[s]``).
    ``on_move(agent, action)`` sees each move once it is chosen, before the env plays it."""
    env.reset(seed=seed)
    for bot in bots:
        bind_env(bot, env)
        bot.reset()
    seat_of = {agent: i for i, agent in enumerate(env.possible_agents)}
    moves: list[int] = []
    scores = {agent: 0.0 for agent in env.possible_agents}
    think = [0.0] * len(bots)
    counts = [0] * len(bots)
    start = time.perf_counter()
    for agent in env.agent_iter():
        obs, reward, termination, truncation, _ = env.last()
        scores[agent] += reward
        if termination or truncation:
            env.step(None)
            continue
        asked = time.perf_counter()
        action = int(bots[seat_of[agent]].act(obs["observation"], obs["action_mask"]))
        think[seat_of[agent]] += time.perf_counter() - asked
        counts[seat_of[agent]] += 1
        moves.append(action)
        if on_move is not None:
            on_move(agent, action)
        env.step(action)
    return GameRecord(seats=tuple(range(len(bots))), scores=tuple(scores[a] for a in env.possible_agents),
                      moves=moves, seconds=time.perf_counter() - start, think_seconds=tuple(think), move_counts=tuple(counts))


def play_match(make_env: Callable[[], Any], bots: Sequence[Bot], names: Sequence[str], games: int, *,
               seed: int = 0, on_game: Callable[[GameRecord], None] | None = None) -> MatchResult:
    """Play ``games`` two-player games, swapping seats every game so both bots start equally often."""
    if len(bots) != 2:
        raise ValueError(f"a match needs exactly two bots, got {len(bots)}")
    if games < 1:
        raise ValueError(f"games must be >= 1, got {games}")
    env = make_env()
    result = MatchResult(names=list(names))
    for g in range(games):
        order = (0, 1) if g % 2 == 0 else (1, 0)
        record = play_game(env, [bots[i] for i in order], seed=seed + g)
        record.seats = order
        result.games.append(record)
        if on_game is not None:
            on_game(record)
    env.close()
    return result
