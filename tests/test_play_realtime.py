"""Real-time `arena play` on simultaneous-move games, driven through a pseudo-terminal as a person would."""

from __future__ import annotations

import io
import os
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import arena
from arena.bots import RandomBot
from arena.play.controls import KeyboardBot, bindings_for
from arena.play.keys import parse_keys
from arena.play.parallel_loop import play_parallel_episode, seats_of
from arena.play.realtime import play_realtime
from arena.play.view import draw_field, strip_ansi

pexpect = pytest.importorskip("pexpect")

REPO = Path(__file__).resolve().parents[1]
TIMEOUT = 60


def spawn(*args: str, color: bool = True) -> pexpect.spawn:
    env = dict(os.environ, TERM="xterm", LANG="C.UTF-8", COLUMNS="80", LINES="24")
    if not color:
        env["NO_COLOR"] = "1"
    env.pop("ARENA_DEBUG", None)
    return pexpect.spawn(sys.executable, ["-m", "arena", *args], cwd=str(REPO), env=env, encoding="utf-8",
                         timeout=TIMEOUT, dimensions=(24, 80))


def finish(child: pexpect.spawn) -> tuple[int, str]:
    child.expect(pexpect.EOF)
    rest = child.before
    child.close()
    return child.exitstatus, rest


# ---------------------------------------------------------------- pure parts
def test_keys_and_bindings_list_only_the_games_actions() -> None:
    assert parse_keys("w\x1b[Dq\x04") == ["w", "left", "q", "ctrl-d"]
    soccer = bindings_for(arena.make("Soccer-2T1P"), "red_0")
    help_text = " ".join(soccer.help_text())
    assert "forward" in help_text and "turn_left" in help_text
    assert "attack" not in help_text and "blow" not in help_text  # Soccer has neither
    assert soccer.action_for(["w"]) == soccer.names.index("forward")
    assert soccer.action_for([]) is None
    gunner = bindings_for(arena.make("Gunner-2T1P"), "red")
    assert gunner.action_for([" "]) == gunner.names.index("attack")
    # continuous 2-D actions: keys push the Box axes (forward, strafe, turn)
    box = bindings_for(arena.make("Soccer-2T1P", actions="continuous"), "red_0")
    assert np.allclose(box.action_for(["w", "a"]), [1.0, 1.0, 0.0])
    tag = bindings_for(arena.make("mpe2.simple_tag_v3"), "agent_0")
    assert tag.names == ["no_action", "move_left", "move_right", "move_down", "move_up"]
    assert tag.action_for(["up"]) == 4
    tag_box = bindings_for(arena.make("mpe2.simple_tag_v3", continuous_actions=True), "agent_0")
    assert np.allclose(tag_box.action_for(["a"]), [0, 1, 0, 0, 0])


def test_keyboard_bot_holds_a_key_briefly_then_idles() -> None:
    now = [0.0]
    bot = KeyboardBot(bindings_for(arena.make("Soccer-2T1P"), "red_0"), hold=0.3, clock=lambda: now[0])
    forward = bot.bindings.names.index("forward")
    bot.press(["w"])
    assert bot.act() == forward
    now[0] = 0.2
    assert bot.act() == forward  # the terminal's key repeat has not started yet
    now[0] = 0.6
    assert bot.act() == 0  # released: none


def test_scripted_session_scores_every_episode_and_fits_the_screen() -> None:
    env = arena.make("rock_paper_scissors", num_rounds=3, render_mode="ansi")
    script = iter([["1"], ["2"], ["3"], [], [], [], [], [], []])
    out = io.StringIO()

    def read_keys(timeout: float) -> list[str]:
        time.sleep(timeout)
        return next(script, [])

    summary = play_realtime(env, "player_0", [RandomBot(0)], read_keys=read_keys, output=out, fps=100, episodes=2,
                            seed=0, clear=False, between=0.0)
    assert len(summary.results) == 2 and not summary.interrupted
    assert set(summary.results) <= {"win", "loss", "draw"}
    assert "rock" in out.getvalue() and "W-D-L" in out.getvalue()
    for name in ("Soccer-2T2P", "Sumo-2T1P", "CaptureTheFlag-2T2P", "mpe2.simple_tag_v3"):
        env = arena.make(name)
        env.reset(seed=0)
        lines = draw_field(env, env.possible_agents[0], color=True)
        assert len(lines) <= 17 and max(len(strip_ansi(line)) for line in lines) <= 80


def test_parallel_loop_seats_sides_and_box_actions() -> None:
    env = arena.make("Soccer-2T2P")
    assert seats_of(env, 2) == [["red_0", "red_1"], ["blue_0", "blue_1"]]
    result = play_parallel_episode(env, [RandomBot(0), RandomBot(1)], seed=0, max_steps=20)
    assert result.steps == 20 and len(result.scores) == 2
    box = arena.make("mpe2.simple_tag_v3", continuous_actions=True)
    result = play_parallel_episode(box, [RandomBot(0), RandomBot(1)], seed=0)
    assert result.steps == 25 and set(result.returns) == set(box.possible_agents)


# ---------------------------------------------------------------- as a person would
def test_play_soccer_against_random_in_a_terminal() -> None:
    child = spawn("play", "Soccer-2T1P", "--opponent", "random", "--seed", "1", "--fps", "20")
    child.expect("loading")
    child.expect("W-D-L 0-0-0")
    child.expect("forward")  # the key help, with the game's own actions only
    for key in "wwwddd":
        child.send(key)
        time.sleep(0.05)
    child.expect(r"step \d+/400")
    child.send("p")
    child.expect(r"\[paused\]")
    child.send("p")
    child.expect(r"step \d+/400")
    child.send("q")
    status, rest = finish(child)
    assert status == 0
    assert "bye" in rest and "Traceback" not in rest


def test_play_simple_tag_ctrl_c_and_ctrl_d_leave_cleanly() -> None:
    child = spawn("play", "mpe2.simple_tag_v3", "--as", "agent_0", "--seed", "0")
    child.expect("move_up")
    child.expect(r"step \d+/25")
    child.sendcontrol("c")
    status, rest = finish(child)
    assert status == 130 and "Traceback" not in rest and "interrupted" in rest
    child = spawn("play", "mpe2.simple_tag_v3", "--seed", "0", color=False)
    child.expect(r"step \d+/25")
    child.sendcontrol("d")
    status, rest = finish(child)
    assert status == 0 and "Traceback" not in rest


def test_play_realtime_refuses_without_a_terminal_and_bad_agents() -> None:
    import subprocess

    run = subprocess.run([sys.executable, "-m", "arena", "play", "Sumo-2T1P"], cwd=REPO, stdin=subprocess.DEVNULL,
                         capture_output=True, text=True, timeout=TIMEOUT)
    assert run.returncode == 2 and "arena watch" in run.stderr and "Traceback" not in run.stderr
    child = spawn("play", "Sumo-2T1P", "--as", "green")
    status, rest = finish(child)
    assert status == 2 and "agents are red, blue" in rest


def test_old_keyboard_module_is_an_alias() -> None:
    child = pexpect.spawn(sys.executable, ["-m", "games.arena2d.human", "Sumo-2T1P", "--fps", "20"], cwd=str(REPO),
                          env=dict(os.environ, TERM="xterm"), encoding="utf-8", timeout=TIMEOUT, dimensions=(24, 80))
    child.expect(r"step \d+/300")
    child.sendcontrol("c")
    status, rest = finish(child)
    assert status == 130 and "Traceback" not in rest
