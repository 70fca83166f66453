"""Benchmark: the cost of Arena's PettingZoo bridge over raw ``mlagents_envs``.

Both sides drive the same fake Unity player (``arena.unity.fake``, the real gRPC protocol over a
loopback socket) through the same ``mlagents_envs.environment.UnityEnvironment``:

* reference -- the raw ML-Agents loop: ``get_steps`` and ``set_actions`` (one ``ActionTuple``)
  per behavior, ``step()``;
* Arena -- ``UnityParallelEnv.step`` with one action per live agent in the PettingZoo action
  spaces (conversion, validation, masks, per-agent observation and info dicts included).

Random actions are drawn before the clock starts on both sides, so only the bridge is timed.

Repetitions alternate between the two; the table shows the median steps per second and the ratio
(Arena / raw; 1.0 would mean the bridge costs nothing).

    python tools/bench_unity.py            # table
    python tools/bench_unity.py --json     # the same as JSON
    python tools/bench_unity.py --quick    # a few short repetitions, for smoke tests

Needs the ``unity`` extra (``pip install -e .[unity]``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


@dataclass
class Case:
    label: str
    behaviors: Callable[[], list[Any]]


def _cases() -> list[Case]:
    from arena.unity.fake import FakeBehavior

    return [
        Case("2 teams x 2 agents, vector 8, discrete 9",
             lambda: [FakeBehavior(f"Pusher?team={t}", agents=2, vector_size=8, discrete_branches=(9,))
                      for t in (0, 1)]),
        Case("2 teams x 8 agents, vector 8, hybrid (2 + 9)",
             lambda: [FakeBehavior(f"Pusher?team={t}", agents=8, vector_size=8, continuous_actions=2,
                                   discrete_branches=(9,)) for t in (0, 1)]),
        Case("2 teams x 2 agents, camera 64x64x3 (PNG) + vector 8",
             lambda: [FakeBehavior(f"Pusher?team={t}", agents=2, vector_size=8, visual_shape=(64, 64, 3))
                      for t in (0, 1)]),
    ]


@dataclass
class Row:
    case: str
    steps: int
    repetitions: int
    raw_steps_per_s: float
    arena_steps_per_s: float
    ratio: float


def _raw_rate(env: Any, steps: int, rng: np.random.Generator) -> float:
    """Steps per second of the plain ML-Agents loop on ``env.unity_env`` (actions drawn beforehand)."""
    from mlagents_envs.base_env import ActionTuple

    unity = env.unity_env
    unity.reset()
    plans = []
    for _ in range(steps):
        plan = {}
        for name, spec in unity.behavior_specs.items():
            n = len(unity.get_steps(name)[0])  # no episode ends here: the same agents every step
            action_spec = spec.action_spec
            continuous = rng.uniform(-1, 1, (n, action_spec.continuous_size)).astype(np.float32)
            discrete = np.stack([rng.integers(0, b, n) for b in action_spec.discrete_branches], axis=1)
            plan[name] = ActionTuple(continuous=continuous, discrete=discrete.astype(np.int32))
        plans.append(plan)
    start = time.perf_counter()
    for plan in plans:
        for name in unity.behavior_specs:
            unity.get_steps(name)
            unity.set_actions(name, plan[name])
        unity.step()
    return steps / (time.perf_counter() - start)


def _arena_rate(env: Any, steps: int, seed: int) -> float:
    """Steps per second of ``UnityParallelEnv.step`` (random PettingZoo actions drawn beforehand)."""
    env.reset(seed=seed)
    plans = [{agent: env.action_space(agent).sample() for agent in env.agents} for _ in range(steps)]
    start = time.perf_counter()
    for plan in plans:
        env.step(plan)
    return steps / (time.perf_counter() - start)


def run(steps: int, repetitions: int) -> list[Row]:
    from arena.unity.fake import fake_unity_env

    rows = []
    for case in _cases():
        raw, arena_rates = [], []
        # No episode ends: both loops step the same live agents for the whole measurement.
        with fake_unity_env(case.behaviors()) as (env, _):
            rng = np.random.default_rng(0)
            _arena_rate(env, 20, 0)  # warm up both paths (imports, first PNG decode)
            _raw_rate(env, 20, rng)
            for repetition in range(repetitions):
                raw.append(_raw_rate(env, steps, rng))
                arena_rates.append(_arena_rate(env, steps, repetition))
        raw_median, arena_median = statistics.median(raw), statistics.median(arena_rates)
        rows.append(Row(case.label, steps, repetitions, raw_median, arena_median, arena_median / raw_median))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300, help="steps per repetition")
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="50 steps, 2 repetitions")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    steps, repetitions = (50, 2) if args.quick else (args.steps, args.repetitions)
    if steps < 1 or repetitions < 1:
        parser.error("--steps and --repetitions must be positive")
    rows = run(steps, repetitions)
    if args.json:
        print(json.dumps([asdict(r) for r in rows], indent=2))
        return 0
    print(f"{'case':<52} {'raw ML-Agents steps/s':>22} {'Arena steps/s':>14} {'ratio':>6}")
    for r in rows:
        print(f"{r.case:<52} {r.raw_steps_per_s:>22,.0f} {r.arena_steps_per_s:>14,.0f} {r.ratio:>6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
