"""The one game-name resolver: entry-point games (simulated installed distributions), 2-D game
YAML paths, module paths, env arguments through every command, the league: bot's game lookup,
and one-line errors for bad names, paths and files."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import pytest

import arena
from arena.cli import main
from arena.env import registry
from arena.env.registry import UnknownGameError, describe_name, plugin_problems, spec

BUMP = """\
name: Bump-2T1P
description: Knock the other player into the electric fence
playground: {width: 12, height: 12, border: dead}
agents:
  - {name: red, x: -3, y: 0, angle: 0, spawn_jitter: 0.5}
  - {name: blue, x: 3, y: 0, angle: 180, spawn_jitter: 0.5}
zones:
  - {name: hill, x: 0, y: 0, radius: 2}
tree:
  condition: AllLiving
  schemes: [{type: Ranking, mode: Survive}]
  children:
    - {agent: red, schemes: [{type: InZone, entity: red, zone: hill}]}
    - {agent: blue, schemes: [{type: InZone, entity: blue, zone: hill}]}
max_steps: 50
"""

PLUGIN = '''"""A plugin's games."""

from games.matrix import rps


def parallel_env(num_rounds: int = 3, render_mode=None):
    """Best-of-few rock-paper-scissors from a plugin."""
    return rps.parallel_env(num_rounds=num_rounds, render_mode=render_mode)


def anything(**kwargs):
    """A factory whose API is found by building it."""
    return rps.parallel_env(**kwargs)
'''

REGISTERING = '''"""A module whose import registers two games."""

import arena
from games.matrix import rps

arena.register("plugin_rps_a", rps.parallel_env, api="parallel", description="plugin game A")
arena.register("plugin_rps_b", rps.parallel_env, api="parallel", description="plugin game B",
               kwargs={"num_rounds": 10})
'''


def install_fake_distribution(root: Path, name: str, entry_points: dict[str, str], modules: dict[str, str]) -> None:
    """A ``*.dist-info`` with entry_points.txt and its modules, as pip would leave them."""
    info = root / f"{name.replace('-', '_')}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    lines = "\n".join(f"{k} = {v}" for k, v in entry_points.items())
    (info / "entry_points.txt").write_text(f"[arena.games]\n{lines}\n")
    for module, text in modules.items():
        (root / f"{module}.py").write_text(text)


@pytest.fixture
def fresh_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty registry that loads the entry points again (restored after the test)."""
    monkeypatch.setattr(registry, "_registry", {})
    monkeypatch.setattr(registry, "_problems", [])
    monkeypatch.setattr(registry, "_builtins_loaded", False)
    monkeypatch.setattr(registry, "_prefixes", dict(registry._prefixes))
    monkeypatch.delitem(sys.modules, "games.builtin", raising=False)


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_registry: None) -> Path:
    install_fake_distribution(tmp_path, "arena-test-plugin", {
        "Plugin-RPS": "arena_test_plugin:parallel_env",
        "Plugin-Built": "arena_test_plugin:anything",
        "registering": "arena_test_plugin_registering",
        "Broken": "arena_test_no_such_module:env",
        "tic_tac_toe": "arena_test_plugin:parallel_env",
    }, {"arena_test_plugin": PLUGIN, "arena_test_plugin_registering": REGISTERING})
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    for module in ("arena_test_plugin", "arena_test_plugin_registering"):
        monkeypatch.delitem(sys.modules, module, raising=False)
    return tmp_path


def test_entry_point_factories_are_games_with_their_package_as_source(plugin: Path) -> None:
    game = spec("Plugin-RPS")
    assert game.source == "package arena-test-plugin" and game.api == "parallel"
    assert game.description == "Best-of-few rock-paper-scissors from a plugin." and game.kwargs == {"num_rounds": 3}
    env = arena.make("Plugin-RPS", num_rounds=2)
    assert env.possible_agents == ["player_0", "player_1"]
    assert hasattr(arena.make("Plugin-RPS", api="aec"), "agent_iter")
    assert spec("Plugin-Built").api == "parallel"  # found by building it once
    assert describe_name("Plugin-RPS") == "Plugin-RPS (game from package arena-test-plugin)"


def test_entry_point_factories_load_lazily(plugin: Path) -> None:
    registry._load_builtins()
    assert "arena_test_plugin" not in sys.modules, "listing names must not import a plugin's module"
    assert registry._registry["Plugin-RPS"].source == "package arena-test-plugin"
    arena.make("Plugin-RPS")
    assert "arena_test_plugin" in sys.modules


def test_module_entry_points_register_games_and_builtins_use_the_same_mechanism(plugin: Path) -> None:
    names = {g.name: g for g in arena.registered()}
    assert names["plugin_rps_a"].source == names["plugin_rps_b"].source == "package arena-test-plugin"
    assert names["connect_four"].source == "built-in" and names["Soccer-2T2P"].source == "built-in"
    assert names["tic_tac_toe"].source == "built-in", "a plugin cannot take a built-in name"


def test_a_broken_plugin_is_reported_and_hides_nothing(plugin: Path, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(UnknownGameError, match=r"^game 'Broken' from package arena-test-plugin cannot be loaded"):
        arena.make("Broken")
    assert "connect_four" in {g.name for g in arena.registered()}
    problems = plugin_problems()
    assert any("Broken" in p for p in problems) and any("tic_tac_toe" in p and "taken" in p for p in problems)
    assert main(["games", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert {"name": "Plugin-RPS", "source": "package arena-test-plugin"}.items() <= next(
        g for g in listing["games"] if g["name"] == "Plugin-RPS").items()
    assert listing["problems"] and any("yaml" in p["suffixes"][0] for p in listing["prefixes"] if p["suffixes"])
    assert main(["games"]) == 0
    out = capsys.readouterr().out
    assert "package arena-test-plugin" in out and "warning:" in out and "module path" in out


def test_builtins_load_even_when_the_installed_metadata_lacks_them(monkeypatch: pytest.MonkeyPatch,
                                                                  fresh_registry: None) -> None:
    monkeypatch.setattr(registry.metadata, "entry_points", lambda group: [])
    assert {"tic_tac_toe", "Sumo-2T1P"} <= {g.name for g in arena.registered()}
    assert spec("tic_tac_toe").source == "built-in"


def test_yaml_paths_are_game_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "bump.yaml").write_text(BUMP)
    monkeypatch.chdir(tmp_path)
    for name in ("bump.yaml", "./bump.yaml", str(tmp_path / "bump.yaml"), "yaml:bump.yaml"):
        env = arena.make(name)
        assert env.possible_agents == ["red", "blue"], name
    assert hasattr(arena.make("bump.yaml", api="aec"), "agent_iter")
    assert arena.make("bump.yaml", actions="continuous").action_space("red").shape == (3,)
    assert spec("bump.yaml").source == "file bump.yaml"
    assert describe_name("bump.yaml") == "bump.yaml (2-D game file)"
    assert describe_name("mpe2.simple_spread_v3") == "mpe2.simple_spread_v3 (PettingZoo module)"
    assert describe_name("connect_four") == "connect_four (built-in game)"
    assert describe_name("nope").startswith("nope (not a game: unknown game 'nope'")


def test_bad_names_paths_and_files_are_one_line_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "broken.yaml").write_text("name: X\nagents: [\n")
    (tmp_path / "typo.yaml").write_text(BUMP.replace("radius: 2", "raduis: 2"))
    (tmp_path / "dir.yaml").mkdir()
    cases = {
        "missing.yaml": "game file 'missing.yaml' does not exist",
        "dir.yaml": "game file 'dir.yaml' is a directory",
        "games/koth": "looks like a file path, but game files end in .yaml or .yml",
        "connect_fuor": "Did you mean connect_four",
        "nosuchpkg.game_v1": "cannot import 'nosuchpkg.game_v1'",
        "json.decoder": "not a PettingZoo environment",
        "broken.yaml": "broken.yaml: not valid YAML at line",
        "typo.yaml": "unknown field 'raduis' (did you mean radius?)",
    }
    for name, message in cases.items():
        with pytest.raises(ValueError, match=None) as info:
            arena.make(name)
        assert message in str(info.value) and "\n" not in str(info.value), (name, str(info.value))
    with pytest.raises(ValueError, match=r"^tic_tac_toe \(built-in game\): bad game arguments size"):
        arena.make("tic_tac_toe", size=4)


def test_env_args_pass_through_every_command(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["match", "gomoku", "random", "random", "--env-arg", "size=7", "--env-arg", "n_in_row=4",
                 "--games", "2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["games"] == 2
    assert main(["match", "rock_paper_scissors", "random", "random", "--env-arg", "num_rounds=2", "--games", "2",
                 "--json"]) == 0
    capsys.readouterr()
    assert main(["match", "tic_tac_toe", "random", "random", "--env-arg", "size=4"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("arena: error: tic_tac_toe (built-in game): bad game arguments size") and err.count("\n") == 1
    assert main(["match", "tic_tac_toe", "random", "random", "--env-arg", "size"]) == 2
    assert "--env-arg 'size' must look like KEY=VALUE" in capsys.readouterr().err
    assert main(["verify-rewards", "rock_paper_scissors", "--env-arg", "num_rounds=2", "--contexts", "1",
                 "--episodes", "2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["nodes"]
    from arena.cli import build_parser
    from arena.commands.match import game_kwargs as match_kwargs
    from arena.commands.play import game_kwargs as play_kwargs

    parser = build_parser()
    play = parser.parse_args(["play", "pettingzoo.classic.go_v5", "--env-arg", "board_size=9"])
    assert play_kwargs(play) == {"board_size": 9}
    train = parser.parse_args(["train", "alphazero", "TakeAway", "--out", str(tmp_path), "--env-arg", "stones=9"])
    assert match_kwargs(train) == {"stones": 9}


def test_the_league_bot_finds_its_game_from_the_stored_name_and_kwargs(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from arena.bots import BotSpecError
    from leagues.bot import _check_same_game

    recipe = {"game": "gomoku", "game_kwargs": {"size": 7, "n_in_row": 4}}
    _check_same_game("runs/x", recipe, arena.make("gomoku", size=7, n_in_row=4))
    with pytest.raises(BotSpecError, match=r"plays gomoku \(built-in game\) \(size=7, n_in_row=4\), not this game"):
        _check_same_game("runs/x", recipe, arena.make("gomoku", size=9))
    with pytest.raises(BotSpecError, match="not this game"):
        _check_same_game("runs/x", recipe, arena.make("tic_tac_toe"))
    # A module path and a YAML file: no guessing from the module's last name part.
    _check_same_game("runs/x", {"game": "pettingzoo.classic.connect_four_v3"},
                     arena.make("pettingzoo.classic.connect_four_v3"))
    (tmp_path / "bump.yaml").write_text(BUMP)
    monkeypatch.chdir(tmp_path)
    _check_same_game("runs/x", {"game": str(tmp_path / "bump.yaml")}, arena.make("./bump.yaml"))
    with pytest.raises(BotSpecError, match="which cannot be built here"):
        _check_same_game("runs/x", {"game": "gone.yaml"}, arena.make("./bump.yaml"))


def test_a_recipe_names_a_game_file_relative_to_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from leagues.recipe import load_recipe

    folder = tmp_path / "league"
    folder.mkdir()
    (folder / "bump.yaml").write_text(BUMP)
    (folder / "recipe.yaml").write_text(
        "name: bump\ngame: bump.yaml\ngame_kwargs: {actions: discrete}\niterations: 1\nworkers: 0\n"
        "members: [{name: random, bot: random}]\n"
        "agents: [{name: ppo, learner: ppo, config: {num_envs: 2, num_steps: 8, device: cpu}}]\n")
    monkeypatch.chdir(tmp_path)
    recipe = load_recipe(folder / "recipe.yaml")
    assert Path(recipe.game) == folder / "bump.yaml" and recipe.game_kwargs == {"actions": "discrete"}


def test_a_turn_based_module_path_names_what_each_trainer_needs(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture) -> None:
    """A plain AEC module path asked for its Parallel API says it is turn-based, and the trainers
    that need simultaneous moves say so in their own words."""
    with pytest.raises(ValueError, match="turn-based and only has the AEC API"):
        arena.make("pettingzoo.classic.tictactoe_v3", api="parallel")
    assert main(["train", "maddpg", "pettingzoo.classic.tictactoe_v3", "--out", str(tmp_path / "m"),
                 "--episodes", "5", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "MADDPG needs a simultaneous-move ParallelEnv" in err[0]
