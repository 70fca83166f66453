"""PPO benchmarks: what it learns and how fast, each against a reference measured in the same run.

    python tools/bench_ppo.py [--quick] [--json] [--device cpu|cuda] [--threads 1]

1. ``rps``     rock-paper-scissors (10 rounds) against a biased player (rock 0.6, paper 0.2,
               scissors 0.2): mean game return of the trained PPO bot vs a uniform random player
               against the same bot (expected 0) and the best response, always paper (4.0).
2. ``spread``  mpe2 ``simple_spread_v3`` (discrete actions, 3 agents, 25 steps): mean per-agent
               episode return of the trained bots (one shared network) vs uniform random play.
3. ``sumo``    ``Sumo-2T1P`` (2-D engine batch) trained against a uniform random opponent, sides
               alternating: the PPO bot's mean return per game against a uniform player (both
               seats) vs a uniform player's return in the same seats.
4. ``speed``   env steps/s of collection + update on ``Soccer-2T2P`` (4 agents, 16 copies): the
               2-D engine's own batch vs the same env stepped as a list of PettingZoo copies.

Training uses ``torch.set_num_threads(--threads)`` (1 by default: fair on a shared 2-core box).
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np
import torch
from pettingzoo.utils import BaseParallelWrapper

import arena
from arena.marl.ppo import PPOConfig, PPOLearner


class BiasedRPS:
    """A fixed rock-paper-scissors player: rock 0.6, paper 0.2, scissors 0.2."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def act(self, observation: Any, action_mask: Any) -> int:
        return int(self.rng.choice(3, p=[0.6, 0.2, 0.2]))

    def reset(self) -> None:
        pass


class UniformBot:
    """Uniform over the legal actions."""

    def __init__(self, num_actions: int, seed: int) -> None:
        self.num_actions = num_actions
        self.rng = np.random.default_rng(seed)

    def act(self, observation: Any, action_mask: Any = None) -> int:
        return int(self.rng.integers(self.num_actions))

    def act_team(self, observations: dict[str, Any]) -> dict[str, int]:
        return {agent: self.act(obs) for agent, obs in observations.items()}

    def reset(self) -> None:
        pass


def play_parallel(make_env: Any, seat_bots: dict[str, Any], episodes: int, seed: int) -> dict[str, float]:
    """Mean episode return per agent; ``seat_bots[agent]`` acts for that agent."""
    env = make_env()
    totals = {agent: 0.0 for agent in env.possible_agents}
    for episode in range(episodes):
        for bot in seat_bots.values():
            bot.reset()
        obs, _ = env.reset(seed=seed + episode)
        while env.agents:
            actions = {agent: seat_bots[agent].act(obs[agent], None) for agent in env.agents}
            obs, rewards, _, _, _ = env.step(actions)
            for agent, reward in rewards.items():
                totals[agent] += float(reward)
    env.close()
    return {agent: total / episodes for agent, total in totals.items()}


def bench_rps(steps: int, episodes: int, device: str) -> dict[str, float]:
    make_env = lambda: arena.make("rock_paper_scissors")  # noqa: E731
    config = PPOConfig(num_envs=8, num_steps=32, num_minibatches=4, lr=3e-3, entropy_coef=0.0,
                       hidden_sizes=(32,), device=device)
    learner = PPOLearner(config)
    started = time.perf_counter()
    learner.learn(make_env, [BiasedRPS(1)], steps)
    seconds = time.perf_counter() - started
    env = make_env()
    ppo = play_parallel(make_env, {"player_0": learner.bot(env, seed=0).for_agent("player_0"),
                                   "player_1": BiasedRPS(2)}, episodes, 0)["player_0"]
    uniform = play_parallel(make_env, {"player_0": UniformBot(3, 0), "player_1": BiasedRPS(2)},
                            episodes, 0)["player_0"]
    return {"train_steps": steps, "train_seconds": seconds, "ppo_return": ppo, "uniform_return": uniform,
            "best_response_return": 4.0, "gain_over_uniform": ppo - uniform}


def bench_spread(steps: int, episodes: int, device: str) -> dict[str, float]:
    make_env = lambda: arena.make("mpe2.simple_spread_v3", continuous_actions=False)  # noqa: E731
    config = PPOConfig(num_envs=8, num_steps=128, num_minibatches=4, lr=1e-3, device=device)
    learner = PPOLearner(config)
    started = time.perf_counter()
    metrics = learner.learn(make_env, [], steps)
    seconds = time.perf_counter() - started
    env = make_env()
    bot = learner.bot(env, seed=0)
    agents = list(env.possible_agents)
    ppo = play_parallel(make_env, {a: bot.for_agent(a) for a in agents}, episodes, 100)
    uniform = play_parallel(make_env, {a: UniformBot(5, i) for i, a in enumerate(agents)}, episodes, 100)
    ppo_mean, uniform_mean = float(np.mean(list(ppo.values()))), float(np.mean(list(uniform.values())))
    return {"train_steps": steps, "train_seconds": seconds, "train_steps_per_second": metrics["steps_per_second"],
            "ppo_return_per_agent": ppo_mean, "uniform_return_per_agent": uniform_mean,
            "gain_over_uniform": ppo_mean - uniform_mean}


def bench_sumo(steps: int, episodes: int, device: str) -> dict[str, float]:
    make_env = lambda: arena.make("Sumo-2T1P")  # noqa: E731
    env = make_env()
    num_actions = int(env.action_space(env.possible_agents[0]).n)
    config = PPOConfig(num_envs=16, num_steps=128, num_minibatches=4, lr=1e-3, device=device)
    learner = PPOLearner(config)
    started = time.perf_counter()
    metrics = learner.learn(make_env, [UniformBot(num_actions, 1)], steps)
    seconds = time.perf_counter() - started
    bot = learner.bot(env, seed=0)
    ppo, uniform = [], []
    for seat, agent in enumerate(env.possible_agents):
        other = env.possible_agents[1 - seat]
        ppo.append(play_parallel(make_env, {agent: bot.for_agent(agent), other: UniformBot(num_actions, 2)},
                                 episodes // 2, 200)[agent])
        uniform.append(play_parallel(make_env, {agent: UniformBot(num_actions, 3), other: UniformBot(num_actions, 2)},
                                     episodes // 2, 200)[agent])
    return {"train_steps": steps, "train_seconds": seconds, "train_steps_per_second": metrics["steps_per_second"],
            "ppo_return": float(np.mean(ppo)), "uniform_return": float(np.mean(uniform)),
            "gain_over_uniform": float(np.mean(ppo) - np.mean(uniform))}


def bench_speed(steps: int, device: str) -> dict[str, float]:
    config = PPOConfig(num_envs=16, num_steps=64, num_minibatches=4, device=device)
    batched = lambda: arena.make("Soccer-2T2P")  # noqa: E731
    as_list = lambda: BaseParallelWrapper(arena.make("Soccer-2T2P"))  # noqa: E731  (a wrapper: list path)
    out = {}
    for name, make_env in (("batched", batched), ("env_list", as_list)):
        learner = PPOLearner(config)
        learner.learn(make_env, [], 16 * 8)  # build, warm numba and torch
        out[f"{name}_steps_per_second"] = learner.learn(make_env, [], steps)["steps_per_second"]
    out["speedup"] = out["batched_steps_per_second"] / out["env_list_steps_per_second"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small budgets (a smoke run, about a minute)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--device", default="cpu", help="torch device for training (cpu, cuda, auto)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.quick:
        rps_steps, spread_steps, sumo_steps, speed_steps, episodes = 4096, 8192, 16384, 4096, 50
    else:
        rps_steps, spread_steps, sumo_steps, speed_steps, episodes = 8192, 61440, 61440, 16384, 200
    results = {"rps": bench_rps(rps_steps, episodes, args.device),
               "spread": bench_spread(spread_steps, episodes, args.device),
               "sumo": bench_sumo(sumo_steps, episodes, args.device),
               "speed": bench_speed(speed_steps, args.device),
               "settings": {"quick": args.quick, "threads": args.threads, "device": args.device}}
    if args.json:
        print(json.dumps(results, indent=2))
        return
    rps, spread, sumo, speed = results["rps"], results["spread"], results["sumo"], results["speed"]
    print("| benchmark | PPO | reference | result |")
    print("|---|---|---|---|")
    print(f"| RPS vs biased player, return/game after {rps['train_steps']} steps ({rps['train_seconds']:.1f} s) "
          f"| {rps['ppo_return']:+.2f} | uniform {rps['uniform_return']:+.2f} (best response +4.00) "
          f"| {rps['gain_over_uniform']:+.2f} over uniform |")
    print(f"| simple_spread (discrete) return/agent after {spread['train_steps']} steps "
          f"({spread['train_seconds']:.0f} s) | {spread['ppo_return_per_agent']:.2f} "
          f"| uniform {spread['uniform_return_per_agent']:.2f} | {spread['gain_over_uniform']:+.2f} over uniform |")
    print(f"| Sumo-2T1P vs uniform player, return/game after {sumo['train_steps']} steps "
          f"({sumo['train_seconds']:.0f} s) | {sumo['ppo_return']:.2f} | uniform {sumo['uniform_return']:.2f} "
          f"| {sumo['gain_over_uniform']:+.2f} over uniform |")
    print(f"| Soccer-2T2P collection+update steps/s | {speed['batched_steps_per_second']:.0f} (engine batch) "
          f"| {speed['env_list_steps_per_second']:.0f} (list of envs) | {speed['speedup']:.1f}x |")


if __name__ == "__main__":
    main()
