"""League reliability: one writer per directory, damaged stores refused untouched, results that do
not depend on --workers, workers that die with their coordinator, the thread budget."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from arena.cli import main
from leagues.recipe import parse_recipe
from leagues.runner import League, LeagueError, threads_per_process
from leagues.store import PayoffStore, StoreError

ROOT = Path(__file__).resolve().parents[1]

RPS = {
    "name": "rel", "game": "rock_paper_scissors", "game_kwargs": {"num_rounds": 3}, "seed": 3, "iterations": 3,
    "workers": 0, "tensorboard": False,
    "members": [{"name": "random", "bot": "random"}],
    "evaluation": {"heldout": [{"name": "held", "bot": "random"}], "every": 1, "games": 2},
    # payoff_decay < 1: the payoff (and so matchmaking) depends on the order games are recorded in.
    "matches": {"opponents_per_iteration": 3, "games_per_opponent": 3, "min_games": 1, "payoff_decay": 0.9},
    "agents": [{"name": "main", "learner": "softmax", "role": "main", "copies": 2, "steps_per_iteration": 6,
                "config": {"init_scale": 1.0, "lr": 0.5}, "snapshot": {"max_steps": 6, "min_steps": 6}},
               {"name": "mx", "learner": "softmax", "role": "main_exploiter", "steps_per_iteration": 6,
                "snapshot": {"max_steps": 12, "min_steps": 6}}],
}


def _league(tmp_path: Path, name: str = "out", **kwargs) -> League:
    return League(parse_recipe(RPS), tmp_path / name, live_display=False, **kwargs)


def _snapshot(out: Path) -> list:
    store = PayoffStore(out / "league.db")
    try:
        games = [(g.key, g.iteration, g.purpose, g.seats, g.scores, g.seed) for g in store.games()]
        players = [(p.name, p.kind, round(p.elo, 9), p.games) for p in store.players()]
        plans = [store.plan(it, a.name) for it in range(1, 4) for a in store.agents()]
    finally:
        store.close()
    return [games, players, plans]


# ------------------------------------------------------------------ one writer per directory
def test_second_writer_is_refused_naming_the_holder(tmp_path):
    first = _league(tmp_path)
    try:
        with pytest.raises(LeagueError, match=rf"in use by another `arena league run` \(pid {os.getpid()}\)"):
            _league(tmp_path, resume=True)
        assert (tmp_path / "out" / "league.lock").read_text().strip() == str(os.getpid())
    finally:
        first.close()
    second = _league(tmp_path, resume=True)  # released on close: the next run may continue it
    second.close()


def test_cli_resume_while_running_is_one_line(tmp_path, capsys):
    first = _league(tmp_path)
    try:
        recipe = tmp_path / "rel.yaml"
        recipe.write_text(__import__("yaml").safe_dump(RPS))
        db = (tmp_path / "out" / "league.db").read_bytes()
        assert main(["league", "run", str(recipe), "--out", str(tmp_path / "out"), "--resume", "--no-live"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("arena: error:") and f"pid {os.getpid()}" in err[0]
        assert (tmp_path / "out" / "league.db").read_bytes() == db
    finally:
        first.close()


# ------------------------------------------------------------------ damaged or empty league.db
def _damaged(kind: str, good: bytes) -> bytes:
    if kind == "empty":
        return b""
    if kind == "truncated":
        return good[: len(good) // 2]
    if kind == "random":
        return os.urandom(len(good))
    if kind == "overwritten":
        return good[:100] + os.urandom(3000) + good[3100:]
    return b"SQLite format 3\x00" + os.urandom(4000)


@pytest.fixture(scope="module")
def finished_league(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("done")
    league = League(parse_recipe({**RPS, "iterations": 1}), out / "out", live_display=False)
    try:
        league.run()
    finally:
        league.close()
    return out / "out"


@pytest.mark.parametrize("kind", ["empty", "truncated", "random", "overwritten", "header-only"])
def test_damaged_store_is_refused_and_never_written(tmp_path, finished_league, kind, capsys):
    good = (finished_league / "league.db").read_bytes()
    out = tmp_path / "bad"
    out.mkdir()
    (out / "league.db").write_bytes(_damaged(kind, good))
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    recipe = tmp_path / "rel.yaml"
    recipe.write_text(__import__("yaml").safe_dump({**RPS, "iterations": 1}))
    for argv in (["league", "status", str(out)], ["league", "status", str(out), "--json"],
                 ["league", "report", str(out)],
                 ["league", "run", str(recipe), "--out", str(out), "--resume", "--no-live"],
                 ["match", "rock_paper_scissors", f"league:{out}", "random", "--games", "1"]):
        code = main(argv)
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2, argv
        assert len(err) == 1 and err[0].startswith("arena: error:"), (argv, err)
        assert "league.db" in err[0] and ("damaged" in err[0] or "empty" in err[0]), err[0]
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.name in before} == before
    with pytest.raises(StoreError):
        PayoffStore(out / "league.db")


# ------------------------------------------------------------------ independent of --workers
@pytest.mark.slow
def test_same_recipe_and_seed_give_the_same_store_with_any_number_of_workers(tmp_path):
    stores = []
    for workers in (0, 2):
        league = _league(tmp_path, f"w{workers}", workers=workers, threads=2)
        try:
            league.run()
        finally:
            league.close()
        stores.append(_snapshot(tmp_path / f"w{workers}"))
    serial, pooled = stores
    assert len(serial[0]) > 50
    assert serial[0] == pooled[0]  # the same games, in the same stored order
    assert serial[1] == pooled[1]  # hence the same online Elo
    assert serial[2] == pooled[2]  # and the same matchmaking plans


# ------------------------------------------------------------------ workers die with the coordinator
def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc and uses pgrep")
def test_workers_exit_when_the_coordinator_is_killed(tmp_path):
    recipe = tmp_path / "long.yaml"
    recipe.write_text(__import__("yaml").safe_dump({**RPS, "iterations": 500, "workers": 2}))
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    coordinator = subprocess.Popen([sys.executable, "-m", "arena", "league", "run", str(recipe), "--out",
                                    str(tmp_path / "out"), "--no-live", "--threads", "2"],
                                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    try:
        deadline = time.time() + 90
        workers: list[int] = []
        while time.time() < deadline and len(workers) < 2:
            time.sleep(0.5)
            # spawn workers are children of the coordinator (the resource tracker is one too)
            workers = [p for p in _children(coordinator.pid)
                       if "spawn_main" in Path(f"/proc/{p}/cmdline").read_text(errors="replace")]
        assert len(workers) >= 1, "no worker process started"
        tracker = [p for p in _children(coordinator.pid) if p not in workers]
    finally:
        coordinator.send_signal(signal.SIGKILL)
        coordinator.wait()
    deadline = time.time() + 15
    while time.time() < deadline and any(_alive(p) for p in workers + tracker):
        time.sleep(0.25)
    assert not any(_alive(p) for p in workers), "worker processes outlived their coordinator"
    # The lock died with its holder: the league can be resumed at once.
    league = League(parse_recipe({**RPS, "iterations": 500, "workers": 2}), tmp_path / "out", resume=True,
                    live_display=False)
    league.close()


# ------------------------------------------------------------------ the thread budget
def test_thread_budget_is_divided_among_processes():
    assert threads_per_process(8, 3) == 2  # coordinator + 3 workers
    assert threads_per_process(2, 2) == 1
    assert threads_per_process(4, 0) == 4  # everything in the coordinator
    assert threads_per_process(1, 8) == 1  # never below one


def test_league_learning_step_uses_the_budget(tmp_path, monkeypatch):
    import torch

    seen = []
    from leagues.learners.softmax import SoftmaxLearner

    original = SoftmaxLearner.learn

    def spy(self, *args, **kwargs):
        seen.append(torch.get_num_threads())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SoftmaxLearner, "learn", spy)
    before = torch.get_num_threads()
    torch.set_num_threads(3)
    try:
        league = League(parse_recipe({**RPS, "iterations": 1}), tmp_path / "out", threads=1, live_display=False)
        try:
            league.run()
        finally:
            league.close()
        assert seen and set(seen) == {1}
        assert torch.get_num_threads() == 3  # restored after the run
    finally:
        torch.set_num_threads(before)


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="process groups and /proc")
def test_ctrl_c_with_workers_prints_no_worker_traceback(tmp_path):
    recipe = tmp_path / "long.yaml"
    recipe.write_text(__import__("yaml").safe_dump({**RPS, "iterations": 500, "workers": 2}))
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    # A new session, so the SIGINT below reaches the coordinator and its workers like a terminal's Ctrl-C.
    coordinator = subprocess.Popen([sys.executable, "-m", "arena", "league", "run", str(recipe), "--out",
                                    str(tmp_path / "out"), "--no-live", "--threads", "2"], env=env, cwd=ROOT,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                   start_new_session=True)
    deadline = time.time() + 90
    while time.time() < deadline and not [p for p in _children(coordinator.pid)
                                          if "spawn_main" in Path(f"/proc/{p}/cmdline").read_text(errors="replace")]:
        time.sleep(0.5)
    time.sleep(2)  # games under way
    os.killpg(coordinator.pid, signal.SIGINT)
    try:
        err = coordinator.communicate(timeout=60)[1]
    finally:
        if coordinator.poll() is None:
            coordinator.kill()
    assert coordinator.returncode == 130, err[-2000:]
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err[-2000:]
    assert err.strip().splitlines()[-1] == "arena: interrupted"


def test_a_store_killed_with_its_log_pending_is_not_called_damaged(tmp_path):
    db = tmp_path / "league.db"
    code = (f"import os, sys; sys.path.insert(0, {str(ROOT)!r})\n"
            "from leagues.store import PayoffStore\n"
            f"s = PayoffStore({str(db)!r}); s.add_player('p', 'fixed', spec='random'); os._exit(0)")
    subprocess.run([sys.executable, "-c", code], check=True)
    assert (tmp_path / "league.db-wal").stat().st_size > 0  # committed, but only in the write-ahead log
    from leagues.store import check_store_file

    check_store_file(db)
    store = PayoffStore(db)
    try:
        assert [p.name for p in store.players()] == ["p"]
    finally:
        store.close()
