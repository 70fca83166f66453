"""The league's thread budget, measured: a PPO learner's league learning step with torch's default
thread count (what the coordinator used before it set one) against the budget
``threads_per_process(None, workers)`` (one thread on 2 cores with 2 workers), alternating in one
process so both see the same machine load.

    python tools/bench_league_threads.py [--steps 8192] [--rounds 3] [--workers 2]

Prints seconds per learning step for each setting, and the ratio default / budget.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8192, help="env steps per learning step (default 8192)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    parser.add_argument("--workers", type=int, default=2, help="league workers the budget is shared with")
    parser.add_argument("--game", default="Soccer-2T2P")
    args = parser.parse_args()

    import torch

    import arena
    from leagues.executor import set_process_threads
    from leagues.learners import league_config, make_learner
    from leagues.runner import available_cores, threads_per_process

    default = torch.get_num_threads()  # what an unconfigured coordinator runs its learners with
    budget = threads_per_process(None, args.workers)
    config = league_config("ppo", {"num_envs": 8, "num_steps": 128, "device": "cpu"}, args.game, {})
    learner = make_learner("ppo", config)

    def make_env():
        return arena.make(args.game)

    learner.learn(make_env, [], 1024)  # warm-up: networks built, caches filled
    times: dict[str, list[float]] = {"default": [], "budget": []}
    for _ in range(args.rounds):
        for name, threads in (("default", default), ("budget", budget)):
            set_process_threads(threads)
            start = time.perf_counter()
            learner.learn(make_env, [], args.steps)
            times[name].append(time.perf_counter() - start)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    d, b = statistics.median(times["default"]), statistics.median(times["budget"])
    print(f"{args.game}: PPO learning step of {args.steps} env steps, {available_cores()} cores, load {load:.1f}")
    print(f"  torch default ({default} threads): median {d:.2f} s  {[round(t, 2) for t in times['default']]}")
    print(f"  league budget ({budget} thread(s), {args.workers} workers): median {b:.2f} s  "
          f"{[round(t, 2) for t in times['budget']]}")
    print(f"  default / budget = {d / b:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
