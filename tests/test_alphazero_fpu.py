"""First-play urgency in the batched search (``SearchParams.fpu_reduction``) and its az option."""

from __future__ import annotations

import numpy as np
import pytest

import arena
from arena import bots
from arena.bots import BotSpecError
from arena.mcts.batched import SearchParams, Tree, _puct_child, search
from games.board.mnk import tic_tac_toe


def _two_children_tree():
    """A root whose chooser is behind: one child visited 10 times at Q -0.3, one never visited."""
    game = tic_tac_toe()
    tree = Tree(game, game.initial_state(1), capacity=16)
    tree.legal[0, 0] = False
    tree.legal[0, 0, :2] = True
    tree.prior[0, 0, :2] = [0.9, 0.1]
    tree.expanded[0, 0] = True
    tree.children[0, 0, 0], tree.parent[0, 1] = 1, 0
    tree.visits[0, 1], tree.value_sum[0, 1] = 10, -3.0  # Q -0.3 for the chooser
    tree.visits[0, 0], tree.value_sum[0, 0] = 11, 3.3  # the root's mean, -0.3 for the chooser
    tree.num_nodes[0] = 2
    return tree


def _choose(tree, fpu):
    return _puct_child(tree.children, tree.prior, tree.visits, tree.value_sum, tree.legal, tree.proven,
                       tree.proof, 0, 0, 1.0, False, 0.0, fpu)


def test_unvisited_child_value_follows_the_parent_with_a_reduction():
    tree = _two_children_tree()
    # Q 0 for the unvisited move (AlphaZero's): 0 + 0.1 * sqrt(11) beats -0.3 + 0.9 * sqrt(11) / 11.
    assert _choose(tree, np.nan) == 1
    # The parent's -0.3 minus 0.2: -0.5 + 0.33 loses to -0.3 + 0.27.
    assert _choose(tree, 0.2) == 0
    # A reduction of 0 values the untried move at the parent's -0.3: its larger U wins again.
    assert _choose(tree, 0.0) == 1


class _FirstSeatBehind:
    """Every leaf is worth -0.5 to the first seat (the root's chooser) and +0.5 to the second."""

    def __call__(self, states, legal):
        prior = np.where(legal, 1.0, 0.0).astype(np.float32)
        prior[:, 4] *= 8.0  # the centre is the policy's favourite
        prior /= prior.sum(axis=1, keepdims=True)
        return prior, np.where(np.asarray(states.to_play) == 0, -0.5, 0.5).astype(np.float32)


def test_a_losing_side_searches_narrower_with_a_reduction():
    game = tic_tac_toe()
    visited = {}
    for fpu in (None, 0.2):
        tree = Tree(game, game.initial_state(1), capacity=512)
        search(tree, _FirstSeatBehind(), SearchParams(num_simulations=30, c_puct=1.0, fpu_reduction=fpu, solver=False))
        visits = tree.root_visits()[0]
        visited[fpu] = int((visits > 0).sum())
        assert visits.sum() == 29  # the root's expansion counts as the first simulation
    assert visited[None] == 9  # Q 0 for untried moves pulls every one of them in
    assert visited[0.2] <= 4  # the centre, and a few moves its exploration term reaches


def test_params_and_az_option_check_the_reduction():
    with pytest.raises(ValueError, match="fpu_reduction"):
        SearchParams(fpu_reduction=-0.1)
    env = arena.make("tic_tac_toe")
    assert bots.make("az", env, fpu_reduction=0.25).params.fpu_reduction == 0.25
    assert bots.make("az", env).params.fpu_reduction is None
    for bad in ("lots", 3):
        with pytest.raises(BotSpecError, match="fpu_reduction"):
            bots.make("az", env, fpu_reduction=bad)
