"""Benchmark: agent-steps per second of the 2-D engine against mpe2, measured in the same run.

Measures, for one 2-D game (default Soccer-2T2P, 4 agents):

* the batched engine (:class:`games.arena2d.engine.Arena2DGame`) at B = 1, 64, 1024 copies, with
  automatic resets and uniformly random actions drawn in advance;
* its PettingZoo Parallel view (a batch of one, with ``reset`` whenever the episode ends);
* mpe2's ``simple_spread_v3`` and ``simple_tag_v3`` Parallel envs under the same loop.

Agent-steps/s = (env steps x agents) / wall time, from the fastest of 10 trials per measurement
(a busy machine only ever slows a trial down); "per CPU-s" divides by the CPU time the process
got instead, which a shared machine distorts much less. ``--threads 1,2`` repeats every batch on
that many numba threads (per CPU-s then counts every thread's time); the thread counts of one
batch size take turns trial by trial, so their ratio is measured under the same conditions.
Ratios compare the PettingZoo view with each mpe2 env, and each thread count with one thread.
Run: ``python tools/bench_envs.py [--game NAME] [--seconds S] [--threads 1,2] [--json]``.

``--mpe all`` (or a comma list of names) measures the batched ports of mpe2's particle worlds
(:mod:`games.mpe`) instead: each port at B = 1, 64, 1024 (``--threads 1,2`` repeats every batch
with that many numba threads), its PettingZoo view, and mpe2's own env of the same world under
the loop above, with the ratio of each batch size to mpe2.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

REPEATS = 10  # timed trials per measurement; the best one counts (timeit's rule: noise only slows)


def _time_loop(step: Any, min_seconds: float, min_steps: int = 10) -> tuple[int, float, float]:
    """Call ``step()`` in ``REPEATS`` trials of ``min_seconds / REPEATS`` (and ``min_steps``)
    each; returns (steps, wall seconds, CPU seconds) of the fastest trial by wall time.

    CPU seconds (``time.process_time``) count only the time this process ran: on a machine
    shared with other jobs they show what the code costs, where wall time shows what it got."""
    return _time_interleaved([step], min_seconds, min_steps)[0]


def _time_interleaved(steps: list[Any], min_seconds: float, min_steps: int = 10) -> list[tuple[int, float, float]]:
    """:func:`_time_loop` for several step functions whose rates are compared: their trials take
    turns (A, B, A, B, ...), so a slow spell of a shared machine falls on each of them alike
    instead of on whichever was measured then. Each gets ``min_seconds`` in all; returns
    (steps, wall seconds, CPU seconds) of each one's fastest trial."""
    best: list[tuple[int, float, float] | None] = [None] * len(steps)
    for _ in range(REPEATS):
        for i, step in enumerate(steps):
            n = 0
            start = time.perf_counter()
            cpu_start = time.process_time()
            while True:
                step()
                n += 1
                elapsed = time.perf_counter() - start
                if n >= min_steps and elapsed >= min_seconds / REPEATS:
                    break
            cpu = max(time.process_time() - cpu_start, 1e-9)
            if best[i] is None or n / elapsed > best[i][0] / best[i][1]:
                best[i] = (n, elapsed, cpu)
    assert all(b is not None for b in best)
    return best  # type: ignore[return-value]


def _batched_rows(make_engine: Any, label: str, num_envs: int, seconds: float, threads: Sequence[int],
                  extra: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows for one batch size of a batched engine (``make_engine(num_envs, num_threads)``, autoreset
    on, random discrete actions drawn in advance), one per thread count, their trials interleaved
    so that the thread counts' ratios are measured under the same conditions."""
    rows = []
    steppers = []
    for t in threads:
        engine = make_engine(num_envs, t)
        engine.reset(seed=0)
        rng = np.random.default_rng(0)
        pool = [{a: rng.integers(0, engine.action_space(a).n, size=num_envs) for a in engine.possible_agents}
                for _ in range(64)]
        engine.step(pool[0])  # warm up (numba kernels load from cache)
        counter = iter(range(10**12))
        steppers.append(lambda e=engine, p=pool, c=counter: e.step(p[next(c) % 64]))
        rows.append({"what": f"{label} B={num_envs}" + (f" threads={t}" if t > 1 else ""), **extra,
                     "num_envs": num_envs, "threads": t, "agents": len(engine.possible_agents)})
    for row, (steps, elapsed, cpu) in zip(rows, _time_interleaved(steppers, seconds)):
        agent_steps = steps * num_envs * row["agents"]
        row.update(env_steps_per_s=steps * num_envs / elapsed, agent_steps_per_s=agent_steps / elapsed,
                   agent_steps_per_cpu_s=agent_steps / cpu)
    return rows


def bench_batched(game: str, num_envs: int, seconds: float, threads: Sequence[int] = (1,)) -> list[dict[str, Any]]:
    """Agent-steps/s of the batched 2-D engine with ``num_envs`` copies (autoreset on), one row per
    numba thread count in ``threads`` (the engine's timing guard on, as a user runs it)."""
    from games.arena2d import make_batched

    return _batched_rows(lambda b, t: make_batched(game, b, autoreset=True, num_threads=t), f"{game} batched",
                         num_envs, seconds, threads, {})


def step_breakdown(game: str, num_envs: int, repeats: int = 200) -> dict[str, float]:
    """Fastest single batched step and its parts in milliseconds (the least-disturbed cost):
    the whole step, the observation kernel (lidar included) and the physics kernel."""
    from games.arena2d import make_batched
    from games.arena2d.physics import physics_step

    engine = make_batched(game, num_envs, autoreset=True)
    engine.reset(seed=0)
    rng = np.random.default_rng(0)
    n_actions = engine.action_space(engine.possible_agents[0]).n
    actions = {a: rng.integers(0, n_actions, size=num_envs) for a in engine.possible_agents}
    e = engine

    def physics() -> None:
        physics_step(e.pos, e.vel, e.force, e.active, e.radius, e.half, e.inv_mass, e.restitution, e.damping,
                     e.max_speed, e.is_agent, e.wall_pos, e.wall_half, e.wall_dead, e.wall_restitution,
                     e.wall_blocks_agents, e.wall_blocks_objects, e.dt, e.substeps, e.touched)

    def fastest(fn: Any) -> float:
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - start)
        return best * 1e3

    engine.step(actions)
    out = {"step_ms": fastest(lambda: engine.step(actions)), "observe_ms": fastest(engine._observe),
           "physics_ms": fastest(physics)}
    out["agent_steps_per_s_at_fastest_step"] = num_envs * len(engine.possible_agents) / (out["step_ms"] / 1e3)
    return out


def bench_parallel(name: str, make: Any, seconds: float) -> dict[str, Any]:
    """Agent-steps/s of a PettingZoo ParallelEnv with random actions, resetting at episode end."""
    env = make()
    env.reset(seed=0)
    for i, agent in enumerate(env.possible_agents):
        env.action_space(agent).seed(i)
    samples = {a: [env.action_space(a).sample() for _ in range(256)] for a in env.possible_agents}
    state = {"t": 0, "agent_steps": 0}

    def step() -> None:
        if not env.agents:
            env.reset()
        t = state["t"] = state["t"] + 1
        actions = {a: samples[a][t % 256] for a in env.agents}
        state["agent_steps"] += len(actions)
        env.step(actions)

    steps, elapsed, cpu = _time_loop(step, seconds)
    # Live agents per step (fewer than all once some are done), averaged over every trial.
    live_per_step = state["agent_steps"] / state["t"]
    return {"what": name, "env_steps_per_s": steps / elapsed, "agent_steps_per_s": live_per_step * steps / elapsed,
            "agent_steps_per_cpu_s": live_per_step * steps / cpu, "agents": len(env.possible_agents)}


def bench_mpe_batched(name: str, num_envs: int, seconds: float, threads: Sequence[int] = (1,)) -> list[dict[str, Any]]:
    """Agent-steps/s of a batched particle-world port (autoreset on, random discrete actions), one
    row per numba thread count in ``threads``."""
    from games.mpe import make_batched

    return _batched_rows(lambda b, t: make_batched(name, b, autoreset=True, num_threads=t), name, num_envs,
                         seconds, threads, {"world": name})


def bench_mpe(names: list[str], batches: list[int], threads: list[int], seconds: float) -> dict[str, Any]:
    """Rows and ratios (port / mpe2, agent-steps per wall second) for each particle world."""
    import importlib

    import arena

    rows: list[dict[str, Any]] = []
    ratios: dict[str, float] = {}
    for name in names:
        ref = bench_parallel(f"mpe2.{name}", importlib.import_module(f"mpe2.{name}").parallel_env, seconds)
        view = bench_parallel(f"{name} PettingZoo view", lambda n=name: arena.make(n), seconds)
        ported = [r for b in batches for r in bench_mpe_batched(name, b, seconds, threads)]
        rows += [ref, view, *ported]
        ratios[f"{name} view"] = view["agent_steps_per_s"] / ref["agent_steps_per_s"]
        for r in ported:
            ratios[r["what"]] = r["agent_steps_per_s"] / ref["agent_steps_per_s"]
    return {"rows": rows, "ratios": ratios}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--game", default="Soccer-2T2P", help="2-D game to measure (default Soccer-2T2P)")
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds per measurement (default 3)")
    parser.add_argument("--batches", default="1,64,1024", help="batch sizes of the batched engine")
    parser.add_argument("--breakdown", type=int, metavar="B", default=0,
                        help="also time the fastest single step of B copies and its kernels")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--mpe", metavar="NAMES", default="",
                        help="measure the batched mpe2 ports instead: 'all' or a comma list of world names")
    parser.add_argument("--threads", default="1",
                        help="numba thread counts to run each batch with, e.g. 1,2 (the 2-D engine or --mpe)")
    args = parser.parse_args(argv)
    if args.mpe:
        return _main_mpe(args)

    import mpe2.simple_spread_v3 as spread
    import mpe2.simple_tag_v3 as tag

    from games.arena2d import make

    try:
        batches = [int(b) for b in args.batches.split(",")]
        threads = [int(t) for t in args.threads.split(",")]
    except ValueError:
        raise SystemExit("bench_envs.py: error: --batches and --threads take comma-separated integers") from None
    rows = [r for b in batches for r in bench_batched(args.game, b, args.seconds, threads)]
    by_size = {(r["num_envs"], r["threads"]): r["agent_steps_per_s"] for r in rows}
    view = bench_parallel(f"{args.game} PettingZoo view", lambda: make(args.game), args.seconds)
    ref_spread = bench_parallel("mpe2.simple_spread_v3", lambda: spread.parallel_env(), args.seconds)
    ref_tag = bench_parallel("mpe2.simple_tag_v3", lambda: tag.parallel_env(), args.seconds)
    rows += [view, ref_spread, ref_tag]
    ratios = {"view_vs_simple_spread": view["agent_steps_per_s"] / ref_spread["agent_steps_per_s"],
              "view_vs_simple_tag": view["agent_steps_per_s"] / ref_tag["agent_steps_per_s"],
              "view_vs_simple_spread_cpu": view["agent_steps_per_cpu_s"] / ref_spread["agent_steps_per_cpu_s"],
              "view_vs_simple_tag_cpu": view["agent_steps_per_cpu_s"] / ref_tag["agent_steps_per_cpu_s"]}
    for (b, t), rate in by_size.items():
        if t > 1 and (b, 1) in by_size:
            ratios[f"B={b} threads={t}_vs_1_thread"] = rate / by_size[(b, 1)]
    result = {"game": args.game, "cpu_count": os.cpu_count(), "python": platform.python_version(),
              "load_average_1min": os.getloadavg()[0],
                            "rows": rows, "ratios": ratios}
    if args.breakdown:
        result["breakdown"] = {"num_envs": args.breakdown, **step_breakdown(args.game, args.breakdown)}
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{'measurement':36s} {'agents':>6s} {'env steps/s':>12s} {'agent-steps/s':>14s} {'per CPU-s':>12s}")
    for r in rows:
        print(f"{r['what']:36s} {r['agents']:6d} {r['env_steps_per_s']:12,.0f} {r['agent_steps_per_s']:14,.0f} "
              f"{r['agent_steps_per_cpu_s']:12,.0f}")
    print(f"1-minute load average {result['load_average_1min']:.1f} on {os.cpu_count()} CPUs")
    for k, v in ratios.items():
        print(f"{k}: {v:.2f}x")
    if args.breakdown:
        b = result["breakdown"]
        print(f"fastest step of B={args.breakdown}: {b['step_ms']:.2f} ms ({b['agent_steps_per_s_at_fastest_step']:,.0f} "
              f"agent-steps/s); observe {b['observe_ms']:.2f} ms, physics {b['physics_ms']:.2f} ms")
    return 0


def _main_mpe(args: argparse.Namespace) -> int:
    from games.mpe import WORLDS

    names = list(WORLDS) if args.mpe == "all" else [n.strip() for n in args.mpe.split(",") if n.strip()]
    unknown = [n for n in names if n not in WORLDS]
    if unknown:
        raise SystemExit(f"bench_envs.py: error: unknown world(s) {', '.join(unknown)}; the ports are "
                         f"{', '.join(WORLDS)}")
    try:
        batches = [int(b) for b in args.batches.split(",")]
        threads = [int(t) for t in args.threads.split(",")]
    except ValueError:
        raise SystemExit("bench_envs.py: error: --batches and --threads take comma-separated integers") from None
    result = {"cpu_count": os.cpu_count(), "python": platform.python_version(),
              "numba_num_threads_env": os.environ.get("NUMBA_NUM_THREADS"),
              **bench_mpe(names, batches, threads, args.seconds), "load_average_1min": os.getloadavg()[0]}
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{'measurement':46s} {'agents':>6s} {'env steps/s':>12s} {'agent-steps/s':>14s} {'per CPU-s':>12s}")
    for r in result["rows"]:
        print(f"{r['what']:46s} {r['agents']:6d} {r['env_steps_per_s']:12,.0f} {r['agent_steps_per_s']:14,.0f} "
              f"{r['agent_steps_per_cpu_s']:12,.0f}")
    print(f"1-minute load average {result['load_average_1min']:.1f} on {os.cpu_count()} CPUs")
    for k, v in result["ratios"].items():
        print(f"{k} / mpe2: {v:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
