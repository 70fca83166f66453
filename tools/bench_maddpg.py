"""MADDPG benchmark: learning curves on mpe2 simple_spread, simple_adversary, simple_tag and BlowBlow-2T2P.

For each environment it measures, in the same run:

* the reference: uniformly random play (mean per-agent and per-team returns over
  ``--random-episodes`` episodes, 1000 by default, and its wall time per 1000 episodes: the cost
  of the environment alone);
* MADDPG training: mean returns per ``--window``-episode window (1000 by default, per team), the
  best window, the last window, and wall time per 1000 training episodes (also as a ratio to
  random play's) and per window. The wall time is the training's own, read from the run's
  ``metrics.json`` (written by ``train`` at every checkpoint, cumulative over resumes), so
  ``--reuse`` reports it for a finished run too.

simple_spread (N=3, 25 steps, local_ratio 0.5, discrete actions) is scored by the issue's
targets: mean per-agent return <= -12 in some 1000-episode window within 25k episodes and
<= -10.5 over the last 1000 episodes. The adversarial games are reported as curves for both
sides (a PNG with ``--plot``).

``blowblow`` is Arena's 2-D ``BlowBlow-2T2P`` (200-step rounds, 8 discrete actions including
``blow``) made cooperative for the learners: MADDPG controls team red (two blowers that share the
team reward, 0.01 per ball in blue's half per step), and team blue plays uniformly random actions
as part of the environment (:class:`VsRandomTeam`, registered as ``vs-random-team``). The random
reference is red playing uniformly at random against the same random blue.

  python tools/bench_maddpg.py                                  # the three mpe2 envs, paper defaults
  python tools/bench_maddpg.py --envs spread --episodes 25000 --set update_every=25
  python tools/bench_maddpg.py --envs adversary,tag --episodes 10000 --plot docs/maddpg_curves.png
  python tools/bench_maddpg.py --envs blowblow --episodes 6000 --window 500 --plot docs/maddpg_arena2d.png
  python tools/bench_maddpg.py --reuse --json                   # re-read finished runs in --out
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from arena.config_input import key_values
from arena.marl.common import team_of
from arena.marl.maddpg import (
    MADDPGConfig,
    config_with,
    evaluate,
    load_config,
    load_run,
    random_returns,
    read_metrics,
    train,
)

ENVS = {
    "spread": ("mpe2.simple_spread_v3", {"N": 3, "local_ratio": 0.5, "max_cycles": 25, "continuous_actions": False}),
    "adversary": ("mpe2.simple_adversary_v3", {"N": 2, "max_cycles": 25, "continuous_actions": False}),
    "tag": ("mpe2.simple_tag_v3", {"num_good": 1, "num_adversaries": 3, "num_obstacles": 2, "max_cycles": 25,
                                  "continuous_actions": False}),
    # Arena 2-D game, cooperative for the learners: MADDPG plays team red against a uniformly random team blue
    "blowblow": ("vs-random-team", {"game": "BlowBlow-2T2P", "team": "red"}),
}
ENV_OVERRIDES: dict[str, dict[str, Any]] = {}  # per-env config defaults under --set
WINDOW = 1000
SPREAD_TARGET_25K, SPREAD_TARGET_END = -12.0, -10.5


def team_means(returns: np.ndarray, names: list[str]) -> dict[str, np.ndarray]:
    """Per-team mean over its agents: ``[episodes, N] -> {team: [episodes]}``."""
    teams: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        teams.setdefault(team_of(name), []).append(i)
    return {team: returns[:, idx].mean(axis=1) for team, idx in teams.items()}


def windows(values: np.ndarray, size: int = WINDOW) -> np.ndarray:
    """Means of consecutive windows of ``size`` episodes (a trailing partial window is dropped)."""
    count = len(values) // size
    return values[: count * size].reshape(count, size).mean(axis=1) if count else values[:0]


def bench_env(key: str, episodes: int, out: Path, overrides: dict, reuse: bool, *,
              random_episodes: int = WINDOW, window: int = WINDOW, eval_episodes: int = 0) -> dict:
    """Random-play reference and MADDPG training (or, with ``reuse``, the finished run) of one env.

    Training wall time comes from the run's ``metrics.json``, which :func:`train` writes at every
    checkpoint (cumulative over resumes), so a reused run reports the time its training took.
    ``eval_episodes > 0`` also plays the final actors greedily (argmax actions) for that many episodes.
    """
    env_name, env_kwargs = ENVS[key]
    torch.set_num_threads(1)
    start = time.perf_counter()
    reference = random_returns(env_name, random_episodes, env_kwargs=env_kwargs, seed=1)
    random_seconds = time.perf_counter() - start

    run_dir = out / key
    if reuse and (run_dir / "returns.npy").exists():
        returns = np.load(run_dir / "returns.npy", allow_pickle=False)
        _, config = load_config(run_dir)
    else:
        # a checkpoint (and so a metrics.json row with the wall time) at every window boundary
        config = config_with(MADDPGConfig(), {"checkpoint_every": window, **ENV_OVERRIDES.get(key, {}), **overrides,
                                              "env_kwargs": env_kwargs, "tensorboard": False})
        resume = (run_dir / "checkpoint.pt").exists()
        returns = train(env_name, episodes=episodes, run_dir=run_dir, config=None if resume else config,
                        resume=resume, progress=sys.stderr.isatty()).returns
    metrics = read_metrics(run_dir)
    if metrics and metrics["episodes"] != len(returns):
        raise ValueError(f"{run_dir}: metrics.json counts {metrics['episodes']} episodes, returns.npy {len(returns)}")
    train_seconds = float(metrics["wall_seconds"]) if metrics else float("nan")  # nan: run older than metrics.json
    at = {row["episode"]: row["wall_seconds"] for row in metrics.get("checkpoints", [])}
    marks = [0] + [k * window for k in range(1, len(returns) // window + 1)]
    window_seconds = [round(at[b] - at.get(a, 0.0), 1) if b in at and (a in at or a == 0) else None
                      for a, b in zip(marks, marks[1:])]
    names = _agent_names(env_name, env_kwargs)
    trained = team_means(returns, names)
    random_teams = team_means(reference, names)
    per_agent = returns.mean(axis=1)
    curve = windows(per_agent, window)
    row = {
        "key": key, "env": env_name, "env_kwargs": env_kwargs, "title": _title(env_name, env_kwargs),
        "episodes": int(len(returns)), "agents": names, "window": window, "random_episodes": random_episodes,
        "config": {k: v for k, v in config.to_dict().items() if k != "env_kwargs"},
        "random_mean_per_agent": float(reference.mean()),
        "random_per_team": {t: float(v.mean()) for t, v in random_teams.items()},
        "last_window_mean_per_agent": float(per_agent[-window:].mean()),
        "best_window_mean_per_agent": float(curve.max()) if len(curve) else float("nan"),
        "last_window_per_team": {t: float(v[-window:].mean()) for t, v in trained.items()},
        "curve_per_team": {t: [round(float(x), 3) for x in windows(v, window)] for t, v in trained.items()},
        "train_seconds": train_seconds,
        "updates": int(metrics.get("updates", -1)),
        "train_seconds_per_window": window_seconds,
        "train_seconds_per_1000_episodes": train_seconds / max(len(returns), 1) * 1000,
        "random_seconds_per_1000_episodes": random_seconds / random_episodes * 1000,
    }
    row["time_ratio_to_random_play"] = (row["train_seconds_per_1000_episodes"]
                                        / max(row["random_seconds_per_1000_episodes"], 1e-9))
    if eval_episodes > 0:
        greedy = evaluate(load_run(run_dir), eval_episodes)
        row["greedy_eval_episodes"] = eval_episodes
        row["greedy_eval_per_team"] = greedy["per_team"]
    if key == "spread":
        within = windows(per_agent[:25_000], window)
        row["best_window_within_25k"] = float(within.max()) if len(within) else float("nan")
        # returns are negative costs: "<= -12" in the issue means a cost of at most 12, i.e. return >= -12
        row["target_25k_met"] = bool(len(within) and within.max() >= SPREAD_TARGET_25K)
        row["target_end_met"] = bool(row["last_window_mean_per_agent"] >= SPREAD_TARGET_END)
    return row


def _title(env_name: str, env_kwargs: dict) -> str:
    if env_name == "vs-random-team":
        return f"{env_kwargs['game']}: {env_kwargs['team']} (MADDPG) vs random"
    return env_name.split(".")[-1]


def _agent_names(env_name: str, env_kwargs: dict) -> list[str]:
    from arena.marl.maddpg import env_factory

    env = env_factory(env_name, env_kwargs)()
    names = list(env.possible_agents)
    env.close()
    return names


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(rows), figsize=(5 * len(rows), 3.6), squeeze=False)
    for ax, row in zip(axes[0], rows):
        for team, curve in row["curve_per_team"].items():
            x = (np.arange(len(curve)) + 1) * row["window"]
            line, = ax.plot(x, curve, label=f"{team} (MADDPG)")
            ax.axhline(row["random_per_team"][team], color=line.get_color(), linestyle="--", linewidth=1,
                       label=f"{team} (random)")
            if team in row.get("greedy_eval_per_team", {}):
                ax.plot([row["episodes"]], [row["greedy_eval_per_team"][team]], marker="*", markersize=10,
                        color=line.get_color(), linestyle="none", label=f"{team} (final actors, greedy)")
        ax.set_title(row["title"], fontsize=10)
        ax.set_xlabel("episode")
        ax.set_ylabel(f"mean return per agent ({row['window']}-episode windows)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--envs", default="spread,adversary,tag", help=f"comma list of {', '.join(ENVS)}")
    parser.add_argument("--episodes", type=int, default=25_000, help="training episodes per env (default 25000)")
    parser.add_argument("--out", default="runs/bench_maddpg", help="run directories go here (one per env)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="MADDPG config override for every env (repeatable)")
    parser.add_argument("--reuse", action="store_true", help="report finished runs in --out instead of training")
    parser.add_argument("--window", type=int, default=WINDOW, help=f"episodes per curve point (default {WINDOW})")
    parser.add_argument("--random-episodes", type=int, default=WINDOW,
                        help=f"episodes of random play for the reference (default {WINDOW})")
    parser.add_argument("--eval-episodes", type=int, default=0,
                        help="also evaluate the final actors greedily over this many episodes (default 0: skip)")
    parser.add_argument("--plot", default=None, metavar="PNG", help="write the learning curves to this PNG")
    parser.add_argument("--json", action="store_true", help="print one JSON line instead of the table")
    args = parser.parse_args()
    keys = [k.strip() for k in args.envs.split(",") if k.strip()]
    unknown = [k for k in keys if k not in ENVS]
    if unknown:
        print(f"bench_maddpg: unknown env {', '.join(unknown)}; use {', '.join(ENVS)}", file=sys.stderr)
        return 2
    if min(args.window, args.random_episodes, args.episodes) < 1:
        print("bench_maddpg: --episodes, --window and --random-episodes must be >= 1", file=sys.stderr)
        return 2
    try:
        overrides = key_values(args.overrides, "--set")
        rows = [bench_env(k, args.episodes, Path(args.out), overrides, args.reuse,
                          random_episodes=args.random_episodes, window=args.window,
                          eval_episodes=args.eval_episodes) for k in keys]
    except ValueError as exc:
        print(f"bench_maddpg: {exc}", file=sys.stderr)
        return 2
    if args.plot:
        plot(rows, Path(args.plot))
    if args.json:
        print(json.dumps(rows))
        return 0
    print(f"{'env':<40} {'episodes':>8} {'random':>8} {'best win':>8} {'last win':>8} "
          f"{'s/1k ep':>8} {'x random':>8}  per team, last window (random)")
    for row in rows:
        teams = ", ".join(f"{t} {v:.2f} ({row['random_per_team'][t]:.2f})" for t, v in row["last_window_per_team"].items())
        print(f"{row['title']:<40} {row['episodes']:>8} {row['random_mean_per_agent']:>8.2f} "
              f"{row['best_window_mean_per_agent']:>8.2f} {row['last_window_mean_per_agent']:>8.2f} "
              f"{row['train_seconds_per_1000_episodes']:>8.1f} {row['time_ratio_to_random_play']:>8.1f}  {teams}")
        if "greedy_eval_per_team" in row:
            print(f"  greedy actions, {row['greedy_eval_episodes']} episodes: "
                  + ", ".join(f"{t} {v:.2f}" for t, v in row["greedy_eval_per_team"].items()))
        if row["train_seconds_per_window"]:
            print(f"  training seconds per {row['window']}-episode window: "
                  + " ".join("?" if x is None else f"{x:.0f}" for x in row["train_seconds_per_window"]))
        if "target_25k_met" in row:
            print(f"  simple_spread targets: best window within 25k {row['best_window_within_25k']:.2f} "
                  f"(target -12: {'met' if row['target_25k_met'] else 'not met'}), last 1000 "
                  f"{row['last_window_mean_per_agent']:.2f} (target -10.5: {'met' if row['target_end_met'] else 'not met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
