"""Checkpoints: atomic, weights-only (a malicious pickle is refused), deep-copied snapshots, LRU cache."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

import arena
from leagues.learners.softmax import SoftmaxConfig, SoftmaxLearner
from leagues.player import CheckpointError, LearnerCache, load_learner, read_checkpoint, save_checkpoint


class _Exploit:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_malicious_pickle_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.pt"
    with open(evil, "wb") as f:
        pickle.dump({"format": "arena-league-checkpoint/1", "state": _Exploit(str(marker))}, f, protocol=2)
    with pytest.raises(CheckpointError, match="refusing to load"):
        load_learner(evil)
    assert not marker.exists(), "loading the checkpoint executed code from it"


def test_checkpoint_roundtrip_and_no_temp_files(tmp_path):
    learner = SoftmaxLearner(SoftmaxConfig(init_scale=1.0, seed=3))
    learner.set_hyperparameters({"lr": 0.25})
    path = tmp_path / "a" / "live.pt"
    save_checkpoint(path, "softmax", {"init_scale": 1.0, "seed": 3}, learner)
    assert [p.name for p in path.parent.iterdir()] == ["live.pt"]
    loaded = load_learner(path)
    assert np.array_equal(loaded.logits, learner.logits)
    assert loaded.hyperparameters["lr"] == 0.25
    assert read_checkpoint(path)["learner"] == "softmax"


def test_not_a_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_learner(tmp_path / "nope.pt")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError):
        load_learner(junk)


def test_bots_and_clones_are_deep_copies():
    learner = SoftmaxLearner(SoftmaxConfig(init_scale=1.0))
    env = arena.make("rock_paper_scissors", num_rounds=3)
    bot = learner.bot(env, seed=0)
    twin = learner.clone()
    before = bot.logits.copy()
    learner.learn(lambda: arena.make("rock_paper_scissors", num_rounds=3), [twin.bot(env, seed=1)], 20)
    assert not np.array_equal(learner.logits, before)  # it learned
    assert np.array_equal(bot.logits, before)  # the frozen bot did not change
    assert np.array_equal(twin.logits, before)  # nor did the clone


def test_learner_cache_is_bounded(tmp_path):
    cache = LearnerCache(capacity=3)
    paths = []
    for i in range(10):
        path = tmp_path / f"s{i}.pt"
        save_checkpoint(path, "softmax", {"seed": i}, SoftmaxLearner(SoftmaxConfig(seed=i)))
        paths.append(path)
    for path in paths * 2:
        cache.get(path)
    assert len(cache) == 3
    assert cache.loads == 20  # cycling through 10 > capacity evicts every time
    cache.get(paths[-1])
    assert cache.loads == 20  # most recent is served from memory
