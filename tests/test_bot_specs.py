"""Every learner's output is a bot spec usable in every command: az:RUN, maddpg:RUN (ppo: and
league: have their own tests)."""

from __future__ import annotations

import pytest

import arena
from arena import bots
from arena.cli import main


@pytest.fixture(scope="module")
def maddpg_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("maddpg") / "tag"
    assert main(["train", "maddpg", "simple_tag_v3", "--episodes", "4", "--out", str(out), "--no-progress"]) == 0
    return out


def test_maddpg_run_is_a_bot_for_match(maddpg_run, capsys):
    assert main(["match", "simple_tag_v3", f"maddpg:{maddpg_run}", "random", "--games", "2", "--json"]) == 0
    assert "maddpg" in capsys.readouterr().out


def test_maddpg_bot_refuses_another_game_in_one_line(maddpg_run):
    with pytest.raises(bots.BotSpecError, match="trained on simple_tag_v3"):
        bots.make(f"maddpg:{maddpg_run}", arena.make("simple_spread_v3"))
    with pytest.raises(bots.BotSpecError, match="does not exist"):
        bots.make(f"maddpg:{maddpg_run}/nowhere", arena.make("simple_tag_v3"))


def test_az_takes_a_run_directory(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("blocks: 1\nchannels: 8\nnum_simulations: 8\nselfplay_batch: 4\ngames_per_iteration: 4\n"
                      "batch_size: 16\ntrain_steps: 2\nmin_replay: 8\neval_every: 0\niterations: 1\n"
                      "tensorboard: false\n")
    run = tmp_path / "ttt"
    assert main(["train", "alphazero", "tic_tac_toe", "--config", str(config), "--out", str(run), "--no-progress"]) == 0
    bot = bots.make(f"az:{run}", arena.make("tic_tac_toe"), seed=0)
    assert bot.name == "az:best.pt"


@pytest.mark.parametrize(("game", "size"), [("othello", 6), ("hex", 7)])
def test_shipped_models_of_games_written_to_the_protocol(game, size):
    env = arena.make(game, size=size)
    bot = bots.make("az", env, seed=0, playouts=16)
    env.reset()
    obs = env.observe(env.agent_selection)
    action = bot.act(obs["observation"], obs["action_mask"])
    assert obs["action_mask"][action] == 1
    assert bot.name == f"az:{game}_{size}x{size}.pt"
