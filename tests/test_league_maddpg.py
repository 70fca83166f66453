"""MADDPG as a league learner (arena.marl.maddpg_learner) and the simple_tag MADDPG league recipe."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

import arena
from arena.bots import Bot
from arena.bots import make as make_bot
from arena.learner import Learner
from arena.marl.maddpg_learner import MADDPGBot, MADDPGLearner, make_maddpg_learner
from leagues.executor import play_any_game
from leagues.learners import make_learner
from leagues.player import load_learner, read_checkpoint, save_checkpoint
from leagues.recipe import RecipeError, load_recipe, parse_recipe
from leagues.store import PayoffStore

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "leagues" / "recipes" / "simple_tag_maddpg.yaml"
GAME = "mpe2.simple_tag_v3"
TINY = {"num_envs": 2, "batch_size": 32, "learning_starts": 32, "update_every": 8, "hidden_sizes": [16, 16],
        "buffer_size": 4000, "device": "cpu"}


@pytest.fixture(autouse=True)
def one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def make_env():
    return arena.make(GAME, max_cycles=10)


def params(learner: MADDPGLearner) -> list[torch.Tensor]:
    assert learner.model is not None
    return [p.detach().clone() for p in learner.model.parameters()]


def opponents(learner: MADDPGLearner, env) -> list:
    # a fixed bot (asked copy by copy, act_team-less) and a frozen MADDPG bot (acts batched)
    return [make_bot("random", env, seed=1), learner.bot(env, seed=2)]


def test_learner_satisfies_the_protocol_and_its_bot_plays_league_games():
    learner = make_learner("maddpg", {**TINY, "seed": 3})
    assert isinstance(learner, MADDPGLearner) and isinstance(learner, Learner)
    env = make_env()
    metrics = learner.learn(make_env, opponents(learner, env), 120)
    assert metrics["steps"] == 120 and metrics["episodes"] > 0 and metrics["updates"] > 0
    assert np.isfinite(metrics["critic_loss"]) and np.isfinite(metrics["return_adversary"])
    assert np.isfinite(metrics["return_agent"])  # alternating sides: it played both
    assert all(isinstance(v, float) for v in metrics.values())
    bot = learner.bot(env, seed=0)
    assert isinstance(bot, Bot) and isinstance(bot, MADDPGBot)
    # the league's two seats are the two sides: predators (act_team) and the prey (act)
    scores = play_any_game(env, [bot, make_bot("random", env, seed=0)], seed=4)
    assert len(scores) == 2 and scores[0] >= 0 >= scores[1]
    obs, _ = env.reset(seed=0)
    assert bot.act(obs["agent_0"], np.ones(5, np.int8)) in range(5)
    team = bot.act_team({a: obs[a] for a in ("adversary_0", "adversary_1", "adversary_2")})
    assert set(team) == {"adversary_0", "adversary_1", "adversary_2"}
    assert learner.hyperparameters == {"lr_actor": 0.001, "lr_critic": 0.002, "logit_reg": 0.001,
                                       "gumbel_temperature": 1.0}
    learner.set_hyperparameters({"lr_actor": 0.002})
    assert learner.model is not None and learner.model.actor_optimizer.param_groups[0]["lr"] == 0.002
    with pytest.raises(ValueError, match="no tunable hyperparameter 'gamma'"):
        learner.set_hyperparameters({"gamma": 0.5})


def test_state_round_trip_gives_identical_actions_and_training(tmp_path):
    learner = make_maddpg_learner({**TINY, "save_buffer": True, "seed": 5})
    env = make_env()
    learner.learn(make_env, opponents(learner, env), 160)
    # through a league checkpoint: weights-only, rebuilt from the registered kind
    path = tmp_path / "live.pt"
    save_checkpoint(path, "maddpg", {**TINY, "save_buffer": True, "seed": 5}, learner)
    assert read_checkpoint(path)["state"]["kind"] == "maddpg"
    restored = load_learner(path)
    assert isinstance(restored, MADDPGLearner)
    assert all(torch.equal(a, b) for a, b in zip(params(learner), params(restored)))
    assert restored.buffer is not None and restored.buffer.size == learner.buffer.size == 160
    original_bot, restored_bot = learner.bot(env), restored.bot(env)
    for seed in range(5):
        obs, _ = env.reset(seed=seed)
        assert original_bot.act_team(obs) == restored_bot.act_team(obs)
        batch = np.stack([obs["adversary_1"]] * 3)
        assert np.array_equal(original_bot.act_batch("adversary_1", batch), restored_bot.act_batch("adversary_1", batch))
    # same RNG states and buffer -> the same continued training
    m1 = learner.learn(make_env, [make_bot("random", env, seed=9)], 80)
    m2 = restored.learn(make_env, [make_bot("random", env, seed=9)], 80)
    assert all(torch.equal(a, b) for a, b in zip(params(learner), params(restored)))
    assert m1["critic_loss"] == m2["critic_loss"] and m1["mean_return"] == m2["mean_return"]
    # without save_buffer the checkpoint holds no buffer (snapshots stay small)
    light = make_maddpg_learner(TINY)
    light.learn(make_env, [], 40)
    buffer = io.BytesIO()
    torch.save(light.state_dict(), buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)
    assert state["buffer"] is None
    empty = MADDPGLearner()
    empty.load_state_dict(state)
    assert empty.buffer is not None and empty.buffer.size == 0
    assert all(torch.equal(a, b) for a, b in zip(params(light), params(empty)))


def test_unbuilt_learners_build_the_same_networks_everywhere():
    # a league's initial checkpoint has no networks yet; every process must build the same ones
    env = make_env()
    a, b = make_maddpg_learner({**TINY, "seed": 7}), make_maddpg_learner({**TINY, "seed": 7})
    torch.manual_seed(123)  # the global RNG does not matter
    obs, _ = env.reset(seed=1)
    assert a.bot(env).act_team(obs) == b.bot(env).act_team(obs)
    assert all(torch.equal(x, y) for x, y in zip(params(a), params(b)))


def test_clone_and_bot_are_deep_copies():
    learner = make_maddpg_learner({**TINY, "seed": 11})
    env = make_env()
    learner.learn(make_env, opponents(learner, env), 120)
    twin = learner.clone()
    assert twin is not learner and twin.buffer is not learner.buffer
    assert twin.buffer is not None and twin.buffer.size == learner.buffer.size  # the clone keeps the data
    before, size = params(learner), learner.buffer.size
    frozen = learner.bot(env)
    frozen_before = [p.clone() for actor in frozen.actors for p in actor.parameters()]
    twin.learn(make_env, opponents(twin, env), 120)
    assert all(torch.equal(a, b) for a, b in zip(before, params(learner)))  # the original is untouched
    assert learner.buffer.size == size
    assert not all(torch.equal(a, b) for a, b in zip(before, params(twin)))
    learner.learn(make_env, [], 120)
    assert not all(torch.equal(a, b) for a, b in zip(before, params(learner)))
    assert all(torch.equal(a, p) for a, p in zip(frozen_before, (p for actor in frozen.actors
                                                                   for p in actor.parameters())))


def test_bad_config_and_games_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match=r"maddpg learner: unknown config field 'lr' \(valid: .*lr_actor"):
        make_learner("maddpg", {"lr": 0.01})
    with pytest.raises(ValueError, match="'tensorboard' .*arena train maddpg"):
        make_learner("maddpg", {"tensorboard": False})
    with pytest.raises(ValueError, match="lr_actor='fast' is not a valid float"):
        make_learner("maddpg", {"lr_actor": "fast"})
    with pytest.raises(ValueError, match="side_choice"):
        make_learner("maddpg", {"side_choice": "left"})
    learner = make_maddpg_learner(TINY)
    with pytest.raises(ValueError, match="simultaneous-move PettingZoo ParallelEnv"):
        learner.bot(arena.make("tic_tac_toe"))
    learner.bot(make_env())
    with pytest.raises(ValueError, match="trained on agents adversary_0.*train a fresh learner"):
        learner.learn(lambda: arena.make("mpe2.simple_spread_v3"), [], 10)
    # in a recipe: one line naming the agent, before any league directory is written
    data = yaml.safe_load(RECIPE.read_text())
    data["agents"][0]["config"] = {"lr": 0.01}
    with pytest.raises(RecipeError, match=r"agents\[0\]\.config: maddpg learner: unknown config field 'lr'") as info:
        parse_recipe(data, source="r.yaml")
    assert "\n" not in str(info.value)


def test_shipped_recipe_validates():
    recipe = load_recipe(RECIPE)
    assert recipe.game == GAME and [a.learner for a in recipe.agents] == ["maddpg"]
    learner = make_learner("maddpg", recipe.agents[0].config)
    assert isinstance(learner, MADDPGLearner) and learner.config.critic_scope == "team"


@pytest.mark.slow  # the `arena` CLI in a subprocess (about 10 s on 2 busy cores)
def test_a_tiny_league_runs_through_the_cli(tmp_path):
    data = yaml.safe_load(RECIPE.read_text())
    data.update(iterations=2, tensorboard=False, workers=0, game_kwargs={"max_cycles": 10})
    data["matches"].update(opponents_per_iteration=2, games_per_opponent=2)
    data["evaluation"].update(every=1, games=2)
    data["agents"][0].update(config=TINY, steps_per_iteration=100, snapshot={"max_steps": 100, "min_steps": 100})
    recipe = tmp_path / "tiny_tag.yaml"
    recipe.write_text(yaml.safe_dump(data))
    out = tmp_path / "league"
    env = dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="160", OMP_NUM_THREADS="1")
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "arena", "league", "run", str(recipe), "--out", str(out),
                             "--no-live"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    elapsed = time.perf_counter() - started
    assert result.returncode == 0, result.stderr
    assert "simple_tag_maddpg: ratings after 2 iterations" in result.stdout
    assert elapsed < 60, f"tiny league took {elapsed:.0f}s"
    store = PayoffStore(out / "league.db")
    try:
        assert store.get_meta("iteration") == 2
        # per iteration: 2 opponents x 2 games + 1 held-out player x 2 games
        assert store.count_games() == 2 * (2 * 2 + 2)
        assert {p.name for p in store.players(["snapshot"])} == {"tag@1", "tag@2"}
        agent = store.agents()[0]
        assert agent.learner == "maddpg" and agent.steps == 200
        live = load_learner(agent.checkpoint)
        assert isinstance(live, MADDPGLearner) and live.transitions == 200
    finally:
        store.close()
    # Only board games get an `arena play` hint; the league: bot accepts the module-path game name.
    assert "arena play" not in result.stdout and f"arena league report {out}" in " ".join(result.stdout.split())
    from arena import bots

    bot = bots.make(f"league:{out}", arena.make(GAME, max_cycles=10), seed=0)
    env = arena.make(GAME, max_cycles=10)
    obs, _ = env.reset(seed=0)
    agent_name = env.possible_agents[-1]  # the prey: the only agent with its observation size
    assert env.action_space(agent_name).contains(int(bot.act(obs[agent_name], None)))
