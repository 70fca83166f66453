"""What users write and what --resume keeps: YAML numbers, recipes by name, resumed configs,
checkpoints by time, PPO step rounding, and the league's final words."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from arena.cli import main
from arena.config_input import key_values, parse_value, read_yaml_file, read_yaml_mapping

ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------ YAML numbers
@pytest.mark.parametrize("text,value", [("3e-4", 3e-4), ("1E-3", 1e-3), (".5", 0.5), ("-1e-2", -0.01),
                                        ("+2.0E+3", 2000.0), ("5e3", 5000.0), ("-.25", -0.25), ("1.5", 1.5)])
def test_every_spelling_of_a_float_is_a_float(text, value):
    assert parse_value(text) == pytest.approx(value) and isinstance(parse_value(text), float)
    assert key_values([f"lr={text}"], "--set") == {"lr": pytest.approx(value)}


@pytest.mark.parametrize("text,value", [("5", 5), ("abc", "abc"), ("true", True), ("[64, 64]", [64, 64]),
                                        ("1e", "1e"), ("e5", "e5")])
def test_other_values_keep_their_types(text, value):
    assert parse_value(text) == value


def test_yaml_files_read_numbers_and_refuse_binary(tmp_path):
    good = tmp_path / "c.yaml"
    good.write_text("lr: 3e-4\nnested: {eps: 1E-5, frac: .5}\nsteps: 100\n")
    assert read_yaml_mapping(str(good), "lr: 0.1") == {"lr": 3e-4, "nested": {"eps": 1e-5, "frac": 0.5}, "steps": 100}
    binary = tmp_path / "b.yaml"
    binary.write_bytes(bytes(range(256)))
    with pytest.raises(ValueError, match=r"b\.yaml' is a binary file"):
        read_yaml_file(binary, "recipe")
    latin = tmp_path / "l.yaml"
    latin.write_bytes(b"name: caf\xe9\n")
    with pytest.raises(ValueError, match=r"l\.yaml' is not UTF-8"):
        read_yaml_file(latin, "config file")
    hostile = tmp_path / "h.yaml"
    hostile.write_text("!!python/object/apply:os.system ['true']\n")
    with pytest.raises(ValueError, match="not valid YAML"):
        read_yaml_file(hostile)


def test_alphazero_config_and_social_tree_read_3e_minus_4(tmp_path):
    from arena.alphazero.config import load_config
    from arena.social.config import load_yaml

    config = tmp_path / "az.yaml"
    config.write_text("lr: 3e-4\nweight_decay: 1E-4\n" if "weight_decay" in _az_fields() else "lr: 3e-4\n")
    assert load_config(config).lr == pytest.approx(3e-4)
    tree = tmp_path / "tree.yaml"
    tree.write_text("root: {name: all}\ncoefficients: {a: 5e-1}\n")
    assert load_yaml(str(tree))["coefficients"]["a"] == 0.5


def _az_fields() -> set[str]:
    import dataclasses

    from arena.alphazero.config import AlphaZeroConfig

    return {f.name for f in dataclasses.fields(AlphaZeroConfig)}


def test_recipe_numbers_and_typos(tmp_path):
    from leagues.recipe import RecipeError, load_recipe

    recipe = tmp_path / "r.yaml"
    recipe.write_text("name: r\ngame: rock_paper_scissors\niterations: 1\nmatches: {elo_k: 3.2e1}\n"
                      "agents: [{name: a, learner: softmax, config: {lr: 5e-1}}]\n")
    loaded = load_recipe(recipe)
    assert loaded.matches.elo_k == 32.0 and loaded.agents[0].config["lr"] == 0.5
    recipe.write_text("name: r\ngame: rock_paper_scissors\niteratons: 1\nagents: [{name: a, learner: softmax}]\n")
    with pytest.raises(RecipeError, match="iteratons: unknown field \\(did you mean 'iterations'"):
        load_recipe(recipe)


# ------------------------------------------------------------------ recipes by name, from anywhere
def test_recipes_resolve_by_name_from_any_directory(tmp_path, monkeypatch):
    from leagues.recipe import RecipeError, load_recipe

    monkeypatch.chdir(tmp_path)
    assert load_recipe("quick_connect_four").name == "quick_connect_four"
    assert load_recipe("quick_connect_four.yaml").name == "quick_connect_four"
    with pytest.raises(RecipeError, match="did you mean 'quick_connect_four'"):
        load_recipe("quick_conect_four")


def test_league_directory_as_recipe_says_what_it_is(tmp_path, capsys):
    (tmp_path / "league.db").write_bytes(b"")
    assert main(["league", "run", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "is a league directory, not a recipe" in err and "--resume" in err and "does not exist" not in err


# ------------------------------------------------------------------ --resume keeps the stored config
TINY_AZ = {"num_simulations": 4, "games_per_iteration": 2, "selfplay_batch": 2, "train_steps": 1, "batch_size": 8,
           "min_replay": 8, "replay_capacity": 200, "blocks": 1, "channels": 4, "value_hidden": 4, "eval_every": 0,
           "iterations": 1, "lr": "3e-4", "tensorboard": False, "snapshot_every": 0}


@pytest.mark.slow
def test_alphazero_resume_keeps_the_stored_config(tmp_path, capsys):
    config = tmp_path / "az.yaml"
    config.write_text("".join(f"{k}: {v}\n" for k, v in TINY_AZ.items()))
    out = tmp_path / "run"
    assert main(["train", "alphazero", "tic_tac_toe", "--config", str(config), "--out", str(out),
                 "--no-progress"]) == 0
    capsys.readouterr()
    # Without --config: the stored config (not the defaults, 400 simulations), with --iterations applied.
    assert main(["train", "alphazero", "tic_tac_toe", "--out", str(out), "--resume", "--iterations", "2",
                 "--no-progress"]) == 0
    assert "resumed" in capsys.readouterr().out
    stored = yaml.safe_load((out / "config.yaml").read_text())
    assert stored["num_simulations"] == 4 and stored["iterations"] == 2
    # A different --config is refused with a diff, and nothing changes.
    other = tmp_path / "other.yaml"
    other.write_text(config.read_text().replace("num_simulations: 4", "num_simulations: 9"))
    before = (out / "checkpoint.pt").read_bytes()
    assert main(["train", "alphazero", "tic_tac_toe", "--config", str(other), "--out", str(out), "--resume"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "num_simulations 4 -> 9" in err[0]
    assert (out / "checkpoint.pt").read_bytes() == before


def test_alphazero_resume_with_nothing_to_resume(tmp_path, capsys):
    assert main(["train", "alphazero", "tic_tac_toe", "--out", str(tmp_path / "none"), "--resume"]) == 2
    assert "nothing to resume" in capsys.readouterr().err
    assert not (tmp_path / "none").exists()


# ------------------------------------------------------------------ checkpoints by time; PPO steps
def test_maddpg_checkpoints_by_time_as_well_as_count(tmp_path):
    from arena.marl.maddpg import MADDPGConfig, config_with, read_metrics, train

    assert MADDPGConfig().checkpoint_seconds == 120.0
    config = config_with(MADDPGConfig(), {"checkpoint_every": 100000, "checkpoint_seconds": 1e-9,
                                          "tensorboard": False, "num_envs": 2, "learning_starts": 10**6})
    train("rock_paper_scissors", episodes=6, run_dir=tmp_path / "md", config=config, progress=False)
    assert len(read_metrics(tmp_path / "md")["checkpoints"]) >= 3  # not only the final one


def test_ppo_says_how_it_rounds_steps_and_never_prints_nan(tmp_path, capsys):
    out = tmp_path / "pp"
    assert main(["train", "ppo", "rock_paper_scissors", "--steps", "20", "--out", str(out), "--no-progress",
                 "--set", "num_envs=8", "--set", "num_steps=4", "--set", "lr=3e-4"]) == 0
    text = capsys.readouterr().out
    assert "--steps 20 rounded up to 24" in text and "nan" not in text
    assert json.loads((out / "metrics.jsonl").read_text().splitlines()[-1])["env_steps"] == 24
    assert main(["train", "ppo", "rock_paper_scissors", "--steps", "40", "--out", str(out), "--no-progress",
                 "--resume"]) == 0
    assert "resumed" in capsys.readouterr().out


def test_ppo_refuses_turn_based_games_pointing_to_alphazero(tmp_path, capsys):
    assert main(["train", "ppo", "connect_four", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "arena train alphazero connect_four" in err[0]


# ------------------------------------------------------------------ the league's final words
def test_summary_counts_the_players_it_lists_and_the_ending_shows_progress(tmp_path):
    from leagues.recipe import parse_recipe
    from leagues.report import compute_ratings, learner_progress, write_report
    from leagues.runner import League
    from leagues.store import PayoffStore

    recipe = parse_recipe({
        "name": "p", "game": "rock_paper_scissors", "game_kwargs": {"num_rounds": 3}, "iterations": 3,
        "workers": 0, "tensorboard": False, "members": [{"name": "random", "bot": "random"}],
        "evaluation": {"heldout": [{"name": "held", "bot": "random"}], "every": 1, "games": 4},
        "agents": [{"name": "a", "learner": "softmax", "steps_per_iteration": 6,
                    "snapshot": {"max_steps": 6, "min_steps": 6}}]})
    league = League(recipe, tmp_path / "lg", live_display=False)
    try:
        league.run()
    finally:
        league.close()
    store = PayoffStore(tmp_path / "lg" / "league.db")
    try:
        rows = compute_ratings(store)
        lines = learner_progress(store, rows)
        unplayed = [p.name for p in store.players() if p.games == 0]
    finally:
        store.close()
    assert any(line.startswith("a: Elo") and "at its first snapshot a@" in line for line in lines), lines
    assert any("against held-out held:" in line and "at iteration 1 ->" in line and "at iteration 3" in line
               for line in lines), lines
    os.environ.setdefault("MPLBACKEND", "Agg")
    summary = next(p for p in write_report(tmp_path / "lg") if p.name == "summary.md").read_text()
    listed = [line for line in summary.split("## Ratings")[1].split("##")[0].splitlines()
              if line.startswith("| ") and line[2].isdigit()]
    assert f"{len(listed)} players" in summary
    if unplayed:
        assert f"and {len(unplayed)} not rated yet" in summary


def test_league_errors_use_the_game_name_users_type(tmp_path, capsys):
    from leagues.recipe import parse_recipe
    from leagues.runner import League

    recipe = parse_recipe({"name": "n", "game": "rock_paper_scissors", "iterations": 1, "workers": 0,
                           "tensorboard": False, "members": [{"name": "random", "bot": "random"}],
                           "agents": [{"name": "a", "learner": "softmax", "steps_per_iteration": 2}]})
    league = League(recipe, tmp_path / "lg", live_display=False)
    league.close()
    assert main(["match", "tic_tac_toe", f"league:{tmp_path / 'lg'}", "random", "--games", "1"]) == 2
    err = capsys.readouterr().err
    assert "tic_tac_toe" in err and "tic_tac_toe_v" not in err


def test_ppo_checkpoints_by_time_even_with_a_huge_chunk(tmp_path, capsys, monkeypatch):
    import arena.marl.ppo_cli as ppo_cli

    monkeypatch.setattr(ppo_cli, "CHECKPOINT_SECONDS", 1e-9)  # every rollout is "2 minutes of work"
    out = tmp_path / "pp"
    assert main(["train", "ppo", "rock_paper_scissors", "--steps", "96", "--chunk", "1000000", "--out", str(out),
                 "--no-progress", "--set", "num_envs=8", "--set", "num_steps=4"]) == 0
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 3  # one checkpoint per 32-step rollout
