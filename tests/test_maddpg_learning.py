"""End-to-end: MADDPG learns a tiny cooperative task much better than random play."""

from __future__ import annotations

import numpy as np
import pytest
from gymnasium import spaces
from pettingzoo import ParallelEnv

from arena.env.registry import register
from arena.marl.maddpg import MADDPGConfig, config_with, evaluate, load_run, random_returns, train


class MatchTargetEnv(ParallelEnv):
    """Two agents see a one-hot target in {0, 1, 2} (a fresh one each step) and are paid as a
    team: every agent gets ``0.5 * (number of agents that picked the target)``.

    ``continuous=True``: actions are in ``[-1, 1]`` and the team reward is
    ``-0.5 * sum_i (a_i - c_target)^2`` with centres ``c = (-0.8, 0, 0.8)``. Episodes are truncated
    after ``length`` steps.
    """

    metadata = {"name": "match_target_v0", "render_modes": []}
    CENTRES = np.array([-0.8, 0.0, 0.8], np.float32)

    def __init__(self, continuous: bool = False, length: int = 4) -> None:
        self.possible_agents = ["agent_0", "agent_1"]
        self.continuous, self.length = continuous, length
        self.agents: list[str] = []
        self.rng = np.random.default_rng(0)
        self.t, self.target = 0, 0

    def observation_space(self, agent):
        return spaces.Box(0.0, 1.0, (3,), np.float32)

    def action_space(self, agent):
        return spaces.Box(-1.0, 1.0, (1,), np.float32) if self.continuous else spaces.Discrete(3)

    def _obs(self):
        one_hot = np.eye(3, dtype=np.float32)[self.target]
        return {a: one_hot.copy() for a in self.agents}

    def reset(self, seed=None, options=None):
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self.t, self.target = 0, int(self.rng.integers(3))
        self.agents = list(self.possible_agents)
        return self._obs(), {a: {} for a in self.agents}

    def step(self, actions):
        if self.continuous:
            team = -0.5 * sum(float((np.asarray(actions[a]).item() - self.CENTRES[self.target]) ** 2) for a in self.agents)
        else:
            team = 0.5 * sum(int(actions[a]) == self.target for a in self.agents)
        self.t += 1
        self.target = int(self.rng.integers(3))
        end = self.t >= self.length
        rewards = {a: team for a in self.agents}
        obs = self._obs()
        term = {a: False for a in self.agents}
        trunc = {a: end for a in self.agents}
        if end:
            self.agents = []
        return obs, rewards, term, trunc, {a: {} for a in obs}


register("test_match_target", lambda continuous=False, length=4: MatchTargetEnv(continuous, length),
         api="parallel", description="test-only cooperative target matching", overwrite=True)

FAST = {"batch_size": 64, "learning_starts": 256, "update_every": 8, "num_envs": 8, "buffer_size": 20_000,
        "hidden_sizes": (32, 32), "lr_actor": 0.01, "lr_critic": 0.01, "tau": 0.05, "gamma": 0.5,
        "checkpoint_every": 1000, "tensorboard": False, "noise_anneal_episodes": 400}


@pytest.mark.slow
@pytest.mark.parametrize("continuous", [False, True], ids=["discrete", "continuous"])
def test_maddpg_beats_random_on_a_cooperative_task(tmp_path, continuous):
    config = config_with(MADDPGConfig(), {**FAST, "env_kwargs": {"continuous": continuous}})
    result = train("test_match_target", episodes=600, run_dir=tmp_path, config=config, progress=False)
    random_mean = random_returns("test_match_target", 200, env_kwargs={"continuous": continuous}).mean()
    learned = evaluate(load_run(tmp_path), 100)["mean_per_agent"]
    late_training = result.returns[-100:].mean()
    if continuous:  # random: about -0.5 * 2 * 4 * 0.55 = -2.2; optimum 0
        assert random_mean < -1.5 and learned > -0.4 and late_training > -0.8, (random_mean, learned, late_training)
    else:  # random: 4 * 1/3 = 1.33; optimum 4
        assert random_mean < 1.6 and learned > 3.6 and late_training > 2.8, (random_mean, learned, late_training)


def test_ou_noise_path_runs_and_resets_per_copy(tmp_path):
    from arena.marl.common import OUNoise

    noise = OUNoise((2, 1), np.random.default_rng(0))
    for _ in range(5):
        noise.sample(1.0)
    noise.reset(0)
    assert noise.state[0, 0] == 0.0 and noise.state[1, 0] != 0.0
    config = config_with(MADDPGConfig(), {**FAST, "noise": "ou", "learning_starts": 64,
                                          "env_kwargs": {"continuous": True}})
    result = train("test_match_target", episodes=30, run_dir=tmp_path, config=config, progress=False)
    assert result.returns.shape == (30, 2) and np.isfinite(result.returns).all() and result.updates > 0
