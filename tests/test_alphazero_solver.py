"""Proven values in the batched neural search (MCTS-Solver over the flat tree): exact proofs on
positions with known values, selection and move choice by proof, subtree reuse, the az switch,
and the connect-four positions of issue 13 checked against a perfect solver (bitbully)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import arena
from arena import bots
from arena.mcts.batched import (
    BatchedMCTS,
    SearchParams,
    Tree,
    _puct_child,
    solver_visits,
    uniform_evaluator,
)
from games.board.mnk import connect_four, tic_tac_toe


def _position(game, moves):
    state = game.initial_state(1)
    for m in moves:
        game.step(state, np.array([int(m)]))
    return state


def _negamax(game, state, cache):
    """Exact value of ``state`` for its player to move (tic-tac-toe size)."""
    if bool(state.terminal[0]):
        return float(game.returns(state)[0, int(state.to_play[0])])
    key = state.board.tobytes()
    if key not in cache:
        best = -2.0
        for a in np.flatnonzero(game.legal_mask(state)[0]):
            nxt = state.copy()
            game.step(nxt, np.array([a]))
            best = max(best, -_negamax(game, nxt, cache))
        cache[key] = best
    return cache[key]


def _searched(game, moves, sims, solver=True):
    mcts = BatchedMCTS(game, uniform_evaluator, SearchParams(num_simulations=sims, solver=solver),
                       rng=np.random.default_rng(0))
    mcts.reset(_position(game, moves))
    return mcts, mcts.run()


# ---------------------------------------------------------------------------- exact proofs
def test_win_in_one_is_proven_and_played():
    game = tic_tac_toe()
    mcts, weights = _searched(game, [0, 3, 1, 4], 40)  # X: 0 1, O: 3 4; X to move wins with 2
    tree = mcts.tree
    proven, value = tree.root_proofs()
    assert proven[0, 2] and value[0, 2] == 1.0
    assert tree.proven[0, 0] and tree.root_values()[0] == 1.0  # the root: won for X
    assert np.flatnonzero(weights[0]).tolist() == [2]  # only the proven win is left to play


def test_loss_in_two_is_proven_for_every_move():
    game = tic_tac_toe()
    moves = [0, 1, 2, 3, 4]  # X: 0 2 4, O: 1 3; O to move cannot win and X threatens both 6 and 8
    state = _position(game, moves)
    exact = _negamax(game, state, {})
    mcts, weights = _searched(game, moves, 400)
    tree = mcts.tree
    assert exact == -1.0
    assert tree.proven[0, 0] and tree.root_values()[0] == -1.0
    proven, value = tree.root_proofs()
    legal = game.legal_mask(state)[0]
    assert proven[0, legal].all() and (value[0, legal] == -1.0).all()
    # Every move loses, so none is excluded: the move choice keeps them all.
    assert (weights[0, legal] > 0).all()


def test_a_lost_root_resists_longest():
    """Every move loses, but not equally fast: O must block X's diagonal at 8 (X then forks with 6
    and wins two moves later); any other move loses at once. With every child proven lost the
    search ranks them by their mean value (a quick loss averages exactly -1, a slow one less badly)
    and plays the block, so a fallible opponent still has to find the win."""
    game = tic_tac_toe()
    moves = [0, 1, 4]  # X: 0 4, O: 1; O to move
    assert _negamax(game, _position(game, moves), {}) == -1.0
    mcts, weights = _searched(game, moves, 400)
    tree = mcts.tree
    proven, value = tree.root_proofs()
    legal = game.legal_mask(_position(game, moves))[0]
    assert proven[0, legal].all() and (value[0, legal] == -1.0).all()  # all proven lost ...
    assert int(np.argmax(weights[0])) == 8  # ... and the block is played


@pytest.mark.parametrize("moves", [[0, 4], [4, 0, 8], [0, 1, 4], [4, 2, 6, 0]])
def test_every_proof_in_the_tree_equals_the_minimax_value(moves):
    game = tic_tac_toe()
    mcts, _ = _searched(game, moves, 3000)
    tree = mcts.tree
    cache: dict[bytes, float] = {}
    proofs = 0
    for node in range(1, int(tree.num_nodes[0])):
        if not tree.proven[0, node]:
            continue
        state = type(tree._like)(**{k: v[0, node][None].copy() for k, v in tree.states.items()})
        # proof is for the player who moved into the node = minus the value for the player to move.
        assert tree.proof[0, node] == -_negamax(game, state, cache), node
        proofs += 1
    assert proofs > 5
    if moves in ([0, 1, 4], [4, 2, 6, 0]):  # short forced wins: the root itself is proven, exactly
        assert tree.proven[0, 0]
        assert tree.root_values()[0] == _negamax(game, _position(game, moves), cache)


def test_a_move_that_allows_a_win_in_one_is_never_played():
    game = tic_tac_toe()
    moves = [4, 0, 8, 2]  # X: 4 8, O: 0 2; X to move must block 1 (O threatens 0-1-2)
    state = _position(game, moves)
    mcts, weights = _searched(game, moves, 300)
    proven, value = mcts.tree.root_proofs()
    exact = {a: -_negamax(game, _after(game, state, a), {}) for a in np.flatnonzero(game.legal_mask(state)[0])}
    for a, v in exact.items():
        if proven[0, a]:
            assert value[0, a] == v
        if v < 0 and proven[0, a]:
            assert weights[0, a] == 0  # a proven loss is never chosen
    assert int(np.argmax(weights[0])) in [a for a, v in exact.items() if v == max(exact.values())]


def _after(game, state, a):
    nxt = state.copy()
    game.step(nxt, np.array([a]))
    return nxt


# ---------------------------------------------------------------------------- selection
def _hand_tree():
    game = tic_tac_toe()
    tree = Tree(game, game.initial_state(1), capacity=16)
    tree.prior[0, 0] = np.full(9, 1 / 9, dtype=np.float32)
    tree.legal[0, 0] = False
    tree.legal[0, 0, :3] = True  # three legal moves, all visited
    tree.expanded[0, 0] = True
    for i, a in enumerate([0, 1, 2], start=1):
        tree.children[0, 0, a] = i
        tree.parent[0, i] = 0
        tree.visits[0, i] = 10
        tree.value_sum[0, i] = 9.0 if a == 0 else -5.0  # action 0 looks best by Q
    tree.num_nodes[0] = 4
    tree.visits[0, 0] = 31
    return tree


def _choose(tree, solver):
    return _puct_child(tree.children, tree.prior, tree.visits, tree.value_sum, tree.legal, tree.proven,
                       tree.proof, 0, 0, 5.0, solver, 0.0)


def test_selection_takes_a_proven_win_and_skips_proven_losses():
    tree = _hand_tree()
    assert _choose(tree, True) == _choose(tree, False) == 0  # the best Q
    tree.proven[0, 2], tree.proof[0, 2] = True, 1.0  # action 1 (node 2): proven win for the chooser
    assert _choose(tree, True) == 1
    assert _choose(tree, False) == 0  # without the solver the proof is ignored
    tree = _hand_tree()
    tree.proven[0, 1], tree.proof[0, 1] = True, -1.0  # action 0 (node 1): proven loss despite its Q
    assert _choose(tree, False) == 0
    assert _choose(tree, True) in (1, 2)
    # A proven draw counts exactly 0, not its mean: action 2 (Q -0.5) proven drawn now beats action 1.
    tree.proven[0, 3], tree.proof[0, 3] = True, 0.0
    assert _choose(tree, True) == 2
    # Every legal child proven lost: the choice falls back to PUCT over them (a move is still made).
    tree.proven[0, 1:4], tree.proof[0, 1:4] = True, -1.0
    assert _choose(tree, True) in (0, 1, 2)


def test_solver_visits_play_wins_and_never_losses():
    legal = np.ones((3, 3), dtype=bool)
    visits = np.array([[50, 10, 5], [50, 10, 5], [50, 10, 5]], dtype=np.float32)
    proven = np.array([[False, False, True], [True, False, False], [True, True, True]])
    proof = np.array([[0, 0, 1.0], [-1.0, 0, 0], [-1.0, -1.0, -1.0]], dtype=np.float32)
    out = solver_visits(visits, legal, proven, proof)
    assert out[0].tolist() == [0, 0, 5]  # the proven win only
    assert out[1].tolist() == [0, 10, 5]  # the proven loss gets nothing
    assert out[2].tolist() == [50, 10, 5]  # everything loses: unchanged
    # Only unvisited moves survive: they share less than one visit in proportion to the prior.
    out = solver_visits(np.array([[9, 0, 0]], np.float32), legal[:1], proven[1:2], proof[1:2],
                        np.array([[0.2, 0.7, 0.1]], np.float32))
    assert out[0, 0] == 0 and out[0, 1] > out[0, 2] > 0 and out[0].sum() < 1


def test_solver_off_never_uses_proofs():
    game = tic_tac_toe()
    mcts, weights = _searched(game, [4, 0, 8, 2], 300, solver=False)
    assert np.array_equal(weights, mcts.tree.root_visits())
    assert not mcts.tree.proven[0, 0]


# ---------------------------------------------------------------------------- subtree reuse
def test_subtree_reuse_keeps_the_proofs_of_the_kept_nodes():
    game = tic_tac_toe()
    states = _position(game, [4, 0])
    mcts = BatchedMCTS(game, uniform_evaluator, SearchParams(num_simulations=600), rng=np.random.default_rng(1))
    mcts.reset(states)
    mcts.run()
    tree = mcts.tree
    child = int(tree.children[0, 0, 8])

    def proofs_below(node, prefix=()):
        out = {}
        for a in range(9):
            c = int(tree.children[0, node, a])
            if c >= 0:
                out[prefix + (a,)] = (bool(tree.proven[0, c]), float(tree.proof[0, c]) if tree.proven[0, c] else 0.0)
                out.update(proofs_below(c, prefix + (a,)))
        return out

    before = proofs_below(child)
    assert any(p for p, _ in before.values())
    root_proof = (bool(tree.proven[0, child]), float(tree.proof[0, child]))
    game.step(states, np.array([8]))
    mcts.advance(np.array([8]), states)
    assert proofs_below(0) == before
    assert (bool(tree.proven[0, 0]), float(tree.proof[0, 0])) == root_proof
    assert not tree.proven[0, int(tree.num_nodes[0]):].any()  # stale slots carry no proof
    mcts.run()  # and the search goes on from there without contradicting a kept proof
    for path, (p, v) in proofs_below(0).items():
        if before.get(path, (False, 0.0))[0]:
            assert (p, v) == before[path]


# ---------------------------------------------------------------------------- the az switch
def test_az_solver_switch():
    env = arena.make("tic_tac_toe")
    assert bots.make("az", env, seed=0).params.solver
    assert not bots.make("az:nosolver", env, seed=0).params.solver
    assert not bots.make("az", env, seed=0, solver=False).params.solver
    with pytest.raises(bots.BotSpecError):
        bots.make("az", env, seed=0, solver="yes")


def test_az_playouts_in_the_spec(tmp_path):
    from arena.alphazero.bot import DEFAULT_PLAYOUTS, PRETRAINED_DIR

    env = arena.make("tic_tac_toe")
    assert bots.make("az", env, seed=0).params.num_simulations == DEFAULT_PLAYOUTS
    assert bots.make("az:64", env, seed=0).params.num_simulations == 64
    bot = bots.make("az:64:nosolver", env, seed=0)
    assert bot.params.num_simulations == 64 and not bot.params.solver
    model = PRETRAINED_DIR / "tic_tac_toe.pt"
    assert bots.make(f"az:{model}:32", env, seed=0).params.num_simulations == 32
    assert bots.make(f"az:{model}:32", env, seed=0, playouts=8).params.num_simulations == 8  # the option wins
    numbered = tmp_path / "123"  # a checkpoint whose name is a number is still a checkpoint
    numbered.write_bytes(model.read_bytes())
    assert bots.make(f"az:{numbered}", env, seed=0).params.num_simulations == DEFAULT_PLAYOUTS
    with pytest.raises(bots.BotSpecError, match="playouts must be >= 1"):
        bots.make("az:0", env, seed=0)


def test_az_takes_a_win_in_one_and_blocks_in_tic_tac_toe():
    env = arena.make("tic_tac_toe")
    game = env.game
    for moves, good in (([0, 3, 1, 4], {2}), ([4, 0, 8, 2], {1})):
        state = _position(game, moves)
        bot = bots.make("az", env, seed=0, playouts=50)
        bot.env = None  # the position comes from the observation here
        obs = game.observation(state, int(state.to_play[0]))[0]
        assert bot.act(obs, game.legal_mask(state)[0].astype(np.int8)) in good


# ---------------------------------------------------------------------------- connect four, perfect solver
def _bitbully():
    bitbully = pytest.importorskip("bitbully", reason="bitbully (the perfect connect-four solver, bench extra) "
                                                      "is not installed: pip install -e '.[bench]'")
    return bitbully


def _solver_scores(bitbully, moves: str) -> dict[int, int]:
    return bitbully.BitBully().score_all_moves(bitbully.Board(moves))


def _az_move(moves: str, playouts: int = 400, solver: bool = True) -> int:
    env = arena.make("connect_four")
    game = env.game
    state = _position(game, moves)
    bot = bots.make("az", env, seed=0, playouts=playouts, solver=solver)
    bot.env = None
    obs = game.observation(state, int(state.to_play[0]))[0]
    return bot.act(obs, game.legal_mask(state)[0].astype(np.int8))


def test_issue_positions_have_the_values_the_issue_states():
    bitbully = _bitbully()
    scores = _solver_scores(bitbully, "333330244442")
    assert {a for a, s in scores.items() if s > 0} == {2, 4} and scores[6] < 0
    scores = _solver_scores(bitbully, "33330111130")
    assert max(scores.values()) > 0 and scores[6] < 0


@pytest.mark.parametrize("moves", ["333330244442", "33330111130"])
def test_az_keeps_the_win_in_the_issue_positions(moves):
    """The issue's two blunders (a won position turned into a lost one). The model shipped until
    2026-11-30 made both; their losing lines are 20+ plies deep, beyond what 400 playouts prove, so
    only the network can get them right -- the retrained model (stage 3) does."""
    bitbully = _bitbully()
    scores = _solver_scores(bitbully, moves)
    assert scores[_az_move(moves)] > 0


@pytest.mark.parametrize("moves", ["3344", "33442", "30221", "001122"])
def test_az_with_the_solver_keeps_the_value_of_short_tactics(moves):
    """Positions with a win in one, or a threat that must be blocked: the move keeps the value."""
    bitbully = _bitbully()
    scores = _solver_scores(bitbully, moves)
    best = max(scores.values())
    move = _az_move(moves, playouts=100)
    assert np.sign(scores[move]) == np.sign(best), (moves, move, scores)


def test_proofs_agree_with_the_perfect_solver_in_connect_four():
    bitbully = _bitbully()
    game = connect_four()
    moves = "30221"  # the side to move must block at 4 or lose at once: the other six moves are proven lost
    mcts = BatchedMCTS(game, uniform_evaluator, SearchParams(num_simulations=800), rng=np.random.default_rng(0))
    mcts.reset(_position(game, moves))
    mcts.run()
    proven, value = mcts.tree.root_proofs()
    scores = _solver_scores(bitbully, moves)
    assert proven[0].sum() >= 6
    for a in np.flatnonzero(proven[0]):
        assert np.sign(value[0, a]) == np.sign(scores[int(a)]), (a, value[0, a], scores)


def test_bench_solver_rows_are_well_formed():
    _bitbully()
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    import bench_alphazero  # noqa: E402  (tools/ is not a package)

    seen = []
    rows = bench_alphazero.perfect_play(6, 1, 8, [True], mcts=20, on_row=seen.append)  # az with 8 playouts
    assert seen == rows and len(rows) == 3
    share, first, second = rows
    assert share["n"] >= 6 and 0.0 <= share["result"] <= 1.0
    for row in (first, second):
        assert row["wins"] + row["draws"] + row["losses"] == 1


@pytest.mark.slow
def test_bench_ablation_trains_and_measures_every_variant(tmp_path):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    import bench_alphazero  # noqa: E402

    tiny = dict(blocks=1, channels=8, num_simulations=12, fast_simulations=3, selfplay_batch=4, games_per_iteration=4,
                batch_size=16, min_replay=16, train_steps=1, iterations=1)
    rows = bench_alphazero.ablation(0.0, 1, 2, str(tmp_path), overrides=tiny, playouts=8)
    assert [r["variant"] for r in rows] == [v[0] for v in bench_alphazero.ABLATION_VARIANTS]
    for r in rows:
        assert r["games_played"] == 4 and 0.0 <= r["vs_mcts1000"] <= 1.0


def test_bench_ablation_runs_only_the_variants_asked_for(tmp_path):
    """``--variants`` splits the ablation over processes (one core each): only those variants train,
    each row reaches ``on_row`` as it is measured, and each run directory is the variant's number."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    import bench_alphazero  # noqa: E402

    tiny = dict(blocks=1, channels=8, num_simulations=12, fast_simulations=3, selfplay_batch=4, games_per_iteration=4,
                batch_size=16, min_replay=16, train_steps=1, iterations=1)
    seen = []
    rows = bench_alphazero.ablation(0.0, 1, 2, str(tmp_path), overrides=tiny, playouts=8, variants=[2],
                                    on_row=seen.append)
    assert seen == rows and [r["variant"] for r in rows] == [bench_alphazero.ABLATION_VARIANTS[2][0]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["variant2"]


def test_az_searches_with_the_c_puct_it_was_trained_with(tmp_path):
    from arena.alphazero.bot import PRETRAINED_DIR

    env = arena.make("tic_tac_toe")
    record = torch.load(PRETRAINED_DIR / "tic_tac_toe.pt", weights_only=False)
    assert "c_puct" not in record["info"]  # an older model file: the search's default
    assert bots.make("az", env, seed=0).params.c_puct == 5.0
    record["info"]["c_puct"] = 1.5
    torch.save(record, tmp_path / "m.pt")
    assert bots.make(f"az:{tmp_path / 'm.pt'}", env, seed=0).params.c_puct == 1.5
    assert bots.make(f"az:{tmp_path / 'm.pt'}", env, seed=0, c_puct=2.5).params.c_puct == 2.5  # the option wins
    for bad in (0, -1.0, "wide"):
        with pytest.raises(bots.BotSpecError, match="c_puct"):
            bots.make("az", env, seed=0, c_puct=bad)


def test_the_previous_connect_four_model_stays_loadable():
    """The model shipped until 2026-11-30 (no reply head, c_puct 5 by default) still plays through
    ``az:PATH`` next to the retrained default."""
    from arena.alphazero.bot import PRETRAINED_DIR

    env = arena.make("connect_four")
    env.reset()
    old = bots.make(f"az:{PRETRAINED_DIR / 'connect_four_2026-11-30.pt'}", env, seed=0, playouts=16)
    new = bots.make("az", env, seed=0, playouts=16)
    obs, *_ = env.last()
    for bot in (old, new):
        action = bot.act(obs["observation"], obs["action_mask"])
        assert obs["action_mask"][action]
