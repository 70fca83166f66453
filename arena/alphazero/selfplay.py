"""Self-play: B games advance in lockstep; every simulation evaluates all B leaves in one call.

Each move: search every unfinished game (root Dirichlet noise on), record (planes, pi, seat),
pick moves with tau = 1 for the first ``temperature_moves`` moves of a game and tau -> 0 after,
step all games at once, keep each chosen subtree. A finished game's slot starts a new game until
``num_games`` games have been started, so the batch stays full.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from arena.alphazero.network import encode_planes
from arena.mcts.batched import BatchedMCTS, Evaluator, SearchParams, sample_actions, visit_policy


@dataclass
class SelfPlayData:
    """Positions from finished games: ``planes[M, 4, H, W]`` uint8, ``pi[M, A]`` (visit shares),
    ``z[M]`` (final score of the player to move), and per-game statistics."""

    planes: np.ndarray
    pi: np.ndarray
    z: np.ndarray
    games: int
    first_player_wins: int
    second_player_wins: int
    draws: int
    mean_length: float
    seconds: float

    @property
    def positions(self) -> int:
        return int(self.z.shape[0])


def self_play(game: Any, evaluate: Evaluator, params: SearchParams, num_games: int, *, batch_size: int,
              temperature_moves: int, rng: np.random.Generator, reuse_tree: bool = True,
              on_move: Callable[[int, int], None] | None = None) -> SelfPlayData:
    """Play ``num_games`` games of ``game`` against itself, ``batch_size`` at a time.

    ``on_move(positions_so_far, games_finished)`` is called after every lockstep move (progress).
    """
    start = time.perf_counter()
    B = max(1, min(batch_size, num_games))
    states = game.initial_state(B)
    mcts = BatchedMCTS(game, evaluate, params, rng=rng, reuse_tree=reuse_tree)
    mcts.reset(states)
    history: list[list[tuple[np.ndarray, np.ndarray, int]]] = [[] for _ in range(B)]
    out_planes: list[np.ndarray] = []
    out_pi: list[np.ndarray] = []
    out_z: list[np.ndarray] = []
    started, finished = B, 0
    wins = [0, 0]
    draws = 0
    lengths: list[int] = []
    positions = 0
    while finished < num_games:
        active = ~states.terminal
        visits = mcts.run(active, root_noise=True)
        pi = visit_policy(visits, 1.0)
        tau = np.where(states.moves < temperature_moves, 1.0, 0.0)
        actions = sample_actions(visit_policy(visits, tau), rng)
        rows = np.flatnonzero(active)
        planes = encode_planes(game, states.take(rows)).astype(np.uint8)
        for j, b in enumerate(rows):
            history[b].append((planes[j], pi[b], int(states.to_play[b])))
        positions += rows.size
        actions = np.where(active, actions, 0)
        game.step(states, actions)
        mcts.advance(actions, states)
        done = np.flatnonzero(active & states.terminal)
        if done.size:
            scores = game.returns(states.take(done))  # [D, 2] per seat
            for j, b in enumerate(done):
                records = history[b]
                out_planes.append(np.stack([r[0] for r in records]))
                out_pi.append(np.stack([r[1] for r in records]))
                out_z.append(np.array([scores[j, r[2]] for r in records], dtype=np.float32))
                winner = int(states.winner[b])
                if winner in (0, 1):
                    wins[winner] += 1
                else:
                    draws += 1
                lengths.append(len(records))
                history[b] = []
                finished += 1
            refill = done[: max(0, num_games - started)]
            if refill.size:
                fresh = game.initial_state(refill.size)
                for k in fresh.__dataclass_fields__:
                    getattr(states, k)[refill] = getattr(fresh, k)
                mcts.reset(fresh, rows=refill)
                started += refill.size
        if on_move is not None:
            on_move(positions, finished)
    A = game.num_actions
    rows_, cols_ = game.board_shape
    return SelfPlayData(
        planes=np.concatenate(out_planes) if out_planes else np.zeros((0, 4, rows_, cols_), np.uint8),
        pi=np.concatenate(out_pi) if out_pi else np.zeros((0, A), np.float32),
        z=np.concatenate(out_z) if out_z else np.zeros(0, np.float32),
        games=finished, first_player_wins=wins[0], second_player_wins=wins[1], draws=draws,
        mean_length=float(np.mean(lengths)) if lengths else 0.0, seconds=time.perf_counter() - start)
