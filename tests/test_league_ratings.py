"""Ratings: payoff decay, Elo, order-independent Bradley-Terry, openskill teams, Nash averaging."""

from __future__ import annotations

import numpy as np
import pytest

from leagues.ratings import (
    PayoffMatrix,
    antisymmetric_payoff,
    bradley_terry,
    nash_averaging,
    openskill_ratings,
    replay_elo,
    totals_from_games,
)

RPS = np.array([[0.0, -1.0, 1.0], [1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]])


def _synthetic_games(seed: int = 0, n: int = 600) -> list[tuple[tuple[int, int], float]]:
    """Games between 4 players of true Elo 0, 100, 200, 400."""
    rng = np.random.default_rng(seed)
    true = np.array([0.0, 100.0, 200.0, 400.0])
    games = []
    for _ in range(n):
        a, b = rng.choice(4, size=2, replace=False)
        p = 1 / (1 + 10 ** ((true[b] - true[a]) / 400))
        games.append(((int(a), int(b)), float(rng.random() < p)))
    return games


def test_payoff_matrix_min_games_and_decay():
    pay = PayoffMatrix(decay=0.5, min_games=3)
    pay.update(1, 2, 1.0)
    pay.update(1, 2, 1.0)
    assert pay.win_rate(1, 2) == 0.5  # fewer than min_games: neutral
    pay.update(1, 2, 0.0)
    # decayed: wins = (1*0.5 + 1)*0.5 + 0 = 0.75; counts = (1*0.5 + 1)*0.5 + 1 = 1.75
    assert pay.win_rate(1, 2) == pytest.approx(0.75 / 1.75)
    assert pay.win_rate(2, 1) == pytest.approx(1 - 0.75 / 1.75)
    assert pay.win_rate(1, 99) == 0.5


def test_bradley_terry_is_order_independent_and_recovers_order():
    games = _synthetic_games()
    players = [0, 1, 2, 3]
    fit = bradley_terry(*totals_from_games(players, games))
    shuffled = list(reversed(games))
    fit_shuffled = bradley_terry(*totals_from_games(players, shuffled))
    assert np.allclose(fit, fit_shuffled, atol=1e-6)
    assert list(np.argsort(fit)) == [0, 1, 2, 3]
    assert fit[3] - fit[0] == pytest.approx(400, abs=120)
    # Online Elo, by contrast, depends on the order.
    online = replay_elo({p: 0.0 for p in players}, games).ratings
    online_rev = replay_elo({p: 0.0 for p in players}, shuffled).ratings
    assert any(abs(online[p] - online_rev[p]) > 1e-3 for p in players)


def test_bradley_terry_keeps_unbeaten_player_finite():
    scores = np.array([[0.0, 5.0], [0.0, 0.0]])
    counts = np.array([[0.0, 5.0], [5.0, 0.0]])
    fit = bradley_terry(scores, counts)
    assert np.all(np.isfinite(fit)) and fit[0] > fit[1]


def test_openskill_multi_team():
    # Team (1, 2) beats team (3, 4) repeatedly; 2v2 games as in xTyP.
    games = [([[1, 2], [3, 4]], [1.0, 0.0]) for _ in range(5)]
    ratings = openskill_ratings(games)
    assert ratings[1][0] > ratings[3][0] and ratings[2][0] > ratings[4][0]
    assert ratings[1][2] == pytest.approx(ratings[1][0] - 3 * ratings[1][1])


def test_nash_averaging_rps_is_uniform():
    nash = nash_averaging(RPS)
    assert np.abs(nash.mixture - 1 / 3).max() < 1e-4
    assert np.abs(nash.ratings).max() < 1e-4


def test_nash_averaging_is_invariant_to_copies():
    """Adding a copy of rock splits rock's weight instead of favouring rock."""
    a = np.zeros((4, 4))
    a[:3, :3] = RPS
    a[3, :3], a[:3, 3] = RPS[0], RPS[:, 0]
    mixture = nash_averaging(a).mixture
    assert mixture[0] == pytest.approx(1 / 6, abs=1e-3) and mixture[3] == pytest.approx(1 / 6, abs=1e-3)
    assert mixture[1] == pytest.approx(1 / 3, abs=1e-3) and mixture[2] == pytest.approx(1 / 3, abs=1e-3)


def test_nash_averaging_dominant_player_takes_all():
    wins = np.array([[0.5, 0.9, 0.8], [0.1, 0.5, 0.6], [0.2, 0.4, 0.5]])
    nash = nash_averaging(antisymmetric_payoff(wins))
    assert nash.mixture[0] > 0.99
    assert nash.ratings[1] < 0 and nash.ratings[2] < 0


def test_nash_rejects_non_antisymmetric():
    with pytest.raises(ValueError, match="antisymmetric"):
        nash_averaging(np.ones((2, 2)))
