"""``arena train maddpg ENV --episodes N --out DIR``: the MADDPG command line.

Torch and the algorithm are imported inside :func:`run`, so ``arena --help`` stays fast.
"""

from __future__ import annotations

import argparse
from typing import Any

from arena.config_input import key_values, read_yaml_mapping

EXAMPLES = """examples:
  arena train maddpg simple_spread_v3 --env-arg continuous_actions=true --episodes 25000 --out runs/spread
  arena train maddpg simple_spread_v3 --episodes 50000 --out runs/spread --resume
  arena train maddpg simple_tag_v3 --episodes 20000 --out runs/tag --set share_parameters=true
  arena train maddpg mpe2.simple_spread_v3 --num-envs 8 --out runs/spread_mpe2   # mpe2's own env
  arena eval runs/spread --episodes 100 --json
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "maddpg", help="MADDPG on any PettingZoo ParallelEnv (simple_spread_v3, mpe2.*, 2-D games, ...)",
        description="Train MADDPG (decentralised actors, centralised critics) on a simultaneous-move "
                    "PettingZoo environment. Config keys (for --set/--config): lr_actor, lr_critic, gamma, tau, "
                    "batch_size, buffer_size, hidden_sizes, update_every, gradient_steps, learning_starts, "
                    "max_grad_norm, logit_reg, gumbel_temperature, noise, noise_std_start, noise_std_end, "
                    "noise_anneal_episodes, share_parameters, critic_scope, num_envs, seed, device, "
                    "torch_threads, checkpoint_every, log_every, save_buffer, tensorboard, env_kwargs. "
                    "See docs/maddpg.md.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("env", help="registered game or PettingZoo module path, e.g. simple_spread_v3 (Arena's batched "
                   "port: all copies in one engine step) or mpe2.simple_spread_v3 (mpe2's own env)")
    p.add_argument("--episodes", type=int, default=25_000, help="total training episodes (default 25000; "
                   "with --resume the run continues up to this total)")
    p.add_argument("--out", required=True, help="run directory for config.json, checkpoint.pt, returns.npy, tb/")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    p.add_argument("--seed", type=int, default=None, help="random seed (default 0)")
    p.add_argument("--device", choices=["cpu", "cuda", "auto"], default=None, help="torch device (default auto)")
    p.add_argument("--num-envs", type=int, default=None,
                   help="env copies collected together (default 64); one engine step on a batched world "
                        "(simple_*_v3, the 2-D games). Updates follow env steps of one copy: one round per "
                        "update_every steps counted over all copies, whatever the number of copies")
    p.add_argument("--config", metavar="FILE.yaml", default=None, help="YAML mapping of config keys")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override one config key (repeatable), e.g. --set lr_actor=0.005")
    p.add_argument("--env-arg", dest="env_args", action="append", default=[], metavar="KEY=VALUE",
                   help="keyword argument for the environment (repeatable), e.g. --env-arg N=3")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from arena.env.registry import spec

    if "." not in args.env:
        spec(args.env)  # an unknown name fails here, before the slow torch import
    from arena.marl.maddpg import MADDPGConfig, config_with, train

    overrides: dict[str, Any] = {}
    if args.config:
        overrides.update(read_yaml_mapping(args.config, "lr_actor: 0.01"))
    overrides.update(key_values(args.overrides, "--set"))
    env_args = key_values(args.env_args, "--env-arg")
    if env_args:
        overrides["env_kwargs"] = {**dict(overrides.get("env_kwargs") or {}), **env_args}
    runtime = {k: v for k, v in (("seed", args.seed), ("device", args.device), ("num_envs", args.num_envs))
               if v is not None}
    if args.resume:
        changed = sorted(set(overrides) | ({"seed", "num_envs"} & set(runtime)))
        if changed:
            raise ValueError(f"--resume continues a run with its saved config; drop {', '.join(changed)} "
                             "(only --device and --episodes may change)")
        result = train(args.env, episodes=args.episodes, run_dir=args.out, resume=True,
                       resume_overrides=runtime, progress=not args.no_progress)
    else:
        config = config_with(MADDPGConfig(), {**overrides, **runtime})
        result = train(args.env, episodes=args.episodes, run_dir=args.out, config=config,
                       progress=not args.no_progress)
    tail = result.returns[-min(1000, len(result.returns)):]
    print(f"trained {len(result.returns)} episodes of {args.env} in {result.wall_seconds:.0f} s "
          f"({result.updates} updates); mean per-agent return over the last {len(tail)} episodes: "
          f"{tail.mean():.2f}. Run directory: {result.run_dir}")
    print(f"next: arena eval {result.run_dir} --episodes 100   |   arena eval {result.run_dir} --render")
    return 0
