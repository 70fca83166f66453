"""Leagues on games the engines have never seen: a plain PettingZoo AEC env (through the generic
adapter), with learners that fit it, and one-line refusals for learners that cannot."""

from __future__ import annotations

import pytest

from arena.cli import main

RECIPE = """
name: plain_{learner}
game: pettingzoo.classic.tictactoe_v3
seed: 0
iterations: 2
workers: 0
tensorboard: false
members:
  - {{name: random, bot: random}}
matches:
  opponents_per_iteration: 1
  games_per_opponent: 2
  min_games: 1
agents:
  - name: a
    learner: {learner}
    role: main
    config: {config}
    steps_per_iteration: 2
"""


def _recipe(tmp_path, learner, config="{}"):
    path = tmp_path / f"{learner}.yaml"
    path.write_text(RECIPE.format(learner=learner, config=config))
    return str(path)


@pytest.mark.parametrize(("learner", "config"), [
    ("alphazero", "{num_simulations: 8, train_steps: 2, batch_size: 16, min_replay: 8}"),
    ("softmax", "{}"),  # takes the game's 9 actions without being told
])
def test_learners_that_fit_run_a_league_on_a_plain_aec_env(tmp_path, capsys, learner, config):
    out = tmp_path / "league"
    assert main(["league", "run", _recipe(tmp_path, learner, config), "--out", str(out)]) == 0
    assert (out / "league.db").is_file()
    assert main(["league", "status", str(out)]) == 0


def test_a_learner_that_cannot_play_the_game_is_refused_in_one_line(tmp_path, capsys):
    out = tmp_path / "league"
    assert main(["league", "run", _recipe(tmp_path, "ppo"), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("arena: error: ") and "\n" not in err
    assert "turn-based" in err and "alphazero" in err
    assert not out.exists()
