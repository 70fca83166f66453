"""Batched neural MCTS (arena.mcts.batched): PUCT, terminal values, backup, noise, reuse,
virtual loss, and agreement with the book-style reference search."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

from arena.mcts.batched import (
    BatchedMCTS,
    SearchParams,
    Tree,
    _backup,
    _select,
    evaluate_leaves,
    search,
    uniform_evaluator,
    visit_policy,
)
from games.board.mnk import connect_four, tic_tac_toe

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))


def _position(game, moves):
    state = game.initial_state(1)
    for m in moves:
        game.step(state, np.array([m]))
    return state


def _select_one(tree, c_puct=5.0, virtual_loss=0.0):
    leaf = np.empty(tree.batch_size, dtype=np.int32)
    _select(tree.children, tree.prior, tree.visits, tree.value_sum, tree.legal, tree.expanded, tree.terminal,
            tree.parent, tree.action, tree.num_nodes, np.ones(tree.batch_size, bool), c_puct, virtual_loss, leaf,
            tree.proven, tree.proof, False, np.zeros(tree.batch_size, bool), 0.0)
    return leaf


def test_puct_selection_matches_the_formula_on_a_hand_built_tree():
    game = tic_tac_toe()
    tree = Tree(game, game.initial_state(1), capacity=16)
    # Root expanded with three children of known statistics; the rest unvisited.
    prior = np.full(9, 0.05, dtype=np.float32)
    prior[[0, 4, 8]] = [0.3, 0.2, 0.15]
    tree.prior[0, 0] = prior
    tree.expanded[0, 0] = True
    stats = {0: (10, 4.0), 4: (5, 3.5), 8: (2, -1.0)}  # action: (N, W) from the root player's view
    for i, (a, (n, w)) in enumerate(stats.items(), start=1):
        tree.children[0, 0, a] = i
        tree.parent[0, i] = 0
        tree.action[0, i] = a
        tree.visits[0, i] = n
        tree.value_sum[0, i] = w
    tree.num_nodes[0] = 4
    tree.visits[0, 0] = 1 + sum(n for n, _ in stats.values())
    c = 5.0
    sqrt_n = math.sqrt(tree.visits[0, 0])
    scores = []
    for a in range(9):
        n, w = stats.get(a, (0, 0.0))
        q = w / n if n else 0.0
        scores.append(q + c * prior[a] * sqrt_n / (1 + n))
    expected = int(np.argmax(scores))
    leaf = _select_one(tree, c)
    chosen = int(tree.action[0, leaf[0]])
    assert chosen == expected
    # With a tiny c_puct the exploitation term decides: action 4 has the best Q (0.7).
    tree2 = Tree(game, game.initial_state(1), capacity=16)
    for name in ("prior", "expanded", "children", "parent", "action", "visits", "value_sum", "num_nodes"):
        getattr(tree2, name)[...] = getattr(tree, name)
    tree2.children[0, 0, expected] = tree.children[0, 0, expected]
    leaf2 = _select_one(tree2, 1e-6)
    assert int(tree2.action[0, leaf2[0]]) == 4


def test_terminal_values_come_from_the_rules():
    game = tic_tac_toe()
    # X has a8..: X at 0,1 and O at 3,4; X to move wins with 2.
    root = _position(game, [0, 3, 1, 4])
    tree = Tree(game, root, capacity=32)
    search(tree, uniform_evaluator, SearchParams(num_simulations=60))
    win_child = tree.children[0, 0, 2]
    assert tree.terminal[0, win_child]
    # The player to move at the terminal node (O) has lost: -1 for it.
    assert tree.terminal_value[0, win_child] == -1.0
    # From the root player's view the winning move has Q = +1 and gets the most visits.
    assert tree.value_sum[0, win_child] / tree.visits[0, win_child] == pytest.approx(1.0)
    assert int(np.argmax(tree.root_visits()[0])) == 2
    # A drawn final position has value 0.
    draw = _position(game, [0, 1, 2, 4, 3, 5, 7, 6])  # X O X / X O O / O X .  -> X plays 8: draw
    tree = Tree(game, draw, capacity=8)
    search(tree, uniform_evaluator, SearchParams(num_simulations=5))
    child = tree.children[0, 0, 8]
    assert tree.terminal[0, child] and tree.terminal_value[0, child] == 0.0


def test_backup_flips_the_sign_at_every_ply():
    game = tic_tac_toe()
    tree = Tree(game, game.initial_state(1), capacity=8)
    # A chain root(0) -> 1 -> 2 -> 3.
    for node in (1, 2, 3):
        tree.parent[0, node] = node - 1
    tree.num_nodes[0] = 4
    _backup(tree.visits, tree.value_sum, tree.parent, np.array([0]), np.array([3]), np.array([0.5], np.float32), 0.0)
    # The leaf's player to move values it 0.5, so the player who moved into it gets -0.5, etc.
    assert tree.value_sum[0, :4].tolist() == [0.5, -0.5, 0.5, -0.5]
    assert tree.visits[0, :4].tolist() == [1, 1, 1, 1]


def test_dirichlet_noise_only_on_the_root_and_only_when_asked():
    game = connect_four()
    params = SearchParams(num_simulations=40, dirichlet_weight=0.5)
    uniform = np.full(7, 1 / 7, dtype=np.float32)
    for noise in (False, True):
        tree = Tree(game, game.initial_state(2), capacity=128)
        search(tree, uniform_evaluator, params, root_noise=noise, rng=np.random.default_rng(0))
        root_changed = not np.allclose(tree.prior[:, 0], uniform)
        assert root_changed == noise
        assert np.allclose(tree.prior[:, 0].sum(axis=1), 1.0, atol=1e-5)
        # Every expanded non-root node keeps the evaluator's (uniform) priors.
        n = tree.num_nodes
        for b in range(2):
            inner = [i for i in range(1, n[b]) if tree.expanded[b, i] and not tree.terminal[b, i]]
            assert inner and np.allclose(tree.prior[b, inner], uniform)


def test_subtree_reuse_keeps_the_statistics_of_the_chosen_child():
    game = connect_four()
    mcts = BatchedMCTS(game, uniform_evaluator, SearchParams(num_simulations=200), rng=np.random.default_rng(0))
    states = game.initial_state(3)
    mcts.reset(states)
    mcts.run()
    tree = mcts.tree
    actions = np.array([3, 0, 6])
    child = tree.children[np.arange(3), 0, actions]
    before_visits = tree.visits[np.arange(3), child].copy()
    before_value = tree.value_sum[np.arange(3), child].copy()
    grand_visits = [sorted(tree.visits[b, tree.children[b, child[b]][tree.children[b, child[b]] >= 0]].tolist())
                    for b in range(3)]
    game.step(states, actions)
    mcts.advance(actions, states)
    assert np.array_equal(tree.visits[:, 0], before_visits)
    assert np.allclose(tree.value_sum[:, 0], before_value)
    for b in range(3):
        kids = tree.children[b, 0][tree.children[b, 0] >= 0]
        assert sorted(tree.visits[b, kids].tolist()) == grand_visits[b]
        assert np.array_equal(tree.states["board"][b, 0], states.board[b])
    # Searching on continues from the kept statistics.
    mcts.run()
    assert np.all(tree.visits[:, 0] == before_visits + 200)


def test_virtual_loss_spreads_the_leaves_of_one_tree():
    game = connect_four()
    tree = Tree(game, game.initial_state(1), capacity=64)
    evaluate_leaves(tree, np.array([0]), np.array([0]), uniform_evaluator)  # expand the root
    tree.visits[0, 0] = 1
    leaves = []
    for _ in range(4):
        leaves.append(int(_select_one(tree, 5.0, virtual_loss=1.0)[0]))
    assert len(set(leaves)) == 4, leaves
    # Without virtual loss the same leaf comes back every time.
    tree2 = Tree(game, game.initial_state(1), capacity=64)
    evaluate_leaves(tree2, np.array([0]), np.array([0]), uniform_evaluator)
    tree2.visits[0, 0] = 1
    again = {int(tree2.action[0, _select_one(tree2, 5.0)[0]]) for _ in range(4)}
    assert len(again) == 1
    # A full search with virtual loss leaves no virtual visits behind.
    mcts = BatchedMCTS(game, uniform_evaluator, SearchParams(num_simulations=64, leaves_per_game=8))
    mcts.reset(game.initial_state(1))
    visits = mcts.run()
    assert mcts.tree.visits[0, 0] == 64
    assert visits.sum() == 63  # every simulation but the root's expansion ends below a root child


def test_visit_policy_temperature():
    visits = np.array([[1, 3, 0, 6], [2, 2, 0, 0]], dtype=np.float32)
    assert np.allclose(visit_policy(visits, 1.0)[0], [0.1, 0.3, 0.0, 0.6])
    greedy = visit_policy(visits, 0.0)
    assert greedy[0].tolist() == [0, 0, 0, 1]
    assert greedy[1].tolist() == [0.5, 0.5, 0, 0]
    assert visit_policy(np.zeros((1, 3)), 1.0).sum() == 0  # no visits, no mass


def test_batched_search_agrees_with_the_book_reference():
    from book_mcts_reference import BookBoard, BookMCTS, uniform_policy_value_fn

    game = tic_tac_toe()
    moves = [4, 0]
    sims = 400
    board = BookBoard(3, 3, 3)
    board.init_board()
    for m in moves:
        board.do_move(m)
    ref = BookMCTS(uniform_policy_value_fn, c_puct=5.0, n_playout=sims).get_move_visits(board)
    ref_visits = np.zeros(9)
    for a, n in ref.items():
        ref_visits[a] = n
    tree = Tree(game, _position(game, moves), capacity=2 * sims + 2)
    search(tree, uniform_evaluator, SearchParams(num_simulations=sims, solver=False))  # the book has no solver
    ours = tree.root_visits()[0]
    assert ours.sum() == ref_visits.sum() == sims - 1
    assert np.abs(ours / ours.sum() - ref_visits / ref_visits.sum()).max() < 0.02
