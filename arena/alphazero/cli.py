"""``arena train alphazero GAME [--config FILE.yaml] --out DIR [--resume] [--device cuda]
[--actors N] [--backend local|ray] [--address auto|HOST:PORT]``."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "alphazero", help="AlphaZero self-play training on any turn-based game",
        description="Train a policy-value network by batched MCTS self-play. Writes OUT/checkpoint.pt "
                    "(resume state), OUT/best.pt and OUT/latest.pt (play them with --opponent az:OUT/best.pt), "
                    "OUT/log.jsonl and TensorBoard scalars under OUT/tb.",
        epilog="example: arena train alphazero connect_four --config c4.yaml --out runs/c4")
    p.add_argument("game", help="any turn-based game: tic_tac_toe, connect_four, gomoku, othello, hex, a "
                                "plugin's game, or a copyable PettingZoo AEC module path")
    p.add_argument("--config", help="YAML file of AlphaZeroConfig fields (see docs/alphazero.md)")
    p.add_argument("--out", required=True, help="run directory for checkpoints and logs")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], help="network device (default: config, auto)")
    p.add_argument("--iterations", type=int, help="override the config's number of iterations")
    p.add_argument("--size", type=int, help="gomoku board size")
    p.add_argument("--n-in-row", type=int, help="gomoku line length")
    p.add_argument("--env-arg", dest="env_args", action="append", default=[], metavar="KEY=VALUE",
                   help="keyword argument for the game (repeatable), e.g. --env-arg size=6")
    p.add_argument("--seed", type=int, help="override the config's seed")
    p.add_argument("--no-progress", action="store_true", help="print one line per iteration instead of a bar")
    p.add_argument("--actors", type=int, help="self-play actors feeding this trainer, one CPU thread each "
                                              "(default: config, 1 = self-play in this process)")
    p.add_argument("--backend", choices=["local", "ray"], help="where the actors run: local (processes) or ray (Ray actors; needs the "
                                     "[distributed] extra)")
    p.add_argument("--address", help="--backend ray: auto (the cluster on this machine) or HOST:PORT of a head "
                                     "node (default: a private Ray instance)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from arena.alphazero.config import load_config
    from arena.commands.match import game_kwargs as board_kwargs

    game_kwargs = board_kwargs(args)  # --size / --n-in-row, gomoku only
    if args.actors is not None and args.actors < 1:
        raise ValueError(f"--actors must be >= 1, got {args.actors}")
    config = load_config(args.config, device=args.device, iterations=args.iterations, seed=args.seed,
                         actors=args.actors, backend=args.backend)
    if config.game_kwargs and args.game != config.game:
        raise ValueError(f"the config's game_kwargs are for '{config.game}', not '{args.game}'")
    config = config.replace(game=args.game, game_kwargs={**config.game_kwargs, **game_kwargs})
    if args.resume:
        config = resumed_config(args, config)
    if args.address is not None and config.backend != "ray":
        raise ValueError("--address applies to --backend ray only")
    import arena

    env = arena.make(config.game, **config.game_kwargs)  # fails early with the registry's message
    from arena.alphazero.network import check_network_game
    from arena.bots import BotSpecError, game_of

    try:
        check_network_game(game_of(env))
    except BotSpecError as exc:
        raise ValueError(f"AlphaZero cannot train on '{config.game}': {exc}") from None
    from arena.alphazero.trainer import train

    trainer = train(config, args.out, resume=args.resume, show_progress=not args.no_progress,
                    address=args.address)
    print(f"done: {trainer.iteration} iterations, {trainer.games_played} games; "
          f"play it with --opponent az:{args.out}/best.pt")
    return 0


# Fields a resumed run may change: how long it trains and where; everything else is the run's own.
RESUME_CHANGEABLE = ("iterations", "device", "time_limit_minutes", "actors", "backend")


def resumed_config(args: argparse.Namespace, requested: Any) -> Any:
    """The config a ``--resume`` continues with: the one stored in ``OUT/checkpoint.pt``, with only
    ``--iterations`` / ``--device`` / ``--actors`` / ``--backend`` applied. A ``--config``, ``--seed`` or game option that would
    change anything else is refused with a one-line diff; no checkpoint is "nothing to resume"."""
    from pathlib import Path

    from arena.alphazero.config import AlphaZeroConfig
    from arena.checkpoint import CheckpointError, load_safely

    checkpoint = Path(args.out) / "checkpoint.pt"
    if not checkpoint.is_file():
        raise ValueError(f"nothing to resume: {args.out} has no checkpoint.pt (a run saves one after each "
                         "iteration); drop --resume to start a new run")
    state = load_safely(checkpoint, "AlphaZero training checkpoint")
    try:
        stored = AlphaZeroConfig.from_dict(dict(state["config"]), source=str(checkpoint))
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{checkpoint} is not an AlphaZero training checkpoint ({exc})") from None
    changes = {k: v for k, v in (("iterations", args.iterations), ("device", args.device),
                                 ("actors", getattr(args, "actors", None)), ("backend", getattr(args, "backend", None)))
               if v is not None}
    if args.game != stored.game:
        raise ValueError(f"--resume: {args.out} trains {stored.game}, not {args.game}")
    # Without --config the requested config is the defaults: only explicit options can differ then.
    base = requested.to_dict() if args.config else {
        **stored.to_dict(), "game_kwargs": requested.game_kwargs if requested.game_kwargs else stored.game_kwargs,
        **({"seed": args.seed} if args.seed is not None else {})}
    old = stored.to_dict()
    diff = [f"{k} {old[k]!r} -> {base[k]!r}" for k in old if k not in RESUME_CHANGEABLE and base.get(k) != old[k]]
    if diff:
        raise ValueError(f"--resume keeps the run's stored config, but this asks for {', '.join(diff)}; drop "
                         "--config/--seed/game options to continue as stored (only --iterations, --device, "
                         "--actors and --backend may change), or start a new run with another --out")
    if args.config:
        changes = {k: base[k] for k in RESUME_CHANGEABLE}
    return stored.replace(**changes)
