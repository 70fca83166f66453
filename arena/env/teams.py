"""Team views of a team game: one team plays, the other agents are part of the environment.

``VsRandomTeam`` turns a two-team game into a cooperative task for one team (registered as
``vs-random-team``: ``arena.make("vs-random-team", game="BlowBlow-2T2P", team="red")``), the
setting of the MADDPG 2-D benchmark and of ``arena eval`` on such runs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

import arena


def team_of(agent: str) -> str:
    """Team of an agent from its name, PettingZoo style: ``adversary_0`` -> ``adversary``."""
    head, sep, tail = agent.rpartition("_")
    return head if sep and tail.isdigit() else agent


class VsRandomTeam(ParallelEnv):
    """One team of an Arena game as a ParallelEnv; every other agent plays uniformly random actions.

    The learners see only their own team (``possible_agents`` are the agents whose
    :func:`team_of` is ``team``), so the task is cooperative for them: the opposing team is part
    of the environment. Its actions are drawn with a generator seeded by ``reset(seed)``, so a
    seeded episode replays exactly. The episode ends for the learners when their team has left
    the game (or the game ends).
    """

    metadata = {"name": "vs_random_team_v0", "render_modes": []}

    def __init__(self, game: str, team: str, actions: str | None = None) -> None:
        self.env = arena.make(game, api="parallel", **({"actions": actions} if actions else {}))
        self.possible_agents = [a for a in self.env.possible_agents if team_of(a) == team]
        if not self.possible_agents:
            teams = sorted({team_of(a) for a in self.env.possible_agents})
            raise ValueError(f"game '{game}' has no team '{team}'; its teams are {', '.join(teams)}")
        self.opponents = [a for a in self.env.possible_agents if a not in self.possible_agents]
        self.agents: list[str] = []
        self.rng = np.random.default_rng()

    def observation_space(self, agent: str) -> spaces.Space:
        return self.env.observation_space(agent)

    def action_space(self, agent: str) -> spaces.Space:
        return self.env.action_space(agent)

    def _own(self, values: dict[str, Any]) -> dict[str, Any]:
        return {a: v for a, v in values.items() if a in self.possible_agents}

    def _random_action(self, agent: str) -> Any:
        space = self.env.action_space(agent)
        if isinstance(space, spaces.Discrete):
            return int(space.start + self.rng.integers(space.n))
        return self.rng.uniform(space.low, space.high).astype(space.dtype)

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[dict, dict]:
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        obs, infos = self.env.reset(seed=seed, options=options)
        self.agents = [a for a in self.env.agents if a in self.possible_agents]
        return self._own(obs), self._own(infos)

    def step(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        joint = dict(actions)
        joint.update({a: self._random_action(a) for a in self.env.agents if a in self.opponents})
        obs, rewards, terminations, truncations, infos = self.env.step(joint)
        self.agents = [a for a in self.env.agents if a in self.possible_agents]
        return self._own(obs), self._own(rewards), self._own(terminations), self._own(truncations), self._own(infos)

    def close(self) -> None:
        self.env.close()

