"""`arena train ppo`: train, resume from the atomic checkpoint, and one-line errors (run in-process
through :func:`arena.cli.main`: same parser and error handling, no second torch import)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import arena
from arena import bots
from arena.cli import main

TINY = ["--set", "num_envs=4", "--set", "num_steps=25", "--set", "hidden_sizes=[16]", "--no-progress"]


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_train_then_resume(tmp_path, capsys) -> None:
    out = tmp_path / "run"
    code, stdout, _ = run_main(capsys, "train", "ppo", "rock_paper_scissors", "--steps", "200", "--out", str(out), *TINY)
    assert code == 0 and "200 env steps" in stdout
    state = torch.load(out / "checkpoint.pt", weights_only=True)
    assert state["env_steps"] == 200 and state["config"]["num_envs"] == 4
    assert not list(out.glob("*.tmp"))
    code, stdout, _ = run_main(capsys, "train", "ppo", "rock_paper_scissors", "--steps", "300", "--out", str(out),
                               "--resume", "--no-progress")
    assert code == 0 and "300 env steps" in stdout
    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [line["env_steps"] for line in lines] == [100, 200, 300]

    # the run plays as a bot: ppo:<run dir>
    env = arena.make("rock_paper_scissors")
    bot = bots.make(f"ppo:{out}", env, seed=0)
    assert bot.act(env.reset(seed=0)[0]["player_0"], np.ones(3, np.int8)) in (0, 1, 2)
    with pytest.raises(bots.BotSpecError, match="trained on agents player_0, player_1"):
        bots.make(f"ppo:{out}", arena.make("Sumo-2T1P"))
    with pytest.raises(bots.BotSpecError, match="does not exist"):
        bots.make(f"ppo:{out / 'missing.pt'}", env)


@pytest.mark.parametrize(("args", "fragment"), [
    (["--set", "lr=-1"], "lr must be > 0"),
    (["--set", "learning_rate=1"], "unknown field 'learning_rate'"),
    (["--resume"], "does not exist"),
    (["--steps", "0"], "argument --steps: must be >= 1"),
])
def test_bad_input_is_one_line(tmp_path, capsys, args: list[str], fragment: str) -> None:
    code, _, err = run_main(capsys, "train", "ppo", "rock_paper_scissors", "--out", str(tmp_path / "r"), *args)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("arena: error:") and fragment in lines[0], err
