"""Cost of the social tree: env steps per second with and without ``SocialTreeWrapper``.

For each game, plays the same seeded random episodes on the raw PettingZoo env (the reference,
measured in the same run) and on the env wrapped in its built-in tree (``arena.social.presets``),
alternating the two, and reports steps/s and the ratio wrapped / raw (1.0 = free). Also times
``arena verify-rewards``' measurement with its default budget.

    python tools/bench_social.py [--seconds 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass

import numpy as np
from pettingzoo import ParallelEnv

import arena
from arena.social import BmarsConfig, SocialTreeWrapper, measure_tree, preset_tree

GAMES = ["connect_four", "rock_paper_scissors", "mpe2.simple_tag_v3", "mpe2.simple_spread_v3"]


@dataclass
class Row:
    game: str
    raw_steps_per_s: float
    wrapped_steps_per_s: float
    ratio: float
    verify_seconds: float


def random_steps(env, seconds: float, seed: int) -> tuple[int, float]:
    """Play random legal moves for about ``seconds``; returns (steps, elapsed)."""
    rng = np.random.default_rng(seed)
    steps, start, episode = 0, time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        if isinstance(env, ParallelEnv):
            env.reset(seed=seed + episode)
            while env.agents:
                env.step({a: env.action_space(a).sample() for a in env.agents})
                steps += 1
        else:
            env.reset(seed=seed + episode)
            for agent in env.agent_iter():
                obs, _, term, trunc, _ = env.last()
                if term or trunc:
                    action = None
                else:
                    legal = np.flatnonzero(obs["action_mask"]) if isinstance(obs, dict) else None
                    action = int(rng.choice(legal)) if legal is not None else env.action_space(agent).sample()
                env.step(action)
                steps += 1
        episode += 1
    return steps, time.perf_counter() - start


def bench(game: str, seconds: float) -> Row:
    raw = arena.make(game)
    wrapped = SocialTreeWrapper(arena.make(game), preset_tree(game, raw.possible_agents))
    raw_rate, wrapped_rate = [], []
    for rep in range(3):  # alternate so load changes hit both sides alike
        s, t = random_steps(raw, seconds / 3, rep)
        raw_rate.append(s / t)
        s, t = random_steps(wrapped, seconds / 3, rep)
        wrapped_rate.append(s / t)
    r, w = float(np.median(raw_rate)), float(np.median(wrapped_rate))
    start = time.perf_counter()
    measure_tree(lambda: arena.make(game), preset_tree(game, raw.possible_agents), BmarsConfig())
    return Row(game, r, w, w / r, time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per game and side (default 2)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    rows = [bench(g, args.seconds) for g in GAMES]
    if args.json:
        print(json.dumps({"rows": [r.__dict__ for r in rows]}))
        return
    print(f"{'game':<24} {'raw steps/s':>12} {'wrapped steps/s':>16} {'ratio':>6} {'verify-rewards s':>17}")
    for r in rows:
        print(f"{r.game:<24} {r.raw_steps_per_s:>12,.0f} {r.wrapped_steps_per_s:>16,.0f} {r.ratio:>6.2f} "
              f"{r.verify_seconds:>17.1f}")


if __name__ == "__main__":
    main()
