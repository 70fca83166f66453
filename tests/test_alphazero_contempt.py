"""Contempt in the batched search (``SearchParams.contempt``): a draw costs the searching side,
on a game written here to the protocol only (no engine has seen it)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

import arena
from arena import bots
from arena.bots import BotSpecError
from arena.env import BatchedState
from arena.mcts.batched import BatchedMCTS, SearchParams
from games.board.mnk import tic_tac_toe


@dataclass
class TruceState(BatchedState):
    stones: np.ndarray
    to_play: np.ndarray
    winner: np.ndarray  # -1 on, 0/1 the winner, 2 a draw


class Truce:
    """Take 1 or 2 stones from a pile; whoever takes the last stone wins. On the very first move
    the first player may instead call a truce (action 0): the game ends at once in a draw."""

    name = "truce"
    num_players = 2
    num_actions = 3

    def __init__(self, pile: int = 40) -> None:
        self.pile = pile

    def initial_state(self, batch_size: int = 1) -> TruceState:
        return TruceState(np.full(batch_size, self.pile, np.int16), np.zeros(batch_size, np.int8),
                          np.full(batch_size, -1, np.int8))

    def legal_mask(self, state: TruceState) -> np.ndarray:
        take = np.arange(3)[None, :] <= state.stones[:, None]
        take[:, 0] = state.stones == self.pile
        return take & (state.winner[:, None] == -1)

    def step(self, state: TruceState, actions: np.ndarray) -> TruceState:
        for b, a in enumerate(np.asarray(actions).reshape(-1)):
            if state.winner[b] != -1:
                continue
            if a == 0:
                state.winner[b] = 2
            else:
                state.stones[b] -= int(a)
                if state.stones[b] == 0:
                    state.winner[b] = state.to_play[b]
            state.to_play[b] = 1 - state.to_play[b]
        return state

    def returns(self, state: TruceState) -> np.ndarray:
        out = np.zeros((state.batch_size, 2), np.float32)
        out[state.winner == 0] = (1, -1)
        out[state.winner == 1] = (-1, 1)
        return out


def _slightly_worse_for_the_first_seat(states, legal):
    """Uniform priors; every position not over is worth -0.1 to the first seat."""
    prior = legal / np.maximum(legal.sum(axis=1, keepdims=True), 1)
    return prior.astype(np.float32), np.where(np.asarray(states.to_play) == 0, -0.1, 0.1).astype(np.float32)


def _first_move(contempt: float) -> tuple[int, float]:
    game = Truce()
    mcts = BatchedMCTS(game, _slightly_worse_for_the_first_seat, SearchParams(num_simulations=200, contempt=contempt))
    mcts.reset(game.initial_state(1))
    visits = mcts.run()[0]
    children = mcts.tree.children[0, 0]
    truce = mcts.tree.proof[0, children[0]]  # the truce's proven value for the first seat
    return int(np.argmax(visits)), float(truce)


def test_a_draw_costs_the_side_to_move_at_the_root():
    move, truce = _first_move(0.0)
    assert move == 0 and truce == 0.0  # a draw (0) beats playing on at -0.1
    move, truce = _first_move(0.25)
    assert truce == pytest.approx(-0.25)  # the truce is proven, at the contempt
    assert move in (1, 2)  # playing on at -0.1 beats a draw at -0.25


def test_a_drawn_board_is_worth_minus_contempt_to_the_root_player():
    game = tic_tac_toe()
    # X O X / X O O / O X _ : X to move fills the last cell, a draw.
    state = game.initial_state(1)
    for cell in (0, 1, 2, 4, 3, 5, 7, 6):
        game.step(state, np.array([cell]))
    for contempt in (0.0, 0.3):
        mcts = BatchedMCTS(game, lambda s, legal: (legal / legal.sum(1, keepdims=True), np.zeros(len(legal))),
                           SearchParams(num_simulations=4, contempt=contempt))
        mcts.reset(state.copy())
        mcts.run()
        assert mcts.tree.root_values()[0] == pytest.approx(-contempt)


def test_params_and_az_option_check_the_contempt():
    for bad in (-0.1, 1.0):
        with pytest.raises(ValueError, match="contempt"):
            SearchParams(contempt=bad)
    env = arena.make("tic_tac_toe")
    assert bots.make("az", env, contempt=0.2).params.contempt == 0.2
    assert bots.make("az", env).params.contempt == 0.0
    for bad in ("much", 1):
        with pytest.raises(BotSpecError, match="contempt"):
            bots.make("az", env, contempt=bad)
