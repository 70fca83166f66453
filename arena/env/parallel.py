"""The PettingZoo Parallel view of a batched simultaneous-move game (a batch of one)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from arena.env.batched import BatchedParallelGame


def _unbatch(value: Any) -> Any:
    """Take copy 0 of a batched value: arrays lose their first axis, numbers become Python
    scalars, dicts are handled recursively."""
    if isinstance(value, dict):
        return {k: _unbatch(v) for k, v in value.items()}
    arr = np.asarray(value)
    item = arr[0]
    if item.ndim == 0:
        return item.item()
    return item


class BatchedParallelEnv(ParallelEnv):
    """PettingZoo ParallelEnv over copy 0 of a :class:`BatchedParallelGame` built with one copy."""

    def __init__(self, make_game: Callable[[int], BatchedParallelGame], render_mode: str | None = None) -> None:
        self.make_game = make_game  # builds engines of any batch size (arena.env.vector uses it)
        self.engine = make_game(1)
        if render_mode not in (None, "ansi", "human"):
            raise ValueError(f"render_mode={render_mode!r} is not supported: use None, 'ansi' or 'human'")
        self.render_mode = render_mode
        self.metadata = dict(self.engine.metadata)
        self.metadata.setdefault("render_modes", ["ansi", "human"])
        self.metadata["is_parallelizable"] = True
        self.possible_agents = list(self.engine.possible_agents)
        self.agents: list[str] = []

    def observation_space(self, agent: str) -> spaces.Space:
        return self.engine.observation_space(agent)

    def action_space(self, agent: str) -> spaces.Space:
        return self.engine.action_space(agent)

    def reset(self, seed: int | None = None, options: dict | None = None):
        obs = self.engine.reset(seed=seed)
        if seed is not None:
            for i, agent in enumerate(self.possible_agents):
                self.action_space(agent).seed(seed + i)
        self.agents = list(self.possible_agents)
        return ({a: _unbatch(obs[a]) for a in self.agents}, {a: {} for a in self.agents})

    def step(self, actions: dict[str, Any]):
        missing = [a for a in self.agents if a not in actions]
        if missing:
            raise ValueError(f"step() needs an action for every live agent; missing: {', '.join(missing)}")
        batched = {}
        for agent in self.possible_agents:
            if agent in actions:
                batched[agent] = np.asarray(actions[agent])[None, ...]
            else:  # dead agents still occupy their slot in the batch
                batched[agent] = np.asarray(self.action_space(agent).sample())[None, ...] * 0
        obs, rew, term, trunc, info = self.engine.step(batched)
        live = list(self.agents)
        out = (
            {a: _unbatch(obs[a]) for a in live},
            {a: float(np.asarray(rew[a])[0]) for a in live},
            {a: bool(np.asarray(term[a])[0]) for a in live},
            {a: bool(np.asarray(trunc[a])[0]) for a in live},
            {a: _unbatch(info.get(a, {})) for a in live},
        )
        self.agents = [a for a in live if not (out[2][a] or out[3][a])]
        if self.render_mode == "human":
            self.render()
        return out

    def render(self) -> str | None:
        if self.render_mode is None:
            import gymnasium

            gymnasium.logger.warn("render() called without a render_mode; pass render_mode='ansi'.")
            return None
        text = self.engine.render(0)
        if self.render_mode == "human":
            print(text)
            return None
        return text

    def close(self) -> None:
        self.engine.close()
