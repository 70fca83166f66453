"""Progress where people wait: inside an AlphaZero iteration (games and positions as they finish)
and in ``arena eval`` (episodes as they finish, on a terminal only)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from arena.cli import main


def test_alphazero_progress_moves_inside_an_iteration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from arena.alphazero import trainer
    from arena.alphazero.config import AlphaZeroConfig

    seen: list[tuple[int, int, int]] = []
    status = trainer._status

    def recording(finished: int, total: int, rate: float, latest: dict, positions: int = 0) -> str:
        seen.append((finished, total, positions))
        return status(finished, total, rate, latest, positions)

    monkeypatch.setattr(trainer, "_status", recording)
    config = AlphaZeroConfig(game="tic_tac_toe", num_simulations=8, games_per_iteration=6, selfplay_batch=2,
                             train_steps=1, batch_size=16, min_replay=16, eval_every=0, iterations=1,
                             tensorboard=False, threads=1)
    trainer.train(config, tmp_path / "ttt", show_progress=True, print_fn=lambda line: None)
    inside = [s for s in seen if s[0] < s[1]]
    assert len(inside) >= 6, seen  # one update per move of the lockstep games, before the iteration ends
    positions = [p for _, _, p in seen]
    assert positions == sorted(positions) and positions[-1] > positions[0] > 0
    assert seen[-1][0] == seen[-1][1] == 6
    last = json.loads((tmp_path / "ttt" / "log.jsonl").read_text().splitlines()[-1])
    assert positions[-1] == last["positions"]
    assert "positions 5" in status(2, 6, 10.0, {}, 5) and "games 2/6" in status(2, 6, 10.0, {}, 5)


@pytest.fixture(scope="module")
def maddpg_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("eval") / "spread"
    assert main(["train", "maddpg", "mpe2.simple_spread_v3", "--episodes", "8", "--out", str(out),
                 "--no-progress"]) == 0
    return out


def test_evaluate_reports_episodes_as_they_finish(maddpg_run: Path) -> None:
    from arena.marl.maddpg import evaluate, load_run

    counts: list[int] = []
    result = evaluate(load_run(maddpg_run), 20, on_episode=counts.append)
    assert result["episodes"] == 20
    assert counts == sorted(counts) and counts[-1] == 20 and len(counts) >= 3  # 8 copies: 8, 16, 20


def test_eval_shows_progress_on_a_terminal_only(maddpg_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # In a pipe (here: captured) the output is only the table
    assert main(["eval", str(maddpg_run), "--episodes", "10"]) == 0
    printed = capsys.readouterr().out
    assert "mean per agent" in printed and "/10" not in printed and "━" not in printed
    pexpect = pytest.importorskip("pexpect")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1", "COLUMNS": "120"}
    child = pexpect.spawn(sys.executable, ["-m", "arena", "eval", str(maddpg_run), "--episodes", "40"], env=env,
                          encoding="utf-8", timeout=120, dimensions=(30, 120))
    child.expect(pexpect.EOF)
    child.close()
    screen = child.before
    assert child.exitstatus == 0, screen
    assert "episodes" in screen and "/40" in screen, screen  # the bar
    assert "mean per agent" in screen
