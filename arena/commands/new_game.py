"""``arena new-game NAME``: scaffold a declarative 2-D game and its test.

Writes ``games/<module>.py`` (a :class:`~games.arena2d.spec.GameDef` built from prefabs: a field,
two agents, a ball, two goals, a social tree) and ``tests/test_game_<module>.py`` (PettingZoo's
conformance tests and a scoring check), under ``--dir`` (default: the current directory). Edit
the definition; ``python -m pytest tests/test_game_<module>.py`` keeps it honest.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from arena.cli import UserError

GAME_TEMPLATE = '''"""{name}: two players, one ball; put it in the other goal. (Scaffolded by `arena new-game`.)

Edit the definition below: the playground, bodies, zones, triggers (who dies when) and the social
tree (who is paid what). Build it with ``env()``; see docs/arena2d.md for every field.
"""

from arena.social import Ranking
from games.arena2d.builder import make_env
from games.arena2d.prefabs import agent, ball, duel, goal, kill_when
from games.arena2d.spec import GameDef, Playground


def definition() -> GameDef:
    """The game, declared: no engine code."""
    return GameDef(
        name="{name}",
        description="{name}: score in the other goal; conceding loses",
        playground=Playground(width=16, height=10),
        agents=[agent("red", -4, 0, 0, spawn_jitter=0.5), agent("blue", 4, 0, 180, spawn_jitter=0.5)],
        bodies=[ball("ball", 0, 0, radius=0.4, spawn_jitter=0.5)],
        zones=[goal("goal_red", -7.25, 0, 1.5, 4), goal("goal_blue", 7.25, 0, 1.5, 4)],
        triggers=[kill_when("ball", "goal_red", "red"), kill_when("ball", "goal_blue", "blue")],
        # Root: the side that survives longer (does not concede) ranks higher: zero-sum (CP).
        tree=duel(["red", "blue"], [Ranking("Survive")], declared="CP"),
        max_steps=300,
    )


def env(render_mode: str | None = None):  # noqa: ANN201 - a PettingZoo ParallelEnv
    """The PettingZoo Parallel env of this game."""
    return make_env(definition(), render_mode=render_mode)
'''

TEST_TEMPLATE = '''"""Tests of the {name} game (scaffolded by `arena new-game`)."""

import importlib.util
from pathlib import Path

import numpy as np
from pettingzoo.test import parallel_api_test, parallel_seed_test

GAME_FILE = Path(__file__).resolve().parent.parent / "games" / "{module}.py"


def load_game():  # noqa: ANN201 - the game module
    spec = importlib.util.spec_from_file_location("scaffolded_{module}", GAME_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_{module}_passes_pettingzoo_conformance() -> None:
    game = load_game()
    parallel_api_test(game.env(), num_cycles=100)
    parallel_seed_test(game.env)


def test_{module}_renders_text_and_images() -> None:
    game = load_game()
    text_env = game.env(render_mode="ansi")
    text_env.reset(seed=0)
    assert "{name}" in text_env.render()
    image_env = game.env(render_mode="rgb_array")
    image_env.reset(seed=0)
    image = image_env.render()
    assert image.ndim == 3 and image.shape[2] == 3 and image.dtype == np.uint8


def test_{module}_ball_in_a_goal_ends_the_episode_with_ranked_rewards() -> None:
    game = load_game()
    env = game.env()
    env.reset(seed=0)
    env.game.pos[0, env.game.entities["ball"]] = env.game.zone_pos[env.game.zone_index["goal_red"]]
    _, rewards, terminations, _, _ = env.step({{agent: 0 for agent in env.agents}})
    assert terminations["red"] and terminations["blue"]
    assert rewards["blue"] > rewards["red"]
    assert env.agents == []
'''


def module_name(name: str) -> str:
    """The Python module name of a game name: ``Tag-2T1P`` -> ``tag_2t1p``."""
    module = re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower()
    if not module or not module.isidentifier() or module[0].isdigit():
        raise UserError(f"cannot make a Python module name from {name!r}: start the name with a letter, "
                        "e.g. MyGame-2T1P")
    return module


def scaffold(name: str, root: Path, force: bool = False) -> tuple[Path, Path]:
    """Write the game and its test under ``root``; returns their paths."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_\-]*", name):
        raise UserError(f"game name {name!r} may use letters, digits, '-' and '_' and must start with a letter "
                        "(Arena style: Name-2T1P)")
    module = module_name(name)
    game_path = root / "games" / f"{module}.py"
    test_path = root / "tests" / f"test_game_{module}.py"
    for path in (game_path, test_path):
        if path.exists() and not force:
            raise UserError(f"{path} already exists; pick another name or pass --force to overwrite it")
    game_path.parent.mkdir(parents=True, exist_ok=True)
    test_path.parent.mkdir(parents=True, exist_ok=True)
    game_path.write_text(GAME_TEMPLATE.format(name=name))
    test_path.write_text(TEST_TEMPLATE.format(name=name, module=module))
    return game_path, test_path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "new-game", help="scaffold a declarative 2-D game and its test",
        description="Write games/<module>.py (a 2-D game declared from prefabs: field, agents, ball, goals, "
                    "social tree) and tests/test_game_<module>.py (PettingZoo conformance and a scoring check).",
        epilog="example: arena new-game Keepaway-2T1P && python -m pytest tests/test_game_keepaway_2t1p.py")
    p.add_argument("name", help="game name, Arena style: Name-2T1P")
    p.add_argument("--dir", default=".", help="project directory holding games/ and tests/ (default: .)")
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    root = Path(args.dir)
    if not root.is_dir():
        raise UserError(f"--dir {args.dir} is not a directory")
    game_path, test_path = scaffold(args.name, root, args.force)
    print(f"wrote {game_path}\nwrote {test_path}\nrun: python -m pytest {test_path}")
    return 0
