"""tools/bench_maddpg.py: the Arena 2-D env key (team red vs a random team) and the wall time
that training records in the run directory."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

import arena

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))

import bench_maddpg  # noqa: E402  (tools/ is not a package)

from arena.marl.maddpg import read_metrics  # noqa: E402

TINY = {"num_envs": 2, "batch_size": 32, "learning_starts": 64, "buffer_size": 5000, "update_every": 50,
        "hidden_sizes": (16, 16)}


def _play(env: object, seed: int, steps: int) -> list[tuple]:
    obs, _ = env.reset(seed=seed)
    trace = [tuple(np.round(obs["red_0"][:4], 5))]
    for _ in range(steps):
        obs, rewards, _, _, _ = env.step({a: 6 for a in env.agents})  # 6 = turn right: opponents do the moving
        trace.append((tuple(np.round(obs["red_0"][:12], 5)), rewards["red_0"], rewards["red_1"]))
    return trace


def test_vs_random_team_shows_one_team_and_replays_a_seed():
    env = arena.make("vs-random-team", game="BlowBlow-2T2P", team="red")
    assert env.possible_agents == ["red_0", "red_1"]
    assert env.opponents == ["blue_0", "blue_1"]
    obs, _ = env.reset(seed=3)
    assert set(obs) == {"red_0", "red_1"}
    assert env.action_space("red_0").n == len(env.env.action_names)
    assert _play(env, 3, 30) == _play(env, 3, 30)  # the random opponents are seeded by reset
    assert _play(env, 3, 30) != _play(env, 4, 30)
    with pytest.raises(ValueError, match="no team 'green'; its teams are blue, red"):
        arena.make("vs-random-team", game="BlowBlow-2T2P", team="green")


def test_blowblow_key_trains_resumes_and_reuses_with_the_runs_own_wall_time(tmp_path):
    kwargs = {"random_episodes": 2, "window": 2}
    row = bench_maddpg.bench_env("blowblow", 4, tmp_path, TINY, False, eval_episodes=2, **kwargs)
    assert row["env"] == "vs-random-team" and row["agents"] == ["red_0", "red_1"]
    assert row["episodes"] == 4 and len(row["curve_per_team"]["red"]) == 2
    assert set(row["random_per_team"]) == {"red"} and set(row["greedy_eval_per_team"]) == {"red"}
    assert row["config"]["checkpoint_every"] == 2 and row["updates"] > 0

    first = read_metrics(tmp_path / "blowblow")
    assert first["episodes"] == 4 and [c["episode"] for c in first["checkpoints"]] == [2, 4]

    row = bench_maddpg.bench_env("blowblow", 6, tmp_path, {}, False, **kwargs)  # resumes to 6 episodes
    metrics = read_metrics(tmp_path / "blowblow")
    assert [c["episode"] for c in metrics["checkpoints"]] == [2, 4, 6]
    assert metrics["checkpoints"][:2] == first["checkpoints"]
    assert metrics["wall_seconds"] > first["wall_seconds"] > 0
    assert row["train_seconds"] == metrics["wall_seconds"]
    assert len(row["train_seconds_per_window"]) == 3 and all(x is not None for x in row["train_seconds_per_window"])

    reused = bench_maddpg.bench_env("blowblow", 6, tmp_path, {}, True, **kwargs)
    assert reused["train_seconds"] == row["train_seconds"] and reused["curve_per_team"] == row["curve_per_team"]


def test_command_line_runs_the_blowblow_key_and_plots(tmp_path, monkeypatch, capsys):
    sets = [arg for key, value in TINY.items()
            for arg in ("--set", f"{key}={','.join(map(str, value)) if isinstance(value, tuple) else value}")]
    png = tmp_path / "curves.png"
    monkeypatch.setattr(sys, "argv", ["bench_maddpg.py", "--envs", "blowblow", "--episodes", "2", "--window", "1",
                                      "--random-episodes", "1", "--out", str(tmp_path), "--plot", str(png),
                                      "--eval-episodes", "1", "--json", *sets])
    assert bench_maddpg.main() == 0
    (row,) = json.loads(capsys.readouterr().out)["rows"]
    assert row["title"] == "BlowBlow-2T2P: red (MADDPG) vs random" and row["episodes"] == 2
    assert png.stat().st_size > 0 and row["seed"] == 0 and (tmp_path / "blowblow" / "seed0" / "greedy.json").exists()
    monkeypatch.setattr(sys, "argv", ["bench_maddpg.py", "--envs", "blowblw"])
    assert bench_maddpg.main() == 2
    assert "unknown env blowblw" in capsys.readouterr().err


def test_update_rounds_quick_mode_times_three_implementations(capsys):
    result = bench_maddpg.bench_update_rounds(4, {"batch_size": 32, "hidden_sizes": "16,16"}, block=2)
    assert set(result["rounds_per_second"]) == {"reference", "per-agent", "stacked"}
    assert all(rate > 0 for rate in result["rounds_per_second"].values())
    assert result["speedup_vs_reference"]["reference"] == 1.0 and result["rounds_each"] == 4
    assert all(ms > 0 for ms in result["cpu_ms_per_round"].values())
    sys.argv = ["bench_maddpg.py", "--update-rounds", "2", "--set", "batch_size=16", "--set", "hidden_sizes=8"]
    assert bench_maddpg.main() == 0
    assert "stacked" in capsys.readouterr().out
    threaded = bench_maddpg.bench_update_rounds(4, {"batch_size": 32, "hidden_sizes": "16,16"}, block=2, threads=(1, 2))
    assert set(threaded["rounds_per_second"]) == {"reference", "per-agent", "stacked", "stacked x2"}
    assert bench_maddpg.torch.get_num_threads() == 1  # the bench leaves one thread behind
    sys.argv = ["bench_maddpg.py", "--update-rounds", "2", "--update-threads", "1,0"]
    assert bench_maddpg.main() == 2
    assert "--update-threads '1,0': give thread counts >= 1" in capsys.readouterr().err
