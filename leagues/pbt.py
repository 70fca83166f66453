"""Population-based training (Jaderberg et al. 2017): exploit and explore over hyperparameters.

A member is *ready* once it has trained ``ready_steps`` since its last exploit/explore step.
Each ready member is compared with the population:

* exploit ``truncation``: a member in the bottom ``fraction`` (by score) copies the parameters
  and hyperparameters of a member drawn from the top ``fraction``;
* exploit ``tournament``: a member compared with one random other member copies it when the
  other scores higher (binary tournament);
* explore ``perturb``: every copied hyperparameter is multiplied by 0.8 or 1.2 at random;
* explore ``resample``: each copied hyperparameter is, with ``resample_probability``, drawn anew
  from its range in :attr:`PBTSettings.space` (log-uniform), otherwise perturbed.

The functions here only decide; the runner applies the decision (clone the learner, set the
hyperparameters) and writes the lineage to the payoff store.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class PBTSettings:
    """The recipe's ``pbt`` block."""

    enabled: bool = False
    ready_steps: int = 32  # learner steps between two exploit/explore decisions of a member
    exploit: str = "truncation"  # truncation | tournament
    explore: str = "perturb"  # perturb | resample
    fraction: float = 0.25  # truncation: bottom/top share of the population
    perturb_factors: tuple[float, float] = (0.8, 1.2)
    resample_probability: float = 0.25
    space: dict[str, tuple[float, float]] = field(default_factory=dict)  # name -> (low, high) for resample and clipping


@dataclass(frozen=True)
class Member:
    """One population member as PBT sees it."""

    name: str
    score: float  # higher is better (e.g. the learner's fitted Elo)
    hyperparameters: dict[str, float]
    ready: bool


@dataclass(frozen=True)
class ExploitDecision:
    """``loser`` copies ``winner`` and continues with ``hyperparameters``."""

    loser: str
    winner: str
    hyperparameters: dict[str, float]


def explore(hyperparameters: dict[str, float], settings: PBTSettings, rng: np.random.Generator) -> dict[str, float]:
    """Perturb (x0.8 / x1.2) or resample each hyperparameter; values stay inside ``settings.space``."""
    out: dict[str, float] = {}
    for name in sorted(hyperparameters):
        value = float(hyperparameters[name])
        low_high = settings.space.get(name)
        if settings.explore == "resample" and low_high is not None and rng.random() < settings.resample_probability:
            low, high = low_high
            if low > 0:
                value = float(math.exp(rng.uniform(math.log(low), math.log(high))))
            else:
                value = float(rng.uniform(low, high))
        else:
            value *= float(settings.perturb_factors[int(rng.integers(2))])
        if low_high is not None:
            value = float(min(max(value, low_high[0]), low_high[1]))
        out[name] = value
    return out


def exploit_and_explore(population: Sequence[Member], settings: PBTSettings,
                        rng: np.random.Generator) -> list[ExploitDecision]:
    """Decisions for the ready members of ``population`` (at most one per loser)."""
    if settings.exploit not in ("truncation", "tournament"):
        raise ValueError(f"unknown PBT exploit '{settings.exploit}': use truncation or tournament")
    if settings.explore not in ("perturb", "resample"):
        raise ValueError(f"unknown PBT explore '{settings.explore}': use perturb or resample")
    members = list(population)
    if len(members) < 2:
        return []
    decisions: list[ExploitDecision] = []
    ranked = sorted(members, key=lambda m: m.score)  # worst first
    if settings.exploit == "truncation":
        cut = max(1, int(round(settings.fraction * len(members))))
        bottom, top = ranked[:cut], ranked[-cut:]
        top_names = {m.name for m in top}
        for member in bottom:
            if not member.ready or member.name in top_names:
                continue
            winner = top[int(rng.integers(len(top)))]
            decisions.append(ExploitDecision(member.name, winner.name, explore(winner.hyperparameters, settings, rng)))
    else:
        for member in members:
            if not member.ready:
                continue
            others = [m for m in members if m.name != member.name]
            other = others[int(rng.integers(len(others)))]
            if other.score > member.score:
                decisions.append(ExploitDecision(member.name, other.name, explore(other.hyperparameters, settings, rng)))
    return decisions
