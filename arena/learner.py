"""The small interface through which leagues drive learners (PPO, MADDPG, AlphaZero, ...).

Learners know nothing of leagues: a league asks a learner to train for a budget against the
opponents it picked, freezes snapshots of it as bots, copies it for exploiters and population
members, and reads and writes its hyperparameters for population-based training.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

from arena.bots import Bot


@runtime_checkable
class Learner(Protocol):
    """A trainable agent.

    * :meth:`learn` trains for ``steps`` units of experience (the learner's own unit: games for
      AlphaZero, environment steps for PPO/MADDPG) against ``opponents`` (frozen bots; a learner
      that trains by pure self-play may ignore them) and returns scalar metrics for logs.
    * :meth:`bot` returns a frozen player of the current parameters (a deep copy: later training
      does not change it) for matches, evaluation and snapshots.
    * :meth:`state_dict` / :meth:`load_state_dict` hold everything needed to resume (tensors and
      plain Python values only, so checkpoints load with ``torch.load(weights_only=True)``).
    * :meth:`clone` returns an independent deep copy (PBT exploit, exploiter resets).
    * :attr:`hyperparameters` are the PBT-tunable floats (e.g. ``{"lr": 1e-3}``);
      :meth:`set_hyperparameters` applies new values.
    """

    name: str

    def learn(self, make_env: Callable[[], Any], opponents: Sequence[Bot], steps: int) -> dict[str, float]: ...

    def bot(self, env: Any, *, seed: int | None = None) -> Bot: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...

    def clone(self) -> Learner: ...

    @property
    def hyperparameters(self) -> dict[str, float]: ...

    def set_hyperparameters(self, values: dict[str, float]) -> None: ...
