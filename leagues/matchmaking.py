"""Opponent sampling: who a learner plays next.

Each principle turns a list of candidate opponents (oldest first) and the learner's win rates
against them into a probability vector:

* ``recent`` -- the newest candidate; ``earliest`` -- the oldest; ``uniform`` -- any, equally;
* ``openai_five`` -- 80% the latest version of itself, 20% uniform over the past;
* ``prioritized`` -- softmax of the negative win rate: opponents the learner does worst against;
* PFSP (AlphaStar's prioritized fictitious self-play) -- weight ``f(x)`` of the win rate ``x``:
  ``hard`` = ``(1 - x)^p`` (focus on opponents it loses to), ``var`` = ``x (1 - x)`` (focus on
  even games), ``linear_capped`` = ``min(0.5, 1 - x)``;
* ``mlagents`` -- Unity ML-Agents' self-play: with probability ``latest_ratio`` the latest
  version, otherwise uniform over a window of the last ``window`` snapshots.

All functions are pure (numpy in, numpy out) so the distributions are testable on their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

PRINCIPLES = ("recent", "earliest", "uniform", "openai_five", "prioritized", "pfsp_hard", "pfsp_var",
              "pfsp_linear_capped", "mlagents")


def pfsp_weights(win_rates: np.ndarray, weighting: str = "hard", p: float = 2.0) -> np.ndarray:
    """PFSP weights ``f(x)`` for ``win_rates[N]`` in [0, 1] (not normalised)."""
    x = np.clip(np.asarray(win_rates, dtype=np.float64), 0.0, 1.0)
    if weighting == "hard":
        return (1.0 - x) ** p
    if weighting == "var":
        return x * (1.0 - x)
    if weighting == "linear_capped":
        return np.minimum(0.5, 1.0 - x)
    if weighting == "linear":
        return 1.0 - x
    raise ValueError(f"unknown PFSP weighting '{weighting}': use hard, var, linear_capped or linear")


def normalise(weights: np.ndarray) -> np.ndarray:
    """Weights to probabilities; all-zero weights (e.g. the learner beats everyone) become uniform."""
    w = np.maximum(np.asarray(weights, dtype=np.float64), 0.0)
    total = w.sum()
    if w.size == 0:
        return w
    if total <= 0.0 or not np.isfinite(total):
        return np.full(w.size, 1.0 / w.size)
    return w / total


@dataclass(frozen=True)
class MatchmakingSettings:
    """Parameters of the principles (the recipe's ``opponents`` block)."""

    principle: str = "pfsp_hard"
    pfsp_p: float = 2.0  # exponent of f_hard
    prioritized_temperature: float = 0.1  # softmax temperature over negative win rates
    latest_ratio: float = 0.5  # mlagents: share of games against the latest version
    window: int = 10  # mlagents: how many recent snapshots form the pool
    openai_five_latest: float = 0.8  # openai_five: share of games against the latest version


def probabilities(principle: str, win_rates: np.ndarray, settings: MatchmakingSettings | None = None,
                  *, latest_index: int | None = None) -> np.ndarray:
    """``[N]`` probabilities over candidates ordered oldest first.

    ``win_rates[N]`` are the learner's win rates against each candidate. ``latest_index`` marks
    the candidate that is the learner's own latest version (for ``openai_five`` and
    ``mlagents``); when absent the newest candidate plays that part.
    """
    s = settings or MatchmakingSettings(principle=principle)
    x = np.asarray(win_rates, dtype=np.float64)
    n = x.size
    if n == 0:
        raise ValueError("matchmaking needs at least one candidate opponent")
    latest = n - 1 if latest_index is None else int(latest_index)
    one_hot = np.zeros(n)
    if principle == "recent":
        one_hot[n - 1] = 1.0
        return one_hot
    if principle == "earliest":
        one_hot[0] = 1.0
        return one_hot
    if principle == "uniform":
        return np.full(n, 1.0 / n)
    if principle in ("openai_five", "mlagents"):
        if n == 1:
            return np.ones(1)
        past = np.ones(n)
        past[latest] = 0.0
        share = s.openai_five_latest if principle == "openai_five" else s.latest_ratio
        if principle == "mlagents":
            # Only the `window` most recent past versions stay in the pool.
            past_indices = [i for i in range(n) if i != latest]
            for i in past_indices[:-s.window] if s.window > 0 else past_indices:
                past[i] = 0.0
        probs = (1.0 - share) * normalise(past)
        probs[latest] += share
        return probs
    if principle == "prioritized":
        logits = -x / max(s.prioritized_temperature, 1e-6)
        logits -= logits.max()
        return normalise(np.exp(logits))
    if principle.startswith("pfsp_"):
        return normalise(pfsp_weights(x, principle.removeprefix("pfsp_"), s.pfsp_p))
    raise ValueError(f"unknown matchmaking principle '{principle}': use one of {', '.join(PRINCIPLES)}")


def sample(rng: np.random.Generator, candidates: Sequence[int], probs: np.ndarray, count: int) -> list[int]:
    """Draw ``count`` opponents (with replacement) from ``candidates`` with ``probs``."""
    if len(candidates) != len(probs):
        raise ValueError(f"{len(candidates)} candidates but {len(probs)} probabilities")
    picks = rng.choice(len(candidates), size=count, p=probs)
    return [candidates[i] for i in picks]
