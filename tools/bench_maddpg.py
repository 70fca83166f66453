"""MADDPG benchmark: strength and wall time on the particle worlds (Arena's batched ports and mpe2's
originals, side by side), and learning curves on BlowBlow-2T2P.

Keys: ``spread``, ``adversary``, ``tag`` are Arena's batched ports (``simple_spread_v3``, ...: the
learner steps ``num_envs`` copies in one engine call); ``mpe2-spread``, ``mpe2-adversary``,
``mpe2-tag`` are mpe2's own modules with the same arguments (a list of PettingZoo env copies). Every
key runs the same MADDPG config (the defaults of ``arena train maddpg`` unless ``--set``), one run
per ``--seeds`` seed in ``OUT/KEY/seedS``. Continuous actions, as the defaults were chosen with.

For each environment it measures, in the same run:

* the reference: uniformly random play (mean per-agent and per-team returns over
  ``--random-episodes`` episodes, 1000 by default, and its wall time per 1000 episodes: the cost
  of the environment alone);
* MADDPG training: mean returns per ``--window``-episode window (1000 by default, per team), the
  best window, the last window, and wall time per 1000 training episodes (also as a ratio to
  random play's) and per window. The wall time is the training's own, read from the run's
  ``metrics.json`` (written by ``train`` at every checkpoint, cumulative over resumes), so
  ``--reuse`` reports it for a finished run too.

simple_spread (N=3, 25 steps, local_ratio 0.5) is scored by its targets on the **greedy** return of
the final actors (``--eval-episodes``, 100 by default, mean over the seeds): >= -10.5 per agent
after 25k episodes and >= -10.2 after longer runs (returns are negative costs). Every greedy
evaluation is kept in ``OUT/KEY/seedS/greedy.json`` by episode count, so a run resumed to more
episodes keeps its 25k figure.

**Wall time, side by side** (when ``spread`` and ``mpe2-spread`` are both in ``--envs``): the level
is the ``mpe2-spread`` run's mean training return over its 1000 episodes up to 25k (or, when the
mpe2 run is shorter, the ``spread`` runs' own: the port is step-for-step faithful, so the same
config learns the same curve in distribution; the report says which). The port's time to reach it
is the training time at the first 1000-episode window whose mean is at least the level (mean over
seeds); mpe2's time to 25k episodes is its measured time, or, for a shorter run of ``n`` episodes,
``T(n) + (25000 - n) * s`` where ``s`` is its seconds per episode over its last 1000-episode window
(the cost per episode is constant once updates run: a fixed number of updates per env step).
The adversarial games are reported as curves for both sides (a PNG with ``--plot``).

``blowblow`` is Arena's 2-D ``BlowBlow-2T2P`` (200-step rounds, 8 discrete actions including
``blow``) made cooperative for the learners: MADDPG controls team red (two blowers that share the
team reward, 0.01 per ball in blue's half per step), and team blue plays uniformly random actions
as part of the environment (:class:`VsRandomTeam`, registered as ``vs-random-team``). The random
reference is red playing uniformly at random against the same random blue.

  python tools/bench_maddpg.py --envs spread --seeds 0,1,2 --episodes 25000
  python tools/bench_maddpg.py --envs spread,mpe2-spread --episodes 25000 --episodes-of mpe2-spread=3000
  python tools/bench_maddpg.py --envs adversary,tag --episodes 10000 --plot docs/maddpg_curves.png
  python tools/bench_maddpg.py --envs blowblow --episodes 6000 --window 500 --plot docs/maddpg_arena2d.png
  python tools/bench_maddpg.py --reuse --json                   # re-read finished runs in --out
  python tools/bench_maddpg.py --update-rounds 300               # quick: update rounds/s, before vs after

**Update rounds per second** (``--update-rounds R``, quick, no training): one round is what
training runs every ``update_every`` transitions -- a replay sample of ``batch_size`` and one
update of all actors and critics -- timed on simple_spread's three agents (continuous actions, the
default config) from a replay buffer of random transitions, for three implementations from the
same weights, in interleaved blocks so a busy machine slows each alike (the median block counts):

* ``reference``: the update as it was before agents were stacked (one ``mlp`` per agent, the summed
  loss's ``backward()`` through the critics too, multi-tensor Adam), kept here as the baseline;
* ``per-agent``: today's unstacked path (``stack_agents=false``: actor gradients only, fused Adam);
* ``stacked``: the default (one ``[N, in, out]`` network per kind, one batched matmul per layer).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
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

TOOLS = str(Path(__file__).resolve().parent)  # tools/ (not a package): bench_mappo is imported from here

_WORLDS = {
    "spread": ("simple_spread_v3", {"N": 3, "local_ratio": 0.5, "max_cycles": 25, "continuous_actions": True}),
    "adversary": ("simple_adversary_v3", {"N": 2, "max_cycles": 25, "continuous_actions": True}),
    "tag": ("simple_tag_v3", {"num_good": 1, "num_adversaries": 3, "num_obstacles": 2, "max_cycles": 25,
                              "continuous_actions": True}),
}
ENVS = {
    **{key: world for key, world in _WORLDS.items()},  # Arena's batched ports
    **{f"mpe2-{key}": (f"mpe2.{name}", kwargs) for key, (name, kwargs) in _WORLDS.items()},  # the originals
    # Arena 2-D game, cooperative for the learners: MADDPG plays team red against a uniformly random team blue
    "blowblow": ("vs-random-team", {"game": "BlowBlow-2T2P", "team": "red"}),
}
ENV_OVERRIDES: dict[str, dict[str, Any]] = {}  # per-env config defaults under --set
WINDOW = 1000
SPREAD_TARGET_25K, SPREAD_TARGET_END = -10.5, -10.2  # greedy mean per-agent return (higher is better)
LEVEL_EPISODES = 25_000


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
              random_episodes: int = WINDOW, window: int = WINDOW, eval_episodes: int = 0,
              seed: int | None = None) -> dict:
    """Random-play reference and MADDPG training (or, with ``reuse``, the finished run) of one env.

    Training wall time comes from the run's ``metrics.json``, which :func:`train` writes at every
    checkpoint (cumulative over resumes), so a reused run reports the time its training took.
    ``eval_episodes > 0`` also plays the final actors greedily (argmax actions) for that many episodes.
    """
    env_name, env_kwargs = ENVS[key]
    torch.set_num_threads(1)
    random_returns(env_name, 1, env_kwargs=env_kwargs, seed=0)  # warm-up: compiles a port's kernels
    start = time.perf_counter()
    reference = random_returns(env_name, random_episodes, env_kwargs=env_kwargs, seed=1)
    random_seconds = time.perf_counter() - start

    run_dir = out / key if seed is None else out / key / f"seed{seed}"
    if seed is not None:
        overrides = {**overrides, "seed": seed}
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
        "curve_per_agent": [round(float(x), 3) for x in curve],
        "train_seconds": train_seconds,
        "updates": int(metrics.get("updates", -1)),
        "train_seconds_per_window": window_seconds,
        "train_seconds_per_1000_episodes": train_seconds / max(len(returns), 1) * 1000,
        "random_seconds_per_1000_episodes": random_seconds / random_episodes * 1000,
    }
    row["time_ratio_to_random_play"] = (row["train_seconds_per_1000_episodes"]
                                        / max(row["random_seconds_per_1000_episodes"], 1e-9))
    row["seed"] = seed
    row["window_end_seconds"] = [at.get(b) for b in marks[1:]]
    cpu_at = {c["episode"]: c["cpu_seconds"] for c in metrics.get("checkpoints", []) if "cpu_seconds" in c}
    row["window_end_cpu_seconds"] = [cpu_at.get(b) for b in marks[1:]]
    updates_at = {c["episode"]: c["updates"] for c in metrics.get("checkpoints", [])}
    row["updates_at"] = [updates_at.get(b) for b in marks[1:]]
    if eval_episodes > 0:
        row["greedy"] = greedy_at(run_dir, len(returns), eval_episodes)
        row["greedy_eval_episodes"] = eval_episodes
        row["greedy_eval_per_team"] = row["greedy"][str(len(returns))]["per_team"]
        row["greedy_mean_per_agent"] = row["greedy"][str(len(returns))]["mean_per_agent"]
    return row


def greedy_at(run_dir: Path, episodes: int, eval_episodes: int) -> dict[str, Any]:
    """Greedy evaluations of a run, by training episode count (``greedy.json`` in the run): the
    current actors are evaluated once per episode count and kept, so a resumed run keeps its
    earlier figures."""
    path = run_dir / "greedy.json"
    saved = json.loads(path.read_text()) if path.exists() else {}
    key = str(episodes)
    if key not in saved or saved[key].get("episodes") != eval_episodes:
        saved[key] = evaluate(load_run(run_dir), eval_episodes)
        path.write_text(json.dumps(saved, indent=1) + "\n")
    return saved


def spread_summary(rows: list[dict]) -> dict[str, Any]:
    """Targets and the side-by-side wall time of the ``spread`` / ``mpe2-spread`` rows (see the
    module docstring); an empty dict without a ``spread`` row."""
    fast = [r for r in rows if r["key"] == "spread"]
    if not fast:
        return {}
    out: dict[str, Any] = {"seeds": [r["seed"] for r in fast], "episodes": [r["episodes"] for r in fast]}
    at_25k = [r["greedy"][str(LEVEL_EPISODES)]["mean_per_agent"] for r in fast
              if str(LEVEL_EPISODES) in r.get("greedy", {})]
    if at_25k:
        out["greedy_25k_per_seed"] = at_25k
        out["greedy_25k_mean"] = float(np.mean(at_25k))
        out["target_25k_met"] = bool(len(at_25k) == len(fast) and np.mean(at_25k) >= SPREAD_TARGET_25K)
    finals = [r["greedy_mean_per_agent"] for r in fast if "greedy_mean_per_agent" in r]
    if finals and all(r["episodes"] > LEVEL_EPISODES for r in fast):
        out["greedy_final_per_seed"] = finals
        out["greedy_final_mean"] = float(np.mean(finals))
        out["target_final_met"] = bool(np.mean(finals) >= SPREAD_TARGET_END)
    slow = [r for r in rows if r["key"] == "mpe2-spread"]
    if not slow:
        return out
    mpe2 = slow[0]
    window = mpe2["window"]
    # collection alone: the first window runs before learning starts (learning_starts transitions;
    # the default 25,600 is the first 1024 episodes, so a handful of updates may fall in it)
    if all(r["updates_at"] and (r["updates_at"][0] or 0) < 50 for r in [*fast, mpe2]):
        first = [r["window_end_seconds"][0] for r in fast if r["window_end_seconds"] and r["window_end_seconds"][0]]
        if first and mpe2["window_end_seconds"] and mpe2["window_end_seconds"][0]:
            out.update(collect_seconds_port=float(np.mean(first)),
                       collect_seconds_mpe2=float(mpe2["window_end_seconds"][0]),
                       collect_speedup=float(mpe2["window_end_seconds"][0]) / float(np.mean(first)))
    level_index = LEVEL_EPISODES // window - 1
    mpe2_curve = mpe2["curve_per_agent"]
    if len(mpe2_curve) > level_index:
        out["level"], out["level_from"] = mpe2_curve[level_index], "mpe2 run"
    else:
        curves = [r["curve_per_agent"] for r in fast if len(r["curve_per_agent"]) > level_index]
        if not curves:
            return out
        out["level"] = float(np.mean([c[level_index] for c in curves]))
        out["level_from"] = "port runs (mpe2 run shorter than 25k)"
    for clock, prefix in (("window_end_seconds", ""), ("window_end_cpu_seconds", "cpu_")):
        out.update(_time_to_level(fast, mpe2, out["level"], clock, prefix))
    return out


def _time_to_level(fast: list[dict], mpe2: dict, level: float, clock: str, prefix: str) -> dict[str, Any]:
    """The port runs' time to ``level`` (mean over the seeds reaching it) against mpe2's time to 25k
    episodes, on one clock: ``window_end_seconds`` (wall) or ``window_end_cpu_seconds`` (the training
    process's CPU time: the same comparison without the load of other work on a shared machine)."""
    window = mpe2["window"]
    reach = []
    for r in fast:
        ends = r.get(clock) or []
        hits = [i for i, v in enumerate(r["curve_per_agent"]) if v >= level and i < len(ends) and ends[i]]
        if hits:
            reach.append(float(ends[hits[0]]))
    ends = [s for s in mpe2.get(clock) or [] if s is not None]
    if not reach or len(ends) < 2 or len(ends) != len(mpe2.get(clock) or []):
        return {}
    n = len(ends) * window
    if n >= LEVEL_EPISODES:
        mpe2_seconds, how = float(ends[LEVEL_EPISODES // window - 1]), "measured"
    else:
        per_episode = (ends[-1] - ends[-2]) / window
        mpe2_seconds, how = float(ends[-1] + (LEVEL_EPISODES - n) * per_episode), f"extrapolated from {n} episodes"
    return {f"port_{prefix}seconds_to_level": float(np.mean(reach)), f"port_{prefix}seeds_reaching": len(reach),
            f"mpe2_{prefix}seconds_to_25k": mpe2_seconds, f"mpe2_{prefix}time": how,
            f"{prefix}speedup": mpe2_seconds / max(float(np.mean(reach)), 1e-9)}


# MAPPO on simple_spread (discrete actions): the PPO learner with a central value over the team's
# observations, with the MAPPO paper's MPE settings (Yu et al. 2022: lr 7e-4, 10 epochs, one
# minibatch, clip 0.2, entropy 0.01, gamma 0.99, GAE 0.95, 64-unit ReLU MLPs, 128 copies x 25 steps).
# The value loss is not clipped: the paper clips normalised values, and Arena's PPO does not
# normalise them (returns near -20 would move at most 0.2 per epoch).
def bench_mappo(seed: int, steps: int, out: Path, *, eval_episodes: int = 100, chunk: int = 320_000,
                overrides: dict | None = None) -> dict[str, Any]:
    """Train MAPPO (``arena train ppo --preset mappo``) on simple_spread for ``steps`` env steps,
    resuming ``OUT/mappo-spread/seedS``, then play the final policy greedily (the mode of every
    agent's policy) for ``eval_episodes`` episodes: ``tools/bench_mappo.py``'s training loop."""
    if TOOLS not in sys.path:
        sys.path.insert(0, TOOLS)
    import bench_mappo as mappo_bench

    row = mappo_bench.train("mappo-spread", overrides or {}, seed, steps, out, chunk=chunk, eval_every=0,
                            eval_episodes=max(eval_episodes, 1))
    result: dict[str, Any] = {"key": "mappo-spread", "seed": seed, "steps": row["steps"], "curve": row["curve"],
                              "config": row["config"]}
    if eval_episodes > 0:
        result["greedy_mean_per_agent"] = row["greedy"]
    return result


def _title(env_name: str, env_kwargs: dict) -> str:
    if env_name == "vs-random-team":
        return f"{env_kwargs['game']}: {env_kwargs['team']} (MADDPG) vs random"
    return env_name.split(".")[-1] + (" (mpe2)" if env_name.startswith("mpe2.") else " (Arena port)")


def _agent_names(env_name: str, env_kwargs: dict) -> list[str]:
    from arena.marl.maddpg import env_factory

    env = env_factory(env_name, env_kwargs)()
    names = list(env.possible_agents)
    env.close()
    return names


def plot(rows: list[dict], path: Path) -> None:
    """One panel per world (the port and mpe2 on the same axes), each team's curve averaged over
    the seeds; dashed lines: random play; stars: greedy returns of the final actors."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels: dict[str, list[dict]] = {}
    for row in rows:
        panels.setdefault(row["key"].removeprefix("mpe2-"), []).append(row)
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 3.8), squeeze=False)
    for ax, (world, members) in zip(axes[0], panels.items()):
        by_key: dict[str, list[dict]] = {}
        for row in members:
            by_key.setdefault(row["key"], []).append(row)
        for key, runs in by_key.items():
            side = "mpe2" if key.startswith("mpe2-") else "port"
            for team in runs[0]["curve_per_team"]:
                length = min(len(r["curve_per_team"][team]) for r in runs)
                if not length:
                    continue
                curve = np.mean([r["curve_per_team"][team][:length] for r in runs], axis=0)
                x = (np.arange(length) + 1) * runs[0]["window"]
                line, = ax.plot(x, curve, label=f"{team}, {side} ({len(runs)} seed{'s' if len(runs) > 1 else ''})",
                                linestyle="-" if side == "port" else ":")
                if side == "port":
                    ax.axhline(runs[0]["random_per_team"][team], color=line.get_color(), linestyle="--",
                               linewidth=1, label=f"{team}, random")
                greedy = [r["greedy_eval_per_team"][team] for r in runs if team in r.get("greedy_eval_per_team", {})]
                if greedy:
                    ax.plot([runs[0]["episodes"]], [np.mean(greedy)], marker="*", markersize=10,
                            color=line.get_color(), linestyle="none", label=f"{team}, {side}: greedy final actors")
        ax.set_title(world, fontsize=10)
        ax.set_xlabel("episode")
        ax.set_ylabel(f"mean return per agent ({members[0]['window']}-episode windows)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _reference_update(learner: Any, batch: dict, actor_opt: Any, critic_opt: Any) -> None:
    """The MADDPG update before agents were stacked (the baseline of ``--update-rounds``): per-agent
    networks, ``backward()`` of the summed losses (the actor loss's gradient reaches the critics
    and is thrown away), clipping per network, multi-tensor Adam, soft target updates."""
    from torch import nn

    n = len(learner.agents)
    targets = learner.critic_targets(batch)
    critic_loss = sum(learner.critic_loss(i, batch, targets[i]) for i in range(n))
    critic_opt.zero_grad(set_to_none=True)
    critic_loss.backward()
    for net in learner.critics:
        nn.utils.clip_grad_norm_(net.parameters(), learner.config.max_grad_norm, foreach=True)
    critic_opt.step()
    actor_loss = sum(learner.actor_loss(i, batch) for i in range(n))
    actor_opt.zero_grad(set_to_none=True)
    actor_loss.backward()
    for net in learner.actors:
        nn.utils.clip_grad_norm_(net.parameters(), learner.config.max_grad_norm, foreach=True)
    actor_opt.step()
    learner.critics.zero_grad(set_to_none=True)
    learner.soft_update_targets()


def bench_update_rounds(rounds: int, overrides: dict, *, block: int = 25, seed: int = 0,
                        threads: tuple[int, ...] = ()) -> dict[str, Any]:
    """Update rounds per second of the reference, per-agent and stacked updates (see the module doc),
    one torch thread each; ``threads`` adds the stacked update at those torch thread counts
    (``stacked x2``, ...), timed in the same interleaved blocks."""
    from arena.marl.common import ReplayBuffer, agent_spaces
    from arena.marl.maddpg import MADDPG, env_factory

    torch.set_num_threads(1)
    env_name, env_kwargs = _WORLDS["spread"]
    probe = env_factory(env_name, env_kwargs)()
    agents = agent_spaces(probe)
    probe.close()
    config = config_with(MADDPGConfig(), overrides)
    rng = np.random.default_rng(seed)
    size = 50_000
    buffer = ReplayBuffer(size, agents)
    buffer.add([rng.standard_normal((size, a.obs_dim)).astype(np.float32) for a in agents],
               [rng.uniform(-1, 1, (size, a.act_dim)).astype(np.float32) for a in agents],
               rng.standard_normal((size, len(agents))).astype(np.float32),
               [rng.standard_normal((size, a.obs_dim)).astype(np.float32) for a in agents],
               np.zeros((size, len(agents)), np.float32), np.ones((size, len(agents)), np.float32))
    learners: dict[str, Callable[[], None]] = {}
    torch.manual_seed(seed)
    reference = MADDPG(agents, config_with(config, {"stack_agents": False}), "cpu")
    actor_opt = torch.optim.Adam(reference.actors.parameters(), lr=config.lr_actor, foreach=True)
    critic_opt = torch.optim.Adam(reference.critics.parameters(), lr=config.lr_critic, foreach=True)
    learners["reference"] = lambda: _reference_update(reference, buffer.sample(config.batch_size, rng, cpu),
                                                      actor_opt, critic_opt)
    cpu = torch.device("cpu")
    for name, stack in (("per-agent", False), ("stacked", True)):
        torch.manual_seed(seed)
        learner = MADDPG(agents, config_with(config, {"stack_agents": stack}), "cpu")
        assert learner.stacked == stack
        learners[name] = lambda learner=learner: learner.update(buffer.sample(config.batch_size, rng, cpu))
    thread_of = dict.fromkeys(learners, 1)
    for count in threads:
        if count != 1:
            learners[f"stacked x{count}"] = learners["stacked"]
            thread_of[f"stacked x{count}"] = count
    for name, run in learners.items():  # warm-up (allocator, first-call dispatch, thread pools)
        torch.set_num_threads(thread_of[name])
        for _ in range(5):
            run()
    times: dict[str, list[float]] = {name: [] for name in learners}
    cpu_used: dict[str, float] = dict.fromkeys(learners, 0.0)
    for _ in range(max(1, rounds // block)):
        for name, run in learners.items():
            torch.set_num_threads(thread_of[name])
            start, cpu_start = time.perf_counter(), time.process_time()
            for _ in range(block):
                run()
            times[name].append((time.perf_counter() - start) / block)
            cpu_used[name] += time.process_time() - cpu_start
    torch.set_num_threads(1)
    rates = {name: 1.0 / float(np.median(t)) for name, t in times.items()}
    count = max(1, rounds // block) * block
    cpu_ms = {name: 1e3 * c / count for name, c in cpu_used.items()}
    return {"rounds_per_second": rates, "ms_per_round": {k: 1e3 / v for k, v in rates.items()},
            "speedup_vs_reference": {k: v / rates["reference"] for k, v in rates.items()},
            "cpu_ms_per_round": cpu_ms, "cpu_speedup_vs_reference": {k: cpu_ms["reference"] / v
                                                                     for k, v in cpu_ms.items()},
            "rounds_each": max(1, rounds // block) * block, "batch_size": config.batch_size,
            "hidden_sizes": list(config.hidden_sizes)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--envs", default="spread", help=f"comma list of {', '.join(ENVS)}")
    parser.add_argument("--episodes", type=int, default=25_000, help="training episodes per run (default 25000)")
    parser.add_argument("--episodes-of", action="append", default=[], metavar="KEY=N",
                        help="training episodes for one key (repeatable), e.g. mpe2-spread=3000")
    parser.add_argument("--seeds", default="0", help="comma list of seeds, one run each (default 0)")
    parser.add_argument("--out", default="runs/bench_maddpg", help="run directories go here (OUT/KEY/seedS)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="MADDPG config override for every env (repeatable)")
    parser.add_argument("--reuse", action="store_true", help="report finished runs in --out instead of training")
    parser.add_argument("--window", type=int, default=WINDOW, help=f"episodes per curve point (default {WINDOW})")
    parser.add_argument("--random-episodes", type=int, default=WINDOW,
                        help=f"episodes of random play for the reference (default {WINDOW})")
    parser.add_argument("--eval-episodes", type=int, default=100,
                        help="greedy evaluation of the final actors over this many episodes (default 100; 0: skip)")
    parser.add_argument("--mappo-steps", type=int, default=0,
                        help="also train MAPPO (--preset mappo, tools/bench_mappo.py's loop) on simple_spread for "
                             "this many env steps per seed (default 0: skip)")
    parser.add_argument("--plot", default=None, metavar="PNG", help="write the learning curves to this PNG")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--update-rounds", type=int, default=0, metavar="R",
                        help="quick mode: time R update rounds of each implementation, then stop (no training)")
    parser.add_argument("--update-threads", default="1", metavar="N,M",
                        help="with --update-rounds: also time the stacked update at these torch thread counts "
                             "(default 1: one thread only)")
    args = parser.parse_args()
    if args.update_rounds > 0:
        try:
            parts = [t.strip() for t in args.update_threads.split(",") if t.strip()]
            if not parts or not all(t.isdigit() and int(t) >= 1 for t in parts):
                raise ValueError(f"--update-threads {args.update_threads!r}: give thread counts >= 1, e.g. 1,2")
            threads = tuple(int(t) for t in parts)
            result = bench_update_rounds(args.update_rounds, key_values(args.overrides, "--set"), threads=threads)
        except ValueError as exc:
            print(f"bench_maddpg: {exc}", file=sys.stderr)
            return 2
        if args.json:
            print(json.dumps(result))
            return 0
        print(f"MADDPG update rounds on simple_spread (3 agents, batch {result['batch_size']}, hidden "
              f"{result['hidden_sizes']}, {result['rounds_each']} rounds each, interleaved, one torch thread "
              "unless named xN)")
        for name, rate in result["rounds_per_second"].items():
            print(f"  {name:<12} {rate:8.1f} rounds/s  {result['ms_per_round'][name]:6.2f} ms/round  "
                  f"{result['speedup_vs_reference'][name]:5.2f}x reference  (CPU: "
                  f"{result['cpu_ms_per_round'][name]:6.2f} ms/round, {result['cpu_speedup_vs_reference'][name]:5.2f}x)")
        return 0
    keys = [k.strip() for k in args.envs.split(",") if k.strip()]
    unknown = [k for k in keys if k not in ENVS]
    if unknown:
        print(f"bench_maddpg: unknown env {', '.join(unknown)}; use {', '.join(ENVS)}", file=sys.stderr)
        return 2
    if min(args.window, args.random_episodes, args.episodes) < 1 or args.eval_episodes < 0:
        print("bench_maddpg: --episodes, --window and --random-episodes must be >= 1", file=sys.stderr)
        return 2
    try:
        seeds = [int(x) for x in args.seeds.split(",") if x.strip()]
        per_key = {k: int(v) for k, v in key_values(args.episodes_of, "--episodes-of").items()}
        bad = sorted(set(per_key) - set(keys))
        if bad:
            raise ValueError(f"--episodes-of names {bad[0]}, which is not in --envs")
        overrides = key_values(args.overrides, "--set")
        rows = [bench_env(k, per_key.get(k, args.episodes), Path(args.out), overrides, args.reuse,
                          random_episodes=args.random_episodes, window=args.window,
                          eval_episodes=args.eval_episodes, seed=seed)
                for k in keys for seed in (seeds if not k.startswith("mpe2-") else seeds[:1])]
    except ValueError as exc:
        print(f"bench_maddpg: {exc}", file=sys.stderr)
        return 2
    mappo = [bench_mappo(seed, args.mappo_steps, Path(args.out), eval_episodes=args.eval_episodes)
             for seed in seeds] if args.mappo_steps > 0 else []
    summary = spread_summary(rows)
    if mappo and all("greedy_mean_per_agent" in m for m in mappo):
        greedy = [m["greedy_mean_per_agent"] for m in mappo]
        summary.update(mappo_greedy_per_seed=greedy, mappo_greedy_mean=float(np.mean(greedy)),
                       mappo_target_met=bool(np.mean(greedy) >= SPREAD_TARGET_END))
    if args.plot:
        plot(rows, Path(args.plot))
    if args.json:
        print(json.dumps({"rows": rows, "mappo": mappo, "spread": summary}))
        return 0
    print(f"{'env':<32} {'seed':>4} {'episodes':>8} {'random':>8} {'best win':>8} {'last win':>8} "
          f"{'greedy':>8} {'s/1k ep':>8} {'x random':>8}  per team, last window (random)")
    for row in rows:
        teams = ", ".join(f"{t} {v:.2f} ({row['random_per_team'][t]:.2f})" for t, v in row["last_window_per_team"].items())
        greedy = row.get("greedy_mean_per_agent", float("nan"))
        print(f"{row['title']:<32} {row['seed']:>4} {row['episodes']:>8} {row['random_mean_per_agent']:>8.2f} "
              f"{row['best_window_mean_per_agent']:>8.2f} {row['last_window_mean_per_agent']:>8.2f} {greedy:>8.2f} "
              f"{row['train_seconds_per_1000_episodes']:>8.1f} {row['time_ratio_to_random_play']:>8.1f}  {teams}")
        if "greedy_eval_per_team" in row and len(row["greedy_eval_per_team"]) > 1:
            print(f"  greedy actions, {row['greedy_eval_episodes']} episodes: "
                  + ", ".join(f"{t} {v:.2f}" for t, v in row["greedy_eval_per_team"].items()))
        if row["train_seconds_per_window"]:
            print(f"  training seconds per {row['window']}-episode window: "
                  + " ".join("?" if x is None else f"{x:.0f}" for x in row["train_seconds_per_window"]))
    if "greedy_25k_mean" in summary:
        print(f"simple_spread, greedy after 25k episodes: {summary['greedy_25k_mean']:.2f} (mean of seeds "
              f"{summary['greedy_25k_per_seed']}; target -10.5: {'met' if summary['target_25k_met'] else 'not met'})")
    if "greedy_final_mean" in summary:
        print(f"simple_spread, greedy at the end: {summary['greedy_final_mean']:.2f} (target -10.2: "
              f"{'met' if summary['target_final_met'] else 'not met'})")
    for m in mappo:
        curve = m["curve"]
        print(f"MAPPO simple_spread seed {m['seed']}: {m['steps']:,} steps in {curve['seconds'][-1]:.0f} s, "
              f"training return per agent by chunk " + " ".join(f"{x:.2f}" for x in curve["mean_return"])
              + f", greedy {m.get('greedy_mean_per_agent', float('nan')):.2f}")
    if "mappo_greedy_mean" in summary:
        print(f"MAPPO simple_spread, greedy: {summary['mappo_greedy_mean']:.2f} (mean of seeds; target -10.2: "
              f"{'met' if summary['mappo_target_met'] else 'not met'})")
    if "collect_speedup" in summary:
        print(f"collection alone (first {rows[0]['window']} episodes, before updates): port "
              f"{summary['collect_seconds_port']:.1f} s, mpe2 {summary['collect_seconds_mpe2']:.1f} s: "
              f"{summary['collect_speedup']:.0f}x")
    if "speedup" in summary:
        print(f"wall time to the level {summary['level']:.2f} ({summary['level_from']}): port "
              f"{summary['port_seconds_to_level']:.0f} s ({summary['port_seeds_reaching']} seeds), mpe2 "
              f"{summary['mpe2_seconds_to_25k']:.0f} s to 25k episodes ({summary['mpe2_time']}): "
              f"{summary['speedup']:.1f}x")
    if "cpu_speedup" in summary:
        print(f"CPU time to the level: port {summary['port_cpu_seconds_to_level']:.0f} s "
              f"({summary['port_cpu_seeds_reaching']} seeds), mpe2 {summary['mpe2_cpu_seconds_to_25k']:.0f} s to 25k "
              f"episodes ({summary['mpe2_cpu_time']}): {summary['cpu_speedup']:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
