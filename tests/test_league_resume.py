"""kill -9 at any moment, then --resume: no game lost or counted twice, ratings equal a replay."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from leagues.player import read_checkpoint
from leagues.ratings import PayoffMatrix, replay_elo
from leagues.store import PayoffStore

ROOT = Path(__file__).resolve().parents[1]

RECIPE = {
    "name": "killme", "game": "rock_paper_scissors", "game_kwargs": {"num_rounds": 5}, "seed": 7,
    "iterations": 30, "workers": 0, "tensorboard": False,
    "members": [{"name": "random", "bot": "random"}],
    "evaluation": {"heldout": [{"name": "held", "bot": "random"}], "every": 2, "games": 2},
    "matches": {"opponents_per_iteration": 2, "games_per_opponent": 3, "min_games": 1},
    "agents": [{"name": "a", "learner": "softmax", "role": "main", "steps_per_iteration": 40,
                "config": {"init_scale": 1.0}, "snapshot": {"max_steps": 80, "min_steps": 40, "win_rate": 0.6}},
               {"name": "b", "learner": "softmax", "role": "league_exploiter", "steps_per_iteration": 40,
                "copies": 2, "snapshot": {"max_steps": 120, "min_steps": 40}}],
    "pbt": {"enabled": True, "ready_steps": 80},
}


def _expected_games(recipe: dict) -> int:
    agents = sum(a.get("copies", 1) for a in recipe["agents"])
    m, ev = recipe["matches"], recipe["evaluation"]
    per_iteration = m["opponents_per_iteration"] * m["games_per_opponent"]
    heldout = len(ev["heldout"]) * ev["games"]
    evals = sum(1 for it in range(1, recipe["iterations"] + 1) if it % ev["every"] == 0)
    return agents * (recipe["iterations"] * per_iteration + evals * heldout)


def _start(recipe_path: Path, out: Path, resume: bool) -> subprocess.Popen:
    args = [sys.executable, "-m", "arena", "league", "run", str(recipe_path), "--out", str(out), "--no-live"]
    if resume:
        args.append("--resume")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    # Own process group: kill -9 takes the whole league (workers included) down at once.
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)


def _games_so_far(out: Path) -> int:
    db = out / "league.db"
    if not db.exists():
        return 0
    try:
        store = PayoffStore(db)
        try:
            return store.count_games()
        finally:
            store.close()
    except Exception:
        return 0


@pytest.mark.slow
def test_kill_nine_and_resume(tmp_path):
    recipe_path = tmp_path / "killme.yaml"
    recipe_path.write_text(yaml.safe_dump(RECIPE))
    out = tmp_path / "league"
    total = _expected_games(RECIPE)
    kills = 0
    # Kill at three different points of progress, then let the last run finish.
    for fraction in (0.15, 0.45, 0.75):
        proc = _start(recipe_path, out, resume=out.joinpath("league.db").exists())
        deadline = time.time() + 90
        while time.time() < deadline and proc.poll() is None and _games_so_far(out) < fraction * total:
            time.sleep(0.05)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()
    assert kills >= 2, "the league finished before it could be killed; make the recipe longer"
    proc = _start(recipe_path, out, resume=True)
    _, stderr = proc.communicate(timeout=180)
    assert proc.returncode == 0, stderr.decode()

    store = PayoffStore(out / "league.db")
    games = store.games()
    # No game lost, none counted twice.
    assert len(games) == total
    assert len({g.key for g in games}) == total
    assert store.get_meta("iteration") == RECIPE["iterations"]
    # Stored online Elo equals a replay of the stored games; game counts agree.
    players = store.players()
    replay = replay_elo({p.id: p.elo_initial for p in players}, [(g.seats, g.outcome) for g in games])
    for p in players:
        assert replay.ratings.get(p.id, p.elo_initial) == pytest.approx(p.elo, abs=1e-9), p.name
        assert p.games == sum(p.id in g.seats for g in games)
    # The payoff matrix rebuilt from the store is well formed.
    payoff = PayoffMatrix()
    for g in games:
        payoff.update(g.seats[0], g.seats[1], g.outcome)
    ids = [p.id for p in players]
    m = payoff.matrix(ids)
    assert ((m >= 0) & (m <= 1)).all()
    # Every checkpoint the league refers to is complete; no temporary file is left behind.
    for p in players:
        if p.path:
            assert read_checkpoint(p.path)["learner"] == "softmax"
    for agent in store.agents():
        read_checkpoint(agent.checkpoint)
    leftovers = [f for f in out.rglob("*.tmp")]
    assert not leftovers or all(f.stat().st_size >= 0 for f in leftovers)
    store.close()
