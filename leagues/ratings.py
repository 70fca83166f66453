"""Ratings and payoffs: decayed payoff matrix, online Elo, Bradley-Terry fit, openskill, Nash averaging.

* :class:`PayoffMatrix` -- win rates between players from decayed game counts (matchmaking input);
* :func:`elo_update` / :func:`replay_elo` -- online Elo, the curves of a league; the league stores
  it with each game and a replay of the stored games gives the same numbers;
* :func:`bradley_terry` -- an order-independent Elo fit over all games (minorise-maximise);
* :func:`openskill_ratings` -- multi-team ratings (Plackett-Luce) for xTyP games;
* :func:`nash_averaging` -- the maximum-entropy Nash equilibrium of the antisymmetric payoff
  matrix and the Nash ratings it induces (Balduzzi et al. 2018: duplicating a player changes
  nothing, so a league full of near-copies cannot inflate anyone).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog, minimize

ELO_SCALE = 400.0 / math.log(10.0)  # Elo points per natural-log unit of playing strength


# ---------------------------------------------------------------------------- payoff matrix
class PayoffMatrix:
    """Decayed win/draw counts between players, keyed by player id.

    Every game between ``a`` and ``b`` first multiplies the pair's counts by ``decay`` and then
    adds the game, so the matrix follows learners that keep improving. ``win_rate(a, b)`` is
    ``0.5`` until the pair has played ``min_games`` games (undecayed), so an unexplored opponent
    is neither favoured nor avoided by PFSP.
    """

    def __init__(self, decay: float = 0.99, min_games: int = 4) -> None:
        if not 0.0 < decay <= 1.0:
            raise ValueError(f"payoff decay must be in (0, 1], got {decay}")
        self.decay = float(decay)
        self.min_games = int(min_games)
        self.index: dict[int, int] = {}
        self.wins = np.zeros((0, 0))  # [P, P] decayed score of row vs column (win 1, draw 0.5)
        self.counts = np.zeros((0, 0))  # [P, P] decayed number of games
        self.raw_counts = np.zeros((0, 0), dtype=np.int64)  # [P, P] games actually played

    def _slot(self, player: int) -> int:
        if player not in self.index:
            n = len(self.index)
            self.index[player] = n
            for name in ("wins", "counts", "raw_counts"):
                old = getattr(self, name)
                new = np.zeros((n + 1, n + 1), dtype=old.dtype)
                new[:n, :n] = old
                setattr(self, name, new)
        return self.index[player]

    def add_player(self, player: int) -> None:
        self._slot(player)

    def update(self, a: int, b: int, score_a: float) -> None:
        """Record one game: ``score_a`` is ``a``'s result in [0, 1]."""
        i, j = self._slot(a), self._slot(b)
        if i == j:
            # A player against itself (self-play) tells nothing about relative strength.
            self.raw_counts[i, i] += 1
            return
        for x, y, s in ((i, j, score_a), (j, i, 1.0 - score_a)):
            self.wins[x, y] = self.decay * self.wins[x, y] + s
            self.counts[x, y] = self.decay * self.counts[x, y] + 1.0
            self.raw_counts[x, y] += 1

    def win_rate(self, a: int, b: int) -> float:
        """``a``'s decayed win rate against ``b`` (0.5 until ``min_games`` games)."""
        if a not in self.index or b not in self.index:
            return 0.5
        i, j = self.index[a], self.index[b]
        if i == j or self.raw_counts[i, j] < max(self.min_games, 1):
            return 0.5
        return float(self.wins[i, j] / self.counts[i, j])

    def win_rates(self, a: int, opponents: Sequence[int]) -> np.ndarray:
        """``[len(opponents)]`` win rates of ``a`` against each opponent."""
        return np.array([self.win_rate(a, b) for b in opponents], dtype=np.float64)

    def games(self, a: int, b: int) -> int:
        if a not in self.index or b not in self.index:
            return 0
        return int(self.raw_counts[self.index[a], self.index[b]])

    def matrix(self, players: Sequence[int]) -> np.ndarray:
        """``[P, P]`` win-rate matrix over ``players`` (0.5 on the diagonal and for unplayed pairs)."""
        return np.array([[self.win_rate(a, b) for b in players] for a in players], dtype=np.float64)


# ---------------------------------------------------------------------------- Elo
def elo_expected(rating_a: float, rating_b: float) -> float:
    """Probability that ``a`` beats ``b`` under the Elo model."""
    return 1.0 / (1.0 + 10.0 ** ((rating_b - rating_a) / 400.0))


def elo_update(rating_a: float, rating_b: float, score_a: float, k: float = 32.0) -> tuple[float, float]:
    """New ratings after one game in which ``a`` scored ``score_a`` in [0, 1]."""
    delta = k * (score_a - elo_expected(rating_a, rating_b))
    return rating_a + delta, rating_b - delta


@dataclass
class EloTrace:
    """Online Elo replayed over games: final ratings and the curve of every player."""

    ratings: dict[int, float]
    curves: dict[int, list[tuple[int, float]]]  # player -> [(game index, rating after it)]


def replay_elo(initial: dict[int, float], games: Iterable[tuple[Sequence[int], float]],
               k: float = 32.0) -> EloTrace:
    """Replay online Elo from ``initial`` ratings over ``(seats, outcome of seat 0)`` games in order.

    A league applies exactly these updates as it stores each game, so ``replay_elo`` over the
    store's games reproduces the stored ratings (the resume invariant).
    """
    ratings = dict(initial)
    curves: dict[int, list[tuple[int, float]]] = {p: [(0, r)] for p, r in ratings.items()}
    for index, (seats, outcome) in enumerate(games, start=1):
        a, b = seats[0], seats[1]
        if a == b:
            continue
        ratings[a], ratings[b] = elo_update(ratings.get(a, 0.0), ratings.get(b, 0.0), outcome, k)
        curves.setdefault(a, []).append((index, ratings[a]))
        curves.setdefault(b, []).append((index, ratings[b]))
    return EloTrace(ratings, curves)


# ---------------------------------------------------------------------------- Bradley-Terry
def bradley_terry(scores: np.ndarray, counts: np.ndarray, *, prior_games: float = 1.0,
                  iterations: int = 2000, tolerance: float = 1e-10) -> np.ndarray:
    """Order-independent Elo fit (Bradley-Terry, minorise-maximise iterations; Hunter 2004).

    ``scores[i, j]`` is the total score of ``i`` against ``j`` (win 1, draw 1/2) and ``counts[i, j]``
    the number of games, both ``[P, P]``. Every player also gets ``prior_games`` virtual games
    (half won) against a fixed virtual player of rating 0, which keeps unbeaten or winless players
    finite. Returns ``[P]`` Elo ratings with mean 0. Only the totals enter, so the order in which
    games were played cannot change the result.
    """
    scores = np.asarray(scores, dtype=np.float64)
    counts = np.asarray(counts, dtype=np.float64)
    n = scores.shape[0]
    if n == 0:
        return np.zeros(0)
    np.fill_diagonal(counts := counts.copy(), 0.0)
    won = scores.sum(axis=1) - np.diag(scores) + 0.5 * prior_games
    strength = np.ones(n)  # gamma_i = exp(rating_i / ELO_SCALE)
    for _ in range(iterations):
        pair = counts / (strength[:, None] + strength[None, :])
        denominator = pair.sum(axis=1) + prior_games / (strength + 1.0)
        new = won / denominator
        done = np.max(np.abs(np.log(new) - np.log(strength))) < tolerance
        strength = new
        if done:
            break
    ratings = ELO_SCALE * np.log(strength)
    return ratings - ratings.mean()


def totals_from_games(players: Sequence[int], games: Iterable[tuple[Sequence[int], float]]
                      ) -> tuple[np.ndarray, np.ndarray]:
    """``(scores[P, P], counts[P, P])`` undecayed totals over two-seat games between ``players``."""
    index = {p: i for i, p in enumerate(players)}
    n = len(players)
    scores, counts = np.zeros((n, n)), np.zeros((n, n))
    for seats, outcome in games:
        a, b = seats[0], seats[1]
        if a == b or a not in index or b not in index:
            continue
        i, j = index[a], index[b]
        scores[i, j] += outcome
        scores[j, i] += 1.0 - outcome
        counts[i, j] += 1.0
        counts[j, i] += 1.0
    return scores, counts


# ---------------------------------------------------------------------------- openskill
def openskill_ratings(games: Iterable[tuple[Sequence[Sequence[int]], Sequence[float]]]
                      ) -> dict[int, tuple[float, float, float]]:
    """Multi-team ratings (openskill Plackett-Luce) for xTyP games.

    Each game is ``(teams, team_scores)``: ``teams[t]`` lists the player ids of team ``t`` and a
    higher ``team_scores[t]`` is better (equal scores tie). Returns ``{player: (mu, sigma,
    ordinal)}`` where ``ordinal = mu - 3 sigma`` is the conservative skill to rank by.
    """
    from openskill.models import PlackettLuce

    model = PlackettLuce()
    state: dict[int, object] = {}
    for teams, team_scores in games:
        if len(teams) < 2:
            continue
        ranks = [sum(1 for other in team_scores if other > s) for s in team_scores]
        rated = [[state.setdefault(p, model.rating(name=str(p))) for p in team] for team in teams]
        new = model.rate(rated, ranks=ranks)
        for team, new_team in zip(teams, new):
            for p, rating in zip(team, new_team):
                state[p] = rating
    return {p: (float(r.mu), float(r.sigma), float(r.ordinal())) for p, r in state.items()}


# ---------------------------------------------------------------------------- Nash averaging
@dataclass
class NashAverage:
    """Maximum-entropy Nash equilibrium of an antisymmetric payoff matrix.

    ``mixture[P]`` is the equilibrium distribution over players, ``ratings[P] = A @ mixture``
    the Nash ratings (all <= 0; 0 exactly on the support), ``value`` the game value (0 for an
    antisymmetric matrix, up to solver tolerance).
    """

    mixture: np.ndarray
    ratings: np.ndarray
    value: float


def antisymmetric_payoff(win_rates: np.ndarray) -> np.ndarray:
    """``[P, P]`` antisymmetric payoff ``(W - W^T) / 2`` from a win-rate matrix (draw = 1/2)."""
    w = np.asarray(win_rates, dtype=np.float64)
    return 0.5 * (w - w.T)


def nash_averaging(payoff: np.ndarray, *, tolerance: float = 1e-6) -> NashAverage:
    """Max-entropy Nash of the symmetric zero-sum game with antisymmetric ``payoff[P, P]``.

    Step 1 (linear programme): the value ``v* = max_p min_j (p^T A)_j``. Step 2: among all
    mixtures that still guarantee ``v* - tolerance`` against every pure reply (a convex set),
    the one with maximum entropy -- unique, and it splits weight evenly between copies.
    """
    a = np.asarray(payoff, dtype=np.float64)
    n = a.shape[0]
    if n == 0:
        return NashAverage(np.zeros(0), np.zeros(0), 0.0)
    if a.shape != (n, n) or not np.allclose(a, -a.T, atol=1e-9):
        raise ValueError("Nash averaging needs a square antisymmetric payoff matrix (A = -A^T)")
    # Variables x = (p_1..p_n, v); maximise v s.t. v - (A^T p)_j <= 0, sum p = 1, p >= 0.
    c = np.zeros(n + 1)
    c[-1] = -1.0
    a_ub = np.hstack([-a.T, np.ones((n, 1))])
    a_eq = np.hstack([np.ones((1, n)), np.zeros((1, 1))])
    lp = linprog(c, A_ub=a_ub, b_ub=np.zeros(n), A_eq=a_eq, b_eq=[1.0],
                 bounds=[(0.0, 1.0)] * n + [(None, None)], method="highs")
    if not lp.success:
        raise RuntimeError(f"Nash LP failed: {lp.message}")
    value = float(lp.x[-1])
    p_lp = np.clip(lp.x[:n], 0.0, 1.0)
    p_lp /= p_lp.sum()

    floor = 1e-12

    def negative_entropy(p: np.ndarray) -> float:
        q = np.maximum(p, floor)
        return float(np.sum(q * np.log(q)))

    def gradient(p: np.ndarray) -> np.ndarray:
        return np.log(np.maximum(p, floor)) + 1.0

    constraints = [
        {"type": "eq", "fun": lambda p: np.sum(p) - 1.0, "jac": lambda p: np.ones(n)},
        {"type": "ineq", "fun": lambda p: a.T @ p - (value - tolerance), "jac": lambda p: a.T},
    ]
    def feasible(p: np.ndarray) -> bool:
        return bool(abs(p.sum() - 1.0) < 1e-6 and np.min(a.T @ p) >= value - 10 * tolerance)

    # Start inside the equilibrium set, nudged toward uniform so no log(0) at the start. SLSQP
    # sometimes stops early with a line-search warning at a good point, so restart it from where
    # it stopped and keep the best feasible point (falling back to the LP solution).
    mixture, best = p_lp, negative_entropy(p_lp)
    start = 0.999 * p_lp + 0.001 / n
    for _ in range(3):
        result = minimize(negative_entropy, start, jac=gradient, bounds=[(0.0, 1.0)] * n,
                          constraints=constraints, method="SLSQP", options={"maxiter": 500, "ftol": 1e-12})
        candidate = np.clip(result.x, 0.0, None)
        if feasible(candidate) and negative_entropy(candidate) < best:
            mixture, best = candidate, negative_entropy(candidate)
        if result.success:
            break
        start = 0.99 * candidate + 0.01 / n
    mixture = mixture / mixture.sum()
    return NashAverage(mixture=mixture, ratings=a @ mixture, value=value)
