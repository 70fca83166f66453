"""KataGo's sample-efficiency methods in AlphaZero self-play: playout cap randomisation, forced
playouts with policy-target pruning, and the opponent-reply policy target."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from arena.alphazero.config import AlphaZeroConfig, ConfigError
from arena.alphazero.network import NetworkEvaluator, build_network
from arena.alphazero.selfplay import self_play
from arena.mcts.batched import BatchedMCTS, SearchParams, Tree, pruned_visits, search, uniform_evaluator
from games.board.mnk import connect_four, tic_tac_toe


@pytest.fixture(scope="module")
def c4_evaluator():
    torch.manual_seed(0)
    game = connect_four()
    return game, NetworkEvaluator(game, build_network(game, 1, 8), "cpu")


# ---------------------------------------------------------------------------- playout cap randomisation
def test_playout_cap_records_only_the_full_searches(c4_evaluator):
    game, evaluator = c4_evaluator
    params = SearchParams(num_simulations=24)
    data = self_play(game, evaluator, params, 6, batch_size=6, temperature_moves=4, rng=np.random.default_rng(0),
                     full_search_fraction=0.3, fast_simulations=4)
    assert 0 < data.full_searches < data.searches
    assert data.positions == data.full_searches  # one recorded position per full search
    assert data.simulations == 24 * data.full_searches + 4 * (data.searches - data.full_searches)
    assert data.full_searches / data.searches == pytest.approx(0.3, abs=0.12)
    assert data.searches == round(data.mean_length * data.games)  # every move was searched once
    assert np.allclose(data.pi.sum(axis=1), 1.0)
    # Without the cap every move is full and recorded.
    plain = self_play(game, evaluator, params, 2, batch_size=2, temperature_moves=4, rng=np.random.default_rng(0))
    assert plain.positions == plain.searches == plain.full_searches


def test_playout_cap_arguments_are_checked(c4_evaluator):
    game, evaluator = c4_evaluator
    params = SearchParams(num_simulations=8)
    with pytest.raises(ValueError, match="full_search_fraction"):
        self_play(game, evaluator, params, 1, batch_size=1, temperature_moves=1, rng=np.random.default_rng(0),
                  full_search_fraction=0.0)
    with pytest.raises(ValueError, match="fast_simulations"):
        self_play(game, evaluator, params, 1, batch_size=1, temperature_moves=1, rng=np.random.default_rng(0),
                  full_search_fraction=0.5, fast_simulations=9)
    with pytest.raises(ConfigError, match="full_search_fraction"):
        AlphaZeroConfig(full_search_fraction=1.5)
    with pytest.raises(ConfigError, match="fast_simulations"):
        AlphaZeroConfig(num_simulations=50, fast_simulations=60)
    assert AlphaZeroConfig(num_simulations=600).fast_playouts == 100  # KataGo's 600 / 100


def test_per_tree_budgets_and_noise_only_on_full_searches():
    game = connect_four()
    tree = Tree(game, game.initial_state(3), capacity=256)
    noise = np.array([True, False, True])
    search(tree, uniform_evaluator, SearchParams(num_simulations=50, dirichlet_weight=0.5),
           root_noise=noise, rng=np.random.default_rng(0), simulations=np.array([50, 10, 30]))
    assert tree.visits[:, 0].tolist() == [50, 10, 30]
    uniform = np.full(7, 1 / 7, dtype=np.float32)
    assert not np.allclose(tree.prior[0, 0], uniform) and not np.allclose(tree.prior[2, 0], uniform)
    assert np.allclose(tree.prior[1, 0], uniform)  # a fast search has no noise


# ---------------------------------------------------------------------------- forced playouts
def test_forced_playouts_give_every_visited_root_child_its_minimum():
    game = connect_four()
    k = 2.0
    params = SearchParams(num_simulations=400, dirichlet_weight=0.5, forced_playouts_k=k, solver=False)
    tree = Tree(game, game.initial_state(4), capacity=1024)
    search(tree, uniform_evaluator, params, root_noise=True, rng=np.random.default_rng(3))
    visits = tree.root_visits()
    total = visits.sum(axis=1, keepdims=True)
    n_forced = np.sqrt(k * tree.prior[:, 0] * total)
    visited = visits > 0
    # Forcing happens while the root's total grows, so the last child may be one visit short.
    assert (visits[visited] >= np.floor(n_forced[visited]) - 1).all()
    # Off without root noise (evaluation, play): the search is the plain one.
    a = Tree(game, game.initial_state(1), capacity=256)
    b = Tree(game, game.initial_state(1), capacity=256)
    search(a, uniform_evaluator, SearchParams(num_simulations=100, forced_playouts_k=k))
    search(b, uniform_evaluator, SearchParams(num_simulations=100))
    assert np.array_equal(a.root_visits(), b.root_visits())


def test_forced_playout_is_taken_before_a_better_puct_child():
    from arena.mcts.batched import _puct_child

    game = tic_tac_toe()
    tree = Tree(game, game.initial_state(1), capacity=16)
    tree.legal[0, 0] = False
    tree.legal[0, 0, :2] = True
    tree.prior[0, 0, :2] = [0.5, 0.5]
    tree.expanded[0, 0] = True
    for i, (a, n, w) in enumerate([(0, 40, 30.0), (1, 1, -1.0)], start=1):
        tree.children[0, 0, a], tree.parent[0, i], tree.visits[0, i], tree.value_sum[0, i] = i, 0, n, w
    tree.visits[0, 0] = 42
    args = (tree.children, tree.prior, tree.visits, tree.value_sum, tree.legal, tree.proven, tree.proof, 0, 0, 1.0, False)
    assert _puct_child(*args, 0.0) == 0  # by PUCT
    assert _puct_child(*args, 2.0) == 1  # 1 < sqrt(2 * 0.5 * 42): forced


# ---------------------------------------------------------------------------- policy-target pruning
def test_policy_target_pruning_matches_the_formula():
    game = tic_tac_toe()
    tree = Tree(game, game.initial_state(1), capacity=16)
    tree.legal[0, 0] = False
    tree.legal[0, 0, :4] = True
    prior = np.array([0.4, 0.3, 0.2, 0.1], dtype=np.float32)
    tree.prior[0, 0, :4] = prior
    tree.expanded[0, 0] = True
    stats = [(60, 36.0), (20, 4.0), (8, -2.0), (1, -1.0)]  # (N, W) from the root player's view
    for i, (n, w) in enumerate(stats, start=1):
        tree.children[0, 0, i - 1], tree.parent[0, i], tree.visits[0, i], tree.value_sum[0, i] = i, 0, n, w
    tree.visits[0, 0] = 90
    c, k = 1.5, 2.0
    out = pruned_visits(tree, c, k)[0, :4]
    total = sum(n for n, _ in stats)
    puct_best = 36 / 60 + c * 0.4 * math.sqrt(90) / 61
    expected = [60.0]
    for (n, w), p in zip(stats[1:], prior[1:]):
        q = w / n
        n_min = math.ceil(c * p * math.sqrt(90) / (puct_best - q) - 1)
        left = min(max(n - math.sqrt(k * p * total), n_min, 0), n)
        expected.append(0.0 if left <= 1 else left)
    assert out.tolist() == pytest.approx(expected)
    assert out[0] == 60 and out[3] == 0 and out[1] <= 20


def test_pruned_targets_in_self_play_move_mass_to_the_best_move(c4_evaluator):
    # Tic-tac-toe, X to move wins with 2: forced playouts spend visits on the other moves beyond
    # what PUCT would give them, and pruning takes those back out of the target.
    game = tic_tac_toe()
    state = game.initial_state(4)
    for m in (0, 3, 1, 4):
        game.step(state, np.full(4, m))
    params = SearchParams(num_simulations=200, forced_playouts_k=2.0, solver=False)
    mcts = BatchedMCTS(game, uniform_evaluator, params, rng=np.random.default_rng(0))
    mcts.reset(state)
    mcts.run(root_noise=True)
    raw = mcts.tree.root_visits()
    pruned = mcts.policy_targets(prune=True)
    assert (raw.argmax(axis=1) == 2).all()
    assert (pruned <= raw + 1e-6).all() and (pruned[:, 2] == raw[:, 2]).all()
    assert (pruned[:, 2] / pruned.sum(axis=1) > raw[:, 2] / raw.sum(axis=1)).all()
    # Self-play with pruning on yields normalised targets.
    game, evaluator = c4_evaluator
    params = SearchParams(num_simulations=32, forced_playouts_k=2.0)
    data = self_play(game, evaluator, params, 2, batch_size=2, temperature_moves=2, rng=np.random.default_rng(0),
                     prune_policy=True)
    assert np.allclose(data.pi.sum(axis=1), 1.0)


# ---------------------------------------------------------------------------- opponent-reply target
def test_opponent_reply_policy_is_the_next_positions_target(c4_evaluator):
    game, evaluator = c4_evaluator
    data = self_play(game, evaluator, SearchParams(num_simulations=16), 3, batch_size=3, temperature_moves=4,
                     rng=np.random.default_rng(1))
    assert data.pi_next.shape == data.pi.shape and data.has_next.shape == data.z.shape
    # Games are stored one after the other; within a game position i+1 answers position i, and
    # the last position of each game (where z flips no more) has no reply.
    assert (~data.has_next).sum() == data.games
    ends = np.flatnonzero(~data.has_next)
    start = 0
    for end in ends:
        assert np.allclose(data.pi_next[start:end], data.pi[start + 1:end + 1])
        assert (data.z[start:end] == -data.z[start + 1:end + 1]).all()  # alternating seats
        start = end + 1
    assert np.allclose(data.pi_next[data.has_next].sum(axis=1), 1.0)
    assert (data.pi_next[~data.has_next] == 0).all()


def test_opponent_reply_exists_for_capped_positions_too(c4_evaluator):
    game, evaluator = c4_evaluator
    data = self_play(game, evaluator, SearchParams(num_simulations=16), 3, batch_size=3, temperature_moves=4,
                     rng=np.random.default_rng(2), full_search_fraction=0.5, fast_simulations=4)
    # A recorded position's reply comes from whatever search the next move had (fast ones included).
    assert data.has_next.sum() >= data.positions - data.games
    assert np.allclose(data.pi_next[data.has_next].sum(axis=1), 1.0)


# ---------------------------------------------------------------------------- config switches
def test_config_switches_reach_the_search_and_self_play():
    from arena.alphazero.trainer import AlphaZeroTrainer

    base = dict(game="tic_tac_toe", blocks=1, channels=8, num_simulations=12, selfplay_batch=4, games_per_iteration=4,
                batch_size=16, min_replay=16, replay_capacity=4096, eval_every=0, tensorboard=False, threads=1,
                device="cpu")
    trainer = AlphaZeroTrainer(AlphaZeroConfig.from_dict(base))
    params = trainer.search_params()
    assert params.solver and params.forced_playouts_k == 0.0
    on = AlphaZeroConfig.from_dict({**base, "solver": False, "forced_playouts": True, "forced_playouts_k": 3.0,
                                    "playout_cap_randomisation": True, "full_search_fraction": 0.5,
                                    "fast_simulations": 3})
    trainer = AlphaZeroTrainer(on)
    params = trainer.search_params()
    assert not params.solver and params.forced_playouts_k == 3.0
    data = trainer.self_play_phase(4)
    assert data.positions == data.full_searches < data.searches


# ---------------------------------------------------------------------------- the reply head
REPLY_BASE = dict(game="tic_tac_toe", blocks=1, channels=8, value_hidden=8, num_simulations=12, selfplay_batch=4,
                  games_per_iteration=8, batch_size=32, min_replay=16, replay_capacity=4096, train_steps=4,
                  eval_every=0, tensorboard=False, threads=1, device="cpu")


def test_reply_loss_is_the_masked_cross_entropy_and_absent_at_weight_zero():
    from arena.alphazero.network import alphazero_loss

    torch.manual_seed(0)
    logits, reply = torch.randn(4, 9), torch.randn(4, 9)
    value, z = torch.tanh(torch.randn(4)), torch.tensor([1.0, -1.0, 0.0, 1.0])
    pi = torch.softmax(torch.randn(4, 9), 1)
    nxt = torch.softmax(torch.randn(4, 9), 1)
    has = torch.tensor([True, False, True, False])
    base, parts = alphazero_loss(logits, value, pi, z)
    off, _ = alphazero_loss(logits, value, pi, z, reply_logits=reply, target_next=nxt, has_next=has, reply_weight=0.0)
    assert torch.equal(base, off) and "reply_loss" not in parts
    on, parts = alphazero_loss(logits, value, pi, z, reply_logits=reply, target_next=nxt, has_next=has,
                               reply_weight=0.5)
    expected = -(nxt[has] * torch.log_softmax(reply[has], 1)).sum(1).mean()
    assert parts["reply_loss"] == pytest.approx(float(expected), rel=1e-6)
    assert float(on - base) == pytest.approx(0.5 * float(expected), rel=1e-5)


def test_augmentation_maps_the_reply_policy_with_the_same_symmetry():
    from arena.alphazero.replay import augment
    from arena.env.batched import symmetries_of

    game = connect_four()
    planes = np.random.default_rng(0).integers(0, 2, (3, 4, 6, 7)).astype(np.uint8)
    pi = np.eye(7, dtype=np.float32)[[0, 1, 2]]
    pi_next = np.eye(7, dtype=np.float32)[[6, 5, 3]]
    has_next = np.array([True, False, True])
    out = augment(game, planes, pi, np.ones(3, np.float32), pi_next, has_next)
    (mirror,) = symmetries_of(game)
    assert out[3].shape == (6, 7) and np.array_equal(out[3][3:], mirror.apply_policy(pi_next))
    assert np.array_equal(out[3][3:].argmax(1), [0, 1, 3])  # the mirror of columns 6, 5, 3
    assert np.array_equal(out[4], np.concatenate([has_next, has_next]))


def test_training_with_the_reply_head_warm_starts_saves_and_plays(tmp_path):
    from arena import bots, make
    from arena.alphazero.bot import PRETRAINED_DIR
    from arena.alphazero.checkpoint import load_model_record
    from arena.alphazero.trainer import AlphaZeroTrainer

    shipped = load_model_record(PRETRAINED_DIR / "tic_tac_toe.pt")["network"]
    config = AlphaZeroConfig.from_dict({**REPLY_BASE, **{k: shipped[k] for k in ("blocks", "channels", "value_hidden")},
                                        "reply_target_weight": 0.15,
                                        "init_from": str(PRETRAINED_DIR / "tic_tac_toe.pt")})
    trainer = AlphaZeroTrainer(config)  # the shipped model has no reply head: it starts fresh
    assert trainer.model.reply_head is not None and trainer.replay.reply
    metrics = {}
    for _ in range(3):
        metrics = trainer.run_iteration()
    assert math.isfinite(metrics["reply_loss"]) and 0 < metrics["reply_loss"] < 2 * math.log(9)
    assert trainer.replay.has_next[:len(trainer.replay)].any() and not trainer.replay.has_next[:len(trainer.replay)].all()
    trainer.save(tmp_path)
    record = load_model_record(tmp_path / "best.pt")
    assert record["network"]["reply_head"] == 1 and any(k.startswith("reply_head.") for k in record["model"])
    bot = bots.make(f"az:{tmp_path / 'best.pt'}:16", make("tic_tac_toe"), seed=0)
    assert bot.model.reply_head is not None
    # a resumed run gets its buffer's reply targets back
    again = AlphaZeroTrainer(config)
    assert again.resume(tmp_path)
    assert np.array_equal(again.replay.pi_next[:len(again.replay)], trainer.replay.pi_next[:len(trainer.replay)])
    # and a run without the head warm-starts from this file, dropping the head
    plain = AlphaZeroTrainer(AlphaZeroConfig.from_dict({**REPLY_BASE, **{k: shipped[k] for k in
                                                        ("blocks", "channels", "value_hidden")},
                                                        "init_from": str(tmp_path / "best.pt")}))
    assert plain.model.reply_head is None
