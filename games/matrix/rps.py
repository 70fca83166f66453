"""Repeated rock-paper-scissors, a batched simultaneous-move game.

The cyclic game of league tests: no strategy beats every other, and the unique equilibrium
plays each move with probability 1/3. Each of ``num_rounds`` rounds pays +1 to the winner and -1
to the loser; each agent observes the opponent's previous move (one-hot, all zeros at the start).
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from arena.env.batched import BatchedParallelGame
from arena.env.parallel import BatchedParallelEnv

MOVES = ("rock", "paper", "scissors")
# PAYOFF[a, b]: what the player choosing a gets against b.
PAYOFF = np.array([[0, -1, 1], [1, 0, -1], [-1, 1, 0]], dtype=np.float32)


class RockPaperScissors(BatchedParallelGame):
    """``num_envs`` independent matches of ``num_rounds`` rounds."""

    possible_agents = ["player_0", "player_1"]
    action_names = MOVES  # what each action index means (key help of arena play)
    metadata = {"render_modes": ["ansi", "human"], "name": "rock_paper_scissors_v0"}

    def __init__(self, num_envs: int = 1, num_rounds: int = 10) -> None:
        super().__init__(num_envs)
        if num_rounds < 1:
            raise ValueError(f"num_rounds must be >= 1, got {num_rounds}")
        self.num_rounds = int(num_rounds)
        self._obs_space = spaces.Box(0.0, 1.0, shape=(3,), dtype=np.float32)
        self._act_space = spaces.Discrete(3)
        self.round = np.zeros(self.num_envs, dtype=np.int32)
        self.last = np.full((self.num_envs, 2), -1, dtype=np.int64)

    def observation_space(self, agent: str) -> spaces.Space:
        return self._obs_space

    def action_space(self, agent: str) -> spaces.Space:
        return self._act_space

    def _observe(self) -> dict[str, np.ndarray]:
        obs = {}
        for seat, agent in enumerate(self.possible_agents):
            other = self.last[:, 1 - seat]
            one_hot = np.zeros((self.num_envs, 3), dtype=np.float32)
            played = other >= 0
            one_hot[np.flatnonzero(played), other[played]] = 1.0
            obs[agent] = one_hot
        return obs

    def reset(self, seed: int | None = None) -> dict[str, np.ndarray]:
        self.round[:] = 0
        self.last[:] = -1
        return self._observe()

    def step(self, actions: dict[str, np.ndarray]):
        a = np.asarray(actions["player_0"], dtype=np.int64).reshape(self.num_envs)
        b = np.asarray(actions["player_1"], dtype=np.int64).reshape(self.num_envs)
        if ((a < 0) | (a > 2) | (b < 0) | (b > 2)).any():
            raise ValueError("rock-paper-scissors actions must be 0 (rock), 1 (paper) or 2 (scissors)")
        r0 = PAYOFF[a, b]
        self.last[:, 0], self.last[:, 1] = a, b
        self.round += 1
        done = self.round >= self.num_rounds
        trunc = np.zeros(self.num_envs, dtype=bool)
        rewards = {"player_0": r0, "player_1": -r0}
        return (self._observe(), rewards, {p: done.copy() for p in self.possible_agents},
                {p: trunc.copy() for p in self.possible_agents}, {p: {} for p in self.possible_agents})

    def render(self, index: int = 0) -> str:
        a, b = self.last[index]
        if a < 0:
            return f"round 0/{self.num_rounds}: no moves yet"
        return f"round {self.round[index]}/{self.num_rounds}: player_0 {MOVES[a]} vs player_1 {MOVES[b]}"


def parallel_env(num_rounds: int = 10, render_mode: str | None = None) -> BatchedParallelEnv:
    """Rock-paper-scissors as a PettingZoo ParallelEnv."""
    return BatchedParallelEnv(lambda n: RockPaperScissors(n, num_rounds), render_mode=render_mode)
