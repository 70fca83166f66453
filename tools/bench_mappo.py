"""MAPPO on simple_spread: train the PPO learner with a central value, then play greedily.

Each *variant* is a set of config overrides on top of :data:`arena.marl.ppo.MAPPO_PRESET` (the
settings of ``arena train ppo --preset mappo``), trained for ``--steps`` env steps per seed on
Arena's batched ``simple_spread_v3`` (N=3, 25 steps, discrete actions, local_ratio 0.5), then
evaluated greedily (every agent plays its policy's mode) over ``--eval-episodes`` episodes. The
figure is the mean per-agent return of the seeds; the issue's target is -10.2 or higher (uniform
random play scores about -27, standing still -25.5; ``--baselines`` prints scripted players).
Runs resume from ``OUT/VARIANT/seedS`` when they hold fewer steps.

    python tools/bench_mappo.py --steps 2000000 --seeds 0,1,2 --out runs/bench_mappo
    python tools/bench_mappo.py --steps 320000 --seeds 0 --variant before="bootstrap_truncation=false,value_norm=false" \\
        --variant preset= --out runs/bench_mappo_diag
    python tools/bench_mappo.py --baselines

Run it at ``nice -n 19`` with one thread on a shared machine (it sets torch to one thread itself).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

if __name__ == "__main__":  # a run's own process: one thread each (imported, it leaves the process alone)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET = -10.2  # the MAPPO target, greedy per-agent return, mean of seeds
ENV_NAME = "simple_spread_v3"
ENV_KWARGS = {"N": 3, "local_ratio": 0.5, "max_cycles": 25, "continuous_actions": False}


def parse_overrides(text: str) -> dict[str, Any]:
    """``"a=1,b=false,c=[128,128]"`` -> ``{"a": 1, "b": False, "c": [128, 128]}`` (values parsed as JSON,
    else kept as text; commas inside brackets belong to the value)."""
    out: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in re.split(r",(?![^\[]*\])", text))):
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"bench_mappo: override '{item}' is not KEY=VALUE")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value.strip()
    return out


def make_env() -> Any:
    import arena

    return arena.make(ENV_NAME, **ENV_KWARGS)


def greedy_return(learner: Any, episodes: int, seed: int = 12345) -> float:
    """Mean per-agent return of the learner's policies playing their mode over ``episodes`` episodes."""
    from arena.env.vector import make_vector_env

    bot = learner.bot(make_env(), seed=seed, deterministic=True)
    vector = make_vector_env(make_env, min(episodes, 100))
    vector.reset(seed)
    done: list[float] = []
    while len(done) < episodes:
        result = vector.step({a: bot.act_batch(a, vector.obs[a])[0] for a in vector.names})
        done.extend(float(result.returns[k].mean()) for k in np.flatnonzero(result.over))
    vector.close()
    return float(np.mean(done[:episodes]))


def _toward(rel: np.ndarray) -> np.ndarray:
    """Discrete simple_spread actions ``[B]`` that push towards the relative positions ``rel [B, 2]``
    along their larger axis (1 -x, 2 +x, 3 -y, 4 +y), or no-op (0) within 0.05."""
    along_x = np.abs(rel[:, 0]) > np.abs(rel[:, 1])
    act = np.where(along_x, np.where(rel[:, 0] < 0, 1, 2), np.where(rel[:, 1] < 0, 3, 4))
    return np.where(np.linalg.norm(rel, axis=1) < 0.05, 0, act).astype(np.int64)


_PERMUTATIONS = np.array(list(itertools.permutations(range(3))))


def _assigned_landmark(i: int, obs: np.ndarray) -> np.ndarray:
    """Agent ``i``'s landmark (relative to it, ``[B, 2]``) in the assignment of the three agents to
    the three landmarks with the least total distance, computed from what agent ``i`` sees (every
    agent sees all the landmarks and the other agents, so all agree on it)."""
    B = len(obs)
    landmarks = obs[:, 4:10].reshape(B, 3, 2)
    agents = np.zeros((B, 3, 2))
    agents[:, [j for j in range(3) if j != i]] = obs[:, 10:14].reshape(B, 2, 2)
    dist = np.linalg.norm(agents[:, :, None, :] - landmarks[:, None, :, :], axis=-1)  # [B, agent, landmark]
    best = _PERMUTATIONS[dist[:, np.arange(3)[None, :], _PERMUTATIONS].sum(-1).argmin(1)]
    return landmarks[np.arange(B), best[:, i]]


def baselines(episodes: int = 200, seed: int = 1) -> dict[str, float]:
    """Per-agent returns of scripted players: what levels mean on this world. The observation of
    agent ``i`` is own velocity (0:2), own position (2:4), the landmarks relative to it (4:10), then
    the other agents relative to it (10:14)."""
    from arena.env.vector import make_vector_env

    rng = np.random.default_rng(seed)
    players = {
        "uniform random": lambda i, o: rng.integers(0, 5, len(o)),
        "no-op": lambda i, o: np.zeros(len(o), np.int64),
        "nearest landmark (no coordination)": lambda i, o: _toward(
            o[:, 4:10].reshape(-1, 3, 2)[np.arange(len(o)), np.linalg.norm(o[:, 4:10].reshape(-1, 3, 2), axis=2)
                                         .argmin(1)]),
        "agent i to landmark i": lambda i, o: _toward(o[:, 4 + 2 * i:6 + 2 * i]),
        "agent i to landmark i, braking": lambda i, o: _toward(o[:, 4 + 2 * i:6 + 2 * i] - 0.3 * o[:, 0:2]),
        "least-total-distance assignment, braking": lambda i, o: _toward(_assigned_landmark(i, o) - 0.3 * o[:, 0:2]),
    }
    out = {}
    for name, player in players.items():
        vector = make_vector_env(make_env, 100)
        vector.reset(seed)
        done: list[float] = []
        while len(done) < episodes:
            result = vector.step({a: player(i, vector.obs[a]) for i, a in enumerate(vector.names)})
            done.extend(float(result.returns[k].mean()) for k in np.flatnonzero(result.over))
        vector.close()
        out[name] = float(np.mean(done[:episodes]))
    return out


def train(variant: str, overrides: dict[str, Any], seed: int, steps: int, out: Path, *, chunk: int,
          eval_every: int, eval_episodes: int) -> dict[str, Any]:
    """Train one seed of one variant to ``steps`` (resuming), logging the training return of each
    chunk and a greedy evaluation every ``eval_every`` steps; returns the run's row."""
    from arena.checkpoint import load_safely, save_atomic
    from arena.marl.ppo import MAPPO_PRESET, PPOConfig, PPOLearner

    torch.set_num_threads(1)
    run_dir = out / variant / f"seed{seed}"
    run_dir.mkdir(parents=True, exist_ok=True)
    config = PPOConfig.from_dict({**MAPPO_PRESET, **overrides, "seed": seed})
    learner = PPOLearner(config)
    log_path = run_dir / "curve.json"
    log: dict[str, list] = json.loads(log_path.read_text()) if log_path.exists() else \
        {"steps": [], "mean_return": [], "value_loss": [], "entropy": [], "approx_kl": [], "seconds": [],
         "greedy_steps": [], "greedy": []}
    if (run_dir / "checkpoint.pt").exists():
        learner.load_state_dict(load_safely(run_dir / "checkpoint.pt", "PPO checkpoint"))
    while learner.env_steps < steps:
        started = time.perf_counter()
        metrics = learner.learn(make_env, [], min(chunk, steps - learner.env_steps))
        seconds = (log["seconds"][-1] if log["seconds"] else 0.0) + time.perf_counter() - started
        log["steps"].append(learner.env_steps)
        for key in ("mean_return", "value_loss", "entropy", "approx_kl"):
            log[key].append(metrics[key])
        log["seconds"].append(seconds)
        if eval_every and (learner.env_steps // eval_every > (learner.env_steps - metrics["steps"]) // eval_every
                           or learner.env_steps >= steps):
            log["greedy_steps"].append(learner.env_steps)
            log["greedy"].append(greedy_return(learner, eval_episodes))
        save_atomic(learner.state_dict(), run_dir / "checkpoint.pt")
        log_path.write_text(json.dumps(log) + "\n")
        print(f"{variant} seed {seed}: {learner.env_steps:>9,} steps {seconds:7.0f} s  training return "
              f"{metrics['mean_return']:7.2f} entropy {metrics['entropy']:.2f} kl {metrics['approx_kl']:.4f}" + (f"  greedy {log['greedy'][-1]:7.2f}"
                                                  if log["greedy_steps"] and log["greedy_steps"][-1] ==
                                                  learner.env_steps else ""), flush=True)
    final = greedy_return(learner, eval_episodes)
    return {"variant": variant, "seed": seed, "steps": learner.env_steps, "greedy": final,
            "seconds": log["seconds"][-1] if log["seconds"] else 0.0, "curve": log,
            "config": learner.config.to_dict()}


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    """One panel: each variant's training return (mean over its seeds, chunk by chunk) against env
    steps, its seeds' greedy evaluations as points, and the target as a dashed line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    variants: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        variants.setdefault(row["variant"], []).append(row)
    for name, runs in variants.items():
        length = min(len(r["curve"]["steps"]) for r in runs)
        if not length:
            continue
        steps = np.asarray(runs[0]["curve"]["steps"][:length]) / 1e6
        curve = np.mean([r["curve"]["mean_return"][:length] for r in runs], axis=0)
        line, = ax.plot(steps, curve, label=f"{name}: training return ({len(runs)} seed{'s' if len(runs) > 1 else ''})")
        for i, r in enumerate(runs):
            ax.plot(np.asarray(r["curve"]["greedy_steps"]) / 1e6, r["curve"]["greedy"], marker="o", markersize=4,
                    linestyle="none", color=line.get_color(), label=f"{name}: greedy, each seed" if i == 0 else None)
    ax.axhline(TARGET, color="black", linestyle="--", linewidth=1, label=f"target {TARGET}")
    ax.set_xlabel("env steps (millions)")
    ax.set_ylabel("per-agent return (simple_spread, N=3)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=2_000_000, help="env steps per seed (default 2000000)")
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated seeds (default 0,1,2)")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME=OVERRIDES",
                        help='a named set of config overrides, e.g. before="value_norm=false" (repeatable; '
                             'default: one variant "preset" with none)')
    parser.add_argument("--chunk", type=int, default=160_000, help="env steps per logged chunk (default 160000)")
    parser.add_argument("--eval-every", type=int, default=0,
                        help="also play greedily every this many env steps (default 0: only at the end)")
    parser.add_argument("--eval-episodes", type=int, default=100, help="greedy evaluation episodes (default 100)")
    parser.add_argument("--out", default="runs/bench_mappo", help="run directory (default runs/bench_mappo)")
    parser.add_argument("--continuous", action="store_true",
                        help="continuous actions (mpe2's Box(0, 1, (5,)) forces; a Gaussian policy) instead of the "
                             "five discrete moves")
    parser.add_argument("--plot", metavar="PNG", help="also draw the curves of every variant into this image")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON at the end")
    parser.add_argument("--baselines", action="store_true",
                        help="only print the per-agent returns of scripted players (200 episodes each) and exit")
    args = parser.parse_args(argv)
    if args.baselines:
        for name, value in baselines().items():
            print(f"{name:40s} {value:7.2f}")
        return 0
    if args.continuous:
        ENV_KWARGS["continuous_actions"] = True
    variants: dict[str, dict[str, Any]] = {}
    for item in args.variant or ["preset="]:
        name, _, text = item.partition("=")
        variants[name.strip() or "preset"] = parse_overrides(text)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    rows = [train(name, overrides, seed, args.steps, Path(args.out), chunk=args.chunk,
                  eval_every=args.eval_every, eval_episodes=args.eval_episodes)
            for name, overrides in variants.items() for seed in seeds]
    for name in variants:
        mine = [r for r in rows if r["variant"] == name]
        greedy = [r["greedy"] for r in mine]
        mean = float(np.mean(greedy))
        print(f"{name}: greedy per-agent return after {mine[0]['steps']:,} steps, seeds "
              f"{', '.join(str(r['seed']) for r in mine)}: {', '.join(f'{g:.2f}' for g in greedy)}; mean {mean:.2f} "
              f"(target {TARGET}: {'met' if mean >= TARGET else 'not met'}); "
              f"{np.mean([r['seconds'] for r in mine]):.0f} s per seed")
    if args.plot:
        plot(rows, Path(args.plot))
        print(f"curves: {args.plot}")
    if args.json:
        print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
