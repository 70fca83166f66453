"""Evaluation: network-vs-network matches (gating, earlier checkpoints), matches against pure
MCTS, a perfect minimax player for small games, and Elo-style ratings from win rates."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from arena.env.batched import position_key
from arena.mcts.batched import BatchedMCTS, Evaluator, SearchParams, sample_actions, visit_policy


@dataclass
class MatchScore:
    """Result of a match from player A's point of view."""

    wins: int
    draws: int
    losses: int

    @property
    def games(self) -> int:
        return self.wins + self.draws + self.losses

    @property
    def score(self) -> float:
        """Win rate with draws counted as half a win."""
        return (self.wins + 0.5 * self.draws) / max(1, self.games)


def elo_difference(score: float, games: int = 0) -> float:
    """Elo difference implied by a score in [0, 1]; clipped to +-800 (a perfect score has no
    finite Elo; with ``games`` the clip is at half a game from perfect)."""
    eps = 0.5 / games if games > 0 else 1e-3
    s = min(max(score, eps), 1.0 - eps)
    return max(-800.0, min(800.0, -400.0 * math.log10(1.0 / s - 1.0)))


def play_network_match(game: Any, evaluate_a: Evaluator, evaluate_b: Evaluator, num_games: int,
                       params: SearchParams, *, rng: np.random.Generator, opening_moves: int = 2) -> MatchScore:
    """``num_games`` games between two searchers, all in lockstep (A moves first in even games).

    Each side keeps its own batched tree over all games (searching only where it is to move);
    moves are greedy except the first ``opening_moves`` of each game, sampled from the visit
    shares, so the games differ from each other.
    """
    B = int(num_games)
    states = game.initial_state(B)
    seat_a = (np.arange(B) % 2).astype(np.int8)  # A is seat 0 in even games, seat 1 in odd ones
    mcts_a = BatchedMCTS(game, evaluate_a, params, rng=rng)
    mcts_b = BatchedMCTS(game, evaluate_b, params, rng=rng)
    mcts_a.reset(states)
    mcts_b.reset(states)
    plies = np.zeros(B, dtype=np.int64)
    while not states.terminal.all():
        active = ~states.terminal
        a_moves = active & (states.to_play == seat_a)
        b_moves = active & ~a_moves
        visits = np.zeros((B, game.num_actions), dtype=np.float32)
        if a_moves.any():
            visits[a_moves] = mcts_a.run(a_moves)[a_moves]
        if b_moves.any():
            visits[b_moves] = mcts_b.run(b_moves)[b_moves]
        tau = np.where(plies < opening_moves, 1.0, 0.0)
        actions = sample_actions(visit_policy(visits, tau), rng)
        actions = np.where(active, actions, 0)
        game.step(states, actions)
        plies += active
        mcts_a.advance(actions, states)
        mcts_b.advance(actions, states)
    score_a = game.returns(states)[np.arange(B), seat_a.astype(np.int64)]
    wins = int((score_a > 0).sum())
    losses = int((score_a < 0).sum())
    return MatchScore(wins=wins, draws=B - wins - losses, losses=losses)


def play_bot_match(make_env: Callable[[], Any], bot_a: Any, bot_b: Any, num_games: int, *, seed: int = 0) -> MatchScore:
    """``num_games`` sequential games between two :class:`arena.bots.Bot`s (seats alternate)."""
    from arena.play.match import play_match

    result = play_match(make_env, [bot_a, bot_b], ["a", "b"], num_games, seed=seed)
    return MatchScore(wins=result.wins(0), draws=result.draws(0), losses=result.losses(0))


# ---------------------------------------------------------------------------- perfect play
class MinimaxSolver:
    """Exact negamax values of a small turn-based game from any position (memoised; tic-tac-toe size)."""

    def __init__(self, game: Any) -> None:
        if game.num_actions > 16:
            raise ValueError(f"minimax is only practical on tiny boards, not {game!r}")
        self.game = game
        self.cache: dict[bytes, float] = {}

    def value(self, state: Any) -> float:
        """Final score of the player to move under perfect play (state: a batch of one)."""
        if bool(state.terminal[0]):
            return float(self.game.returns(state)[0, int(state.to_play[0])])
        key = position_key(state)
        if key not in self.cache:
            self.cache[key] = max(self.action_values(state).values())
        return self.cache[key]

    def action_values(self, state: Any) -> dict[int, float]:
        """``{action: score for the player to move after playing it and perfect play}``."""
        out = {}
        for a in np.flatnonzero(self.game.legal_mask(state)[0]):
            nxt = state.copy()
            self.game.step(nxt, np.array([a]))
            out[int(a)] = -self.value(nxt)
        return out


class PerfectBot:
    """Plays a move of maximal minimax value (random among equals): never loses tic-tac-toe."""

    name = "minimax"

    def __init__(self, game: Any, seed: int | None = None, env: Any = None) -> None:
        self.game = game
        self.env = env
        self.solver = MinimaxSolver(game)
        self.rng = np.random.default_rng(seed)

    def act(self, observation: Any, action_mask: np.ndarray) -> int:
        from arena.bots import current_state

        state = current_state(self.env, self.game, observation)
        values = self.solver.action_values(state)
        best = max(values.values())
        choices = [a for a, v in values.items() if v == best and action_mask[a]]
        return int(self.rng.choice(choices))

    def reset(self) -> None:
        pass


def cached_bot_chooser(bot: Any, game: Any) -> Callable[[Any], int]:
    """A ``choose(state) -> action`` for :func:`losses_against_perfect_play` that asks ``bot`` (fresh
    search each time) once per distinct board and remembers its answer."""
    cache: dict[bytes, int] = {}

    def choose(state: Any) -> int:
        key = position_key(state)
        if key not in cache:
            bot.reset()
            obs = game.observation(state, int(state.to_play[0]))[0]
            cache[key] = bot.act(obs, game.legal_mask(state)[0].astype(np.int8))
        return cache[key]

    return choose


def losses_against_perfect_play(game: Any, choose: Callable[[Any], int]) -> tuple[int, int]:
    """Exhaustively check a deterministic player ``choose(state) -> action`` against EVERY line
    of the opponent, on both sides: returns ``(games_lost, lines_checked)``.

    Stronger than sampling games against a minimax bot: a loss anywhere in the tree counts.
    """
    losses = 0
    lines = 0

    def walk(state: Any, my_seat: int) -> None:
        nonlocal losses, lines
        if bool(state.terminal[0]):
            lines += 1
            if game.returns(state)[0, my_seat] < 0:
                losses += 1
            return
        if int(state.to_play[0]) == my_seat:
            nxt = state.copy()
            game.step(nxt, np.array([choose(state)]))
            walk(nxt, my_seat)
        else:
            for a in np.flatnonzero(game.legal_mask(state)[0]):
                nxt = state.copy()
                game.step(nxt, np.array([a]))
                walk(nxt, my_seat)

    for seat in (0, 1):
        walk(game.initial_state(1), seat)
    return losses, lines
