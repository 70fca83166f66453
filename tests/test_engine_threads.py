"""Threads in the batched engines: the threaded kernels give the serial kernels' results to the
bit (the 2-D engine on built-in games and on a game it has never seen, with and without images),
and the timing guard runs whichever version is faster."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numba
import numpy as np
import pytest

from arena.env.threads import ThreadChoice, check_threads
from games.arena2d import make_batched
from games.arena2d.builder import load_game
from games.arena2d.builder import make_batched as make_from_definition

needs_two = pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="numba has one thread here")

USER_GAME = """\
name: Tag-2T1P
playground: {width: 12, height: 12, border: dead}
agents:
  - {name: runner, x: -3, y: 0, spawn_jitter: 1.0}
  - {name: chaser, x: 3, y: 0, angle: 180, spawn_jitter: 1.0, gun: {ammo: 3}}
bodies:
  - {name: crate, shape: box, x: 0, y: 2, width: 1.0, height: 1.0, spawn_jitter: 0.5}
zones:
  - {name: goal, x: 0, y: -4, radius: 1.0}
tree:
  condition: AllLiving
  schemes: [{type: Ranking, mode: Survive}]
  children:
    - {agent: runner, schemes: [{type: InZone, entity: runner, zone: goal}]}
    - {agent: chaser}
max_steps: 30
"""


def _same_steps(one, two, steps: int, seed: int) -> int:
    """Step two engines with the same random actions; assert equal outputs; return episodes ended."""
    o1, o2 = one.reset(seed=seed), two.reset(seed=seed)
    for a in one.possible_agents:
        x, y = o1[a], o2[a]
        for k in (x if isinstance(x, dict) else {"": x}):
            np.testing.assert_array_equal(x[k] if k else x, y[k] if k else y)
    rng = np.random.default_rng(seed)
    space = one.action_space(one.possible_agents[0])
    ended = 0
    for _ in range(steps):
        if hasattr(space, "n"):
            actions = {a: rng.integers(0, space.n, size=one.num_envs) for a in one.possible_agents}
        else:
            actions = {a: rng.uniform(-1, 1, size=(one.num_envs, space.shape[0])) for a in one.possible_agents}
        r1, r2 = one.step(actions), two.step(actions)
        for part in (0, 1, 2, 3):
            for a in one.possible_agents:
                x, y = r1[part][a], r2[part][a]
                for k in (x if isinstance(x, dict) else {"": x}):
                    np.testing.assert_array_equal(x[k] if k else x, y[k] if k else y)
        for a in one.possible_agents:
            if "final_observation" in r1[4][a]:
                x, y = r1[4][a]["final_observation"], r2[4][a]["final_observation"]
                for k in (x if isinstance(x, dict) else {"": x}):
                    np.testing.assert_array_equal(x[k] if k else x, y[k] if k else y)
        ended += int(np.logical_or(r1[2][one.possible_agents[0]], r1[3][one.possible_agents[0]]).sum())
    return ended


@needs_two
@pytest.mark.parametrize("game", ["Soccer-2T2P", "Gunner-2T1P", "BlowBlow-2T2P"])
def test_threaded_2d_kernels_equal_the_serial_ones(game: str) -> None:
    one = make_batched(game, 48)
    two = make_batched(game, 48, num_threads=2)
    two.threads.pin(True)
    _same_steps(one, two, 40, seed=3)


@needs_two
@pytest.mark.parametrize("images", [False, True])
def test_threaded_kernels_on_a_users_game(tmp_path: Path, images: bool) -> None:
    path = tmp_path / "tag.yaml"
    path.write_text(USER_GAME)
    game = load_game(str(path))
    if images:
        game = replace(game, observation=replace(game.observation, image_size=12))
    one = make_from_definition(game, 32)
    two = make_from_definition(game, 32, num_threads=2)
    two.threads.pin(True)
    ended = _same_steps(one, two, 70, seed=5)
    assert ended > 0  # autoreset's final observations were compared too


def test_thread_counts_are_checked_in_one_line() -> None:
    with pytest.raises(ValueError, match="num_threads must be >= 1, got 0"):
        make_batched("Soccer-2T2P", 4, num_threads=0)
    with pytest.raises(ValueError, match=r"more than the \d+ threads numba may use \(set NUMBA_NUM_THREADS"):
        check_threads(10_000, "x")
    with pytest.raises(ValueError, match="must be an integer"):
        check_threads("two", "x")
    assert not ThreadChoice(1).begin()  # one thread: always the serial kernels


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@needs_two
@pytest.mark.parametrize(("serial_s", "threaded_s", "expect_threaded"), [(2.0, 1.0, True), (1.0, 3.0, False)])
def test_the_guard_runs_the_faster_version(monkeypatch: pytest.MonkeyPatch, serial_s: float, threaded_s: float,
                                           expect_threaded: bool) -> None:
    clock = _Clock()
    monkeypatch.setattr("arena.env.threads.time.perf_counter", clock)
    choice = ThreadChoice(2)
    used = []
    for _ in range(400):
        threaded = choice.begin()
        used.append(threaded)
        clock.now += threaded_s if threaded else serial_s
        choice.end()
        clock.now += 0.001
    assert choice.threaded is expect_threaded
    late = used[200:]
    share = sum(u == expect_threaded for u in late) / len(late)
    assert share > 0.9  # trials of the slower version are rare
    assert any(u != expect_threaded for u in used)  # but it was tried


def _train(capsys: pytest.CaptureFixture, out: Path, *args: str) -> None:
    from arena.cli import main

    code = main(list(args) + ["--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err


@needs_two
def test_learners_give_the_same_run_on_two_engine_threads(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """``env_threads`` only changes the speed: PPO on a 2-D game and MADDPG on a particle world
    learn the same weights as on one thread."""
    import torch

    ppo = ["train", "ppo", "Soccer-2T1P", "--steps", "256", "--set", "num_envs=8", "--set", "num_steps=16",
           "--set", "hidden_sizes=[16]", "--no-progress"]
    maddpg = ["train", "maddpg", "simple_spread_v3", "--episodes", "24", "--env-arg", "max_cycles=5",
              "--set", "batch_size=32", "--set", "learning_starts=64", "--set", "update_every=16",
              "--set", "hidden_sizes=16,16", "--set", "buffer_size=5000", "--set", "tensorboard=false",
              "--num-envs", "8", "--no-progress"]
    for name, args in (("ppo", ppo), ("maddpg", maddpg)):
        runs = []
        for threads in (1, 2):
            out = tmp_path / f"{name}{threads}"
            _train(capsys, out, *args, "--set", f"env_threads={threads}")
            runs.append(torch.load(next(out.glob("*.pt")), map_location="cpu", weights_only=False))
        flat = [torch.nn.utils.parameters_to_vector([t for t in _tensors(r)]) for r in runs]
        assert flat[0].numel() > 0
        assert torch.equal(flat[0], flat[1]), name


def _tensors(obj: object) -> list:
    import torch

    if isinstance(obj, torch.Tensor):
        return [obj.float().flatten()] if obj.is_floating_point() else []
    if isinstance(obj, dict):
        return [t for k in sorted(obj, key=str) for t in _tensors(obj[k])]
    if isinstance(obj, list | tuple):
        return [t for v in obj for t in _tensors(v)]
    return []


def test_bench_envs_interleaves_the_thread_counts_it_compares(monkeypatch: pytest.MonkeyPatch) -> None:
    """tools/bench_envs.py times the thread counts of one batch size trial by trial in turn, so a slow
    spell of a shared machine cannot fall on one of them only; each keeps its fastest trial."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    import bench_envs

    clock = {"t": 0.0}
    calls: list[str] = []
    monkeypatch.setattr(bench_envs.time, "perf_counter", lambda: clock["t"])
    monkeypatch.setattr(bench_envs.time, "process_time", lambda: clock["t"])
    monkeypatch.setattr(bench_envs, "REPEATS", 4)

    def stepper(name: str, cost: list[float]) -> object:
        def step() -> None:
            trial = sum(1 for c in calls if c == name) // 10  # 10 steps a trial (min_steps)
            calls.append(name)
            clock["t"] += cost[trial]
        return step

    # "a" is slow in its 2nd trial only (a busy spell), "b" costs the same every trial.
    best = bench_envs._time_interleaved([stepper("a", [1.0, 5.0, 1.0, 1.0]), stepper("b", [2.0] * 4)], 0.0)
    trials = [calls[i] for i in range(0, len(calls), 10)]
    assert trials == ["a", "b"] * 4
    assert best[0] == (10, 10.0, 10.0) and best[1] == (10, 20.0, 20.0)

    monkeypatch.undo()
    rows = bench_envs.bench_batched("Soccer-2T2P", 4, 0.0, [1])
    assert [r["threads"] for r in rows] == [1] and rows[0]["agent_steps_per_s"] > 0
