"""PPO learns: it exploits a biased rock-paper-scissors player, and trains on the 2-D engine's
batch against a frozen PPO opponent."""

from __future__ import annotations

import numpy as np
import torch

import arena
from arena.env.vector import BatchedVectorEnv, ParallelEnvList, make_vector_env
from arena.marl.ppo import PPOConfig, PPOLearner

torch.set_num_threads(1)


class BiasedBot:
    """Plays rock with probability 0.6 (paper wins 0.4 per round on average against it)."""

    def __init__(self, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)

    def act(self, observation: np.ndarray, action_mask: np.ndarray) -> int:
        return int(self.rng.choice(3, p=[0.6, 0.2, 0.2]))

    def reset(self) -> None:
        pass


def test_exploits_a_biased_rps_player() -> None:
    config = PPOConfig(num_envs=8, num_steps=32, num_minibatches=4, lr=3e-3, entropy_coef=0.0, hidden_sizes=(32,))
    learner = PPOLearner(config)
    make_env = lambda: arena.make("rock_paper_scissors")  # noqa: E731
    first = learner.learn(make_env, [BiasedBot(1)], 512)
    for _ in range(4):
        last = learner.learn(make_env, [BiasedBot(2)], 1024)
    # a uniform player scores 0 per 10-round game; always-paper scores 4
    assert last["mean_return"] > 1.5 > first["mean_return"]
    bot = learner.bot(make_env(), seed=0)
    moves = [bot.act(np.zeros(3, np.float32), np.ones(3, np.int8)) for _ in range(200)]
    assert np.mean(np.array(moves) == 1) > 0.6  # mostly paper


def test_trains_on_the_2d_engine_batch_against_a_frozen_ppo_bot() -> None:
    make_env = lambda: arena.make("Sumo-2T1P")  # noqa: E731
    assert isinstance(make_vector_env(make_env, 2), BatchedVectorEnv)
    rps = lambda: arena.make("rock_paper_scissors")  # noqa: E731
    assert isinstance(make_vector_env(rps, 2), ParallelEnvList)

    config = PPOConfig(num_envs=8, num_steps=32, num_minibatches=2, update_epochs=1, hidden_sizes=(32,),
                       recurrent=True, lstm_size=16, sequence_length=8)
    opponent = PPOLearner(config).bot(make_env(), seed=1)
    learner = PPOLearner(config)
    metrics = learner.learn(make_env, [opponent], 512)
    assert metrics["steps"] == 512 and np.isfinite(metrics["policy_loss"]) and metrics["entropy"] > 0
    assert learner.env_steps == 512


class SeatEnv:
    """Two seats that observe a one-hot of their own seat; 3-step episodes, no reward."""

    possible_agents = ["player_0", "player_1"]
    metadata = {"name": "seat_env_v0"}

    def __init__(self) -> None:
        from gymnasium import spaces

        self._obs = spaces.Box(0.0, 1.0, (2,), np.float32)
        self._act = spaces.Discrete(2)
        self.agents: list[str] = []
        self.t = 0

    def observation_space(self, agent: str):
        return self._obs

    def action_space(self, agent: str):
        return self._act

    def _observe(self) -> dict[str, np.ndarray]:
        return {a: np.eye(2, dtype=np.float32)[i] for i, a in enumerate(self.possible_agents)}

    def reset(self, seed: int | None = None, options: dict | None = None):
        self.agents, self.t = list(self.possible_agents), 0
        return self._observe(), {a: {} for a in self.agents}

    def step(self, actions: dict[str, int]):
        assert set(actions) == set(self.agents)
        self.t += 1
        agents = list(self.agents)
        if self.t >= 3:
            self.agents = []
        return (self._observe(), dict.fromkeys(agents, 0.0), dict.fromkeys(agents, self.t >= 3),
                dict.fromkeys(agents, False), {a: {} for a in agents})

    def close(self) -> None:
        pass


class SeatRecorder:
    def __init__(self) -> None:
        self.seats: list[int] = []

    def act(self, observation: np.ndarray, action_mask: np.ndarray) -> int:
        self.seats.append(int(np.argmax(observation)))
        return 0

    def reset(self) -> None:
        pass


def test_learner_and_opponent_split_the_sides() -> None:
    learner = PPOLearner(PPOConfig(num_envs=2, num_steps=6, num_minibatches=1, update_epochs=1, hidden_sizes=(8,)))
    recorder = SeatRecorder()
    learner.learn(SeatEnv, [recorder], 36)
    # one seat per step and copy is the opponent's, and over the episodes it played both seats
    assert len(recorder.seats) == 36
    assert set(recorder.seats) == {0, 1}
    assert abs(recorder.seats.count(0) - recorder.seats.count(1)) <= 6  # alternating episodes
