"""``arena plot RUN [RUN...]``: training curves of AlphaZero, MADDPG and PPO runs in one PNG."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from arena.cli import main
from arena.commands.plot import read_run

PNG = b"\x89PNG\r\n\x1a\n"


def alphazero_run(path: Path, iterations: int = 12) -> Path:
    path.mkdir(parents=True)
    with open(path / "log.jsonl", "w") as log:
        for i in range(1, iterations + 1):
            row = {"iteration": i, "loss": 3.0 - 0.1 * i, "value_loss": 0.5, "policy_loss": 2.5 - 0.1 * i}
            if i % 5 == 0:
                row.update({"win_rate_vs_mcts200": 0.1 * i / 2, "win_rate_vs_previous": 0.6, "elo": 10.0 * i})
            log.write(json.dumps(row) + "\n")
    (path / "config.yaml").write_text("game: tic_tac_toe\n")
    return path


def maddpg_run(path: Path, episodes: int = 200, agents: int = 3) -> Path:
    path.mkdir(parents=True)
    returns = np.linspace(-60, -20, episodes)[:, None] + np.arange(agents)[None, :]
    np.save(path / "returns.npy", returns)
    (path / "config.json").write_text("{}")
    return path


def ppo_run(path: Path, chunks: int = 6) -> Path:
    path.mkdir(parents=True)
    with open(path / "metrics.jsonl", "w") as log:
        for i in range(1, chunks + 1):
            row = {"env_steps": 256 * i, "mean_return": float("nan") if i == 1 else 0.1 * i,
                   "policy_loss": -0.01, "value_loss": 1.0 / i, "entropy": 1.9}
            log.write(json.dumps(row) + "\n")
    return path


def test_alphazero_curves(tmp_path: Path) -> None:
    curves = read_run(alphazero_run(tmp_path / "az"), "az")
    assert curves.kind == "alphazero"
    loss = curves.panels["AlphaZero loss"][1]
    assert set(loss) == {"az total", "az value", "az policy"}
    assert loss["az total"].x.tolist() == list(range(1, 13))
    rates = curves.panels["AlphaZero win rate (evaluations)"][1]
    assert rates["az vs mcts200"].x.tolist() == [5, 10]  # only the evaluated iterations
    assert rates["az vs mcts200"].y.tolist() == pytest.approx([0.25, 0.5])


def test_maddpg_curve_is_a_moving_average(tmp_path: Path) -> None:
    curves = read_run(maddpg_run(tmp_path / "spread", episodes=200), "spread")
    (title,) = curves.panels
    assert "4-episode average" in title  # 200 // 50
    series = curves.panels[title][1]["spread"]
    returns = np.load(tmp_path / "spread" / "returns.npy").mean(axis=1)
    assert series.x[0] == 4 and series.x[-1] == 200
    assert series.y[0] == pytest.approx(returns[:4].mean()) and series.y[-1] == pytest.approx(returns[-4:].mean())
    assert "10-episode" in next(iter(read_run(tmp_path / "spread", "s", window=10).panels))


def test_ppo_curves_skip_chunks_without_episodes(tmp_path: Path) -> None:
    curves = read_run(ppo_run(tmp_path / "soccer"), "soccer")
    returns = curves.panels["PPO mean episode return"][1]["soccer"]
    assert returns.x.tolist() == [512, 768, 1024, 1280, 1536]  # the first chunk had no finished episode
    assert {"PPO policy loss", "PPO value loss", "PPO entropy"} <= set(curves.panels)


def test_several_runs_on_one_figure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = [alphazero_run(tmp_path / "az1"), alphazero_run(tmp_path / "az2", 7), maddpg_run(tmp_path / "m"),
            ppo_run(tmp_path / "p")]
    out = tmp_path / "figs" / "all.png"
    assert main(["plot", *map(str, runs), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {out}: 8 panels" in printed and "az2 (alphazero)" in printed and "m (maddpg)" in printed
    data = out.read_bytes()
    assert data.startswith(PNG) and len(data) > 20_000
    assert not list(out.parent.glob("*.tmp"))


def test_default_out_is_inside_a_single_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = alphazero_run(tmp_path / "ttt")
    assert main(["plot", str(run)]) == 0
    assert (run / "curves.png").read_bytes().startswith(PNG)
    monkeypatch.chdir(tmp_path)
    assert main(["plot", "ttt", str(maddpg_run(tmp_path / "m"))]) == 0
    assert (tmp_path / "curves.png").is_file()


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: p, "does not exist"),
    (lambda p: (p.mkdir(), p)[1], "is not a training run: it holds no log.jsonl (AlphaZero), returns.npy"),
    (lambda p: (p.mkdir(), (p / "league.db").write_bytes(b""), p)[2], "it is a league: use `arena league report`"),
    (lambda p: (p.write_text("x"), p)[1], "is not a directory"),
    (lambda p: (p.mkdir(), (p / "returns.npy").write_bytes(b"\x93NUMPY garbage"), p)[2], "returns.npy cannot be read"),
    (lambda p: (p.mkdir(), (p / "returns.npy").write_bytes(os.urandom(300)), p)[2], "returns.npy cannot be read"),
    (lambda p: (p.mkdir(), (p / "log.jsonl").write_text('{"loss": 1}\nnot json\n{"loss": 2}\n'), p)[2],
     "log.jsonl: line 2 is not JSON"),
    (lambda p: (p.mkdir(), (p / "log.jsonl").write_bytes(b"\xff\xfe\x00binary"), p)[2], "is not a text file"),
    (lambda p: (p.mkdir(), (p / "metrics.jsonl").write_text(""), p)[2], "has no finished ppo"),
    (lambda p: (p.mkdir(), (p / "metrics.jsonl").write_text("[1, 2]\n"), p)[2], "line 1 is not a JSON object"),
])
def test_bad_runs_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], make, message: str) -> None:
    path = make(tmp_path / "run")
    assert main(["plot", str(path), "--out", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("arena: error:") and message in err and err.count("\n") == 1, err
    assert not (tmp_path / "x.png").exists()


def test_a_line_cut_by_a_kill_is_ignored(tmp_path: Path) -> None:
    run = alphazero_run(tmp_path / "az", 3)
    with open(run / "log.jsonl", "a") as log:
        log.write('{"iteration": 4, "lo')
    assert len(read_run(run, "az").panels["AlphaZero loss"][1]["az total"].x) == 3


def test_out_must_be_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plot", str(alphazero_run(tmp_path / "az")), "--out", str(tmp_path / "x.pdf")]) == 2
    assert "ending in .png" in capsys.readouterr().err


@pytest.mark.slow
def test_a_real_ppo_run_plots_and_writes_tensorboard_scalars(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sumo"
    assert main(["train", "ppo", "Sumo-2T1P", "--steps", "512", "--set", "num_envs=2", "--set", "num_steps=128",
                 "--out", str(out), "--no-progress"]) == 0
    assert main(["train", "ppo", "Sumo-2T1P", "--steps", "768", "--out", str(out), "--resume", "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["plot", str(out)]) == 0
    assert (out / "curves.png").read_bytes().startswith(PNG)
    # PPO writes TensorBoard scalars like the other trainers; a resumed run continues the curve
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    # Each run's events file on its own: read as one directory, two files created in the same second
    # by one process sort by a per-process counter as text (".10" before ".9"), and TensorBoard's
    # reader then takes the earlier steps for a restart and drops the later ones.
    steps = []
    files = sorted((out / "tb").glob("events.out.tfevents.*"))
    assert len(files) == 2  # the first run's and the resumed run's
    for file in files:
        events = EventAccumulator(str(file))
        events.Reload()
        assert "ppo/value_loss" in events.Tags()["scalars"]
        steps += [e.step for e in events.Scalars("ppo/value_loss")]
    assert sorted(steps) == [256, 512, 768]
