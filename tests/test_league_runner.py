"""The league end to end: `arena league run|status|report` in a subprocess, and the league: bot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

import arena
from arena.bots import BotSpecError
from arena.bots import make as make_bot
from leagues.ratings import replay_elo
from leagues.recipe import parse_recipe
from leagues.runner import League, LeagueError
from leagues.store import PayoffStore

ROOT = Path(__file__).resolve().parents[1]
# Every test here drives the `arena` CLI in subprocesses (a few seconds each on 2 busy cores).
pytestmark = pytest.mark.slow

TINY = {
    "name": "tiny", "game": "rock_paper_scissors", "game_kwargs": {"num_rounds": 3}, "seed": 1, "iterations": 3,
    "workers": 1, "tensorboard": True,
    "members": [{"name": "random", "bot": "random"}],
    "evaluation": {"heldout": [{"name": "held", "bot": "random"}], "every": 1, "games": 2},
    "matches": {"opponents_per_iteration": 2, "games_per_opponent": 2, "min_games": 1},
    "agents": [{"name": "main", "learner": "softmax", "role": "main", "steps_per_iteration": 10,
                "config": {"init_scale": 1.0}, "snapshot": {"max_steps": 10, "min_steps": 10}},
               {"name": "mx", "learner": "softmax", "role": "main_exploiter", "steps_per_iteration": 10,
                "snapshot": {"max_steps": 20, "min_steps": 20}}],
}


def arena_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="160")
    return subprocess.run([sys.executable, "-m", "arena", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=timeout)


@pytest.fixture(scope="module")
def tiny_league(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    base = tmp_path_factory.mktemp("league")
    recipe = base / "tiny.yaml"
    recipe.write_text(yaml.safe_dump(TINY))
    out = base / "out"
    result = arena_cli("league", "run", str(recipe), "--out", str(out), "--no-live")
    return out, result


def test_cli_run_prints_ratings_table(tiny_league):
    out, result = tiny_league
    assert result.returncode == 0, result.stderr
    assert "tiny: ratings after 3 iterations" in result.stdout
    for name in ("main", "mx", "random", "held", "main@1"):
        assert name in result.stdout
    assert (out / "league.db").is_file() and any((out / "tb").iterdir())


def test_league_contents_are_consistent(tiny_league):
    out, _ = tiny_league
    store = PayoffStore(out / "league.db")
    games = store.games()
    # per iteration: 2 agents x (2 opponents x 2 games + 1 held-out x 2 games)
    assert len(games) == 3 * 2 * (2 * 2 + 2)
    assert len({g.key for g in games}) == len(games)
    assert store.get_meta("iteration") == 3
    players = store.players()
    replay = replay_elo({p.id: p.elo_initial for p in players}, [(g.seats, g.outcome) for g in games])
    for p in players:
        assert replay.ratings.get(p.id, p.elo_initial) == pytest.approx(p.elo, abs=1e-9)
    held = store.player("held").id
    assert all(held not in g.seats for g in store.games("train")), "held-out player leaked into training"
    snapshots = store.players(["snapshot"])
    assert {s.agent for s in snapshots} == {"main", "mx"}
    # The main exploiter resets to its initial parameters at each snapshot.
    resets = [e for e in store.events("snapshot") if e["agent"] == "mx"]
    assert resets and all(e["details"].get("reset") for e in resets)
    # The main agent never resets.
    assert not any(e["details"].get("reset") for e in store.events("snapshot") if e["agent"] == "main")
    store.close()


def test_status_and_report(tiny_league):
    out, _ = tiny_league
    status = arena_cli("league", "status", str(out), "--json")
    assert status.returncode == 0, status.stderr
    data = json.loads(status.stdout)
    assert data["iteration"] == 3 and data["games"] == 36 and {a["name"] for a in data["agents"]} == {"main", "mx"}
    report = arena_cli("league", "report", str(out))
    assert report.returncode == 0, report.stderr
    for name in ("payoff.png", "ratings.png", "composition.png", "summary.md"):
        path = out / "report" / name
        assert path.is_file() and path.stat().st_size > 200
    summary = (out / "report" / "summary.md").read_text()
    assert "## Ratings" in summary and "## Held-out evaluation" in summary
    held_section = summary.split("## Held-out evaluation")[1].split("## Composition")[0]
    assert "| main | held | 6 |" in held_section and "| mx | held | 6 |" in held_section


def test_league_bot(tiny_league):
    out, _ = tiny_league
    env = arena.make("rock_paper_scissors", num_rounds=3)
    best = make_bot(f"league:{out}", env, seed=0)
    assert best.act(np.zeros(3), np.ones(3, dtype=np.int8)) in (0, 1, 2)
    snapshot = make_bot(f"league:{out}:main@1", env, seed=0)
    assert snapshot.name == "main@1"
    assert make_bot(f"league:{out}:random", env, seed=0).name == "random"
    with pytest.raises(BotSpecError, match="no player 'ghost'"):
        make_bot(f"league:{out}:ghost", env)
    with pytest.raises(BotSpecError, match="not a league directory"):
        make_bot(f"league:{out}/nowhere", env)
    with pytest.raises(BotSpecError, match="plays rock_paper_scissors"):
        make_bot(f"league:{out}", arena.make("tic_tac_toe"))


def test_cli_errors_are_one_line(tiny_league, tmp_path):
    out, _ = tiny_league
    recipe = tmp_path / "r.yaml"
    recipe.write_text(yaml.safe_dump(TINY))
    again = arena_cli("league", "run", str(recipe), "--out", str(out), "--no-live")
    assert again.returncode == 2 and "already holds a league: pass --resume" in again.stderr
    assert "Traceback" not in again.stderr
    missing = arena_cli("league", "run", str(recipe), "--out", str(tmp_path / "none"), "--resume")
    assert missing.returncode == 2 and "nothing to resume" in missing.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({**TINY, "agents": [{"name": "x", "learner": "softmax", "role": "boss"}]}))
    wrong = arena_cli("league", "run", str(bad))
    assert wrong.returncode == 2 and "agents[0].role" in wrong.stderr and len(wrong.stderr.strip().splitlines()) == 1


def test_resume_rejects_a_different_recipe(tiny_league):
    out, _ = tiny_league
    changed = parse_recipe({**TINY, "seed": 99})
    with pytest.raises(LeagueError, match="field 'seed' differs"):
        League(changed, out, resume=True, live_display=False)
    more = parse_recipe({**TINY, "iterations": 4, "workers": 0, "tensorboard": False})
    league = League(more, out, resume=True, live_display=False)
    league.run()
    assert league.store.get_meta("iteration") == 4 and league.store.count_games() == 48
    league.close()
