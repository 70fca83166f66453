"""`arena watch`: bots play, drawn live; --save writes a GIF with one frame per step plus one per episode."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import arena
from arena.bots import RandomBot
from arena.play.watch import frame_count, make_watch_env, watch

pexpect = pytest.importorskip("pexpect")
REPO = Path(__file__).resolve().parents[1]


def test_watch_sumo_in_a_terminal_saves_a_gif_with_the_expected_frames(tmp_path: Path) -> None:
    gif = tmp_path / "x.gif"
    env = dict(os.environ, TERM="xterm", LANG="C.UTF-8")
    child = pexpect.spawn(sys.executable, ["-m", "arena", "watch", "Sumo-2T1P", "--team", "red=random",
                                           "--team", "blue=random", "--episodes", "2", "--fps", "0",
                                           "--save", str(gif)], cwd=str(REPO), env=env, encoding="utf-8",
                          timeout=120, dimensions=(24, 80))
    child.expect("loading")
    child.expect(r"episode 1/2  step \d+")
    child.expect(pexpect.EOF)
    out = child.before
    child.close()
    assert child.exitstatus == 0, out
    steps = [int(s) for s in re.findall(r"\((\d+) steps\)", out)]
    assert len(steps) == 2
    assert f"saved {gif}: {sum(steps) + 2} frames" in out
    assert frame_count(gif) == sum(steps) + 2  # the opening frame of each episode + one per step


def test_watch_text_only_games_and_board_games_become_frames(tmp_path: Path) -> None:
    env = make_watch_env("rock_paper_scissors", {"num_rounds": 4}, video=True)
    summary = watch(env, [RandomBot(0), RandomBot(1)], ["random", "random"], fps=0, save=tmp_path / "r.gif",
                    seed=0, live=False)
    assert summary.frames == 5 and frame_count(tmp_path / "r.gif") == 5
    board = arena.make("tic_tac_toe")
    summary = watch(board, [RandomBot(0), RandomBot(1)], ["a", "b"], fps=0, save=tmp_path / "t.gif", seed=0,
                    live=False)
    assert summary.frames == summary.steps[0] + 1


def test_watch_bad_inputs_are_one_line_errors(tmp_path: Path) -> None:
    for args, needle in [(["--team", "green=random"], "sides are red, blue"),
                         (["--team", "red"], "SIDE=SPEC"),
                         (["--save", str(tmp_path / "x.avi")], ".gif"),
                         (["--episodes", "0"], "--episodes")]:
        run = subprocess.run([sys.executable, "-m", "arena", "watch", "Sumo-2T1P", *args], cwd=REPO,
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 2 and needle in run.stderr and "Traceback" not in run.stderr, run.stderr
