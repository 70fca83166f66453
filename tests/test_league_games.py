"""League games on every kind of table: turn-based, simultaneous, and team (xTyP) games."""

from __future__ import annotations

import pytest

import arena
from arena.bots import RandomBot
from leagues.executor import MatchTask, SerialExecutor, play_any_game, seats_of, side_of
from leagues.player import PlayerSpec


def test_side_names():
    assert side_of("team_0/agent_1") == "team_0"
    assert side_of("red_1") == "red" and side_of("blue") == "blue" and side_of("adversary_2") == "adversary"


def test_turn_based_and_simultaneous_games():
    scores = play_any_game(arena.make("tic_tac_toe"), [RandomBot(0), RandomBot(1)], seed=0)
    assert len(scores) == 2 and scores[0] == -scores[1]
    rps = play_any_game(arena.make("rock_paper_scissors", num_rounds=5), [RandomBot(0), RandomBot(1)], seed=0)
    assert rps[0] == -rps[1] and abs(rps[0]) <= 5


def test_team_game_seats_one_bot_per_side():
    env = arena.make("Soccer-2T2P")
    assert seats_of(env, 2) == [["red_0", "red_1"], ["blue_0", "blue_1"]]
    assert seats_of(env, 4) == [["red_0"], ["red_1"], ["blue_0"], ["blue_1"]]
    with pytest.raises(ValueError, match="cannot sit"):
        seats_of(env, 3)
    scores = play_any_game(env, [RandomBot(0), RandomBot(1)], seed=0)
    assert len(scores) == 2


def test_serial_executor_alternates_seats_and_skips_stored_games():
    a, b = PlayerSpec(1, "a", spec="random"), PlayerSpec(2, "b", spec="random")
    task = MatchTask("1/x/0", "tic_tac_toe", {}, (a, b), games=4, seed=3, iteration=1, skip=frozenset({1}))
    results = [r for batch in SerialExecutor().run([task]) for r in batch]
    assert [r.key for r in results] == ["1/x/0/0", "1/x/0/2", "1/x/0/3"]
    assert [r.seats for r in results] == [(1, 2), (1, 2), (2, 1)]
