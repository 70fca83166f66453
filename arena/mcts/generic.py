"""Pure MCTS (random rollouts) for ANY :class:`~arena.env.batched.TurnBasedGame`.

The m,n,k games have a compiled fast path (:mod:`arena.mcts.pure`); every other game -- Othello,
Hex, a user's game, a plain PettingZoo AEC env through :class:`arena.env.aec_game.AECGame` -- is
searched here, through the public protocol only. The tree is the batched search of
:mod:`arena.mcts.batched` (flat ``[B, nodes]`` arrays) with uniform priors, and a leaf's value is
the result of a uniformly random playout. Rollouts are batched: ``leaves_per_call`` leaves are
selected per round (virtual loss spreads them over the tree) and all their playouts advance
together, one ``game.step`` over the whole batch per ply, so the per-call cost of the rules is
paid once per ply of ``leaves_per_call`` games rather than once per ply of one game.

Selection is PUCT with uniform priors, ``Q + c * (1/|legal|) * sqrt(N) / (1 + n)``; ``c`` defaults
to the number of actions times :data:`C_PER_ACTION`, which makes the exploration term of a fresh
child about as large as UCT's with ``c = 2`` over the budgets the bots use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from arena.mcts.batched import BatchedMCTS, SearchParams

C_PER_ACTION = 0.5  # default PUCT constant per action with uniform priors (see the module docstring)


def rollout_evaluator(game: Any, rng: np.random.Generator, rollouts: int = 1):  # noqa: ANN201
    """An evaluator ``(states[L], legal[L, A]) -> (uniform prior, value[L])`` whose value is the
    mean result of ``rollouts`` uniformly random playouts per state, for the player to move."""

    def evaluate(states: Any, legal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        L = states.batch_size
        prior = (legal / np.maximum(legal.sum(axis=1, keepdims=True), 1)).astype(np.float32)
        to_play = np.asarray(states.to_play, dtype=np.int64)
        if rollouts > 1:
            index = np.repeat(np.arange(L), rollouts)
            play = states.take(index)
        else:
            index = np.arange(L)
            play = states.copy()
        limit = int(game.max_moves) + 1
        # A game may offer ``step_private`` (the PettingZoo adapter does): after the first move the
        # playout positions belong to this function alone, so they can be stepped without copies.
        private_step = getattr(game, "step_private", None)
        for ply in range(limit):
            done = np.asarray(play.terminal)
            if done.all():
                break
            mask = game.legal_mask(play)
            noise = rng.random(mask.shape)
            noise[~mask] = -1.0
            if ply > 0 and private_step is not None:
                private_step(play, noise.argmax(axis=1))
            else:
                game.step(play, noise.argmax(axis=1))
        else:
            raise RuntimeError(f"{game.name}: a random playout did not end within max_moves={game.max_moves} plies")
        scores = game.returns(play)[np.arange(index.size), to_play[index]]
        value = np.bincount(index, weights=scores, minlength=L) / max(1, rollouts)
        return prior, value.astype(np.float32)

    return evaluate


@dataclass
class GenericMCTSConfig:
    """Hyperparameters of the generic pure MCTS."""

    simulations: int = 1000  # playouts per search
    c_puct: float | None = None  # PUCT constant; None: C_PER_ACTION * num_actions
    leaves_per_call: int = 16  # leaves (and playouts) advanced together per round
    rollouts: int = 1  # random playouts per leaf


@dataclass
class GenericSearchResult:
    """The outcome of one search for the player to move (same fields as the fast path's result)."""

    action: int
    visit_counts: np.ndarray
    visit_shares: np.ndarray
    value: float
    simulations: int


class GenericMCTS:
    """Pure MCTS with random playouts over the public turn-based protocol (any game)."""

    def __init__(self, game: Any, config: GenericMCTSConfig | None = None, seed: int | None = None) -> None:
        self.game = game
        self.config = config if config is not None else GenericMCTSConfig()
        if int(self.config.simulations) < 1:
            raise ValueError(f"simulations={self.config.simulations} must be at least 1")
        self.rng = np.random.default_rng(seed)
        c = self.config.c_puct if self.config.c_puct is not None else C_PER_ACTION * game.num_actions
        leaves = max(1, min(int(self.config.leaves_per_call), int(self.config.simulations)))
        self.params = SearchParams(num_simulations=int(self.config.simulations), c_puct=float(c),
                                   leaves_per_game=leaves)
        self.mcts = BatchedMCTS(game, rollout_evaluator(game, self.rng, int(self.config.rollouts)), self.params,
                                rng=self.rng, reuse_tree=False)

    def search(self, state: Any, index: int = 0) -> GenericSearchResult:
        """Search position ``index`` of the batched ``state`` (it is not changed)."""
        root = state.take([index])
        if bool(root.terminal[0]):
            raise ValueError("cannot search a finished game: the position has a result")
        self.mcts.reset(root)
        visits = self.mcts.run()[0].astype(np.float64)
        legal = self.game.legal_mask(root)[0]
        visits = np.where(legal, visits, 0.0)
        if visits.sum() <= 0:
            visits = legal.astype(np.float64)
        best = np.flatnonzero(visits == visits.max())
        action = int(self.rng.choice(best))
        return GenericSearchResult(action=action, visit_counts=visits.astype(np.int64),
                                   visit_shares=visits / visits.sum(),
                                   value=float(self.mcts.tree.root_values()[0]),
                                   simulations=self.params.num_simulations)
