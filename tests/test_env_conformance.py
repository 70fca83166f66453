"""Every built-in game passes PettingZoo's own conformance tests; the registry resolves names."""

from __future__ import annotations

import pytest
from pettingzoo.test import api_test, parallel_api_test, parallel_seed_test, render_test, seed_test

import arena
from arena.env import UnknownGameError

BOARD_GAMES = [
    ("tic_tac_toe", {}),
    ("connect_four", {}),
    ("gomoku", {"size": 5, "n_in_row": 4}),
    ("gomoku", {"size": 8, "n_in_row": 5, "exact": True}),
    ("gomoku", {}),
]


@pytest.mark.parametrize(("name", "kwargs"), BOARD_GAMES)
def test_board_games_pass_pettingzoo_tests(name: str, kwargs: dict) -> None:
    api_test(arena.make(name, **kwargs), num_cycles=200)
    seed_test(lambda: arena.make(name, **kwargs), num_cycles=50)
    render_test(lambda render_mode=None: arena.make(name, render_mode=render_mode, **kwargs))


def test_rock_paper_scissors_passes_parallel_tests() -> None:
    parallel_api_test(arena.make("rock_paper_scissors"), num_cycles=100)
    parallel_seed_test(lambda: arena.make("rock_paper_scissors"))
    env = arena.make("rock_paper_scissors", render_mode="ansi")
    env.reset(seed=0)
    env.step({"player_0": 0, "player_1": 2})
    assert env.render() == "round 1/10: player_0 rock vs player_1 scissors"


def test_registry_lists_builtins() -> None:
    names = {s.name for s in arena.registered()}
    assert {"tic_tac_toe", "connect_four", "gomoku", "rock_paper_scissors"} <= names


def test_make_accepts_pettingzoo_module_paths() -> None:
    spread = arena.make("mpe2.simple_spread_v3")
    assert hasattr(spread, "possible_agents") and len(spread.possible_agents) == 3
    assert callable(spread.step)
    c4 = arena.make("pettingzoo.classic.connect_four_v3")
    c4.reset(seed=0)
    assert c4.agent_selection == "player_0"
    aec_spread = arena.make("mpe2.simple_spread_v3", api="aec")
    aec_spread.reset(seed=0)
    assert aec_spread.agent_selection == "agent_0"


def test_unknown_names_give_suggestions() -> None:
    with pytest.raises(UnknownGameError, match="Did you mean connect_four"):
        arena.make("connect_fuor")
    with pytest.raises(UnknownGameError, match="cannot import 'nosuchpkg.game_v1'"):
        arena.make("nosuchpkg.game_v1")
    with pytest.raises(UnknownGameError, match="not a PettingZoo environment"):
        arena.make("json.decoder")


def test_turn_based_games_refuse_parallel_api() -> None:
    with pytest.raises(ValueError, match="only has the AEC API"):
        arena.make("connect_four", api="parallel")


def test_bad_render_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="render_mode='rgb'"):
        arena.make("tic_tac_toe", render_mode="rgb")


def test_illegal_action_in_env_names_the_problem() -> None:
    env = arena.make("tic_tac_toe")
    env.reset()
    with pytest.raises(ValueError, match="action must be an int in 0..8"):
        env.step(9)


def test_vs_random_team_is_a_conformant_cooperative_view_of_one_team():
    env = arena.make("vs-random-team", game="BlowBlow-2T2P", team="red")
    assert env.possible_agents == ["red_0", "red_1"]
    parallel_api_test(env, num_cycles=50)
    parallel_seed_test(lambda: arena.make("vs-random-team", game="Sumo-2T1P", team="blue"), num_cycles=20)
    with pytest.raises(ValueError, match="has no team 'green'; its teams are blue, red"):
        arena.make("vs-random-team", game="BlowBlow-2T2P", team="green")
