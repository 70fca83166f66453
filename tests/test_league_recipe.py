"""Recipe validation: one clear message naming each bad field; built-in recipes are valid."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from leagues.recipe import RecipeError, load_recipe, parse_recipe

RECIPES = sorted((Path(__file__).resolve().parents[1] / "leagues" / "recipes").glob("*.yaml"))


def _base(**changes):
    recipe = {"name": "t", "game": "tic_tac_toe", "iterations": 2,
              "members": [{"name": "random", "bot": "random"}],
              "agents": [{"name": "sm", "learner": "softmax", "config": {"num_actions": 9}}]}
    recipe.update(changes)
    return recipe


@pytest.mark.parametrize("path", RECIPES, ids=[p.stem for p in RECIPES])
def test_builtin_recipes_validate(path):
    recipe = load_recipe(path)
    assert recipe.agents and recipe.iterations >= 1


def test_quick_connect_four_recipe_is_the_alphazero_league():
    recipe = load_recipe(Path(__file__).resolve().parents[1] / "leagues/recipes/quick_connect_four.yaml")
    assert recipe.game == "connect_four"
    assert {a.learner for a in recipe.agents} == {"alphazero"}
    assert {m.bot.split(":")[0] for m in recipe.members} == {"random", "mcts"}


@pytest.mark.parametrize("change, message", [
    ({"iterations": 0}, "iterations: Input should be greater than or equal to 1"),
    ({"game": "chess"}, "game: unknown game 'chess'"),
    ({"colour": "red"}, "colour: unknown field"),
    ({"members": [{"name": "x", "bot": "alphago"}]}, "members[0].bot: unknown bot 'alphago'"),
    ({"agents": []}, "agents: List should have at least 1 item"),
    ({"agents": [{"name": "a", "learner": "dqn"}]}, "agents[0].learner: unknown learner 'dqn'"),
    ({"agents": [{"name": "a", "learner": "softmax", "role": "boss"}]}, "agents[0].role: Input should be"),
    ({"agents": [{"name": "a", "learner": "softmax", "opponents": {"principle": "best"}}]},
     "agents[0].opponents.principle"),
    ({"agents": [{"name": "a", "learner": "softmax", "snapshot": {"win_rate": 2}}]},
     "agents[0].snapshot.win_rate: Input should be less than or equal to 1"),
    ({"agents": [{"name": "random", "learner": "softmax"}]}, "player name 'random' is used twice"),
    ({"pbt": {"enabled": True}}, "pbt.enabled needs a population"),
    ({"pbt": {"space": {"lr": [1.0, 0.1]}}}, "range of 'lr' must be [low, high]"),
])
def test_bad_field_is_named(change, message):
    with pytest.raises(RecipeError) as info:
        parse_recipe(_base(**change), source="r.yaml")
    text = str(info.value)
    assert text.startswith("r.yaml: ")
    assert message in text
    assert "\n" not in text


def test_every_bad_field_is_reported():
    with pytest.raises(RecipeError) as info:
        parse_recipe(_base(iterations=-1, workers=-2), source="r.yaml")
    assert "iterations:" in str(info.value) and "workers:" in str(info.value)


def test_file_errors(tmp_path):
    with pytest.raises(RecipeError, match="does not exist"):
        load_recipe(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed")
    with pytest.raises(RecipeError, match="not valid YAML"):
        load_recipe(bad)
    listing = tmp_path / "list.yaml"
    listing.write_text(yaml.safe_dump([1, 2]))
    with pytest.raises(RecipeError, match="a recipe is a YAML mapping"):
        load_recipe(listing)
