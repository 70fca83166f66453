"""What the PPO/MAPPO value learns at the end of a game: a time limit (truncation) bootstraps from
the value of the cut-off observation, a real end (termination) does not; ``value_norm`` learns the
same values in normalised units; the MAPPO preset is reachable from the command line."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gymnasium import spaces
from pettingzoo import ParallelEnv

from arena.cli import main as arena_main
from arena.marl.ppo import MAPPO_PRESET, PPOConfig, PPOLearner

torch.set_num_threads(1)

GAMMA = 0.5
LENGTH = 5


class ConstantReward(ParallelEnv):
    """One agent, one constant observation, reward 1 per step; the game ends after ``LENGTH``
    steps by a time limit (``truncated``) or, with ``terminate=True``, as a real end."""

    metadata = {"name": "constant_reward_v0"}
    possible_agents = ["solo_0"]

    def __init__(self, terminate: bool = False) -> None:
        self.terminate = terminate
        self.agents: list[str] = []
        self.t = 0

    def observation_space(self, agent: str) -> spaces.Space:
        return spaces.Box(-1.0, 1.0, (2,), np.float32)

    def action_space(self, agent: str) -> spaces.Space:
        return spaces.Discrete(2)

    def reset(self, seed: int | None = None, options: dict | None = None):
        self.agents = list(self.possible_agents)
        self.t = 0
        return {"solo_0": np.ones(2, np.float32)}, {"solo_0": {}}

    def step(self, actions):
        self.t += 1
        end = self.t >= LENGTH
        obs = {"solo_0": np.ones(2, np.float32)}
        terminated = {"solo_0": end and self.terminate}
        truncated = {"solo_0": end and not self.terminate}
        if end:
            self.agents = []
        return obs, {"solo_0": 1.0}, terminated, truncated, {"solo_0": {}}


def learned_value(terminate: bool, **overrides) -> float:
    """Fit the value of the one observation; return it in return units."""
    config = PPOConfig(num_envs=4, num_steps=LENGTH, num_minibatches=1, update_epochs=20, hidden_sizes=(8,),
                       lr=0.02, gamma=GAMMA, gae_lambda=1.0, entropy_coef=0.0, clip_value_loss=False,
                       normalize_obs=False, max_grad_norm=100.0, **overrides)
    learner = PPOLearner(config)
    learner.learn(lambda: ConstantReward(terminate), [], 4 * LENGTH * 60)
    with torch.no_grad():
        _, value, _ = learner.models["solo"](torch.ones(1, 2))
    return float(learner._values("solo", value)[0])


# Returns to go of a 5-step game with reward 1 and gamma 1/2: 1.9375, 1.875, 1.75, 1.5, 1 (mean 1.6125);
# a game that goes on forever is worth 1 / (1 - gamma) = 2 at every step.
CUT_MEAN = float(np.mean([sum(GAMMA ** k for k in range(n)) for n in range(1, LENGTH + 1)]))


def test_a_time_limit_bootstraps_from_the_value_of_the_last_observation():
    assert learned_value(terminate=False) == pytest.approx(2.0, abs=0.08)


def test_a_real_end_does_not_bootstrap():
    assert learned_value(terminate=True) == pytest.approx(CUT_MEAN, abs=0.08)


def test_the_old_behaviour_stays_available():
    assert learned_value(terminate=False, bootstrap_truncation=False) == pytest.approx(CUT_MEAN, abs=0.08)


def test_value_norm_learns_the_same_values_in_normalised_units():
    config = dict(value_norm=True)
    assert learned_value(terminate=False, **config) == pytest.approx(2.0, abs=0.08)
    learner = PPOLearner(PPOConfig(num_envs=2, num_steps=LENGTH, num_minibatches=1, update_epochs=2,
                                   hidden_sizes=(8,), value_norm=True))
    learner.learn(lambda: ConstantReward(), [], 2 * LENGTH * 3)
    normalizer = learner.value_normalizers["solo"]
    assert normalizer is not None and normalizer.stats.count > 1
    twin = PPOLearner()
    twin.load_state_dict(learner.state_dict())
    restored = twin.value_normalizers["solo"]
    assert restored is not None
    assert float(restored.stats.mean[0]) == pytest.approx(float(normalizer.stats.mean[0]))
    assert float(restored.stats.var[0]) == pytest.approx(float(normalizer.stats.var[0]))


def test_checkpoints_from_before_value_norm_still_load():
    learner = PPOLearner(PPOConfig(num_envs=2, num_steps=LENGTH, num_minibatches=1, update_epochs=1,
                                   hidden_sizes=(8,)))
    learner.learn(lambda: ConstantReward(), [], 2 * LENGTH)
    state = learner.state_dict()
    del state["value_normalizers"]
    for key in ("value_norm", "bootstrap_truncation"):
        del state["config"][key]
    twin = PPOLearner()
    twin.load_state_dict(state)
    assert twin.config.value_norm is False and twin.config.bootstrap_truncation is True


def test_preset_mappo_from_the_command_line(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", "ppo", "simple_spread_v3", "--preset", "mappo", "--steps", "50", "--out", str(out),
            "--env-arg", "max_cycles=5", "--set", "num_envs=2", "--set", "num_steps=5", "--set", "hidden_sizes=[8]",
            "--no-progress"]
    assert arena_main(args) == 0
    config = torch.load(out / "checkpoint.pt", weights_only=True)["config"]
    for key, value in MAPPO_PRESET.items():
        if key not in ("num_envs", "num_steps", "hidden_sizes"):
            assert config[key] == value, key
    assert config["num_envs"] == 2 and config["hidden_sizes"] == [8]  # --set overrides the preset
    assert arena_main(["train", "ppo", "simple_spread_v3", "--preset", "nope", "--steps", "5",
                       "--out", str(tmp_path / "bad")]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_agent_ids_give_team_mates_of_one_network_their_own_seat():
    import arena

    env = arena.make("simple_spread_v3", max_cycles=5)
    config = PPOConfig(critic="central", agent_ids=True, num_envs=2, num_steps=5, num_minibatches=1,
                       update_epochs=1, hidden_sizes=(8,))
    learner = PPOLearner(config)
    metrics = learner.learn(lambda: arena.make("simple_spread_v3", max_cycles=5), [], 20)
    assert np.isfinite(metrics["value_loss"])
    model = learner.models["agent"]
    assert model.actor[0][0].in_features == 18 + 3 and model.critic[0][0].in_features == 3 * (18 + 3)
    bot = learner.bot(env, seed=0, deterministic=True)
    obs = np.random.default_rng(0).normal(size=(4, 18)).astype(np.float32)
    # the same observation in another seat is another input: the seat's one-hot follows it
    rms = bot.normalizers["agent"]
    for j, agent in enumerate(["agent_0", "agent_1", "agent_2"]):
        seat = np.zeros((4, 3), np.float32)
        seat[:, j] = 1.0
        x = torch.from_numpy(np.concatenate([rms.normalize(obs, config.obs_clip), seat], axis=1))
        expected = model.actor(x).argmax(-1).numpy()
        assert np.array_equal(bot.act_batch(agent, obs)[0], expected)
        assert bot.for_agent(agent).act(obs[0]) == expected[0]
    with pytest.raises(ValueError, match="bot.for_agent"):
        bot.act(obs[0])  # unbound: the seat is unknown
    assert set(bot.act_team({"agent_0": obs[0], "agent_2": obs[1]})) == {"agent_0", "agent_2"}
    twin = PPOLearner()
    twin.load_state_dict(learner.state_dict())
    assert twin.bot(env).act_team({"agent_1": obs[0]})["agent_1"] in range(5)
