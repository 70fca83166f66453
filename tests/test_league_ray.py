"""Leagues on a real Ray cluster (``--backend ray``), started on 127.0.0.1 by the tests themselves.

* the quick connect-four league gives the same games, results and ratings on Ray as locally;
* a game worker actor killed mid-task is restarted and its task retried (results unchanged);
* kill -9 of the coordinator, then ``--resume``: no game lost or counted twice;
* an install without Ray gets one line naming the extra.

The cluster is ``ray start --head --block`` in its own session, 2 CPUs, no dashboard, a small object
store, and a temporary directory of its own; the fixture kills that session at the end, which stops
this cluster's processes and no other Ray on the machine (``ray stop`` would stop every one).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
import yaml

from arena.cli import main
from leagues.executor import MatchTask, SerialExecutor
from leagues.player import PlayerSpec
from leagues.ratings import replay_elo
from leagues.report import compute_ratings
from leagues.store import PayoffStore

ROOT = Path(__file__).resolve().parents[1]
QUICK = ROOT / "leagues" / "recipes" / "quick_connect_four.yaml"


def _ray_or_skip():
    try:
        import ray
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("ray is not installed: CI installs the [distributed] extra (tools/bootstrap.sh)")
        pytest.skip("ray is not installed (pip install 'arena-league[distributed]')")
    return ray


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster():
    """A 2-CPU Ray head on 127.0.0.1; yields its address, this process connected to it."""
    patch = pytest.MonkeyPatch()
    patch.setenv("RAY_DEDUP_LOGS", "0")
    patch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    # The test cluster and its clients agree on no token, whatever ~/.ray holds (a token there
    # turns authentication on for every `ray start` on this machine).
    patch.setenv("RAY_AUTH_MODE", "disabled")
    ray = _ray_or_skip()
    patch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    temp = tempfile.mkdtemp(prefix="arena-ray-", dir="/tmp")  # short: Ray's socket paths must fit
    port = _free_port()
    ray_exe = Path(sys.executable).with_name("ray")
    command = [str(ray_exe) if ray_exe.exists() else "ray", "start", "--head", "--block",
               "--node-ip-address=127.0.0.1", f"--port={port}", "--num-cpus=2", "--include-dashboard=false",
               "--object-store-memory=100000000", f"--temp-dir={temp}", "--disable-usage-stats",
               f"--ray-client-server-port={_free_port()}", f"--dashboard-agent-listen-port={_free_port()}"]
    log = open(Path(temp) / "head.log", "w+")  # noqa: SIM115 (closed at teardown)
    head = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while "Ray runtime started" not in Path(temp, "head.log").read_text():
            if head.poll() is not None or time.time() > deadline:
                pytest.fail("ray start --head did not come up:\n" + Path(temp, "head.log").read_text()[-3000:])
            time.sleep(0.5)
        ray.init(address=address, log_to_driver=False)
        yield address
    finally:
        if ray.is_initialized():
            ray.shutdown()
        os.killpg(head.pid, signal.SIGKILL)  # the whole session: gcs, raylet, workers, actors
        head.wait()
        log.close()
        shutil.rmtree(temp, ignore_errors=True)
        patch.undo()


def _games(out: Path) -> list[tuple]:
    store = PayoffStore(out / "league.db")
    try:
        return [(g.key, g.iteration, g.purpose, g.seats, g.scores, g.seed) for g in store.games()]
    finally:
        store.close()


def _ratings(out: Path) -> list[tuple]:
    store = PayoffStore(out / "league.db")
    try:
        return [(r.name, round(r.as_dict()["elo"], 6)) for r in compute_ratings(store)]
    finally:
        store.close()


# ---------------------------------------------------------------------------------------- no Ray
def test_without_ray_the_error_is_one_line_naming_the_extra(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    out = tmp_path / "league"
    assert main(["league", "run", str(QUICK), "--out", str(out), "--backend", "ray"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("arena: error: ") and "\n" not in err
    assert "pip install 'arena-league[distributed]'" in err
    assert not out.exists()


def test_ray_options_need_the_ray_backend(tmp_path, capsys):
    assert main(["league", "run", str(QUICK), "--out", str(tmp_path / "x"), "--address", "auto"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "arena: error: --address applies to --backend ray only"


def test_an_address_where_nothing_answers_is_one_line_and_quick(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")  # as the cluster tests: this process keeps one mode
    _ray_or_skip()
    port = _free_port()  # closed again: nothing listens there
    start = time.perf_counter()
    args = ["league", "run", str(QUICK), "--out", str(tmp_path / "x"), "--backend", "ray"]
    assert main([*args, "--address", f"127.0.0.1:{port}"]) == 2
    assert time.perf_counter() - start < 60  # Ray alone would retry for minutes
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"arena: error: cannot start or reach the Ray cluster at 127.0.0.1:{port}: nothing answers")
    assert "\n" not in err
    assert main([*args, "--address", "nonsense"]) == 2
    assert capsys.readouterr().err.strip() == "arena: error: --address must be auto or HOST:PORT, got 'nonsense'"
    assert not (tmp_path / "x").exists()


# ---------------------------------------------------------------------------------------- on Ray
def test_bad_resources_are_one_line(cluster, tmp_path, capsys):
    args = ["league", "run", str(QUICK), "--out", str(tmp_path / "x"), "--backend", "ray", "--address", cluster]
    assert main([*args, "--worker-cpus", "4"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "the Ray cluster has 2 CPUs" in err
    assert main([*args, "--workers", "0"]) == 2
    assert "--workers must be >= 1" in capsys.readouterr().err
    assert main([*args, "--learner-gpus", "0.5"]) == 2
    assert "the Ray cluster has 0 GPUs" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


@pytest.mark.slow
def test_quick_league_on_ray_equals_the_local_run(cluster, tmp_path, capsys):
    local, remote = tmp_path / "local", tmp_path / "ray"
    common = ["league", "run", str(QUICK), "--iterations", "1", "--workers", "2", "--no-live"]
    assert main([*common, "--out", str(local)]) == 0
    assert main([*common, "--out", str(remote), "--backend", "ray", "--address", cluster]) == 0
    table = capsys.readouterr().out
    assert "ratings after 1 iterations" in table
    games = _games(local)
    assert len(games) == 8  # 2 planned opponents x 4 games
    assert _games(remote) == games  # same keys, seats, scores and seeds, in the same order
    assert _ratings(remote) == _ratings(local)


@pytest.mark.slow
def test_a_killed_worker_actor_is_restarted_and_its_task_retried(cluster):
    from leagues.ray_backend import RayExecutor

    players = (PlayerSpec(1, "mcts-a", spec="mcts:60"), PlayerSpec(2, "mcts-b", spec="mcts:60"))
    tasks = [MatchTask(f"t{k}", "connect_four", {}, players, 2, 100 * k, 1) for k in range(6)]
    executor = RayExecutor(2, threads=1, cpus=0.5)
    try:
        before = executor.pids()
        got: list = []
        in_flight_at_kill = 0
        for results in executor.run(tasks):
            got.append(results)
            if len(got) == 1:
                # Worker 0 played task 0 and holds tasks 2 and 4 (tasks are queued per worker): it is
                # playing task 2 now. Kill it mid-task.
                in_flight_at_kill = len(tasks) - len(got)
                os.kill(before[0], signal.SIGKILL)
        after = executor.pids()
    finally:
        executor.close()
    assert in_flight_at_kill == len(tasks) - 1
    assert after[0] != before[0] and after[1] == before[1]  # restarted, the other untouched
    expected = list(SerialExecutor().run(tasks))
    strip = [[(r.key, r.seats, r.scores, r.seed) for r in rs] for rs in got]
    assert strip == [[(r.key, r.seats, r.scores, r.seed) for r in rs] for rs in expected]


def _same(a, b) -> bool:
    """Nested checkpoint states equal, tensors included."""
    import torch

    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.shape == b.shape and bool(torch.equal(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return isinstance(b, list | tuple) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


@pytest.mark.slow
def test_a_killed_learner_actor_is_restarted_and_its_step_redone(cluster, tmp_path):
    import arena
    from leagues.learners import make_learner
    from leagues.player import load_learner, read_checkpoint, save_checkpoint
    from leagues.ray_backend import RayBackend
    from leagues.runner import LearnJob

    config = {"num_envs": 4, "num_steps": 64, "num_minibatches": 4, "lr": 0.003, "device": "cpu", "seed": 5}
    save_checkpoint(tmp_path / "initial.pt", "ppo", config, make_learner("ppo", dict(config)))
    backend = RayBackend(address=cluster, workers=1, agents=1, game="rock_paper_scissors",
                         game_kwargs={"num_rounds": 10})

    def spec_of(player: int) -> PlayerSpec:
        raise AssertionError("no opponents planned")

    steps = 8192  # several seconds even on a quiet machine, so the kill below lands mid-step
    try:
        first = LearnJob("p", "ppo", config, str(tmp_path / "initial.pt"), 1, (), 0, 256, str(tmp_path / "live-1.pt"))
        assert [job for job, _ in backend.learn([first], spec_of)] == [first]
        before = backend.learner_pids()["p"]
        job = LearnJob("p", "ppo", config, first.out, 1, (), 0, steps, str(tmp_path / "live-2.pt"))
        killer = threading.Timer(0.5, os.kill, (before, signal.SIGKILL))  # the step takes seconds
        start = time.perf_counter()
        killer.start()
        done = list(backend.learn([job], spec_of))
        seconds = time.perf_counter() - start
        killer.join()
        after = backend.learner_pids()["p"]
    finally:
        backend.close()
    assert seconds > 0.5, "the learning step had finished before the actor was killed"
    assert len(done) == 1 and after != before
    # The retried step started again from the committed checkpoint: the same step in this process
    # from that checkpoint gives the same parameters.
    here = load_learner(first.out)
    here.learn(lambda: arena.make("rock_paper_scissors", num_rounds=10), [], steps)
    assert _same(read_checkpoint(job.out)["state"], here.state_dict())


RECIPE = {
    "name": "killme_ray", "game": "rock_paper_scissors", "game_kwargs": {"num_rounds": 5}, "seed": 3,
    "iterations": 16, "workers": 1, "tensorboard": False,
    "members": [{"name": "random", "bot": "random"}],
    "evaluation": {"heldout": [{"name": "held", "bot": "random"}], "every": 2, "games": 2},
    "matches": {"opponents_per_iteration": 2, "games_per_opponent": 3, "min_games": 1},
    "agents": [{"name": "a", "learner": "softmax", "role": "main", "steps_per_iteration": 40,
                "snapshot": {"max_steps": 80, "min_steps": 40, "win_rate": 0.6}},
               {"name": "mx", "learner": "softmax", "role": "main_exploiter", "steps_per_iteration": 40,
                "snapshot": {"max_steps": 80, "min_steps": 40}},
               {"name": "b", "learner": "softmax", "role": "league_exploiter", "steps_per_iteration": 40,
                "copies": 2, "snapshot": {"max_steps": 120, "min_steps": 40}}],
    "pbt": {"enabled": True, "ready_steps": 80},
}


def _count(out: Path) -> int:
    try:
        store = PayoffStore(out / "league.db")
        try:
            return store.count_games()
        finally:
            store.close()
    except Exception:
        return 0


@pytest.mark.slow
def test_kill_nine_of_the_coordinator_then_resume_on_ray(cluster, tmp_path):
    recipe = tmp_path / "killme.yaml"
    recipe.write_text(yaml.safe_dump(RECIPE))
    out = tmp_path / "league"
    m, ev = RECIPE["matches"], RECIPE["evaluation"]
    evals = sum(1 for it in range(1, RECIPE["iterations"] + 1) if it % ev["every"] == 0)
    total = 4 * (RECIPE["iterations"] * m["opponents_per_iteration"] * m["games_per_opponent"] + evals * ev["games"])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))

    def start(resume: bool) -> subprocess.Popen:
        args = [sys.executable, "-m", "arena", "league", "run", str(recipe), "--out", str(out), "--no-live",
                "--backend", "ray", "--address", cluster] + (["--resume"] if resume else [])
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                start_new_session=True)

    kills = 0
    for fraction in (0.2, 0.6):
        proc = start(resume=(out / "league.db").exists())
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None and _count(out) < fraction * total:
            time.sleep(0.05)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()
    assert kills == 2, "the league finished before it could be killed; make the recipe longer"
    proc = start(resume=True)
    _, stderr = proc.communicate(timeout=240)
    assert proc.returncode == 0, stderr.decode()[-3000:]

    store = PayoffStore(out / "league.db")
    try:
        games = store.games()
        assert len(games) == total and len({g.key for g in games}) == total  # none lost, none doubled
        assert store.get_meta("iteration") == RECIPE["iterations"]
        players = store.players()
        replay = replay_elo({p.id: p.elo_initial for p in players}, [(g.seats, g.outcome) for g in games])
        for p in players:
            assert replay.ratings.get(p.id, p.elo_initial) == pytest.approx(p.elo, abs=1e-9), p.name
        exploits = store.events("exploit")
    finally:
        store.close()
    assert exploits, "PBT never copied a learner: the recipe does not exercise the learner actors' clone"
    # The same league without interruptions, locally: the same games (the main exploiter waited for the
    # main agent's step each iteration, as it does locally).
    assert main(["league", "run", str(recipe), "--out", str(tmp_path / "local"), "--workers", "0", "--no-live"]) == 0
    assert _games(out) == _games(tmp_path / "local")
