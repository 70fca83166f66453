"""Score schemes on the 2-D engine: KingOfTheHill-2T2P, batched Custom hooks, and the docs' examples."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from pettingzoo.test import parallel_api_test, parallel_seed_test

import arena
from arena.social import BmarsConfig, HookStep, measure_paid, register_hook
from games.arena2d import make, make_batched
from games.arena2d.builder import game_from_dict, load_game
from games.arena2d.builder import make_batched as build_batched
from games.arena2d.catalogue import definition
from games.arena2d.spec import GameDefinitionError

ROOT = Path(__file__).resolve().parents[1]
KOTH_YAML = ROOT / "games/arena2d/games/king_of_the_hill.yaml"


def test_koth_is_a_conformant_yaml_game() -> None:
    env = arena.make("KingOfTheHill-2T2P")
    assert env.metadata["name"] == "KingOfTheHill-2T2P"
    parallel_api_test(env, num_cycles=120)
    parallel_seed_test(lambda: arena.make("KingOfTheHill-2T2P"), num_cycles=40)
    tree = env.social_tree
    assert [tree.info(p).path_str for p in tree.preorder() if tree.info(p).schemes] == ["/", "red", "blue"]
    assert definition("KingOfTheHill-2T2P") == load_game(KOTH_YAML)


def test_koth_pays_the_team_that_holds_the_hill_alone_and_ranks_it_first() -> None:
    env = make("KingOfTheHill-2T2P", reward_terms=True)
    env.reset(seed=0)
    returns = {a: 0.0 for a in env.possible_agents}
    steps = 0
    while env.agents:
        # Red steps onto the hill and stops there; blue turns on the spot and stays off it.
        red = 3 if steps < 3 else 0
        _, rewards, _, truncations, infos = env.step({a: red if a.startswith("red") else 5 for a in env.agents})
        steps += 1
        for a, r in rewards.items():
            returns[a] += r
    assert steps == 100 and all(truncations.values())
    assert infos["red_0"]["reward_terms"]["/"] == 1.0 and infos["blue_0"]["reward_terms"].get("/", 0.0) == 0.0
    held = round((returns["red_0"] - 1.0) / 0.01)
    assert 90 <= held < 100 and returns["red_1"] == pytest.approx(returns["red_0"])
    assert returns["blue_0"] == 0.0


@pytest.mark.slow
def test_koth_measures_cp_at_the_root_and_cl_at_the_teams() -> None:
    report = measure_paid(lambda: make("KingOfTheHill-2T2P"), BmarsConfig(contexts=2, episodes=16, seed=0))
    measured = {n.path: n.measured for n in report.nodes}
    assert measured == {"/": "CP", "red": "CL", "blue": "CL"}, [n.counter_example(n.declared) for n in report.nodes]
    assert all(n.matches for n in report.nodes)


# -- Custom hooks on the batched engine ---------------------------------------------------------

SEEN: list[tuple] = []


def hold_hill(step: HookStep) -> np.ndarray:
    """HoldZone('hill') written as a hook; records the shapes it saw."""
    SEEN.append((step.num_envs, step.points_after.shape, step.alive_before.shape, step.engine.pos.shape))
    inside = np.stack([step.inside(a, "hill") for a in step.agents], axis=1) & step.receivers
    mine = (inside & step.below[None, :]).any(axis=1)
    return (mine & ~(inside & ~step.below[None, :]).any(axis=1)).astype(np.float64)


def koth_with_hook(hook: str, **fields: object) -> dict:
    data = yaml.safe_load(KOTH_YAML.read_text())
    for team in data["tree"]["children"]:
        team["schemes"] = [{"type": "Custom", "hook": hook, "kind": "zone", "score": "hill", "declared": "CL",
                            **fields}]
    return data


def test_hook_runs_on_the_batched_fast_path_and_pays_like_the_builtin_scheme() -> None:
    register_hook("test_hold_hill", hold_hill)
    num_envs = 8
    builtin = make_batched("KingOfTheHill-2T2P", num_envs)
    hooked = build_batched(game_from_dict(koth_with_hook("test_hold_hill")), num_envs)
    assert hooked.social.score_names == ["hill"]
    builtin.reset(seed=4)
    hooked.reset(seed=4)
    SEEN.clear()
    rng = np.random.default_rng(0)
    paid = 0.0
    for _ in range(230):  # past two episode ends (autoreset): rankings paid from the hook's score
        actions = {a: rng.choice([0, 3, 3, 5, 6], size=num_envs) for a in builtin.possible_agents}
        r_builtin, r_hook = builtin.step(actions)[1], hooked.step(actions)[1]
        for a in r_builtin:
            np.testing.assert_array_equal(r_builtin[a], r_hook[a])
        paid += sum(float(np.abs(r).sum()) for r in r_hook.values())
    assert paid > 0
    # One call per team node and step, each over the whole batch: never per copy.
    assert len(SEEN) == 2 * 230
    assert SEEN[0] == (num_envs, (num_envs, 5, 2), (num_envs, 7), (num_envs, 4, 2))


def test_hook_named_by_module_path_and_bad_hooks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "my_koth_hooks.py").write_text(
        "import numpy as np\n\ndef everyone(step):\n    return np.ones(step.num_envs)\n\n"
        "def wrong_shape(step):\n    return np.ones(3)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    engine = build_batched(game_from_dict(koth_with_hook("my_koth_hooks:everyone")), 4)
    engine.reset(seed=0)
    rewards = engine.step({a: np.zeros(4, dtype=int) for a in engine.possible_agents})[1]
    assert all((r == 0.01).all() for r in rewards.values())  # 1 per step times the zone coefficient
    engine = build_batched(game_from_dict(koth_with_hook("my_koth_hooks:wrong_shape")), 4)
    engine.reset(seed=0)
    with pytest.raises(ValueError, match=r"returned shape \(3,\); return \[B\] = \(4,\)"):
        engine.step({a: np.zeros(4, dtype=int) for a in engine.possible_agents})
    with pytest.raises(GameDefinitionError, match="has no 'nothing'"):
        game_from_dict(koth_with_hook("my_koth_hooks:nothing"))
    with pytest.raises(GameDefinitionError, match="a Custom scheme names its batched hook"):
        data = koth_with_hook("x:y")
        del data["tree"]["children"][0]["schemes"][0]["hook"]
        game_from_dict(data)
    data = yaml.safe_load(KOTH_YAML.read_text())
    data["tree"]["children"][0]["schemes"][0]["zone"] = "hil"
    with pytest.raises(GameDefinitionError, match=r"red: schemes\[0\] \(HoldZone\).zone 'hil' is not a zone"):
        game_from_dict(data)


# -- the docs run as written ----------------------------------------------------------------------


def blocks(doc: str, lang: str, first_line: str) -> str:
    text = (ROOT / "docs" / doc).read_text()
    for block in re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S):
        if block.startswith(first_line):
            return block
    raise AssertionError(f"docs/{doc} has no {lang} block starting with {first_line!r}")


def run_python(code: str, cwd: Path) -> str:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(cwd), str(ROOT)]), NUMBA_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_social_md_koth_tree_example_runs(tmp_path: Path) -> None:
    (tmp_path / "koth-tree.yaml").write_text(blocks("social.md", "yaml", "# koth-tree.yaml"))
    code = blocks("social.md", "python", "from arena.social import SocialTreeWrapper\nfrom games.arena2d")
    out = run_python(code, tmp_path)
    assert out.strip() == "{'red': 0.02, '/': 1.0}"


def test_arena2d_md_hill_game_with_a_hook_runs(tmp_path: Path) -> None:
    (tmp_path / "hill_hooks.py").write_text(blocks("arena2d.md", "python", "# hill_hooks.py"))
    (tmp_path / "hill.yaml").write_text(blocks("arena2d.md", "yaml", "# hill.yaml"))
    code = blocks("arena2d.md", "python", "import numpy as np\nfrom games.arena2d.builder import load_game")
    out = run_python(code, tmp_path)
    assert "[0.495 0.495 0.495 0.495]" in code  # what the docs say it prints
    assert out.strip() == "[0.495 0.495 0.495 0.495]"
