"""Correctness of pure MCTS (arena.mcts.pure): tactics, statistics, solver proofs, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from arena.mcts.pure import PureMCTS, PureMCTSConfig
from games.board.mnk import MNKGame, connect_four, gomoku, tic_tac_toe


def position(game: MNKGame, moves: list[int]):
    """The batch-of-one state after playing ``moves`` from the start."""
    state = game.initial_state(1)
    for move in moves:
        game.step(state, np.array([move]))
    return state


def search(game: MNKGame, moves: list[int], simulations: int = 2000, seed: int = 0, **config):
    return PureMCTS(game, PureMCTSConfig(simulations=simulations, **config), seed=seed).search(
        position(game, moves))


# ---------------------------------------------------------------- tactics
def test_tic_tac_toe_takes_immediate_win_over_blocking():
    # X X .      X to move: c3 (action 2) wins at once; O also threatens 5.
    # O O .
    # . . .
    result = search(tic_tac_toe(), [0, 3, 1, 4], simulations=1000)
    assert result.action == 2
    assert result.action_values[2] == 1.0  # a move that ends the game gets the exact result
    assert result.value == 1.0


def test_tic_tac_toe_blocks_immediate_loss():
    # X X .      O to move must block at action 2.
    # O . .
    result = search(tic_tac_toe(), [0, 3, 1], simulations=1000)
    assert result.action == 2


def test_connect_four_takes_immediate_win():
    # X on the bottom row in columns 1-3 (0-based 0,1,2), O stacked in columns 6 and 5.
    result = search(connect_four(), [0, 6, 1, 6, 2, 5], simulations=1000)
    assert result.action == 3
    assert result.value == 1.0


def test_connect_four_blocks_immediate_loss():
    result = search(connect_four(), [0, 6, 1, 6, 2], simulations=1000)
    assert result.action == 3


def test_value_sign_in_won_and_lost_positions():
    game = connect_four()
    # X has an open three on the bottom row (columns 0 and 4 both win): O to move is lost.
    lost = search(game, [1, 6, 2, 6, 3], simulations=3000)
    assert lost.value < -0.5
    # X to move can make that open three: clearly good for X.
    won = search(game, [1, 6, 2, 6], simulations=3000)
    assert won.value > 0.3
    assert won.action == 3 or won.action == 0 or won.action == 4


# ---------------------------------------------------------------- statistics
def test_visit_shares_sum_to_one_and_are_zero_on_illegal_moves():
    game = connect_four()
    moves = [0, 0, 0, 0, 0, 0, 3]  # column 0 is full
    result = search(game, moves, simulations=500)
    assert result.visit_shares.shape == (7,)
    assert result.visit_shares.sum() == pytest.approx(1.0)
    assert result.visit_shares[0] == 0.0
    assert result.visit_counts[0] == 0
    assert result.visit_counts.sum() == 500  # every simulation passes through one root child
    assert np.isnan(result.action_values[0])

    ttt = tic_tac_toe()
    result = search(ttt, [4, 0], simulations=300)
    assert result.visit_shares.sum() == pytest.approx(1.0)
    assert result.visit_shares[4] == 0.0 and result.visit_shares[0] == 0.0
    assert (result.visit_shares[[1, 2, 3, 5, 6, 7, 8]] > 0).all()


def test_chosen_action_is_most_visited_and_value_in_range():
    result = search(gomoku(8, 5), [], simulations=1000)
    assert result.visit_counts[result.action] == result.visit_counts.max()
    assert -1.0 <= result.value <= 1.0
    assert result.simulations == 1000


def test_search_is_deterministic_given_seed_and_tree_growth():
    game = connect_four()
    moves = [3, 3, 2]
    a = search(game, moves, simulations=800, seed=7)
    b = search(game, moves, simulations=800, seed=7)
    np.testing.assert_array_equal(a.visit_counts, b.visit_counts)
    assert a.value == b.value
    # Tiny node arrays force several reallocations mid-search; the search must not change.
    c = search(game, moves, simulations=800, seed=7, initial_nodes=8)
    np.testing.assert_array_equal(a.visit_counts, c.visit_counts)
    d = search(game, moves, simulations=800, seed=8)
    assert not np.array_equal(a.visit_counts, d.visit_counts)


def test_finished_position_is_rejected():
    game = tic_tac_toe()
    with pytest.raises(ValueError, match="finished game"):
        search(game, [0, 3, 1, 4, 2])


def test_bad_config_is_rejected():
    with pytest.raises(ValueError, match="simulations"):
        PureMCTS(tic_tac_toe(), PureMCTSConfig(simulations=0))
    with pytest.raises(ValueError, match="uct_c"):
        PureMCTS(tic_tac_toe(), PureMCTSConfig(uct_c=-1.0))


# ---------------------------------------------------------------- MCTS-Solver
def test_solver_proves_forced_win_in_three_plies():
    # X to move plays column 3 (0-based) making an open three that O cannot stop.
    result = search(connect_four(), [1, 6, 2, 6], simulations=50_000, solver=True)
    assert result.proven == 1
    assert result.value == 1.0
    assert result.action == 3 or result.action == 0 or result.action == 4
    assert result.simulations < 50_000  # the search stops once the root is proven


def test_solver_proves_loss_when_opponent_has_double_threat():
    result = search(connect_four(), [1, 6, 2, 6, 3], simulations=50_000, solver=True)
    assert result.proven == -1
    assert result.value == -1.0


def _negamax(game: MNKGame, state) -> int:
    """Exact value (+1/0/-1) for the player to move, by brute force."""
    best = -2
    for move in np.flatnonzero(game.legal_mask(state)[0]):
        child = state.copy()
        game.step(child, np.array([move]))
        winner = int(child.winner[0])
        if winner == 2:
            value = 0
        elif winner >= 0:
            value = 1 if winner == int(state.to_play[0]) else -1
        else:
            value = -_negamax(game, child)
        best = max(best, value)
    return best


def test_solver_proofs_match_brute_force_on_tic_tac_toe():
    game = tic_tac_toe()
    rng = np.random.default_rng(3)
    checked = 0
    while checked < 12:
        state = game.initial_state(1)
        for _ in range(int(rng.integers(3, 6))):
            if state.terminal[0]:
                break
            game.step(state, np.array([rng.choice(np.flatnonzero(game.legal_mask(state)[0]))]))
        if state.terminal[0]:
            continue
        result = PureMCTS(game, PureMCTSConfig(simulations=100_000, solver=True), seed=checked).search(state)
        assert result.proven == _negamax(game, state)
        checked += 1


def test_compiled_cache_is_stamped_with_the_rules_it_was_built_from():
    # numba only watches the kernel's own file; the stamp makes an edit to the rules recompile.
    import hashlib
    import inspect
    from pathlib import Path

    from arena.mcts import _pure_kernels
    from games.board import mnk

    search(tic_tac_toe(), [], simulations=10)
    stamp = Path(_pure_kernels.run_simulations._cache.cache_path) / "_pure_kernels.rules.sha256"
    rules = Path(inspect.getsourcefile(mnk)).read_bytes()
    assert stamp.read_text() == hashlib.sha256(rules).hexdigest()
