"""AlphaZero checkpoints inside a self-play phase: a kill loses at most checkpoint_seconds of work."""

from __future__ import annotations

import numpy as np
import pytest

from arena.alphazero.checkpoint import load_safely
from arena.alphazero.config import AlphaZeroConfig
from arena.alphazero.trainer import AlphaZeroTrainer, train


def _config(**changes):
    values = dict(game="tic_tac_toe", blocks=1, channels=8, num_simulations=8, selfplay_batch=4,
                  games_per_iteration=8, replay_capacity=4000, batch_size=16, train_steps=2, min_replay=8,
                  eval_every=0, iterations=1, tensorboard=False, threads=1, checkpoint_seconds=1e-6)
    values.update(changes)
    return AlphaZeroConfig.from_dict(values)


class Killed(Exception):
    pass


def test_a_kill_inside_self_play_resumes_the_same_phase(tmp_path):
    out = tmp_path / "run"
    moves = {"n": 0}

    def kill_after_some_moves(trainer_save):
        def on_checkpoint():
            trainer_save()
            moves["n"] += 1
            if moves["n"] == 6:
                raise Killed()
        return on_checkpoint

    config = _config()
    trainer = AlphaZeroTrainer(config)
    out.mkdir()
    with pytest.raises(Killed):
        trainer.run_iteration(on_checkpoint=kill_after_some_moves(lambda: trainer.save(out, models=False)))
    state = load_safely(out / "checkpoint.pt")
    partial = state["selfplay_partial"]
    assert partial is not None and state["counters"]["iteration"] == 0
    done_before = int(partial["finished"])
    recorded_before = int(partial["positions"])
    assert recorded_before > 0  # six moves of four games were recorded before the kill

    lines = []
    resumed = train(config, out, resume=True, show_progress=False, print_fn=lines.append)
    assert "already played" in lines[0]
    assert resumed.iteration == 1 and resumed.games_played == 8  # the phase finished its 8 games, not 8 more
    assert resumed.positions_played >= recorded_before
    assert done_before <= 8
    final = load_safely(out / "checkpoint.pt")
    assert final["selfplay_partial"] is None


def test_phase_checkpoints_do_not_change_an_uninterrupted_run(tmp_path):
    """Taking snapshots consumes no randomness: the run equals one that takes none."""
    a = train(_config(checkpoint_seconds=1e-6), tmp_path / "a", show_progress=False, print_fn=lambda s: None)
    b = train(_config(checkpoint_seconds=0), tmp_path / "b", show_progress=False, print_fn=lambda s: None)
    assert a.positions_played == b.positions_played
    for pa, pb in zip(a.model.parameters(), b.model.parameters()):
        assert np.array_equal(pa.detach().numpy(), pb.detach().numpy())
