"""League roles (AlphaStar, Vinyals et al. 2019) and the plain ``player`` role.

Each role answers two questions for one learning agent: *whom to play* (a distribution over
candidate opponents) and *what to do when it takes a snapshot* (keep going, or reset its
parameters to the initial ones):

* ``main`` -- 50% PFSP (``hard``) over every frozen player, 35% self-play against the live main
  agents, 15% against exploiters that still beat it (PFSP ``var``); never reset.
* ``main_exploiter`` -- plays the live main agents while it wins at least 10% against them,
  otherwise PFSP (``var``) over the mains' snapshots to learn from easier versions; reset to the
  initial parameters after every snapshot.
* ``league_exploiter`` -- PFSP (``linear_capped``) over every frozen player; after a snapshot,
  reset with probability 0.25.
* ``player`` -- one principle from :mod:`leagues.matchmaking` over its own past (``recent``,
  ``openai_five``, ``mlagents`` ...) or over the whole league (PFSP, ``prioritized``).

Snapshots: when the agent has trained ``max_steps`` since its last snapshot, or at least
``min_steps`` and it wins ``win_rate`` of its games against its targets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from leagues.matchmaking import MatchmakingSettings, normalise, pfsp_weights, probabilities
from leagues.ratings import PayoffMatrix
from leagues.store import PlayerRow

ROLES = ("main", "main_exploiter", "league_exploiter", "player")
# Principles that draw from the agent's own history rather than from the whole league.
SELF_PRINCIPLES = ("recent", "earliest", "uniform", "openai_five", "mlagents")


@dataclass(frozen=True)
class SnapshotRule:
    """When an agent freezes a copy of itself into the league."""

    max_steps: int = 64  # always snapshot after this many learner steps
    min_steps: int = 16  # never before this many
    win_rate: float = 0.7  # snapshot early once it wins this often against its targets
    reset_probability: float | None = None  # None: the role's default (main 0, main exploiter 1, league 0.25)


@dataclass
class LeagueView:
    """What matchmaking may look at: the frozen and live players and the payoff matrix."""

    players: list[PlayerRow]  # every player that may be an opponent (held-out evaluators excluded)
    payoff: PayoffMatrix
    roles: dict[str, str]  # agent name -> role

    def frozen(self) -> list[PlayerRow]:
        """Fixed bots and snapshots, oldest first."""
        return [p for p in self.players if p.kind in ("fixed", "snapshot")]

    def live(self, role: str | None = None) -> list[PlayerRow]:
        return [p for p in self.players if p.kind == "live" and (role is None or self.roles.get(p.agent) == role)]

    def snapshots_of(self, agents: Sequence[str]) -> list[PlayerRow]:
        return [p for p in self.players if p.kind == "snapshot" and p.agent in agents]


def _mix(parts: list[tuple[float, list[int], np.ndarray]]) -> tuple[list[int], np.ndarray]:
    """Combine weighted distributions over (possibly overlapping) candidate lists; empty parts drop out."""
    parts = [(w, c, p) for w, c, p in parts if c and w > 0]
    total = sum(w for w, _, _ in parts)
    order: list[int] = []
    mass: dict[int, float] = {}
    for weight, candidates, probs in parts:
        for player, prob in zip(candidates, probs):
            if player not in mass:
                order.append(player)
                mass[player] = 0.0
            mass[player] += weight / total * float(prob)
    return order, np.array([mass[p] for p in order])


def opponent_distribution(me: PlayerRow, role: str, view: LeagueView,
                          settings: MatchmakingSettings | None = None) -> tuple[list[int], np.ndarray]:
    """Candidate opponent ids and their probabilities for the live player ``me`` in ``role``."""
    s = settings or MatchmakingSettings()
    pay = view.payoff
    if role == "main":
        frozen = [p.id for p in view.frozen()]
        mains = [p.id for p in view.live("main")] or [me.id]
        exploiters = [p.id for p in view.live("main_exploiter") + view.live("league_exploiter")]
        # Verification: exploiters that still beat the main agent (it wins < 30% against them).
        threats = [e for e in exploiters if pay.win_rate(me.id, e) < 0.3]
        parts = [
            (0.5, frozen, normalise(pfsp_weights(pay.win_rates(me.id, frozen), "hard", s.pfsp_p)) if frozen else np.zeros(0)),
            (0.35, mains, np.full(len(mains), 1.0 / len(mains))),
            (0.15, threats, normalise(pfsp_weights(pay.win_rates(me.id, threats), "var")) if threats else np.zeros(0)),
        ]
        return _mix(parts)
    if role == "main_exploiter":
        mains = [p.id for p in view.live("main")]
        if not mains:
            # A league without main agents: exploit the frozen league instead.
            return opponent_distribution(me, "league_exploiter", view, s)
        if min(pay.win_rate(me.id, m) for m in mains) >= 0.1:
            return mains, np.full(len(mains), 1.0 / len(mains))
        history = [p.id for p in view.snapshots_of([p.agent for p in view.live("main")])] + mains
        return history, normalise(pfsp_weights(pay.win_rates(me.id, history), "var"))
    if role == "league_exploiter":
        frozen = [p.id for p in view.frozen()] or [p.id for p in view.live("main")] or [me.id]
        return frozen, normalise(pfsp_weights(pay.win_rates(me.id, frozen), "linear_capped"))
    if role == "player":
        if s.principle in SELF_PRINCIPLES:
            # Own snapshots, oldest first, then the live self as the latest version.
            candidates = [p.id for p in view.snapshots_of([me.agent])] + [me.id]
            if s.principle in ("uniform", "earliest") and len(candidates) > 1:
                candidates = candidates[:-1]  # "the past": exclude the live version
            probs = probabilities(s.principle, pay.win_rates(me.id, candidates), s,
                                  latest_index=len(candidates) - 1)
            return candidates, probs
        candidates = [p.id for p in view.frozen()] or [me.id]
        return candidates, probabilities(s.principle, pay.win_rates(me.id, candidates), s)
    raise ValueError(f"unknown role '{role}': use one of {', '.join(ROLES)}")


def snapshot_targets(me: PlayerRow, role: str, view: LeagueView) -> list[int]:
    """The opponents whose win rate decides an early snapshot."""
    if role == "main_exploiter":
        mains = [p.id for p in view.live("main")]
        if mains:
            return mains
    return [p.id for p in view.frozen() if p.agent != me.agent] or [p.id for p in view.frozen()]


def ready_to_snapshot(steps_since_snapshot: int, win_rate: float, rule: SnapshotRule) -> bool:
    """Snapshot after ``max_steps``, or after ``min_steps`` once the win rate reaches ``rule.win_rate``."""
    if steps_since_snapshot >= rule.max_steps:
        return True
    return steps_since_snapshot >= rule.min_steps and win_rate >= rule.win_rate


def reset_probability(role: str, rule: SnapshotRule) -> float:
    """Probability that an agent of ``role`` restarts from its initial parameters after a snapshot."""
    if rule.reset_probability is not None:
        return float(rule.reset_probability)
    return {"main": 0.0, "main_exploiter": 1.0, "league_exploiter": 0.25, "player": 0.0}[role]
