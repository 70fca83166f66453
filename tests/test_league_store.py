"""Payoff store: transactions, duplicate games, and rebuilding the league from stored rows."""

from __future__ import annotations

import random

import pytest

from leagues.ratings import PayoffMatrix, replay_elo
from leagues.store import PayoffStore


def _store(tmp_path) -> PayoffStore:
    store = PayoffStore(tmp_path / "league.db")
    for name in ("a", "b", "c"):
        store.add_player(name, "fixed", spec="random")
    return store


def test_wal_mode_and_schema(tmp_path):
    store = _store(tmp_path)
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert [p.name for p in store.players()] == ["a", "b", "c"]


def test_transaction_rolls_back_everything(tmp_path):
    store = _store(tmp_path)
    with pytest.raises(RuntimeError), store.transaction():
        store.record_game("k/0", iteration=1, purpose="train", seats=(1, 2), scores=(1, -1), seed=0,
                          duration=0.1, elo_updates={1: 16.0, 2: -16.0})
        store.add_player("d", "fixed", spec="random")
        raise RuntimeError("crash in the middle")
    assert store.count_games() == 0
    assert [p.name for p in store.players()] == ["a", "b", "c"]
    assert store.player(1).elo == 0.0 and store.player(1).games == 0


def test_duplicate_game_key_is_ignored(tmp_path):
    store = _store(tmp_path)
    first = store.record_game("1/x/0/0", iteration=1, purpose="train", seats=(1, 2), scores=(1, -1), seed=3,
                              duration=0.1, elo_updates={1: 16.0, 2: -16.0})
    again = store.record_game("1/x/0/0", iteration=1, purpose="train", seats=(1, 2), scores=(1, -1), seed=3,
                              duration=0.1, elo_updates={1: 32.0, 2: -32.0})
    assert first is not None and again is None
    assert store.count_games() == 1
    assert store.player(1).elo == 16.0 and store.player(1).games == 1


def test_rebuild_payoff_and_elo_from_games(tmp_path):
    """Everything the league keeps in memory is recomputable from the stored rows, after reopening."""
    store = _store(tmp_path)
    rng = random.Random(0)
    elo = {1: 0.0, 2: 0.0, 3: 0.0}
    live = PayoffMatrix(decay=0.9, min_games=2)
    from leagues.ratings import elo_update

    for g in range(60):
        a, b = rng.sample([1, 2, 3], 2)
        scores = rng.choice([(1.0, -1.0), (-1.0, 1.0), (0.0, 0.0)])
        outcome = 1.0 if scores[0] > 0 else (0.0 if scores[0] < 0 else 0.5)
        elo[a], elo[b] = elo_update(elo[a], elo[b], outcome)
        store.record_game(f"g/{g}", iteration=g // 10, purpose="train", seats=(a, b), scores=scores, seed=g,
                          duration=0.01, elo_updates={a: elo[a], b: elo[b]})
        live.update(a, b, outcome)
    store.close()

    reopened = PayoffStore(tmp_path / "league.db")
    games = reopened.games()
    assert len(games) == 60 and [g.key for g in games] == [f"g/{i}" for i in range(60)]
    rebuilt = PayoffMatrix(decay=0.9, min_games=2)
    for g in games:
        rebuilt.update(g.seats[0], g.seats[1], g.outcome)
    assert rebuilt.matrix([1, 2, 3]).tolist() == live.matrix([1, 2, 3]).tolist()
    replay = replay_elo({p.id: p.elo_initial for p in reopened.players()}, [(g.seats, g.outcome) for g in games])
    for p in reopened.players():
        assert replay.ratings[p.id] == pytest.approx(p.elo, abs=1e-9)
        assert p.games == sum(p.id in g.seats for g in games)


def test_plans_events_and_meta_roundtrip(tmp_path):
    store = _store(tmp_path)
    store.save_plan(3, "az", {"opponents": [1, 2], "seed": 5})
    store.add_event(3, "exploit", "az", {"winner": "b"})
    store.set_meta("iteration", 3)
    assert store.plan(3, "az") == {"opponents": [1, 2], "seed": 5}
    assert store.plan(4, "az") is None
    assert store.events("exploit")[0]["details"] == {"winner": "b"}
    assert store.get_meta("iteration") == 3
