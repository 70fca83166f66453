"""AlphaZero training pieces: symmetries, loss, config, checkpoints, resume, learner, CLI."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import arena
from arena.alphazero.checkpoint import CheckpointError, load_model_record, load_safely, save_atomic
from arena.alphazero.config import AlphaZeroConfig, ConfigError, load_config
from arena.alphazero.network import alphazero_loss, build_network, encode_planes
from arena.alphazero.replay import ReplayBuffer, augment, symmetry_count, transform
from arena.env import symmetries_of
from games.board.mnk import connect_four, gomoku, tic_tac_toe

REPO = Path(__file__).resolve().parents[1]

TINY = dict(blocks=1, channels=8, value_hidden=8, num_simulations=8, selfplay_batch=4, games_per_iteration=4,
            batch_size=16, train_steps=2, min_replay=16, replay_capacity=2000, eval_every=0, iterations=2,
            tensorboard=False, threads=1, temperature_moves=2)


def _random_states(game, batch, plies, seed=0):
    rng = np.random.default_rng(seed)
    states = game.initial_state(batch)
    for _ in range(plies):
        legal = game.legal_mask(states)
        moves = np.array([rng.choice(np.flatnonzero(r)) if r.any() else 0 for r in legal])
        game.step(states, moves)
    return states


@pytest.mark.parametrize("game", [gomoku(6, 4), connect_four(), tic_tac_toe()], ids=["gomoku", "c4", "ttt"])
def test_symmetries_map_policies_to_the_transformed_legal_moves(game):
    """Each augmented (planes, pi) pair is consistent with the rules: the transformed position's
    legal moves are exactly where the transformed policy may put mass, and the transformed
    planes are the planes of a real position."""
    states = _random_states(game, 6, 5)
    planes = encode_planes(game, states)
    legal = game.legal_mask(states).astype(np.float32)
    pi = legal / legal.sum(axis=1, keepdims=True)
    pi = pi * np.random.default_rng(1).random(pi.shape)  # an arbitrary distribution on legal moves
    pi = (pi / pi.sum(axis=1, keepdims=True)).astype(np.float32)
    seen = {planes.tobytes()}
    for symmetry in symmetries_of(game):
        k = symmetry.name
        p2, pi2 = transform(symmetry, planes, pi)
        assert np.allclose(pi2.sum(axis=1), 1.0)
        for b in range(states.batch_size):
            obs = np.stack([p2[b, 0], p2[b, 1]], axis=-1).astype(np.int8)
            rebuilt = game.state_from_observation(obs)
            legal2 = game.legal_mask(rebuilt)[0]
            assert np.all(pi2[b][~legal2] == 0), f"symmetry {k} moved policy mass onto an illegal move"
            assert (pi2[b] > 0).sum() == (pi[b] > 0).sum()
            if states.last_move[b] >= 0:  # the last-move plane moves with the stones
                assert p2[b, 2].sum() == 1 and (p2[b, 0] + p2[b, 1])[p2[b, 2] == 1].item() == 1
        seen.add(p2.tobytes())
    assert len(seen) == symmetry_count(game)  # the symmetries are distinct transformations
    ap, api, az = augment(game, planes, pi, np.arange(6, dtype=np.float32))
    assert ap.shape[0] == api.shape[0] == az.shape[0] == 6 * symmetry_count(game)
    if game.gravity:
        assert symmetry_count(game) == 2  # only the mirror keeps connect four's rules
    elif game.symmetric:
        assert symmetry_count(game) == 8


def test_loss_is_value_mse_plus_cross_entropy_plus_l2():
    torch.manual_seed(0)
    logits = torch.randn(5, 4)
    value = torch.tanh(torch.randn(5))
    pi = torch.softmax(torch.randn(5, 4), dim=1)
    z = torch.tensor([1.0, -1.0, 0.0, 1.0, -1.0])
    model = torch.nn.Linear(3, 2)
    loss, parts = alphazero_loss(logits, value, pi, z, model, l2=0.01)
    expected_value = ((z - value) ** 2).mean()
    expected_policy = -(pi * torch.log_softmax(logits, dim=1)).sum(dim=1).mean()
    expected_l2 = 0.01 * sum((p ** 2).sum() for p in model.parameters())
    assert loss.item() == pytest.approx((expected_value + expected_policy + expected_l2).item(), rel=1e-5)
    assert parts["value_loss"] == pytest.approx(expected_value.item(), rel=1e-5)
    assert parts["policy_loss"] == pytest.approx(expected_policy.item(), rel=1e-5)
    # Gradients flow to the network outputs.
    logits.requires_grad_(True)
    alphazero_loss(logits, value, pi, z)[0].backward()
    assert logits.grad is not None and logits.grad.abs().sum() > 0


@pytest.mark.parametrize("values, field", [
    ({"c_puct": 0}, "c_puct"),
    ({"num_simulations": -3}, "num_simulations"),
    ({"mode": "sometimes"}, "mode"),
    ({"gating_threshold": 1.5}, "gating_threshold"),
    ({"blocks": "two"}, "blocks"),
    ({"augment": "yes"}, "augment"),
    ({"lerning_rate": 0.1}, "lerning_rate"),
    ({"batch_size": 1000, "replay_capacity": 10}, "batch_size"),
])
def test_bad_config_fields_are_named(values, field):
    with pytest.raises(ConfigError) as info:
        AlphaZeroConfig.from_dict(values)
    assert f"'{field}'" in str(info.value)
    assert "\n" not in str(info.value)


def test_yaml_config_loads_and_reports_errors(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("num_simulations: 50\nlr: 1\neval_mcts_playouts: [100, 200]\n")
    config = load_config(good, iterations=3)
    assert config.num_simulations == 50 and config.lr == 1.0 and config.iterations == 3
    assert config.eval_mcts_playouts == [100, 200]
    bad = tmp_path / "bad.yaml"
    bad.write_text("num_simulatons: 50\n")
    with pytest.raises(ConfigError, match="num_simulatons.*did you mean 'num_simulations'"):
        load_config(bad)
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.yaml")


def test_replay_buffer_wraps_and_round_trips():
    buf = ReplayBuffer(10, (4, 3, 3), 9)
    planes = np.random.default_rng(0).integers(0, 2, (14, 4, 3, 3)).astype(np.uint8)
    pi = np.full((14, 9), 1 / 9, np.float32)
    buf.add(planes[:8], pi[:8], np.arange(8, dtype=np.float32))
    buf.add(planes[8:], pi[8:], np.arange(8, 14, dtype=np.float32))
    assert len(buf) == 10 and sorted(buf.z.tolist()) == list(range(4, 14))
    copy = ReplayBuffer(10, (4, 3, 3), 9)
    copy.load_state_dict(buf.state_dict())
    assert np.array_equal(copy.planes, buf.planes) and copy.cursor == buf.cursor and copy.added == 14


def test_checkpoint_round_trip_and_resume_continue_identically(tmp_path):
    from arena.alphazero.trainer import AlphaZeroTrainer

    config = AlphaZeroConfig.from_dict({**TINY, "game": "tic_tac_toe", "iterations": 3})
    a = AlphaZeroTrainer(config)
    a.run_iteration()
    a.save(tmp_path)
    b = AlphaZeroTrainer(config)
    assert b.resume(tmp_path)
    assert b.iteration == 1 and b.games_played == a.games_played and len(b.replay) == len(a.replay)
    for k, v in a.model.state_dict().items():
        assert torch.equal(v, b.model.state_dict()[k])
    # Same RNG states, same weights, same buffer: the next iteration is identical.
    ma, mb = a.run_iteration(), b.run_iteration()
    assert ma["loss"] == pytest.approx(mb["loss"], rel=1e-5)
    assert a.games_played == b.games_played
    record = load_model_record(tmp_path / "best.pt")
    assert record["game"] == "tic_tac_toe" and record["network"]["channels"] == 8


def test_init_from_warm_starts_the_weights_only_and_rejects_a_mismatched_model(tmp_path):
    from arena.alphazero.trainer import AlphaZeroTrainer

    config = AlphaZeroConfig.from_dict({**TINY, "game": "tic_tac_toe"})
    a = AlphaZeroTrainer(config)
    a.run_iteration()
    a.save(tmp_path)
    warm = AlphaZeroTrainer(config.replace(init_from=str(tmp_path / "latest.pt"), seed=7))
    for k, v in a.model.state_dict().items():
        assert torch.equal(v, warm.model.state_dict()[k])
    assert warm.iteration == 0 and len(warm.replay) == 0  # counters and buffer start fresh
    with pytest.raises(ConfigError, match="init_from: .*network"):
        AlphaZeroTrainer(config.replace(init_from=str(tmp_path / "latest.pt"), channels=16))
    with pytest.raises(ConfigError, match="init_from: .*not for connect_four"):
        AlphaZeroTrainer(AlphaZeroConfig.from_dict({**TINY, "game": "connect_four",
                                                    "init_from": str(tmp_path / "latest.pt")}))
    with pytest.raises(CheckpointError, match="does not exist"):
        AlphaZeroTrainer(config.replace(init_from=str(tmp_path / "nope.pt")))


def test_save_is_atomic_and_a_leftover_temp_file_is_harmless(tmp_path):
    path = tmp_path / "x.pt"
    save_atomic({"a": torch.ones(2)}, path)
    (tmp_path / "x.pt.tmp").write_bytes(b"half a file")  # what a kill -9 mid-write leaves behind
    assert torch.equal(load_safely(path)["a"], torch.ones(2))
    save_atomic({"a": torch.zeros(2)}, path)
    assert torch.equal(load_safely(path)["a"], torch.zeros(2))
    assert not (tmp_path / "x.pt.tmp").exists()


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > pwned.txt",))


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_malicious_pickle_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.pt"
    with open(path, "wb") as f:
        pickle.dump({"format": "arena-alphazero-model", "payload": _Evil()}, f)
    with pytest.raises(CheckpointError, match="refusing to load"):
        load_model_record(path)
    torch.save({"format": "arena-alphazero-model", "payload": _Evil()}, tmp_path / "evil2.pt")
    with pytest.raises(CheckpointError, match="refusing to load"):
        load_safely(tmp_path / "evil2.pt")
    assert not (tmp_path / "pwned.txt").exists()


def test_learner_satisfies_the_league_protocol():
    from arena.alphazero.learner import AlphaZeroLearner, tiny_config
    from arena.learner import Learner

    learner = AlphaZeroLearner(tiny_config("tic_tac_toe", **{k: v for k, v in TINY.items() if k != "iterations"}))
    assert isinstance(learner, Learner)
    metrics = learner.learn(lambda: arena.make("tic_tac_toe"), [], steps=4)
    assert metrics["games"] == 4 and "loss" in metrics
    env = arena.make("tic_tac_toe")
    bot = learner.bot(env, seed=0)
    twin = learner.clone()
    twin.set_hyperparameters({"lr": 0.5})
    assert twin.hyperparameters["lr"] == 0.5 and learner.hyperparameters["lr"] != 0.5
    assert twin.trainer.optimizer.param_groups[0]["lr"] == 0.5
    learner.learn(lambda: arena.make("tic_tac_toe"), [], steps=4)  # the frozen bot must not change
    state = learner.state_dict()
    path = Path(pytest.importorskip("tempfile").mkdtemp()) / "l.pt"
    torch.save(state, path)
    restored = AlphaZeroLearner(learner.config)
    restored.load_state_dict(torch.load(path, weights_only=True))
    assert restored.trainer.games_played == 8
    from arena.play.match import play_game

    record = play_game(env, [bot, restored.bot(env, seed=1)])
    assert len(record.moves) >= 5


@pytest.mark.slow
def test_cli_trains_tic_tac_toe_then_the_az_bot_plays_a_legal_game(tmp_path, capsys):
    config = tmp_path / "tiny.yaml"
    config.write_text("\n".join(f"{k}: {str(v).lower() if isinstance(v, bool) else v}" for k, v in TINY.items()))
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "arena", "train", "alphazero", "tic_tac_toe", "--config", str(config),
           "--out", str(out), "--no-progress"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=240, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert (out / "best.pt").exists() and (out / "checkpoint.pt").exists()
    assert len((out / "log.jsonl").read_text().splitlines()) == 2
    # The rest in-process (the same entry point, without another interpreter start-up).
    from arena.cli import main

    argv = cmd[3:]
    assert main(argv) == 2  # a fresh start into an existing run is refused ...
    assert "--resume" in capsys.readouterr().err
    assert main(argv + ["--resume", "--iterations", "3"]) == 0  # ... resume runs the missing iteration only
    assert len((out / "log.jsonl").read_text().splitlines()) == 3
    assert main(["train", "alphazero", "tic_tac_toe", "--out", str(tmp_path / "x"),
                 "--config", str(tmp_path / "nope.yaml")]) == 2
    err = capsys.readouterr().err
    assert "nope.yaml does not exist" in err and "Traceback" not in err

    from arena import bots
    from arena.play.match import play_game

    env = arena.make("tic_tac_toe")
    az = bots.make(f"az:{out / 'best.pt'}", env, seed=0, playouts=16)
    record = play_game(env, [az, bots.make("random", env, seed=1)])
    state = tic_tac_toe().initial_state(1)
    for move in record.moves:  # replaying through the rules raises on any illegal move
        tic_tac_toe().step(state, np.array([move]))
    assert bool(state.terminal[0])
    with pytest.raises(ValueError, match="trained on"):
        bots.make(f"az:{out / 'best.pt'}", arena.make("connect_four"))


def test_shipped_default_model_loads_for_tic_tac_toe():
    from arena import bots

    env = arena.make("tic_tac_toe")
    bot = bots.make("az", env, seed=0, playouts=32)
    env.reset()
    obs = env.observe("player_0")
    result = bot.policy(obs["observation"], obs["action_mask"])
    assert obs["action_mask"][result.action] == 1 and abs(result.visit_shares.sum() - 1) < 1e-5
    with pytest.raises(ValueError, match="playouts"):
        bots.make("az", env, depth=3)


def test_network_shapes():
    game = connect_four()
    net = build_network(game, 1, 8).eval()
    planes = torch.from_numpy(encode_planes(game, _random_states(game, 3, 4)))
    logits, value = net(planes)
    assert logits.shape == (3, 7) and value.shape == (3,) and torch.all(value.abs() <= 1)


def test_gating_replaces_the_best_network_only_above_the_threshold(monkeypatch):
    from arena.alphazero import trainer as trainer_module
    from arena.alphazero.evaluate import MatchScore

    config = AlphaZeroConfig.from_dict({**TINY, "game": "tic_tac_toe", "mode": "gating", "gating_games": 4,
                                        "eval_every": 1, "eval_games": 2, "eval_mcts_playouts": [10]})
    t = trainer_module.AlphaZeroTrainer(config)
    assert t.best_model is not t.model
    metrics = t.run_iteration()  # real gating match and real evaluation against mcts:10
    assert 0.0 <= metrics["gating_score"] <= 1.0 and "win_rate_vs_mcts10" in metrics and "elo" in metrics
    for score, accepted in ((MatchScore(2, 1, 1), True), (MatchScore(1, 2, 1), False)):  # 0.625 > 0.55, 0.5 not
        with torch.no_grad():
            for p in t.model.parameters():
                p.add_(0.1)
        monkeypatch.setattr(trainer_module, "play_network_match", lambda *a, score=score, **k: score)
        result = t.gate()
        same = all(torch.equal(a, b) for a, b in zip(t.model.state_dict().values(), t.best_model.state_dict().values()))
        assert result["gating_accepted"] == float(accepted) and same == accepted


def test_network_match_plays_every_game_to_the_end():
    from arena.alphazero.evaluate import play_network_match
    from arena.mcts.batched import SearchParams, uniform_evaluator

    game = connect_four()
    score = play_network_match(game, uniform_evaluator, uniform_evaluator, 6, SearchParams(num_simulations=8),
                               rng=np.random.default_rng(0))
    assert score.games == 6 and 0 <= score.score <= 1


@pytest.mark.slow
def test_shipped_tic_tac_toe_model_never_loses_against_any_line():
    """Exhaustive: the shipped model plays both seats against every possible opponent move
    sequence (so also against every perfect minimax player) and never loses."""
    from arena import bots
    from arena.alphazero.evaluate import cached_bot_chooser, losses_against_perfect_play

    env = arena.make("tic_tac_toe")
    game = env.game
    bot = bots.make("az", env, seed=0, playouts=64)
    choose = cached_bot_chooser(bot, game)

    losses, lines = losses_against_perfect_play(game, choose)
    assert lines > 100 and losses == 0
