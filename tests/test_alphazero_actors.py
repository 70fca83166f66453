"""AlphaZero self-play actors (``arena train alphazero ... --actors N --backend local|ray``).

* 2 local actors on tic-tac-toe play every game of every iteration and leave a loadable model;
* the data do not depend on which actor finishes first: a run resumed at an
  iteration boundary ends bit-identical to an uninterrupted one, and so does one whose trainer was
  killed (kill -9) mid-iteration -- no game lost or doubled -- and its actors exit with it;
* an actor that dies is one error line; Ctrl-C leaves no worker tracebacks;
* on a real local Ray cluster (the fixture of tests/test_league_ray.py) the run equals the local one;
* bad ``--actors`` / ``--backend`` / ``--address`` and a Ray-less install are one line.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from arena.alphazero.actors import ActorError, LocalActors, SelfPlayActor, game_shares, merge
from arena.alphazero.checkpoint import load_model_record, load_safely
from arena.alphazero.config import AlphaZeroConfig
from arena.alphazero.selfplay import SelfPlayData
from arena.cli import main

REPO = Path(__file__).resolve().parents[1]
TINY = dict(blocks=1, channels=8, value_hidden=8, num_simulations=8, selfplay_batch=4, games_per_iteration=5,
            batch_size=16, train_steps=2, min_replay=16, replay_capacity=2000, eval_every=0, iterations=2,
            tensorboard=False, threads=1, temperature_moves=2, checkpoint_seconds=0.0)


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch):
    for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        monkeypatch.setenv(k, "1")


def _config(tmp_path: Path, **changes) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump({**TINY, **changes}))
    return path


def _train(tmp_path: Path, out: str, *extra: str, **changes) -> int:
    return main(["train", "alphazero", "tic_tac_toe", "--config", str(_config(tmp_path, **changes)),
                 "--out", str(tmp_path / out), "--no-progress", *extra])


def _weights(run: Path) -> dict[str, torch.Tensor]:
    return load_safely(run / "checkpoint.pt")["model"]


def _same_weights(a: Path, b: Path) -> bool:
    wa, wb = _weights(a), _weights(b)
    return wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)


def _log(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]


# ---------------------------------------------------------------------------------------- pieces
def test_game_shares_split_every_game_once():
    assert game_shares(5, 2) == [3, 2]
    assert game_shares(2, 3) == [1, 1, 0]
    assert all(sum(game_shares(g, n)) == g for g in range(12) for n in range(1, 5))


def test_merge_keeps_actor_order_and_sums_counters():
    def part(value: float, n: int, games: int, length: float) -> SelfPlayData:
        return SelfPlayData(planes=np.full((n, 2, 3, 3), value, np.uint8), pi=np.full((n, 9), value, np.float32),
                            z=np.full(n, value, np.float32), games=games, first_player_wins=games, second_player_wins=0,
                            draws=0, mean_length=length, seconds=1.0, pi_next=np.zeros((n, 9), np.float32),
                            has_next=np.ones(n, np.bool_), searches=n, full_searches=n, simulations=8 * n)

    data = merge([part(1, 2, 1, 5.0), part(2, 3, 3, 7.0)], seconds=4.0)
    assert data.z.tolist() == [1, 1, 2, 2, 2] and data.planes.shape == (5, 2, 3, 3)
    assert (data.games, data.first_player_wins, data.positions, data.simulations) == (4, 4, 5, 40)
    assert data.mean_length == pytest.approx((5.0 + 3 * 7.0) / 4) and data.seconds == 4.0


# ---------------------------------------------------------------------------------------- local
def test_two_local_actors_play_every_game_and_leave_a_loadable_model(tmp_path, capsys, monkeypatch):
    assert _train(tmp_path, "run", "--actors", "2") == 0
    out = capsys.readouterr().out
    assert "self-play on 2 local actors" in out and "done: 2 iterations, 10 games" in out
    log = _log(tmp_path / "run")
    assert [row["games"] for row in log] == [5, 5] and log[-1]["total_games"] == 10
    assert all(row["positions"] > 0 and row["positions_per_second"] > 0 for row in log)
    state = load_safely(tmp_path / "run" / "checkpoint.pt")
    assert state["config"]["actors"] == 2 and state["counters"]["games_played"] == 10
    assert state["counters"]["positions_played"] == sum(row["positions"] for row in log)
    assert load_model_record(tmp_path / "run" / "best.pt")["info"]["games"] == 10
    import arena
    from arena import bots
    from arena.play.match import play_game

    env = arena.make("tic_tac_toe")
    record = play_game(env, [bots.make(f"az:{tmp_path / 'run' / 'best.pt'}", env, seed=0, playouts=8),
                             bots.make("random", env, seed=1)])
    assert record.moves

    # The processes compute exactly what the same actors compute in this process: a run on
    # in-process actors, stopped after iteration 1 and resumed (an iteration boundary), ends with
    # the weights and counters of the 2-process run.
    monkeypatch.setattr("arena.alphazero.actors.start_actors", lambda config, address=None: _InProcess(config))
    assert _train(tmp_path, "resumed", "--actors", "2", iterations=1) == 0
    assert main(["train", "alphazero", "tic_tac_toe", "--out", str(tmp_path / "resumed"), "--resume",
                 "--iterations", "2", "--no-progress"]) == 0
    assert "self-play on 2 local actors" in capsys.readouterr().out  # the stored actors value
    assert load_safely(tmp_path / "resumed" / "checkpoint.pt")["counters"]["games_played"] == 10
    assert _same_weights(tmp_path / "resumed", tmp_path / "run")
    # --actors on a resume overrides the stored value: 1 is the single-process path again.
    assert main(["train", "alphazero", "tic_tac_toe", "--out", str(tmp_path / "resumed"), "--resume",
                 "--iterations", "3", "--actors", "1", "--no-progress"]) == 0
    assert "self-play on" not in capsys.readouterr().out
    state = load_safely(tmp_path / "resumed" / "checkpoint.pt")
    assert state["config"]["actors"] == 1 and state["counters"]["games_played"] == 15


class _InProcess:
    """The actors of ``config`` run one after the other in this process (no start-up cost)."""

    backend = "local"

    def __init__(self, config: AlphaZeroConfig) -> None:
        self.actors = [SelfPlayActor(config.to_dict(), i) for i in range(config.actors)]

    def __len__(self) -> int:
        return len(self.actors)

    def play(self, weights, iteration, shares, on_move=None):
        return [a.play(weights, iteration, n, on_move) for a, n in zip(self.actors, shares, strict=True) if n > 0]

    def close(self) -> None:
        self.actors = []


def test_bad_actor_options_are_one_line(tmp_path, capsys):
    for extra, changes, message in [
            (["--actors", "0"], {}, "--actors must be >= 1, got 0"),
            (["--backend", "mpi"], {}, "argument --backend: invalid choice: 'mpi'"),
            (["--address", "auto"], {}, "--address applies to --backend ray only"),
            ([], {"actors": -1}, "config field 'actors' must be >= 1, got -1"),
            ([], {"backend": "mpi"}, "config field 'backend' must be 'local' or 'ray', got 'mpi'")]:
        assert _train(tmp_path, "x", *extra, **changes) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("arena: error: ") and "\n" not in err and message in err, err
    assert not (tmp_path / "x").exists()


def test_without_ray_the_error_is_one_line_naming_the_extra(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    assert _train(tmp_path, "x", "--actors", "2", "--backend", "ray") == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("arena: error: --backend ray needs Ray") and "\n" not in err
    assert "pip install 'arena-league[distributed]'" in err


def test_a_ray_address_where_nothing_answers_is_one_line_and_quick(tmp_path, capsys, monkeypatch):
    from test_league_ray import _free_port, _ray_or_skip

    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    _ray_or_skip()
    port = _free_port()  # closed again: nothing listens there
    start = time.perf_counter()
    assert _train(tmp_path, "x", "--actors", "2", "--backend", "ray", "--address", f"127.0.0.1:{port}") == 2
    assert time.perf_counter() - start < 60  # Ray alone would retry for minutes
    err = capsys.readouterr().err.strip()
    assert err.startswith("arena: error: cannot") and f"nothing answers at 127.0.0.1:{port}" in err
    assert "\n" not in err
    assert _train(tmp_path, "x", "--actors", "2", "--backend", "ray", "--address", "nonsense") == 2
    assert capsys.readouterr().err.strip() == "arena: error: --address must be auto or HOST:PORT, got 'nonsense'"


def test_an_actor_that_dies_mid_iteration_is_one_error_line():
    config = AlphaZeroConfig.from_dict({**TINY, "game": "tic_tac_toe", "games_per_iteration": 400})
    actors = LocalActors(config, 2)
    try:
        victim = actors.pids()[1]
        model_state = _fresh_weights(config)
        calls = []

        def on_move(positions: int, finished: int) -> None:
            if not calls:
                os.kill(victim, signal.SIGKILL)
            calls.append(positions)

        start = time.perf_counter()
        with pytest.raises(ActorError) as info:
            actors.play(model_state, 0, game_shares(400, 2), on_move)
        assert time.perf_counter() - start < 60  # an error, not a hang
        message = str(info.value)
        assert "\n" not in message and f"self-play actor 1 (pid {victim}) died" in message
        assert "--resume" in message
    finally:
        actors.close()
    assert all(not _alive(pid) for pid in (victim,))


def _fresh_weights(config: AlphaZeroConfig) -> dict[str, torch.Tensor]:
    from arena.alphazero.network import build_network
    from games.board.mnk import tic_tac_toe

    return build_network(tic_tac_toe(), config.blocks, config.channels, config.value_hidden).state_dict()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
    except (FileNotFoundError, ProcessLookupError):
        return ""


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def _arena(*args: str, **popen) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "arena.cli", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **popen)


@pytest.mark.slow
def test_kill_9_mid_iteration_then_resume_loses_and_doubles_no_game(tmp_path, monkeypatch):
    """The trainer is killed while its actors play iteration 2; the actors exit by themselves; the
    resumed run replays iteration 2 with the same seeds and ends bit-identical to a straight run."""
    config = _config(tmp_path, iterations=3, games_per_iteration=40, num_simulations=16)
    out = tmp_path / "killed"
    proc = _arena("train", "alphazero", "tic_tac_toe", "--config", str(config), "--out", str(out), "--no-progress",
                  "--actors", "2")
    try:
        deadline = time.time() + 240
        while not (out / "log.jsonl").exists() or not (out / "log.jsonl").read_text().strip():
            assert proc.poll() is None, proc.communicate()[1]
            assert time.time() < deadline, "the first iteration did not finish"
            time.sleep(0.1)
        actors = _children(proc.pid)
        assert len(actors) >= 2
        proc.send_signal(signal.SIGKILL)  # the trainer only: its actors must notice and exit
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    deadline = time.time() + 20
    while any(_alive(p) for p in actors) and time.time() < deadline:
        time.sleep(0.2)
    assert not any(_alive(p) for p in actors), "self-play actors outlived their trainer"
    state = load_safely(out / "checkpoint.pt")  # iteration 2 was playing (on a fast machine it may be 3)
    assert state["counters"]["iteration"] in (1, 2)
    assert state["counters"]["games_played"] == 40 * state["counters"]["iteration"]
    assert main(["train", "alphazero", "tic_tac_toe", "--out", str(out), "--resume", "--no-progress"]) == 0
    # The straight run on in-process actors (they equal the processes: the test above).
    monkeypatch.setattr("arena.alphazero.actors.start_actors", lambda config, address=None: _InProcess(config))
    assert main(["train", "alphazero", "tic_tac_toe", "--config", str(config), "--out", str(tmp_path / "straight"),
                 "--no-progress", "--actors", "2"]) == 0
    state = load_safely(out / "checkpoint.pt")
    assert state["counters"]["iteration"] == 3 and state["counters"]["games_played"] == 120
    assert _same_weights(out, tmp_path / "straight")


@pytest.mark.slow
def test_ctrl_c_stops_the_actors_without_tracebacks(tmp_path):
    config = _config(tmp_path, iterations=50, games_per_iteration=16, num_simulations=8)
    out = tmp_path / "run"
    proc = _arena("train", "alphazero", "tic_tac_toe", "--config", str(config), "--out", str(out), "--no-progress",
                  "--actors", "2", start_new_session=True)
    try:
        deadline = time.time() + 240
        while len(_children(proc.pid)) < 2 or not (out / "log.jsonl").exists():
            assert proc.poll() is None, proc.communicate()[1]
            assert time.time() < deadline, "the actors did not start"
            time.sleep(0.1)
        actors = _children(proc.pid)
        spawned = [p for p in actors if "spawn_main" in _cmdline(p)]  # the actors, not the resource tracker
        os.killpg(proc.pid, signal.SIGINT)  # a terminal's Ctrl-C: the whole process group
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert "arena: interrupted" in err
    # The actors are stopped (killed if busy) and joined before the trainer exits; multiprocessing's
    # resource tracker, also a child, leaves by itself once its pipe closes (about 2 s later).
    assert len(spawned) == 2 and not any(_alive(p) for p in spawned)
    deadline = time.time() + 30
    while any(_alive(p) for p in actors) and time.time() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in actors)


# ---------------------------------------------------------------------------------------- Ray
from test_league_ray import _ray_or_skip, cluster  # noqa: E402,F401 (the shared local Ray cluster)


@pytest.mark.slow
def test_ray_actors_on_a_local_cluster_equal_the_local_actors(cluster, tmp_path, capsys):  # noqa: F811
    _ray_or_skip()
    assert _train(tmp_path, "ray", "--actors", "2", "--backend", "ray", "--address", cluster) == 0
    with pytest.MonkeyPatch.context() as patch:  # the local result, on in-process actors (equal: above)
        patch.setattr("arena.alphazero.actors.start_actors", lambda config, address=None: _InProcess(config))
        assert _train(tmp_path, "local", "--actors", "2") == 0
    out = capsys.readouterr().out
    assert "self-play on 2 ray actors" in out and "done: 2 iterations, 10 games" in out
    assert [row["games"] for row in _log(tmp_path / "ray")] == [5, 5]
    assert _same_weights(tmp_path / "local", tmp_path / "ray")
