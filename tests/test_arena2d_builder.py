"""Declaring games: validation errors name the field, the YAML game of the docs runs, the
`arena new-game` scaffold passes its own test, and keyboard keys map to actions."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from pettingzoo.test import parallel_api_test

from arena.cli import main as arena_main
from arena.social import Ranking
from games.arena2d.builder import load_game, make_batched, make_env
from games.arena2d.human import (
    KeyboardController,
    action_for_keys,
    continuous_for_keys,
    play_realtime,
)
from games.arena2d.prefabs import agent, duel, kill_when, platform
from games.arena2d.spec import GameDef, GameDefinitionError, Playground, Trigger, validate

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "arena2d.md"


def small_game(**changes) -> GameDef:
    game = GameDef(name="Ring-2T1P", playground=Playground(width=10, height=10),
                   agents=[agent("red", -2, 0), agent("blue", 2, 0, 180)], zones=[platform("ring", 4.0)],
                   triggers=[kill_when("agents", "ring", "self", when="leave")],
                   tree=duel(["red", "blue"], [Ranking("Survive")]), max_steps=50)
    return replace(game, **changes)


@pytest.mark.parametrize(("changes", "message"), [
    ({"agents": [agent("red", -2, 0, radius=-1), agent("blue", 2, 0)]}, r"agents\[0\]\.radius must be > 0, got -1"),
    ({"agents": [agent("red", -2, 0), agent("red", 2, 0)]}, r"agents\[1\]\.name 'red' is already used"),
    ({"agents": [agent("red", -2, 0)]}, r"tree leaf blue stands for agent 'blue', which is not in agents"),
    ({"triggers": [kill_when("red", "rnig", "self")]}, r"triggers\[0\]\.zone 'rnig' is not a zone; zones are ring"),
    ({"triggers": [Trigger(kill="green", entity="red", zone="ring")]}, r"triggers\[0\]\.kill 'green' is not a node"),
    ({"playground": Playground(border="electric")}, r"playground\.border must be one of solid, dead, none"),
    ({"max_steps": 0}, r"max_steps must be an integer >= 1, got 0"),
    ({"actions": "analog"}, r"actions must be one of discrete, continuous"),
    ({"tree": duel(["red", "red"], [Ranking("Survive")])}, r"tree: .*red"),
])
def test_bad_definitions_raise_one_error_naming_the_field(changes: dict, message: str) -> None:
    with pytest.raises(GameDefinitionError, match=message) as info:
        validate(small_game(**changes))
    assert "\n" not in str(info.value) and str(info.value).startswith("game 'Ring-2T1P'")


def doc_yaml() -> str:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(), flags=re.S)
    assert blocks, "docs/arena2d.md must show a YAML game"
    return blocks[0]


def test_yaml_game_from_the_docs_runs(tmp_path: Path) -> None:
    path = tmp_path / "bump.yaml"
    path.write_text(doc_yaml())
    game = load_game(str(path))
    assert game.name == "Bump-2T1P" and len(game.agents) == 2
    env = make_env(game)
    parallel_api_test(env, num_cycles=50)
    engine = make_batched(game, 16)
    engine.reset(seed=0)
    forward = {a: np.full(16, 3) for a in engine.possible_agents}
    died = 0
    for _ in range(40):  # running straight ahead into the electric fence kills
        _, rewards, term, _, _ = engine.step(forward)
        died += int(term["red"].sum())
    assert died > 0


@pytest.mark.parametrize(("text", "message"), [
    ("name: X\nagents: []\ntree: {children: [{agent: a}]}\n", r"agents must list at least one agent"),
    ("name: X\nagents: [{name: a, x: 0, y: 0, raduis: 1}]\ntree: {children: [{agent: a}]}\n",
     r"agents\[0\]: unknown field 'raduis' \(did you mean radius\?\)"),
    ("name: X\nagents: [{name: a, x: zero, y: 0}]\ntree: {children: [{agent: a}]}\n", r"agents\[0\]\.x: must be a number"),
    ("name: X\nagents: [{name: a, x: 0, y: 0}]\ntree: {children: [{agent: a, schemes: [{type: Rank}]}]}\n",
     r"schemes\[0\]\.type: unknown field 'Rank' \(did you mean Ranking\?\)"),
    ("name: X\nagents: [{name: a, x: 0, y: 0}]\n", r"missing field 'tree'"),
    ("name: X\nagents: [{name: a, x: 0, y: 0]\n", r"not valid YAML at line"),
])
def test_bad_yaml_gives_one_clear_line(text: str, message: str) -> None:
    with pytest.raises(GameDefinitionError, match=message):
        load_game(text)


@pytest.mark.slow  # a fresh interpreter runs pytest on the scaffolded test
def test_new_game_scaffold_produces_a_passing_test(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    package = tmp_path / "keepaway"
    assert arena_main(["new-game", "Keepaway-2T1P", "--dir", str(package)]) == 0
    game_file = package / "keepaway_2t1p" / "keepaway_2t1p.yaml"
    test_file = package / "tests" / "test_keepaway_2t1p.py"
    assert game_file.exists() and test_file.exists()
    assert len(game_file.read_text().splitlines()) <= 50
    assert arena_main(["new-game", "Keepaway-2T1P", "--dir", str(package)]) == 2
    assert "already exists" in capsys.readouterr().err
    # Not installed here: the name lookup test needs `pip install -e` (tests/test_games_walkthrough.py).
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file),
                             "-k", "not installed"], cwd=package, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(package)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


def test_keys_map_to_preset_actions() -> None:
    names = ("none", "left", "right", "forward", "backward", "turn_left", "turn_right", "attack")
    assert action_for_keys("", names) == 0
    assert action_for_keys("w", names) == 3 and action_for_keys("W", names) == 3
    assert action_for_keys("s", names) == 4 and action_for_keys("a", names) == 1 and action_for_keys("d", names) == 2
    assert action_for_keys("q", names) == 5 and action_for_keys("e", names) == 6 and action_for_keys(" ", names) == 7
    assert action_for_keys("\x1b[A", names) == 3 and action_for_keys("\x1b[D", names) == 5
    assert action_for_keys("wd", names) == 2, "the last key of the frame wins"
    assert action_for_keys("f", names) == 0, "blow is not an action of this game"
    assert action_for_keys("zz", names) == 0
    np.testing.assert_array_equal(continuous_for_keys("wa", names), [1, 1, 0, 0])
    np.testing.assert_array_equal(continuous_for_keys("se ", names), [-1, 0, -1, 1])


def test_keyboard_drives_an_agent_in_real_time_loop() -> None:
    env = make_env(small_game(), render_mode="ansi")
    frames = iter(["s"] * 200)
    controller = KeyboardController(lambda: next(frames, ""), env.action_names)
    out = _Sink()
    returns = play_realtime(env, "red", controller, fps=0, out=out, seed=0, max_frames=200)
    # Holding backward runs red off the ring behind it: it dies first, blue wins.
    assert returns["blue"] > returns["red"]
    assert "you are red" in out.text and "Ring-2T1P" in out.text
    quit_keys = iter(["x"])
    controller = KeyboardController(lambda: next(quit_keys, ""), env.action_names)
    assert play_realtime(env, "red", controller, fps=0, out=_Sink(), seed=0) == {"red": 0.0, "blue": 0.0}


class _Sink:
    def __init__(self) -> None:
        self.text = ""

    def write(self, s: str) -> None:
        self.text += s

    def flush(self) -> None:
        pass
