"""The smallest learner: one mixed strategy (softmax over actions) trained by REINFORCE.

It ignores observations, so it suits matrix-like games such as repeated rock-paper-scissors,
where the optimal play is a mixed strategy, and it makes league tests fast. Each training game
is played against an opponent from the league's pick; the logits move along
``lr * (return - baseline) * grad log pi(action)`` for every move the learner made, with a
running-mean baseline and an entropy bonus that keeps it from collapsing too early.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch

from arena.bots import Bot


@dataclass
class SoftmaxConfig:
    """Hyperparameters (``lr`` and ``entropy`` are PBT-tunable)."""

    num_actions: int = 3  # size of the action space
    lr: float = 0.1  # step size on the logits
    entropy: float = 0.01  # entropy bonus coefficient
    baseline_momentum: float = 0.9  # running-mean baseline of returns
    init_scale: float = 0.0  # std of random initial logits (0: uniform start)
    seed: int = 0


class SoftmaxBot:
    """Samples from a frozen copy of the learner's mixed strategy (restricted to legal actions)."""

    def __init__(self, logits: np.ndarray, seed: int | None = None, name: str = "softmax") -> None:
        self.logits = logits.copy()  # a deep copy: later training does not change this bot
        self.rng = np.random.default_rng(seed)
        self.name = name
        self.trace: list[tuple[int, np.ndarray]] = []  # (action, legal mask) of the current game

    def probabilities(self, action_mask: np.ndarray) -> np.ndarray:
        """``[A]`` probabilities over actions, zero on illegal ones."""
        legal = np.asarray(action_mask, dtype=bool)
        z = np.where(legal, self.logits, -np.inf)
        z = z - z[legal].max()
        p = np.exp(z)
        return p / p.sum()

    def act(self, observation: Any, action_mask: np.ndarray) -> int:
        mask = np.asarray(action_mask, dtype=bool)
        # Inverse-CDF sampling: several times faster than rng.choice(p=...) for a handful of actions.
        cumulative = np.cumsum(self.probabilities(mask))
        action = int(min(np.searchsorted(cumulative, self.rng.random() * cumulative[-1], side="right"), mask.size - 1))
        self.trace.append((action, mask))
        return action

    def reset(self) -> None:
        self.trace = []


class SoftmaxLearner:
    """A :class:`arena.learner.Learner` whose policy is ``softmax(logits[A])``."""

    name = "softmax"

    def __init__(self, config: SoftmaxConfig | None = None) -> None:
        self.config = config or SoftmaxConfig()
        rng = np.random.default_rng(self.config.seed)
        self.logits = rng.normal(0.0, self.config.init_scale, self.config.num_actions) if self.config.init_scale else \
            np.zeros(self.config.num_actions)
        self.baseline = 0.0
        self.games_played = 0
        self.rng = rng

    # -- Learner protocol ---------------------------------------------------------------
    def learn(self, make_env: Callable[[], Any], opponents: Sequence[Bot], steps: int) -> dict[str, float]:
        """Play ``steps`` games (seats alternating, opponents in turn) and update after each."""
        from leagues.executor import play_any_game

        if not opponents:
            raise ValueError("the softmax learner needs at least one opponent to learn against")
        env = make_env()
        returns = []
        for g in range(steps):
            me = SoftmaxBot(self.logits, seed=int(self.rng.integers(2**31)))
            opponent = opponents[g % len(opponents)]
            seat = g % 2
            bots = [me, opponent] if seat == 0 else [opponent, me]
            scores = play_any_game(env, bots, seed=int(self.rng.integers(2**31)))
            ret = float(scores[seat])
            advantage = ret - self.baseline
            grad = np.zeros_like(self.logits)
            for action, mask in me.trace:
                p = me.probabilities(mask)
                grad += advantage * (np.eye(self.logits.size)[action] - p)
                # Entropy gradient of softmax: -p * (log p + H); pushes toward uniform.
                logp = np.log(np.maximum(p, 1e-12))
                entropy = -np.sum(p * logp)
                grad += self.config.entropy * np.where(mask, -p * (logp + entropy), 0.0)
            self.logits += self.config.lr * grad / max(len(me.trace), 1)
            self.baseline = self.config.baseline_momentum * self.baseline + (1 - self.config.baseline_momentum) * ret
            returns.append(ret)
            self.games_played += 1
        env.close()
        p = SoftmaxBot(self.logits).probabilities(np.ones(self.logits.size))
        return {"return": float(np.mean(returns)), "entropy": float(-np.sum(p * np.log(np.maximum(p, 1e-12))))}

    def bot(self, env: Any, *, seed: int | None = None) -> SoftmaxBot:
        return SoftmaxBot(self.logits, seed=seed)

    def policy(self) -> np.ndarray:
        """``[A]`` current mixed strategy."""
        return SoftmaxBot(self.logits).probabilities(np.ones(self.logits.size))

    def state_dict(self) -> dict[str, Any]:
        return {"logits": torch.tensor(self.logits), "baseline": float(self.baseline),
                "games_played": int(self.games_played), "config": asdict(self.config),
                "rng": self.rng.bit_generator.state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.config = SoftmaxConfig(**state["config"])
        self.logits = state["logits"].numpy().astype(np.float64).copy()
        self.baseline = float(state["baseline"])
        self.games_played = int(state["games_played"])
        self.rng = np.random.default_rng()
        self.rng.bit_generator.state = state["rng"]

    def clone(self) -> SoftmaxLearner:
        twin = SoftmaxLearner(SoftmaxConfig(**asdict(self.config)))
        twin.load_state_dict(self.state_dict())
        return twin

    @property
    def hyperparameters(self) -> dict[str, float]:
        return {"lr": float(self.config.lr), "entropy": float(self.config.entropy)}

    def set_hyperparameters(self, values: dict[str, float]) -> None:
        unknown = set(values) - {"lr", "entropy"}
        if unknown:
            raise ValueError(f"softmax learner has no hyperparameters {sorted(unknown)} (has lr, entropy)")
        for name, value in values.items():
            setattr(self.config, name, float(value))
