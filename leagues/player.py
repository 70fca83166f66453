"""Players of a league: how a player becomes a bot, and how learners go to and from disk.

A *player* is anything that can sit at a table: a fixed bot (``random``, ``mcts:200``), a
held-out evaluator (a fixed bot never used for training), the *live* version of a learning agent,
or a *snapshot* (a frozen deep copy of a learner, saved as a checkpoint file).

Checkpoints are ``torch.save`` files holding only tensors and plain Python values, written to a
temporary file and moved into place with ``os.replace`` (a reader never sees half a file), and
read with ``torch.load(weights_only=True)`` -- a file that would need to run code to load (a
malicious pickle) is refused. Learners rebuilt from checkpoints are kept in a bounded LRU cache,
so a league with hundreds of snapshots holds only a few in memory.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arena.bots import Bot
from arena.bots import make as make_bot
from arena.checkpoint import CheckpointError, load_safely, save_atomic
from arena.learner import Learner

CHECKPOINT_FORMAT = "arena-league-checkpoint/1"


@dataclass(frozen=True)
class PlayerSpec:
    """How a worker process builds a player's bot: a fixed bot spec or a checkpoint path."""

    id: int
    name: str
    spec: str | None = None  # fixed bots
    path: str | None = None  # learners (live or snapshot)


def save_checkpoint(path: str | Path, learner_kind: str, config: dict[str, Any], learner: Learner) -> None:
    """Atomically write ``learner`` (kind, config, state, hyperparameters) to ``path``."""
    payload = {
        "format": CHECKPOINT_FORMAT,
        "learner": learner_kind,
        "config": dict(config),
        "hyperparameters": {k: float(v) for k, v in learner.hyperparameters.items()},
        "state": learner.state_dict(),
    }
    save_atomic(payload, path)


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a league checkpoint without executing code from it (``weights_only=True``)."""
    payload = load_safely(path, "league checkpoint")
    if payload.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path} is not an Arena league checkpoint (format {CHECKPOINT_FORMAT})")
    return payload


def load_learner(path: str | Path) -> Learner:
    """Rebuild the learner saved in ``path`` (its kind must be a registered learner)."""
    from leagues.learners import make_learner

    payload = read_checkpoint(path)
    learner = make_learner(payload["learner"], payload["config"])
    learner.load_state_dict(payload["state"])
    learner.set_hyperparameters(payload["hyperparameters"])
    return learner


class LearnerCache:
    """At most ``capacity`` learners loaded from disk, least recently used evicted first.

    Entries are keyed by path *and* file identity (mtime, size), so a live checkpoint rewritten
    by the league is reloaded rather than served stale.
    """

    def __init__(self, capacity: int = 8) -> None:
        if capacity < 1:
            raise ValueError(f"cache capacity must be >= 1, got {capacity}")
        self.capacity = capacity
        self.entries: OrderedDict[tuple[str, int, int], Learner] = OrderedDict()
        self.loads = 0

    def get(self, path: str | Path) -> Learner:
        stat = os.stat(path)
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        if key in self.entries:
            self.entries.move_to_end(key)
            return self.entries[key]
        learner = load_learner(path)
        self.loads += 1
        self.entries[key] = learner
        while len(self.entries) > self.capacity:
            self.entries.popitem(last=False)
        return learner

    def __len__(self) -> int:
        return len(self.entries)


def build_bot(player: PlayerSpec, env: Any, cache: LearnerCache, *, seed: int | None = None) -> Bot:
    """The bot that plays ``player`` in ``env``."""
    if player.spec is not None:
        return make_bot(player.spec, env, seed=seed)
    if player.path is None:
        raise ValueError(f"player {player.name} has neither a bot spec nor a checkpoint")
    bot = cache.get(player.path).bot(env, seed=seed)
    bot.name = player.name
    return bot
