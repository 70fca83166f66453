"""The ``mcts`` bot: spec parsing, the SearchBot protocol, strength against random, the benchmark."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import arena
from arena.bots import BotSpecError, SearchBot, make, registered_bots
from arena.play.match import play_match

REPO = Path(__file__).resolve().parents[1]


def first_observation(env):
    env.reset(seed=0)
    obs, *_ = env.last()
    return obs["observation"], obs["action_mask"]


# ---------------------------------------------------------------- specs
def test_mcts_is_registered_with_usage():
    assert "mcts" in registered_bots()
    assert "solver" in registered_bots()["mcts"]


@pytest.mark.parametrize("spec, options, simulations, solver, uct_c", [
    ("mcts", {}, 1000, False, 2.0),
    ("mcts:2000", {}, 2000, False, 2.0),
    ("mcts", {"playouts": 300}, 300, False, 2.0),
    ("mcts:50", {"playouts": 300}, 50, False, 2.0),  # the spec's number wins over the option
    ("mcts:1000:solver", {}, 1000, True, 2.0),
    ("mcts:solver", {}, 1000, True, 2.0),
    ("mcts:500:c=1.4", {}, 500, False, 1.4),
    ("mcts", {"solver": True, "playouts": None}, 1000, True, 2.0),
])
def test_valid_specs(spec, options, simulations, solver, uct_c):
    bot = make(spec, arena.make("connect_four"), seed=0, **options)
    assert bot.config.simulations == simulations
    assert bot.config.solver is solver
    assert bot.config.uct_c == pytest.approx(uct_c)
    assert isinstance(bot, SearchBot)
    assert make(bot.name, arena.make("connect_four")).config == bot.config  # the name is a valid spec


@pytest.mark.parametrize("spec, options, message", [
    ("mcts:abc", {}, "'abc' is not a number of simulations"),
    ("mcts:0", {}, "at least 1 simulation"),
    ("mcts:-5", {}, "'-5' is not a number"),
    ("mcts:100:200", {}, "simulations twice"),
    ("mcts:c=x", {}, "not a number"),
    ("mcts:c=-1", {}, ">= 0"),
    ("mcts", {"playouts": 0}, "playouts=0"),
    ("mcts", {"playouts": "many"}, "playouts='many'"),
    ("mcts", {"temperature": 1.0}, "not temperature"),
    ("mcts", {"solver": "yes"}, "solver='yes'"),
])
def test_bad_specs_give_one_clear_line(spec, options, message):
    with pytest.raises(BotSpecError, match=message) as info:
        make(spec, arena.make("tic_tac_toe"), **options)
    assert "\n" not in str(info.value)


def test_mcts_rejects_games_without_board_rules():
    with pytest.raises(BotSpecError, match="board"):
        make("mcts", arena.make("rock_paper_scissors"))


# ---------------------------------------------------------------- protocol
def test_policy_on_env_observation():
    env = arena.make("connect_four")
    env.reset(seed=0)
    env.step(3)  # the second player sees the position through its own planes
    obs = env.last()[0]
    observation, mask = obs["observation"], obs["action_mask"]
    bot = make("mcts:400", env, seed=1)
    result = bot.policy(observation, mask)
    assert result.visit_shares.shape == (7,)
    assert result.visit_shares.sum() == pytest.approx(1.0)
    assert result.action == int(np.argmax(result.visit_shares))
    assert -1.0 <= result.value <= 1.0
    assert result.simulations == 400
    assert bot.act(observation, mask) in np.flatnonzero(mask)


def test_bot_is_deterministic_with_seed():
    env = arena.make("tic_tac_toe")
    observation, mask = first_observation(env)
    a = make("mcts:300", env, seed=5).policy(observation, mask)
    b = make("mcts:300", env, seed=5).policy(observation, mask)
    np.testing.assert_array_equal(a.visit_shares, b.visit_shares)


def test_mask_that_does_not_match_the_position_is_an_error():
    env = arena.make("tic_tac_toe")
    observation, mask = first_observation(env)
    wrong = mask.copy()
    wrong[4] = 0
    with pytest.raises(ValueError, match="action mask does not match"):
        make("mcts:10", env).act(observation, wrong)


# ---------------------------------------------------------------- strength
def test_mcts_1000_beats_random_in_99_of_100_connect_four_games():
    env = arena.make("connect_four")
    bots = [make("mcts:1000", env, seed=11), make("random", env, seed=12)]
    result = play_match(lambda: arena.make("connect_four"), bots, ["mcts", "random"], 100, seed=0)
    assert len(result.games) == 100
    assert {g.seats for g in result.games} == {(0, 1), (1, 0)}  # seats alternate
    assert result.wins(0) >= 99


# ---------------------------------------------------------------- benchmark
def test_bench_quick_json_runs_and_parses():
    proc = subprocess.run([sys.executable, str(REPO / "tools" / "bench_mcts.py"), "--quick", "--json"],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["benchmark"] == "pure_mcts"
    games = {row["game"] for row in report["rows"]}
    assert {"connect four", "gomoku 8x8, 5 in a row"} <= games
    for row in report["rows"]:
        assert row["simulations"] == 1000
        assert row["arena_sims_per_s"] > 0
        if row["openspiel_sims_per_s"] is not None:
            assert row["ratio"] == pytest.approx(row["arena_sims_per_s"] / row["openspiel_sims_per_s"])


def test_bench_rejects_bad_arguments():
    proc = subprocess.run([sys.executable, str(REPO / "tools" / "bench_mcts.py"), "--simulations", "0"],
                          capture_output=True, text=True, timeout=60, cwd=REPO)
    assert proc.returncode == 2
    assert "--simulations" in proc.stderr
    assert "Traceback" not in proc.stderr
