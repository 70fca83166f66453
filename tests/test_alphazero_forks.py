"""Self-play forks (``fork_rate``): a copy of a game plays another move and is played out as a game
of its own, recorded from after that move. Checked on a game written here to the public protocol
only, which self-play has never seen."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import pytest

from arena.alphazero.config import AlphaZeroConfig, ConfigError
from arena.alphazero.selfplay import _fork, self_play
from arena.env import BatchedState
from arena.mcts.batched import SearchParams, uniform_evaluator

CELLS = 6


@dataclass
class StripState(BatchedState):
    owner: np.ndarray  # [B, CELLS] -1 empty, else the seat that claimed the cell
    to_play: np.ndarray
    winner: np.ndarray


class Strip:
    """Two players claim the cells of a 1 x 6 strip in turn; when it is full, the first player wins
    if the cells it holds sum to more than the second player's, else the second. Every game is 6
    moves long, so the number of stones on the board tells the ply."""

    name = "strip"
    num_players = 2
    num_actions = CELLS
    observation_shape = (1, CELLS, 2)
    max_moves = CELLS

    def initial_state(self, batch_size: int = 1) -> StripState:
        return StripState(np.full((batch_size, CELLS), -1, np.int8), np.zeros(batch_size, np.int8),
                          np.full(batch_size, -1, np.int8))

    def legal_mask(self, state: StripState) -> np.ndarray:
        return (state.owner == -1) & (state.winner[:, None] == -1)

    def step(self, state: StripState, actions: np.ndarray) -> StripState:
        rows = np.flatnonzero(state.winner == -1)
        actions = np.asarray(actions).reshape(-1)
        state.owner[rows, actions[rows]] = state.to_play[rows]
        state.to_play[rows] = 1 - state.to_play[rows]
        full = rows[(state.owner[rows] != -1).all(axis=1)]
        cells = np.arange(CELLS)
        first = ((state.owner[full] == 0) * cells).sum(axis=1)
        second = ((state.owner[full] == 1) * cells).sum(axis=1)
        state.winner[full] = np.where(first > second, 0, 1)
        return state

    def returns(self, state: StripState) -> np.ndarray:
        out = np.zeros((state.batch_size, 2), np.float32)
        done = state.winner >= 0
        out[done, state.winner[done]] = 1.0
        out[done, 1 - state.winner[done]] = -1.0
        return out

    def observation(self, state: StripState, seat: np.ndarray) -> np.ndarray:
        seat = np.asarray(seat).reshape(-1, 1)
        mine = (state.owner == seat).astype(np.uint8)
        theirs = ((state.owner != -1) & (state.owner != seat)).astype(np.uint8)
        return np.stack([mine, theirs], axis=-1)[:, None]  # [B, 1, CELLS, 2]


def _games(data):
    """(stones on the board at each game's first recorded position, positions recorded) per game:
    games are stored one after the other, and only a game's last position has no reply."""
    stones = data.planes[:, :2].reshape(data.positions, -1).sum(axis=1).astype(int)
    ends = np.flatnonzero(~data.has_next)
    starts = np.concatenate([[0], ends[:-1] + 1])
    return [(int(stones[s]), int(e - s + 1)) for s, e in zip(starts, ends)]


def test_forks_are_games_of_their_own_recorded_from_after_the_other_move():
    game, temperature_moves = Strip(), 1
    data = self_play(game, uniform_evaluator, SearchParams(num_simulations=12), 40, batch_size=8,
                     temperature_moves=temperature_moves, rng=np.random.default_rng(0), fork_rate=0.3)
    assert data.games == 40 and data.first_player_wins + data.second_player_wins + data.draws == 40
    assert 0 < data.forks < 40
    games = _games(data)
    assert len(games) == 40
    for first_stones, recorded in games:
        assert first_stones + recorded == CELLS  # recorded from its first position to the end, move by move
    fresh = [s for s, _ in games if s == 0]
    forked = [s for s, _ in games if s > 0]
    assert len(fresh) == 40 - data.forks and len(forked) == data.forks
    # A fork happens after the sampled opening and is recorded from after the other move.
    assert min(forked) >= temperature_moves + 1
    # A game's length counts the moves before its fork too; only the moves after it were searched.
    assert data.mean_length == CELLS
    assert data.searches == data.positions == sum(recorded for _, recorded in games)


def test_without_forks_every_game_starts_from_the_beginning():
    data = self_play(Strip(), uniform_evaluator, SearchParams(num_simulations=12), 10, batch_size=4,
                     temperature_moves=1, rng=np.random.default_rng(0))
    assert data.forks == 0
    assert [s for s, _ in _games(data)] == [0] * 10


def test_a_fork_plays_another_move_than_the_game():
    game = Strip()
    states = game.initial_state(2)
    rng = np.random.default_rng(0)
    visits = np.array([0.0, 5.0, 0.0, 3.0, 0.0, 0.0])
    for _ in range(20):  # from the visit shares, the played move left out
        fork = _fork(game, states, 1, 1, visits, rng)
        assert fork.batch_size == 1 and fork.owner[0, 3] == 0 and (fork.owner[0] != -1).sum() == 1
    # No other visited move: uniformly among the other legal ones.
    chosen = {int(np.flatnonzero(_fork(game, states, 0, 2, np.eye(CELLS)[2], rng).owner[0] != -1)[0])
              for _ in range(60)}
    assert chosen == {0, 1, 3, 4, 5}
    assert states.owner.max() == -1  # the games themselves are untouched
    # One legal move left: no fork.
    last = game.initial_state(1)
    game.step(last, np.array([0]))
    for cell in range(1, CELLS - 1):
        game.step(last, np.array([cell]))
    assert _fork(game, last, 0, CELLS - 1, np.eye(CELLS)[CELLS - 1], rng) is None


def test_a_phase_resumed_from_a_snapshot_plays_the_forks_it_had_queued():
    game = Strip()
    snapshots = []  # copies: a snapshot's arrays are the live ones until the caller saves them
    params = SearchParams(num_simulations=12)
    full = self_play(game, uniform_evaluator, params, 30, batch_size=6, temperature_moves=0,
                     rng=np.random.default_rng(3), fork_rate=0.4, checkpoint_seconds=1e-9,
                     on_checkpoint=lambda snapshot: snapshots.append(copy.deepcopy(snapshot)))
    queued = [s for s in snapshots if s["forks"] and s["finished"] < 30]
    assert queued, "some snapshot holds forks waiting for a slot"
    snap = queued[0]
    resumed = self_play(game, uniform_evaluator, params, 30, batch_size=6, temperature_moves=0,
                        rng=np.random.default_rng(4), fork_rate=0.4, resume=snap)
    assert resumed.games == full.games == 30
    assert resumed.forks >= int(snap["forks_started"]) + len(snap["forks"])
    for first_stones, recorded in _games(resumed):
        assert first_stones + recorded == CELLS


def test_fork_rate_is_checked():
    with pytest.raises(ConfigError, match="fork_rate"):
        AlphaZeroConfig(fork_rate=1.0)
    with pytest.raises(ConfigError, match="fork_rate"):
        AlphaZeroConfig(fork_rate=-0.1)
    with pytest.raises(ValueError, match="fork_rate"):
        self_play(Strip(), uniform_evaluator, SearchParams(num_simulations=4), 1, batch_size=1,
                  temperature_moves=0, rng=np.random.default_rng(0), fork_rate=1.5)


def test_a_training_run_forks_and_logs_how_many_games_were_forks(tmp_path):
    from arena.alphazero.actors import merge
    from arena.alphazero.trainer import train

    config = AlphaZeroConfig.from_dict(dict(
        game="tic_tac_toe", blocks=1, channels=8, num_simulations=8, selfplay_batch=4, games_per_iteration=16,
        temperature_moves=1, fork_rate=0.3, replay_capacity=4000, batch_size=16, train_steps=2, min_replay=8,
        eval_every=0, iterations=1, tensorboard=False, threads=1))
    trainer = train(config, tmp_path / "run", show_progress=False, print_fn=lambda line: None)
    assert trainer.games_played == 16 and trainer.history[-1]["fork_games"] > 0
    # The actors' phases add their forks up.
    part = self_play(Strip(), uniform_evaluator, SearchParams(num_simulations=8), 12, batch_size=4,
                     temperature_moves=0, rng=np.random.default_rng(5), fork_rate=0.3)
    assert part.forks > 0 and merge([part, part], 1.0).forks == 2 * part.forks
