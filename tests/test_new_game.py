"""`arena new-game`: the scaffolded packages (2-D YAML with x teams of y agents, turn-based Python on
the public protocol), their pyproject entry point, and the errors (name taken, bad names, dirs).

Installing a package and running every command on it is tests/test_games_walkthrough.py."""

from __future__ import annotations

import importlib.util
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
from pettingzoo.test import api_test

import arena
from arena.cli import main
from arena.commands.new_game import scaffold, teams_of
from arena.env.checks import check_turn_based_game


def load_module(path: Path, name: str):  # noqa: ANN201 - the scaffolded module
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_team_suffix_is_x_teams_of_y_agents() -> None:
    assert teams_of("Hill-3T2P") == (3, 2) and teams_of("Duel-2T1P") == (2, 1) and teams_of("Plain") == (2, 1)
    assert teams_of("Keepaway-2t2p") == (2, 2)


@pytest.mark.parametrize(("name", "teams", "per_team"), [("Hill-2T2P", 2, 2), ("Hill-3T2P", 3, 2),
                                                          ("Duel-2T1P", 2, 1), ("Crowd-4T3P", 4, 3)])
def test_two_d_scaffold_has_x_teams_of_y_agents(tmp_path: Path, name: str, teams: int, per_team: int) -> None:
    package = tmp_path / "pkg"
    scaffold(name, package, "2d")
    module = name.lower().replace("-", "_")
    env = arena.make(str(package / module / f"{module}.yaml"))
    assert len(env.possible_agents) == teams * per_team
    tree = env.social_tree
    sides = tree.children(())
    assert len(sides) == teams
    assert all(len(tree.agents_below(side)) == per_team for side in sides)
    env.reset(seed=0)
    for _ in range(5):
        env.step({a: env.action_space(a).sample() for a in env.agents})
    entry = tomllib.loads((package / "pyproject.toml").read_text())["project"]["entry-points"]["arena.games"]
    assert entry == {name: f"{module}:parallel_env"}


def test_turn_based_scaffold_follows_the_protocol(tmp_path: Path) -> None:
    package = tmp_path / "take-away"
    scaffold("TakeAway", package, "turn-based")
    game_module = load_module(package / "takeaway" / "game.py", "scaffolded_takeaway_game")
    game = game_module.Takeaway()
    failed = [f"{r.name}: {r.detail}" for r in check_turn_based_game(game) if not r.ok]
    assert not failed, failed
    api_test(game_module.env(), num_cycles=50)
    state = game.initial_state(1)
    game.step(state, np.array([2]))  # take 3
    rebuilt = game.state_from_observation(game.observation(state, 1)[0])
    assert rebuilt.pile[0] == 18 and rebuilt.to_play[0] == 1
    assert game.parse_action(game.action_to_str(2)) == 2
    with pytest.raises(ValueError, match="1 to 3"):
        game.parse_action("7")
    entry = tomllib.loads((package / "pyproject.toml").read_text())["project"]["entry-points"]["arena.games"]
    assert entry == {"TakeAway": "takeaway:env"}


def test_cli_prints_the_next_commands(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["new-game", "Hill-2T2P", "--dir", str(tmp_path / "hill")]) == 0
    out = capsys.readouterr().out
    for command in (f"pip install -e {tmp_path / 'hill'}", "arena games", "arena match Hill-2T2P random random",
                    "arena train ppo Hill-2T2P", f"arena league run {tmp_path / 'hill'}/league.yaml"):
        assert command in out, command
    assert main(["new-game", "TakeAway", "--kind", "turn-based", "--dir", str(tmp_path / "tb")]) == 0
    out = capsys.readouterr().out
    assert "arena train alphazero TakeAway" in out and "arena check-game TakeAway" in out


@pytest.mark.parametrize(("args", "message"), [
    (["connect_four"], "the name 'connect_four' is taken: connect_four (built-in game)"),
    (["Soccer-2T2P"], "the name 'Soccer-2T2P' is taken"),
    (["9lives"], "must start with a letter"),
    (["Hill-9T1P"], "9 teams is out of range"),
    (["Hill-2T2P", "--kind", "turn-based"], "the -xTyP suffix names teams of a 2-D game"),
    (["TakeAway", "--kind", "turn-based", "--dir", "x/takeaway"], "hides the module"),
    (["Hill-2T2P", "--kind", "3d"], "invalid choice"),
])
def test_mistakes_are_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture, args: list[str],
                                      message: str) -> None:
    if "--dir" not in args:
        args = [*args, "--dir", str(tmp_path / "pkg")]
    else:
        args = [a if a != "x/takeaway" else str(tmp_path / "takeaway") for a in args]
    assert main(["new-game", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err


def test_an_existing_directory_needs_force(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "notes.txt").write_text("mine")
    assert main(["new-game", "Hill-2T2P", "--dir", str(tmp_path / "pkg")]) == 2
    assert "already exists and is not empty" in capsys.readouterr().err
    assert main(["new-game", "Hill-2T2P", "--dir", str(tmp_path / "pkg"), "--force"]) == 0
    assert (tmp_path / "pkg" / "notes.txt").read_text() == "mine"
