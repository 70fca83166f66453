"""Matchmaking principles and AlphaStar roles."""

from __future__ import annotations

import numpy as np
import pytest

from leagues.alphastar import (
    LeagueView,
    SnapshotRule,
    opponent_distribution,
    ready_to_snapshot,
    reset_probability,
)
from leagues.matchmaking import MatchmakingSettings, pfsp_weights, probabilities, sample
from leagues.ratings import PayoffMatrix
from leagues.store import PlayerRow

X = np.array([0.1, 0.5, 0.9, 0.5])  # learner's win rates vs 4 candidates, oldest first


def test_recent_earliest_uniform():
    assert probabilities("recent", X).tolist() == [0, 0, 0, 1]
    assert probabilities("earliest", X).tolist() == [1, 0, 0, 0]
    assert np.allclose(probabilities("uniform", X), 0.25)


def test_openai_five_80_20():
    p = probabilities("openai_five", X)
    assert p[3] == pytest.approx(0.8) and np.allclose(p[:3], 0.2 / 3)


def test_pfsp_weightings():
    assert np.allclose(pfsp_weights(X, "hard", 2.0), (1 - X) ** 2)
    assert np.allclose(pfsp_weights(X, "var"), X * (1 - X))
    assert np.allclose(pfsp_weights(X, "linear_capped"), np.minimum(0.5, 1 - X))
    hard = probabilities("pfsp_hard", X)
    assert np.argmax(hard) == 0 and hard.sum() == pytest.approx(1)
    var = probabilities("pfsp_var", X)
    assert var[1] == pytest.approx(var[3]) and var[1] > var[0]
    assert var[0] == pytest.approx(var[2])  # symmetric around 1/2
    capped = probabilities("pfsp_linear_capped", X)
    assert capped[0] == pytest.approx(capped[1])  # both capped at 0.5
    # A learner that beats everyone falls back to uniform rather than dividing by zero.
    assert np.allclose(probabilities("pfsp_hard", np.ones(3)), 1 / 3)


def test_prioritized_prefers_hardest():
    p = probabilities("prioritized", X, MatchmakingSettings(prioritized_temperature=0.1))
    assert np.argmax(p) == 0 and p[0] > 0.9


def test_mlagents_window_and_ratio():
    s = MatchmakingSettings(latest_ratio=0.3, window=2)
    p = probabilities("mlagents", np.full(6, 0.5), s)
    assert p[5] == pytest.approx(0.3)
    assert np.allclose(p[3:5], 0.35) and np.allclose(p[:3], 0.0)


def test_sampling_matches_distribution():
    rng = np.random.default_rng(0)
    probs = probabilities("openai_five", X)
    draws = sample(rng, [10, 11, 12, 13], probs, 20000)
    freq = np.array([draws.count(c) for c in (10, 11, 12, 13)]) / len(draws)
    assert np.abs(freq - probs).max() < 0.015


def test_unknown_principle():
    with pytest.raises(ValueError, match="unknown matchmaking principle"):
        probabilities("best", X)


# ---------------------------------------------------------------------------- AlphaStar roles
def _row(pid, kind, agent=None, role=None):
    return PlayerRow(pid, f"p{pid}", kind, None, None, agent, role, None, 0, 0, {}, 0.0, 0.0, 0)


def _league():
    players = [_row(1, "fixed"), _row(2, "snapshot", "main", "main"), _row(3, "live", "main", "main"),
               _row(4, "live", "mx", "main_exploiter"), _row(5, "live", "lx", "league_exploiter"),
               _row(6, "snapshot", "lx", "league_exploiter")]
    pay = PayoffMatrix(decay=1.0, min_games=1)
    for p in players:
        pay.add_player(p.id)
    return LeagueView(players, pay, {"main": "main", "mx": "main_exploiter", "lx": "league_exploiter"}), pay


def _dist(role, me, view):
    candidates, probs = opponent_distribution(me, role, view)
    return dict(zip(candidates, probs))


def test_main_agent_mixes_pfsp_selfplay_and_verification():
    view, pay = _league()
    me = view.players[2]
    d = _dist("main", me, view)
    assert sum(d.values()) == pytest.approx(1)
    assert d[3] == pytest.approx(0.35 / 0.85)  # self-play share, renormalised: no exploiter beats it yet
    assert set(d) == {1, 2, 6, 3}
    pay.update(3, 4, 0.0)  # the main exploiter now beats the main agent -> verification games
    d = _dist("main", me, view)
    assert d[4] == pytest.approx(0.15) and d[3] == pytest.approx(0.35)


def test_main_exploiter_targets_mains_then_falls_back():
    view, pay = _league()
    me = view.players[3]
    assert _dist("main_exploiter", me, view) == {3: 1.0}  # unknown win rate 0.5 >= 0.1: play the main
    for _ in range(5):
        pay.update(4, 3, 0.0)  # it cannot beat the main agent
    d = _dist("main_exploiter", me, view)
    assert set(d) == {2, 3} and d[2] > 0  # PFSP(var) over the main's snapshots and the main


def test_league_exploiter_pfsp_over_frozen():
    view, pay = _league()
    me = view.players[4]
    for _ in range(4):
        pay.update(5, 1, 1.0)  # beats the fixed bot
    d = _dist("league_exploiter", me, view)
    assert set(d) == {1, 2, 6}
    assert d[1] < d[2]


def test_player_role_self_history():
    view, _ = _league()
    me = view.players[2]
    d = _dist_player(me, view, "openai_five")
    assert d[3] == pytest.approx(0.8) and d[2] == pytest.approx(0.2)
    d = _dist_player(me, view, "uniform")
    assert d == {2: 1.0}  # the past only


def _dist_player(me, view, principle):
    candidates, probs = opponent_distribution(me, "player", view, MatchmakingSettings(principle=principle))
    return dict(zip(candidates, probs))


def test_snapshot_rule_and_resets():
    rule = SnapshotRule(max_steps=100, min_steps=20, win_rate=0.7)
    assert not ready_to_snapshot(10, 0.99, rule)
    assert ready_to_snapshot(20, 0.7, rule)
    assert not ready_to_snapshot(50, 0.6, rule)
    assert ready_to_snapshot(100, 0.0, rule)
    assert reset_probability("main", rule) == 0.0
    assert reset_probability("main_exploiter", rule) == 1.0
    assert reset_probability("league_exploiter", rule) == 0.25
    assert reset_probability("main", SnapshotRule(reset_probability=0.5)) == 0.5
