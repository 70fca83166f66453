"""The PettingZoo Parallel view of a 2-D game (a batch of one), with ``rgb_array`` rendering."""

from __future__ import annotations

from typing import Any

import numpy as np

from arena.env.parallel import BatchedParallelEnv
from games.arena2d.engine import Arena2DGame
from games.arena2d.spec import GameDef

RENDER_MODES = (None, "ansi", "human", "rgb_array")


class Arena2DEnv(BatchedParallelEnv):
    """A :class:`BatchedParallelEnv` over one copy of :class:`Arena2DGame`.

    ``render_mode``: ``ansi`` (text), ``human`` (text printed every step) or ``rgb_array`` (an
    ``[H, W, 3]`` uint8 image). ``reward_terms=True`` adds each agent's per-node reward terms
    (``{node path: value}``) to its info every step. ``env.social_tree`` is the game's
    :class:`~arena.social.SocialTree`; ``env.positions()`` and ``env.inside_zone()`` let
    :mod:`arena.social`'s wrapper and BMaRS measurement evaluate it over this env.
    """

    def __init__(self, game: GameDef, render_mode: str | None = None, *, reward_terms: bool = False) -> None:
        if render_mode not in RENDER_MODES:
            raise ValueError(f"render_mode={render_mode!r} is not supported: use None, 'ansi', 'human' or 'rgb_array'")
        super().__init__(lambda n: Arena2DGame(game, n, track_terms=reward_terms),
                         render_mode=None if render_mode == "rgb_array" else render_mode)
        self.render_mode = render_mode
        self.metadata["render_modes"] = ["ansi", "human", "rgb_array"]
        self.reward_terms = reward_terms
        self.game: Arena2DGame = self.engine  # type: ignore[assignment]
        self.social_tree = self.game.tree
        self.action_names = self.game.action_names

    def step(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        obs, rew, term, trunc, info = super().step(actions)
        if self.reward_terms:
            game = self.game
            paths = game.social.path_strs
            for agent in info:
                i = game.possible_agents.index(agent)
                column = game.reward_terms[0, :, i]
                info[agent] = dict(info[agent], reward_terms={paths[n]: float(column[n])
                                                              for n in np.flatnonzero(column)})
        return obs, rew, term, trunc, info

    def render(self) -> Any:
        if self.render_mode == "rgb_array":
            return self.game.render_rgb(0)
        return super().render()

    def death_groups(self) -> list[set[str]]:
        """Agents the last step killed directly (the ``arena2d`` death hook of arena.social)."""
        return self.game.social.death_groups(0)

    def positions(self) -> dict[str, np.ndarray]:
        """Entity name -> position ``[2]`` (agents, objects, zone centres)."""
        return self.game.positions(0)

    def inside_zone(self, zone: str, position: np.ndarray) -> bool:
        """Whether ``position`` lies inside the named zone."""
        return self.game.inside_zone(zone, position)

    def state(self) -> np.ndarray:
        """Global state: every body's position and velocity, flattened (``[N * 4]`` float32)."""
        return np.concatenate([self.game.pos[0], self.game.vel[0]], axis=-1).ravel().astype(np.float32)
