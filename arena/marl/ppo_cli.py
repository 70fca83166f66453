"""``arena train ppo GAME --steps N --out DIR``: PPO self-play from the command line.

Torch and the algorithm are imported inside :func:`run`, so ``arena --help`` stays fast. The run
directory holds ``config.json``, ``checkpoint.pt`` (replaced atomically after every chunk, loaded
with ``weights_only=True``) and ``metrics.jsonl`` (one line of learner metrics per chunk).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from arena.config_input import key_values, read_yaml_mapping

EXAMPLES = """examples:
  arena train ppo Soccer-2T2P --steps 2000000 --out runs/soccer
  arena train ppo Soccer-2T2P --steps 4000000 --out runs/soccer --resume
  arena train ppo mpe2.simple_spread_v3 --env-arg continuous_actions=false --steps 500000 --out runs/spread
  arena train ppo Sumo-2T1P --steps 1000000 --out runs/sumo --set recurrent=true --set lr=3e-4
  arena train ppo simple_spread_v3 --critic central --steps 2000000 --out runs/spread_mappo   # MAPPO
  arena train ppo simple_spread_v3 --preset mappo --steps 2000000 --out runs/spread_mappo_best   # best MAPPO settings
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "ppo", help="PPO self-play on any PettingZoo ParallelEnv (2-D games, mpe2.*, rock_paper_scissors)",
        description="Train PPO by self-play (the learner plays every seat; agents of a team share a network). "
                    "Config keys (for --set/--config): lr, adam_eps, total_steps, gamma, gae_lambda, clip_eps, "
                    "clip_value_loss, value_coef, entropy_coef, max_grad_norm, normalize_advantages, value_norm, "
                    "bootstrap_truncation, num_envs, "
                    "num_steps, num_minibatches, update_epochs, hidden_sizes, activation, recurrent, lstm_size, "
                    "sequence_length, init_log_std, normalize_obs, obs_clip, sharing, critic, groups, sides, side_choice, "
                    "device, seed. Defaults are the Arena book's discrete-action PPO settings; see docs/ppo.md.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("game", help="registered game or PettingZoo module path, e.g. Soccer-2T2P")
    p.add_argument("--steps", type=int, default=1_000_000,
                   help="total env steps (default 1000000; with --resume the run continues up to this total)")
    p.add_argument("--out", required=True, help="run directory for config.json, checkpoint.pt, metrics.jsonl")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    p.add_argument("--chunk", type=int, default=None,
                   help="env steps between checkpoints (default: one rollout, num_envs x num_steps; "
                        "never more than about 2 minutes of training)")
    p.add_argument("--config", metavar="FILE.yaml", default=None, help="YAML mapping of config keys")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override one config key (repeatable), e.g. --set lr=3e-4")
    p.add_argument("--env-arg", dest="env_args", action="append", default=[], metavar="KEY=VALUE",
                   help="keyword argument for the environment (repeatable)")
    p.add_argument("--critic", choices=["local", "central"], default=None,
                   help="value input: local = the agent's own observation (IPPO, default), central = every "
                        "observation of its team (MAPPO); same as --set critic=...")
    p.add_argument("--preset", choices=["mappo"], default=None,
                   help="start from a set of config keys: mappo = MAPPO as measured best on simple_spread (the "
                        "MAPPO paper's MPE settings with a central value, value normalisation and agent ids, over "
                        "32 copies x 25 steps, 10 epochs of 1 minibatch, lr 2e-3); --config and --set apply on "
                        "top (see docs/ppo.md)")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def _atomic_write(path: Path, write: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)


def run(args: argparse.Namespace) -> int:
    from arena.env.registry import spec

    if "." not in args.game:
        spec(args.game)  # an unknown name fails here, before the slow torch import
    if args.steps < 1:
        raise ValueError(f"--steps must be >= 1, got {args.steps}")
    if args.chunk is not None and args.chunk < 1:
        raise ValueError(f"--chunk must be >= 1, got {args.chunk}")
    import torch
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    import arena
    from arena.checkpoint import CheckpointError, load_safely, save_atomic
    from arena.config_input import read_text_file
    from arena.marl.ppo import PPOConfig, PPOLearner

    torch.set_num_threads(max(1, args.threads))
    out = Path(args.out)
    checkpoint = out / "checkpoint.pt"
    env_args = key_values(args.env_args, "--env-arg")
    if args.resume:
        if args.overrides or args.config or env_args or args.critic or args.preset:
            raise ValueError("--resume continues a run with its saved config; "
                             "drop --set/--config/--env-arg/--critic/--preset")
        if not checkpoint.is_file():
            raise ValueError(f"nothing to resume: {checkpoint} does not exist; start the run without --resume")
        try:
            saved = json.loads(read_text_file(out / "config.json", "run config"))
            game, env_args = saved["game"], dict(saved["env_args"])
        except (json.JSONDecodeError, KeyError, TypeError):
            raise ValueError(f"{out / 'config.json'} is damaged (start a new run with another --out)") from None
        if game != args.game:
            raise ValueError(f"--resume: {out} trains {game}, not {args.game}")
        state = load_safely(checkpoint, "PPO checkpoint")
        learner = PPOLearner()
        try:
            learner.load_state_dict(state)
        except (KeyError, TypeError, ValueError, RuntimeError, IndexError, AttributeError) as exc:
            first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
            raise CheckpointError(f"{checkpoint} is not a PPO checkpoint of this run ({first}); "
                                  "start a new run") from None
        print(f"resumed {out} at {learner.env_steps:,} env steps of {args.steps:,}")
    else:
        if checkpoint.exists():
            raise ValueError(f"{out} already holds a run; add --resume to continue it or pick another --out")
        values: dict[str, Any] = {}
        if args.preset == "mappo":
            from arena.marl.ppo import MAPPO_PRESET

            values.update(MAPPO_PRESET)
        if args.config:
            values.update(read_yaml_mapping(args.config, "lr: 0.0003"))
        values.update(key_values(args.overrides, "--set"))
        if args.critic:
            values["critic"] = args.critic
        config = PPOConfig.from_dict(values)
        _check_game(args.game, env_args)  # a turn-based game or a bad env argument fails before any training
        learner = PPOLearner(config)
        out.mkdir(parents=True, exist_ok=True)
        _atomic_write(out / "config.json", lambda p: p.write_text(json.dumps(
            {"game": args.game, "env_args": env_args, "config": config.to_dict()}, indent=2)))

    def make_env() -> Any:
        return arena.make(args.game, **env_args)

    # Every step advances all num_envs env copies at once: the total is a multiple of num_envs.
    num_envs = learner.config.num_envs
    target = -(-args.steps // num_envs) * num_envs
    if target != args.steps:
        print(f"--steps {args.steps:,} rounded up to {target:,}: each step advances all {num_envs} env copies "
              f"(num_envs={num_envs}), so runs take multiples of {num_envs} steps")
    chunk = args.chunk or learner.config.num_envs * learner.config.num_steps
    metrics: dict[str, float] = {}
    writer = _tensorboard_writer(out, learner.env_steps)
    with Progress(TextColumn("[bold]ppo[/] {task.description}"), BarColumn(), TextColumn("{task.completed:,}/{task.total:,} steps"),
                  TimeRemainingColumn(), disable=args.no_progress) as progress:
        task = progress.add_task(args.game, total=target, completed=min(learner.env_steps, target))
        rollout = learner.config.num_envs * learner.config.num_steps
        step = min(chunk, rollout)  # the first rollout measures the speed; later chunks fit the time bound
        while learner.env_steps < target:
            metrics = learner.learn(make_env, [], min(step, target - learner.env_steps))
            # Checkpoint by time as well as by count: at most CHECKPOINT_SECONDS of work at risk.
            affordable = int(metrics.get("steps_per_second", 0.0) * CHECKPOINT_SECONDS) // rollout * rollout
            if metrics.get("steps_per_second"):
                step = min(chunk, max(rollout, affordable))
            save_atomic(learner.state_dict(), checkpoint)
            with open(out / "metrics.jsonl", "a") as log:
                log.write(json.dumps({"env_steps": learner.env_steps, **metrics}) + "\n")
            if writer is not None:  # TensorBoard scalars ppo/KEY under OUT/tb, like the other trainers
                for key, value in metrics.items():
                    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == value:
                        writer.add_scalar(f"ppo/{key}", value, learner.env_steps)
                writer.flush()
            progress.update(task, completed=learner.env_steps,
                            description=f"{args.game} return {_return_text(metrics)} "
                                        f"{metrics['steps_per_second']:.0f} steps/s")
    if writer is not None:
        writer.close()
    if metrics:
        print(f"trained {args.game} to {learner.env_steps:,} env steps; last chunk: mean return "
              f"{_return_text(metrics)}, {metrics['steps_per_second']:.0f} steps/s. Run directory: {out}")
    else:
        print(f"{out} already has {learner.env_steps:,} env steps (>= --steps {args.steps:,}); nothing to do")
    return 0


def _tensorboard_writer(out: Path, step: int) -> Any:
    """A TensorBoard writer for OUT/tb (events after ``step``, from a killed run, are dropped), or
    ``None`` without the tensorboard package."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        return None
    return SummaryWriter(str(out / "tb"), purge_step=step + 1)


CHECKPOINT_SECONDS = 120.0  # the most training time a kill can lose


def _return_text(metrics: dict[str, float]) -> str:
    """The chunk's mean episode return, or why there is none (no episode ended within it)."""
    value = metrics.get("mean_return", float("nan"))
    if value != value:  # NaN: no episode finished in this chunk
        return "n/a (no episode ended yet; train longer)"
    return f"{value:.2f}"


def _check_game(game: str, env_args: dict[str, Any]) -> None:
    """PPO trains simultaneous-move (PettingZoo Parallel) games; build one env to check the name and
    ``--env-arg`` values before any training."""
    import arena

    try:
        env = arena.make(game, **env_args)
    except TypeError as exc:
        raise ValueError(f"--env-arg: {game} does not accept {', '.join(env_args) or 'these arguments'} "
                         f"({exc})") from None
    try:
        if hasattr(env, "agent_iter"):
            raise ValueError(f"{game} is a turn-based game; PPO here trains simultaneous-move (Parallel) games "
                             f"such as Soccer-2T2P or rock_paper_scissors. For {game} use "
                             f"`arena train alphazero {game} --out runs/{game}`")
    finally:
        env.close()
