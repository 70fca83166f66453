"""The PettingZoo AEC view of a batched turn-based game (a batch of one)."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import AECEnv
from pettingzoo.utils.agent_selector import AgentSelector

from arena.env.batched import TurnBasedGame


class TurnBasedAECEnv(AECEnv):
    """PettingZoo AEC environment over any :class:`~arena.env.batched.TurnBasedGame`.

    Observations follow PettingZoo classic: ``{"observation": int8 [H, W, 2] (own stones,
    opponent stones), "action_mask": int8 [A]}``. Rewards are paid once, at the end: +1 win,
    -1 loss, 0 draw. ``env.game`` and ``env.state`` expose the rules and the batched state
    (batch of one) for search-based bots.
    """

    def __init__(self, game: TurnBasedGame, render_mode: str | None = None) -> None:
        super().__init__()
        if render_mode not in (None, "ansi", "human"):
            raise ValueError(f"render_mode={render_mode!r} is not supported: use None, 'ansi' or 'human'")
        self.game = game
        self.render_mode = render_mode
        self.metadata = {"render_modes": ["ansi", "human"], "name": f"{game.name}_v0",
                         "is_parallelizable": False, "render_fps": 1}
        self.possible_agents = [f"player_{i}" for i in range(game.num_players)]
        self.agents = list(self.possible_agents)
        obs_dtype = np.asarray(game.observation(game.initial_state(1), 0)).dtype
        obs_space = spaces.Dict({
            "observation": spaces.Box(0, 1, shape=tuple(game.observation_shape), dtype=obs_dtype),
            "action_mask": spaces.Box(0, 1, shape=(game.num_actions,), dtype=np.int8),
        })
        self.observation_spaces = {a: obs_space for a in self.possible_agents}
        self.action_spaces = {a: spaces.Discrete(game.num_actions) for a in self.possible_agents}
        self.state = game.initial_state(1)

    def observation_space(self, agent: str) -> spaces.Space:
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space:
        return self.action_spaces[agent]

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        if seed is not None:
            for i, agent in enumerate(self.possible_agents):
                self.action_spaces[agent].seed(seed + i)
                self.observation_spaces[agent].seed(seed + i)
        self.state = self.game.initial_state(1)
        self.agents = list(self.possible_agents)
        self.rewards = {a: 0.0 for a in self.agents}
        self._cumulative_rewards = {a: 0.0 for a in self.agents}
        self.terminations = {a: False for a in self.agents}
        self.truncations = {a: False for a in self.agents}
        self.infos = {a: {} for a in self.agents}
        self._agent_selector = AgentSelector(self.agents)
        self.agent_selection = self._agent_selector.reset()

    def observe(self, agent: str) -> dict[str, np.ndarray]:
        seat = self.possible_agents.index(agent)
        planes = self.game.observation(self.state, seat)[0]
        if seat == int(self.state.to_play[0]) and not bool(self.state.terminal[0]):
            mask = self.game.legal_mask(self.state)[0].astype(np.int8)
        else:
            mask = np.zeros(self.game.num_actions, dtype=np.int8)
        return {"observation": planes, "action_mask": mask}

    def step(self, action: int | None) -> None:
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        if action is None or not (0 <= int(action) < self.game.num_actions):
            raise ValueError(f"{agent} played {action!r}: an action must be an int in "
                             f"0..{self.game.num_actions - 1} with action_mask 1")
        self.game.step(self.state, np.array([int(action)]))
        self._cumulative_rewards[agent] = 0.0
        if bool(self.state.terminal[0]):
            scores = self.game.returns(self.state)[0]
            for seat, a in enumerate(self.agents):
                self.rewards[a] = float(scores[seat])
                self.terminations[a] = True
        self.agent_selection = self._agent_selector.next()
        self._accumulate_rewards()
        if self.render_mode == "human":
            self.render()

    def render(self) -> str | None:
        if self.render_mode is None:
            import gymnasium

            gymnasium.logger.warn("render() called without a render_mode; pass render_mode='ansi'.")
            return None
        text = self.game.render(self.state, 0)
        if self.render_mode == "human":
            print(text)
            return None
        return text

    def close(self) -> None:
        pass
