"""Cost of the social tree: env steps per second with and without ``SocialTreeWrapper``.

For each game, plays the same seeded random episodes on the raw PettingZoo env (the reference,
measured in the same run) and on the env wrapped in its built-in tree (``arena.social.presets``),
alternating the two, and reports steps/s and the ratio wrapped / raw (1.0 = free). Also times
``arena verify-rewards``' measurement with its default budget.

Custom hooks on the batched engine (``--hooks``): PPO-style throughput (``B`` copies stepped
together with random actions, autoreset) of KingOfTheHill-2T2P with its built-in team schemes
(HoldZone) against the same game whose team schemes are a Python hook over the batched state
computing the same reward (``{type: Custom, hook: ...}``), alternating the two; the ratio
hook / built-in must stay >= 0.8. The rewards of both are checked equal first. For scale, the
last column is the list-of-copies path (one env stepped at a time under ``SocialTreeWrapper``).

    python tools/bench_social.py [--seconds 2] [--json]
    python tools/bench_social.py --hooks [--num-envs 256] [--seconds 6]
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


def hold_hill(step) -> np.ndarray:  # noqa: ANN001 - an arena.social.HookStep
    """HoldZone('hill') as a batched hook: [B] 1 where the node's living agents hold the hill alone
    (in a two-team tree every agent not below the node is a rival)."""
    inside = np.stack([step.inside(a, "hill") for a in step.agents], axis=1) & step.receivers
    mine = (inside & step.below[None, :]).any(axis=1)
    rivals = (inside & ~step.below[None, :]).any(axis=1)
    return (mine & ~rivals).astype(np.float64)


def koth_definitions():  # noqa: ANN201 - (built-in GameDef, hook GameDef)
    """KingOfTheHill-2T2P as shipped, and the same game with its team HoldZone replaced by the hook."""
    import yaml

    from arena.social import register_hook
    from games.arena2d.builder import game_from_dict
    from games.arena2d.catalogue import definition

    register_hook("bench_hold_hill", hold_hill)
    path = __import__("pathlib").Path(__file__).resolve().parents[1] / "games/arena2d/games/king_of_the_hill.yaml"
    data = yaml.safe_load(path.read_text())
    for team in data["tree"]["children"]:
        team["schemes"] = [{"type": "Custom", "hook": "bench_hold_hill", "kind": "zone", "score": "hill",
                            "declared": "CL"}]
    return definition("KingOfTheHill-2T2P"), game_from_dict(data)


@dataclass
class HookRow:
    game: str
    num_envs: int
    builtin_steps_per_s: float
    hook_steps_per_s: float
    ratio: float
    wrapper_steps_per_s: float


def bench_hooks(num_envs: int, seconds: float) -> HookRow:
    """Env steps per second (copies x steps) of the batched engine, built-in schemes vs a hook."""
    from games.arena2d.builder import make_batched

    builtin_def, hook_def = koth_definitions()
    engines = [make_batched(builtin_def, num_envs), make_batched(hook_def, num_envs)]
    rng = np.random.default_rng(0)
    for engine in engines:
        engine.reset(seed=0)
    for _ in range(150):  # same actions, same rewards: the hook computes HoldZone exactly
        actions = {a: rng.integers(0, 7, size=num_envs) for a in engines[0].possible_agents}
        rewards = [engine.step(actions)[1] for engine in engines]
        for a in rewards[0]:
            assert np.array_equal(rewards[0][a], rewards[1][a]), "the hook must pay what HoldZone pays"
    rates: list[list[float]] = [[], []]
    actions_pool = [{a: rng.integers(0, 7, size=num_envs) for a in engines[0].possible_agents} for _ in range(64)]
    for _ in range(6):  # alternate so load changes hit both sides alike
        for side, engine in enumerate(engines):
            steps, start = 0, time.perf_counter()
            while time.perf_counter() - start < seconds / 12:
                engine.step(actions_pool[steps % len(actions_pool)])
                steps += 1
            rates[side].append(steps * num_envs / (time.perf_counter() - start))
    b, h = float(np.median(rates[0])), float(np.median(rates[1]))
    # For scale: the list-of-copies path a per-episode Custom scheme needs (one env at a time,
    # its tree evaluated by SocialTreeWrapper), in env steps per second.
    from games.arena2d.builder import make_env

    single = make_env(builtin_def)
    steps, elapsed = random_steps(SocialTreeWrapper(make_env(builtin_def), single.social_tree), seconds / 4, 0)
    return HookRow("KingOfTheHill-2T2P", num_envs, b, h, h / b, steps / elapsed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per game and side (default 2)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--hooks", action="store_true",
                        help="only the batched-engine row: built-in schemes vs a Custom hook")
    parser.add_argument("--num-envs", type=int, default=256, help="copies of the batched engine (default 256)")
    args = parser.parse_args()
    if args.hooks:
        row = bench_hooks(args.num_envs, args.seconds)
        if args.json:
            print(json.dumps({"hooks": row.__dict__}))
            return
        print(f"{'game':<20} {'B':>5} {'built-in steps/s':>17} {'hook steps/s':>13} {'ratio':>6} "
              f"{'wrapper steps/s':>16}")
        print(f"{row.game:<20} {row.num_envs:>5} {row.builtin_steps_per_s:>17,.0f} {row.hook_steps_per_s:>13,.0f} "
              f"{row.ratio:>6.2f} {row.wrapper_steps_per_s:>16,.0f}")
        return
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
