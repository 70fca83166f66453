"""`arena train maddpg`, `arena eval` and watching, run as a user would.

Each subprocess pays for a fresh torch import, so only the first test runs the real command
line; the others call :func:`arena.cli.main` in this process (same parser, same error handling).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from arena.cli import main

TINY = ["--set", "batch_size=32", "--set", "learning_starts=64", "--set", "update_every=16",
        "--set", "hidden_sizes=16,16", "--set", "buffer_size=5000", "--num-envs", "4", "--no-progress"]


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "arena", *args], capture_output=True, text=True, timeout=timeout)


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> subprocess.CompletedProcess:
    """``arena ARGS`` in this process, shaped like a subprocess result."""
    code = main(list(args))
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(list(args), code, captured.out, captured.err)


def one_line_error(proc: subprocess.CompletedProcess, fragment: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("arena: error:") and fragment in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_train_eval_resume_and_watch_on_the_command_line(tmp_path, capsys):
    out = tmp_path / "rps"
    proc = run_cli("train", "maddpg", "rock_paper_scissors", "--episodes", "12", "--out", str(out),
                   "--env-arg", "num_rounds=5", "--set", "checkpoint_every=4", *TINY)
    assert proc.returncode == 0, proc.stderr
    assert "trained 12 episodes" in proc.stdout
    assert (out / "checkpoint.pt").exists() and (out / "tb").is_dir()

    proc = run_cli("eval", str(out), "--episodes", "6", "--json")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1
    result = json.loads(lines[0])
    assert result["episodes"] == 6 and set(result["per_agent"]) == {"player_0", "player_1"}
    # zero-sum: the two players' mean returns cancel
    assert abs(result["per_agent"]["player_0"] + result["per_agent"]["player_1"]) < 1e-9
    assert set(result["per_team"]) == {"player"}

    proc = run_main(capsys, "train", "maddpg", "rock_paper_scissors", "--episodes", "20", "--out", str(out),
                    "--resume", "--no-progress")
    assert proc.returncode == 0, proc.stderr
    assert "trained 20 episodes" in proc.stdout

    proc = run_main(capsys, "eval", str(out), "--episodes", "1", "--render", "--fps", "0")
    assert proc.returncode == 0, proc.stderr
    assert "round 1/5" in proc.stdout and "episode 1 over after 5 steps" in proc.stdout


def test_watch_draws_an_mpe_world(tmp_path, capsys):
    out = tmp_path / "spread"
    proc = run_main(capsys, "train", "maddpg", "mpe2.simple_spread_v3", "--episodes", "8", "--out", str(out),
                   "--env-arg", "max_cycles=5", "--set", "tensorboard=false", *TINY)
    assert proc.returncode == 0, proc.stderr
    proc = run_main(capsys, "eval", str(out), "--episodes", "1", "--render", "--fps", "0")
    assert proc.returncode == 0, proc.stderr
    assert "A=agent_0 B=agent_1 C=agent_2" in proc.stdout and "+-----" in proc.stdout
    assert "episode 1 over after 5 steps" in proc.stdout


def test_bad_env_name_is_a_one_line_error_with_exit_2(tmp_path):
    one_line_error(run_cli("train", "maddpg", "no_such_game", "--out", str(tmp_path / "a")), "unknown game")


def test_user_mistakes_are_one_line_errors(tmp_path, capsys):
    def check(fragment: str, *args: str) -> None:
        one_line_error(run_main(capsys, *args), fragment)

    check("turn-based", "train", "maddpg", "tic_tac_toe", "--out", str(tmp_path / "b"))
    check("cannot import", "train", "maddpg", "mpe2.no_such_env_v0", "--out", str(tmp_path / "b"))
    check("did you mean lr_actor", "train", "maddpg", "rock_paper_scissors", "--out", str(tmp_path / "c"),
          "--set", "lr_actr=0.1")
    check("must look like KEY=VALUE", "train", "maddpg", "rock_paper_scissors", "--out", str(tmp_path / "c"),
          "--set", "lr_actor")
    check("colour", "train", "maddpg", "rock_paper_scissors", "--out", str(tmp_path / "c"),
          "--env-arg", "colour=red")
    check("no checkpoint.pt", "train", "maddpg", "rock_paper_scissors", "--out", str(tmp_path / "d"), "--resume")
    check("does not exist", "train", "maddpg", "rock_paper_scissors", "--out", str(tmp_path / "e"),
          "--config", str(tmp_path / "missing.yaml"))
    check("does not exist", "eval", str(tmp_path / "nothing"))
    (tmp_path / "notarun").mkdir()
    check("is not a run directory of `arena train maddpg` or `arena train ppo`", "eval", str(tmp_path / "notarun"))


def test_train_on_the_batched_port_with_num_envs_then_eval_and_watch(tmp_path, capsys):
    out = tmp_path / "port"
    proc = run_main(capsys, "train", "maddpg", "simple_spread_v3", "--episodes", "32", "--out", str(out),
                    "--env-arg", "max_cycles=5", "--set", "tensorboard=false", *TINY, "--num-envs", "16")
    assert proc.returncode == 0, proc.stderr
    assert "trained 32 episodes of simple_spread_v3" in proc.stdout
    assert json.loads((out / "config.json").read_text())["config"]["num_envs"] == 16
    proc = run_main(capsys, "eval", str(out), "--episodes", "3", "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["episodes"] == 3
    proc = run_main(capsys, "eval", str(out), "--episodes", "1", "--render", "--fps", "0")
    assert proc.returncode == 0, proc.stderr
    assert "episode 1 over after 5 steps" in proc.stdout
