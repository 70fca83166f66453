"""Population-based training: exploit, explore, and lineage in a running league."""

from __future__ import annotations

import numpy as np
import pytest

from leagues.pbt import Member, PBTSettings, exploit_and_explore, explore
from leagues.recipe import parse_recipe
from leagues.runner import League


def _population(ready=True):
    return [Member(f"m{i}", score=float(i), hyperparameters={"lr": 0.1 * (i + 1)}, ready=ready) for i in range(8)]


def test_truncation_bottom_copies_top():
    rng = np.random.default_rng(0)
    decisions = exploit_and_explore(_population(), PBTSettings(fraction=0.25), rng)
    assert {d.loser for d in decisions} == {"m0", "m1"}
    assert all(d.winner in {"m6", "m7"} for d in decisions)
    for d in decisions:
        source = 0.1 * (int(d.winner[1]) + 1)
        assert d.hyperparameters["lr"] == pytest.approx(source * 0.8) or d.hyperparameters["lr"] == pytest.approx(source * 1.2)


def test_not_ready_members_are_left_alone():
    assert exploit_and_explore(_population(ready=False), PBTSettings(), np.random.default_rng(0)) == []


def test_tournament_only_copies_better():
    rng = np.random.default_rng(1)
    decisions = exploit_and_explore(_population(), PBTSettings(exploit="tournament"), rng)
    scores = {m.name: m.score for m in _population()}
    assert decisions and all(scores[d.winner] > scores[d.loser] for d in decisions)
    assert "m7" not in {d.loser for d in decisions}  # the best can never lose a tournament


def test_resample_stays_in_space():
    settings = PBTSettings(explore="resample", resample_probability=1.0, space={"lr": (1e-3, 1e-1)})
    rng = np.random.default_rng(0)
    values = [explore({"lr": 0.05}, settings, rng)["lr"] for _ in range(200)]
    assert min(values) >= 1e-3 and max(values) <= 1e-1
    assert len({round(v, 6) for v in values}) > 100  # really resampled, not perturbed


def test_perturb_factors_only():
    rng = np.random.default_rng(0)
    values = {round(explore({"lr": 1.0}, PBTSettings(), rng)["lr"], 9) for _ in range(50)}
    assert values == {0.8, 1.2}


def test_league_pbt_records_lineage(tmp_path):
    recipe = parse_recipe({
        "name": "pbt", "game": "rock_paper_scissors", "game_kwargs": {"num_rounds": 3}, "iterations": 4,
        "workers": 0, "tensorboard": False, "members": [{"name": "random", "bot": "random"}],
        "matches": {"opponents_per_iteration": 2, "games_per_opponent": 4, "min_games": 1},
        "agents": [{"name": "sm", "learner": "softmax", "copies": 4, "steps_per_iteration": 5,
                    "config": {"lr": 0.3, "init_scale": 1.0}, "opponents": {"principle": "pfsp_hard"}}],
        "pbt": {"enabled": True, "ready_steps": 10, "fraction": 0.25, "space": {"lr": [0.01, 1.0]}},
    })
    league = League(recipe, tmp_path / "pbt", live_display=False)
    league.run()
    exploits = league.store.events("exploit")
    assert exploits, "PBT never exploited"
    for event in exploits:
        agent = league.store.agent(event["agent"])
        assert event["details"]["winner"] != event["agent"]
        assert agent.generation >= 1 and agent.parent is not None
    last = exploits[-1]
    agent = league.store.agent(last["agent"])
    assert agent.hyperparameters == pytest.approx(last["details"]["new_hyperparameters"])
    # The loser now carries the winner's parameters with the new hyperparameters.
    assert league.learners[agent.name].hyperparameters["lr"] == pytest.approx(agent.hyperparameters["lr"])
    league.close()
