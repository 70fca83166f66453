"""The AlphaZero training loop, readable top to bottom.

One iteration:

1. **self-play** -- ``games_per_iteration`` games with the current player network (the best
   network in gating mode, the latest in continuous mode), ``selfplay_batch`` games in lockstep;
2. **replay** -- every position (planes, pi, z) enters the buffer with its symmetric copies;
3. **train** -- ``train_steps`` Adam steps on random minibatches, loss
   ``(z - v)^2 - pi^T log p + c ||theta||^2``;
4. **improve** -- continuous mode: the trained network plays the next self-play; gating mode
   (AlphaGo Zero): it plays ``gating_games`` against the best network and replaces it only with a
   score above ``gating_threshold``;
5. **evaluate** (every ``eval_every`` iterations) -- matches against pure MCTS and against the
   previous evaluation's snapshot; ratings go to the Elo-style curve;
6. **checkpoint** -- ``OUT/checkpoint.pt`` (everything ``--resume`` needs), ``OUT/latest.pt``,
   ``OUT/best.pt``, ``OUT/iter_NNNN.pt`` snapshots, one JSON line per iteration in ``OUT/log.jsonl``.

A kill at any moment loses at most the iteration in progress: all files are replaced atomically
and only at the end of an iteration.
"""

from __future__ import annotations

import copy
import json
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

import arena
from arena.alphazero.checkpoint import (
    TRAINING_FORMAT,
    CheckpointError,
    load_model_record,
    load_safely,
    model_record,
    save_atomic,
)
from arena.alphazero.config import AlphaZeroConfig, ConfigError
from arena.alphazero.evaluate import MatchScore, elo_difference, play_bot_match, play_network_match
from arena.alphazero.network import (
    NetworkEvaluator,
    alphazero_loss,
    build_network,
    check_network_game,
    input_planes,
    resolve_device,
)
from arena.alphazero.replay import ReplayBuffer, augment, plane_dtype
from arena.alphazero.selfplay import SelfPlayData, self_play
from arena.bots import game_of
from arena.mcts.batched import SearchParams


class AlphaZeroTrainer:
    """Holds the networks, optimiser, replay buffer, RNGs and counters of one training run."""

    def __init__(self, config: AlphaZeroConfig) -> None:
        self.config = config
        self.game = game_of(self.make_env())
        check_network_game(self.game)
        if config.threads > 0:
            torch.set_num_threads(config.threads)
        self.device = resolve_device(config.device)
        torch.manual_seed(config.seed)
        random.seed(config.seed)
        self.rng = np.random.default_rng(config.seed)
        self.model = self._new_network()
        if config.init_from:
            self._warm_start(config.init_from)
        # The player that generates self-play data: a frozen copy in gating mode, else the model.
        self.best_model = copy.deepcopy(self.model) if config.mode == "gating" else self.model
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=config.lr)
        rows, cols = int(self.game.observation_shape[0]), int(self.game.observation_shape[1])
        self.replay = ReplayBuffer(config.replay_capacity, (input_planes(self.game), rows, cols),
                                   self.game.num_actions, dtype=plane_dtype(self.game),
                                   reply=config.reply_target_weight > 0)
        self.iteration = 0
        self.games_played = 0
        self.positions_played = 0
        self.gradient_steps = 0
        self.seconds = 0.0
        self.elo = 0.0  # Elo-style rating along the run (0 = the first evaluated network)
        self.best_eval_score = -1.0
        self.best_eval_iteration = 0
        self.previous_snapshot: dict[str, torch.Tensor] | None = None
        self.history: list[dict[str, float]] = []
        # Progress of an unfinished self-play phase (see self_play_phase), saved with checkpoints.
        self.selfplay_partial: dict[str, Any] | None = None
        # Self-play actors (arena.alphazero.actors) when the run has them; train() starts them.
        self.actors: Any = None

    # ------------------------------------------------------------------ pieces
    def make_env(self) -> Any:
        return arena.make(self.config.game, **self.config.game_kwargs)

    def _new_network(self) -> torch.nn.Module:
        c = self.config
        return build_network(self.game, c.blocks, c.channels, c.value_hidden,
                             reply_head=c.reply_target_weight > 0).to(self.device)

    def _warm_start(self, path: str) -> None:
        """Load initial weights from an Arena model file (or a training checkpoint's current model).

        Only the weights: optimiser, replay buffer and counters start fresh (use ``--resume`` to
        continue a run as it was)."""
        record = load_model_record(path)
        c = self.config
        if record["game"] != c.game or dict(record.get("game_kwargs", {})) != dict(c.game_kwargs):
            raise ConfigError(f"init_from: {path} is a model for {record['game']} {record.get('game_kwargs', {})}, "
                              f"not for {c.game} {c.game_kwargs}")
        trunk = {k: v for k, v in self.network_shape.items() if k != "reply_head"}
        if {k: v for k, v in dict(record["network"]).items() if k != "reply_head"} != trunk:
            raise ConfigError(f"init_from: {path} has network {record['network']}, but the config asks for "
                              f"{self.network_shape}; set blocks/channels/value_hidden to match")
        # A reply head the file lacks starts fresh; one the config does not want is dropped.
        weights = {k: v for k, v in record["model"].items()
                   if not k.startswith("reply_head.") or self.model.reply_head is not None}
        missing, unexpected = self.model.load_state_dict(weights, strict=False)
        if unexpected or any(not k.startswith("reply_head.") for k in missing):
            raise ConfigError(f"init_from: {path}: weights do not fit the network "
                              f"(missing {missing[:3]}, unexpected {unexpected[:3]})")

    def search_params(self, simulations: int | None = None) -> SearchParams:
        c = self.config
        return SearchParams(num_simulations=simulations or c.num_simulations, c_puct=c.c_puct,
                            dirichlet_alpha=c.dirichlet_alpha, dirichlet_weight=c.dirichlet_weight,
                            solver=c.solver, forced_playouts_k=c.forced_playouts_k if c.forced_playouts else 0.0)

    def evaluator(self, model: torch.nn.Module) -> NetworkEvaluator:
        return NetworkEvaluator(self.game, model, self.device, amp=self.config.amp)

    @property
    def network_shape(self) -> dict[str, int]:
        c = self.config
        shape = {"blocks": c.blocks, "channels": c.channels, "value_hidden": c.value_hidden}
        if c.reply_target_weight > 0:
            shape["reply_head"] = 1
        return shape

    # ------------------------------------------------------------------ 1-2. self-play into replay
    def self_play_phase(self, num_games: int, on_move: Callable[[int, int], None] | None = None,
                        on_checkpoint: Callable[[], None] | None = None) -> SelfPlayData:
        """Self-play into the replay buffer. With ``on_checkpoint`` the phase's progress is kept in
        ``self.selfplay_partial`` every ``checkpoint_seconds`` and ``on_checkpoint()`` is called (the
        trainer's caller saves then), so a kill loses at most that much self-play; a checkpoint
        holding a partial phase resumes it. With ``self.actors`` (started by :func:`train`) the
        games are played by the actors instead (no checkpoints inside the phase), except that a
        partial phase saved by the single-process path is finished here first."""
        c = self.config
        if self.actors is not None and self.selfplay_partial is None:
            return self._actor_phase(num_games, on_move)
        resume, self.selfplay_partial = self.selfplay_partial, None

        def keep(snapshot: dict[str, Any]) -> None:
            self.selfplay_partial = snapshot
            if on_checkpoint is not None:
                on_checkpoint()

        data = self_play(self.game, self.evaluator(self.best_model), self.search_params(), num_games,
                         batch_size=c.selfplay_batch, temperature_moves=c.temperature_moves, rng=self.rng,
                         reuse_tree=c.reuse_tree, on_move=on_move,
                         checkpoint_seconds=c.checkpoint_seconds if on_checkpoint is not None else 0.0,
                         on_checkpoint=keep if on_checkpoint is not None else None, resume=resume,
                         full_search_fraction=c.full_search_fraction if c.playout_cap_randomisation else 1.0,
                         fast_simulations=c.fast_playouts, prune_policy=c.policy_target_pruning,
                         fork_rate=c.fork_rate)
        self.selfplay_partial = None  # the phase is over: its positions go into the replay buffer now
        self._add_selfplay(data)
        return data

    def _actor_phase(self, num_games: int, on_move: Callable[[int, int], None] | None) -> SelfPlayData:
        """Self-play on the actors: the player network's weights go to every actor, each plays its
        share of the games seeded by (seed, iteration, actor), the data merge in actor order."""
        from arena.alphazero.actors import game_shares, merge

        start = time.perf_counter()
        parts = self.actors.play(self.best_model.state_dict(), self.iteration,
                                 game_shares(num_games, len(self.actors)), on_move)
        data = merge(parts, time.perf_counter() - start)
        self._add_selfplay(data)
        return data

    def _add_selfplay(self, data: SelfPlayData) -> None:
        c = self.config
        arrays = (data.planes, data.pi, data.z) + ((data.pi_next, data.has_next) if self.replay.reply else ())
        if c.augment:
            arrays = augment(self.game, *arrays)
        self.replay.add(*arrays)
        self.games_played += data.games
        self.positions_played += data.positions

    # ------------------------------------------------------------------ 3. train
    def train_phase(self, steps: int) -> dict[str, float]:
        c = self.config
        if len(self.replay) < max(c.min_replay, 1) or steps <= 0:
            return {}
        self.model.train()
        totals: dict[str, float] = {}
        for _ in range(steps):
            planes, pi, z, *reply = self.replay.sample(min(c.batch_size, len(self.replay)), self.rng)
            x = torch.from_numpy(planes).to(self.device)
            target_pi = torch.from_numpy(pi).to(self.device)
            target_z = torch.from_numpy(z).to(self.device)
            with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=c.amp and self.device.type == "cuda"):
                if reply:
                    logits, value, reply_logits = self.model.forward_with_reply(x)
                else:
                    logits, value = self.model(x)
            if reply:
                loss, parts = alphazero_loss(logits, value, target_pi, target_z, self.model, c.l2,
                                             reply_logits=reply_logits,
                                             target_next=torch.from_numpy(reply[0]).to(self.device),
                                             has_next=torch.from_numpy(reply[1]).to(self.device),
                                             reply_weight=c.reply_target_weight)
            else:
                loss, parts = alphazero_loss(logits, value, target_pi, target_z, self.model, c.l2)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            self.gradient_steps += 1
            for k, v in parts.items():
                totals[k] = totals.get(k, 0.0) + v
        self.model.eval()
        return {k: v / steps for k, v in totals.items()}

    # ------------------------------------------------------------------ 4. gating
    def gate(self) -> dict[str, float]:
        """AlphaGo Zero: the trained network replaces the best one if it scores above the threshold."""
        c = self.config
        score = play_network_match(self.game, self.evaluator(self.model), self.evaluator(self.best_model),
                                   c.gating_games, self.search_params(c.gating_simulations or None), rng=self.rng)
        accepted = score.score > c.gating_threshold
        if accepted:
            self.best_model.load_state_dict(self.model.state_dict())
        return {"gating_score": score.score, "gating_accepted": float(accepted)}

    # ------------------------------------------------------------------ 5. evaluation
    def evaluate(self) -> dict[str, float]:
        """Matches of the player network against pure MCTS (each configured playout count) and
        against the previous evaluation's snapshot; updates the Elo-style rating."""
        from arena import bots
        from arena.alphazero.bot import AlphaZeroBot

        c = self.config
        sims = c.eval_simulations or c.num_simulations
        player = self.best_model
        metrics: dict[str, float] = {}
        for playouts in c.eval_mcts_playouts:
            me = AlphaZeroBot(self.game, copy.deepcopy(player).cpu(), simulations=sims, c_puct=c.c_puct, device="cpu",
                              solver=c.solver, seed=int(self.rng.integers(1 << 31)))
            opponent = bots.make(f"mcts:{int(playouts)}", self.make_env(), seed=int(self.rng.integers(1 << 31)))
            score = play_bot_match(self.make_env, me, opponent, c.eval_games, seed=int(self.rng.integers(1 << 31)))
            metrics[f"win_rate_vs_mcts{playouts}"] = score.score
            metrics[f"elo_vs_mcts{playouts}"] = elo_difference(score.score, score.games)
        if c.eval_previous and self.previous_snapshot is not None:
            previous = self._new_network()
            previous.load_state_dict(self.previous_snapshot)
            score: MatchScore = play_network_match(self.game, self.evaluator(player), self.evaluator(previous),
                                                   c.eval_games, self.search_params(sims), rng=self.rng)
            metrics["win_rate_vs_previous"] = score.score
            self.elo += elo_difference(score.score, score.games)
        metrics["elo"] = self.elo
        self.previous_snapshot = {k: v.detach().cpu().clone() for k, v in player.state_dict().items()}
        headline = [v for k, v in metrics.items() if k.startswith("win_rate_vs_mcts")]
        if headline and min(headline) >= self.best_eval_score:
            self.best_eval_score = min(headline)
            self.best_eval_iteration = self.iteration
        return metrics

    # ------------------------------------------------------------------ one iteration
    def run_iteration(self, on_move: Callable[[int, int], None] | None = None,
                      on_checkpoint: Callable[[], None] | None = None) -> dict[str, float]:
        c = self.config
        start = time.perf_counter()
        data = self.self_play_phase(c.games_per_iteration, on_move, on_checkpoint)
        selfplay_seconds = time.perf_counter() - start
        metrics: dict[str, float] = {
            "games": float(data.games), "positions": float(data.positions),
            "positions_per_second": data.positions / max(selfplay_seconds, 1e-9),
            "first_player_win_rate": data.first_player_wins / max(1, data.games),
            "draw_rate": data.draws / max(1, data.games), "game_length": data.mean_length,
            **({"fork_games": float(data.forks)} if c.fork_rate > 0 else {}),
            "replay_size": float(len(self.replay)),
        }
        metrics.update(self.train_phase(c.train_steps))
        self.iteration += 1
        if c.mode == "gating" and self.gradient_steps > 0:
            metrics.update(self.gate())
        if c.eval_every > 0 and self.iteration % c.eval_every == 0:
            metrics.update(self.evaluate())
        self.seconds += time.perf_counter() - start
        metrics.update({"iteration": float(self.iteration), "total_games": float(self.games_played),
                        "gradient_steps": float(self.gradient_steps), "seconds": self.seconds})
        self.history.append(metrics)
        return metrics

    # ------------------------------------------------------------------ checkpoints
    def model_file(self, which: str = "best") -> dict[str, Any]:
        model = self.best_model if which == "best" else self.model
        return model_record(self.config.game, self.config.game_kwargs, self.network_shape, model.state_dict(),
                            iteration=self.iteration, games=self.games_played,
                            playouts=self.config.num_simulations, c_puct=self.config.c_puct,
                            seconds=round(self.seconds, 1))

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume: tensors and plain values only (``weights_only`` loads it)."""
        return {
            "format": TRAINING_FORMAT, "version": 1, "config": self.config.to_dict(),
            "model": self.model.state_dict(), "best_model": self.best_model.state_dict(),
            "optimizer": self.optimizer.state_dict(), "replay": self.replay.state_dict(),
            "numpy_rng": json.dumps(self.rng.bit_generator.state), "torch_rng": torch.get_rng_state(),
            "python_rng": json.dumps(random.getstate()),
            "counters": {"iteration": self.iteration, "games_played": self.games_played,
                         "positions_played": self.positions_played, "gradient_steps": self.gradient_steps,
                         "seconds": self.seconds, "elo": self.elo, "best_eval_score": self.best_eval_score,
                         "best_eval_iteration": self.best_eval_iteration},
            "previous_snapshot": self.previous_snapshot, "history": self.history,
            "latest_model": self.model_file("latest"),
            "selfplay_partial": self.selfplay_partial,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("format") != TRAINING_FORMAT:
            raise CheckpointError(f"not a training checkpoint (format {state.get('format')!r})")
        saved = state["config"]
        for key in ("game", "game_kwargs", "blocks", "channels", "value_hidden"):
            if saved.get(key) != getattr(self.config, key):
                raise CheckpointError(f"the checkpoint was trained with {key}={saved.get(key)!r} but the config "
                                      f"says {getattr(self.config, key)!r}; use the run's own config to resume")
        self.model.load_state_dict(state["model"])
        self.best_model.load_state_dict(state["best_model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.replay.load_state_dict(state["replay"])
        self.rng.bit_generator.state = json.loads(state["numpy_rng"])
        torch.set_rng_state(state["torch_rng"])
        py_state = json.loads(state["python_rng"])
        random.setstate((py_state[0], tuple(py_state[1]), py_state[2]))
        counters = state["counters"]
        self.iteration = int(counters["iteration"])
        self.games_played = int(counters["games_played"])
        self.positions_played = int(counters["positions_played"])
        self.gradient_steps = int(counters["gradient_steps"])
        self.seconds = float(counters["seconds"])
        self.elo = float(counters["elo"])
        self.best_eval_score = float(counters["best_eval_score"])
        self.best_eval_iteration = int(counters["best_eval_iteration"])
        self.previous_snapshot = state["previous_snapshot"]
        self.history = list(state["history"])
        self.selfplay_partial = state.get("selfplay_partial")

    def save(self, out_dir: str | Path, *, models: bool = True) -> None:
        """Write the training state and the model files atomically (see the module docstring);
        ``models=False`` writes only ``checkpoint.pt`` (checkpoints inside a self-play phase)."""
        out = Path(out_dir)
        save_atomic(self.state_dict(), out / "checkpoint.pt")
        if not models:
            return
        save_atomic(self.model_file("latest"), out / "latest.pt")
        c = self.config
        if c.mode == "gating" or self.best_eval_iteration in (0, self.iteration) or not (out / "best.pt").exists():
            # Gating: the best network; continuous: the network with the best evaluation so far.
            save_atomic(self.model_file("best"), out / "best.pt")
        if c.snapshot_every > 0 and self.iteration % c.snapshot_every == 0:
            save_atomic(self.model_file("best"), out / f"iter_{self.iteration:04d}.pt")

    def resume(self, out_dir: str | Path) -> bool:
        """Load ``OUT/checkpoint.pt`` when it exists; returns whether it did."""
        path = Path(out_dir) / "checkpoint.pt"
        if not path.exists():
            return False
        self.load_state_dict(load_safely(path))
        return True


# ---------------------------------------------------------------------------- the run
def _scalar_logger(out_dir: Path, enabled: bool) -> Any:
    if not enabled:
        return None
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # tensorboard is optional
        return None
    return SummaryWriter(str(out_dir / "tb"))


def train(config: AlphaZeroConfig, out_dir: str | Path, *, resume: bool = False, show_progress: bool = True,
          print_fn: Callable[[str], None] = print, address: str | None = None) -> AlphaZeroTrainer:
    """Run (or resume) training into ``out_dir`` until ``config.iterations`` or the time limit.

    With ``config.actors > 1`` (or ``backend: ray``) self-play runs on actors
    (:mod:`arena.alphazero.actors`; ``address`` names the Ray cluster) and checkpoints are written
    at iteration boundaries only."""
    from arena.alphazero.actors import start_actors, uses_actors

    if address is not None and config.backend != "ray":
        raise ValueError("--address applies to --backend ray only")
    out = Path(out_dir)
    checkpoint = out / "checkpoint.pt"
    if checkpoint.exists() and not resume:
        raise ValueError(f"{out} already holds a training run: pass --resume to continue it, or choose a new --out")
    trainer = AlphaZeroTrainer(config)  # fails (device, game) before anything is written
    out.mkdir(parents=True, exist_ok=True)
    if resume and trainer.resume(out):
        partial = trainer.selfplay_partial
        inside = (f", {int(partial['finished'])} of iteration {trainer.iteration + 1}'s games already played"
                  if partial is not None else "")
        print_fn(f"resumed {out} at iteration {trainer.iteration} ({trainer.games_played} games{inside})")
    (out / "config.yaml").write_text(_yaml_dump(config.to_dict()))
    if uses_actors(config):
        trainer.actors = start_actors(config, address)
        print_fn(f"self-play on {len(trainer.actors)} {config.backend} actors")
    try:
        return _train_loop(trainer, config, out, show_progress, print_fn)
    finally:
        if trainer.actors is not None:
            trainer.actors.close()
            trainer.actors = None


def _train_loop(trainer: AlphaZeroTrainer, config: AlphaZeroConfig, out: Path, show_progress: bool,
                print_fn: Callable[[str], None]) -> AlphaZeroTrainer:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    writer = _scalar_logger(out, config.tensorboard)
    deadline = time.monotonic() + config.time_limit_minutes * 60 if config.time_limit_minutes > 0 else None
    console = Console(stderr=True)
    latest: dict[str, float] = {}
    with Progress(TextColumn("[bold]iter {task.completed}/{task.total}"), BarColumn(),
                  TextColumn("{task.fields[status]}"), TimeElapsedColumn(), console=console,
                  disable=not show_progress) as progress:
        task = progress.add_task("train", total=config.iterations, completed=trainer.iteration, status="")
        while trainer.iteration < config.iterations:
            if deadline is not None and time.monotonic() > deadline:
                print_fn(f"time limit of {config.time_limit_minutes} minutes reached")
                break
            t0 = time.perf_counter()

            def on_move(positions: int, finished: int, t0: float = t0) -> None:
                rate = positions / max(time.perf_counter() - t0, 1e-9)
                progress.update(task, status=_status(finished, config.games_per_iteration, rate, latest, positions))

            metrics = trainer.run_iteration(on_move, on_checkpoint=lambda: trainer.save(out, models=False))
            latest.update(metrics)
            trainer.save(out)
            with open(out / "log.jsonl", "a") as log:
                log.write(json.dumps({k: round(v, 5) for k, v in metrics.items()}) + "\n")
            if writer is not None:
                for k, v in metrics.items():
                    writer.add_scalar(f"alphazero/{k}", v, trainer.iteration)
                writer.flush()
            progress.update(task, completed=trainer.iteration,
                            status=_status(config.games_per_iteration, config.games_per_iteration,
                                           metrics["positions_per_second"], latest, int(metrics["positions"])))
            if not show_progress:
                print_fn(_summary(metrics))
    if writer is not None:
        writer.close()
    return trainer


def _status(finished: int, total: int, rate: float, latest: dict[str, float], positions: int = 0) -> str:
    """The progress bar's text, updated after every move inside an iteration: games finished of
    the iteration's, positions played so far, their rate, and the latest loss and win rates."""
    parts = [f"games {finished}/{total}", f"positions {positions}", f"{rate:.0f} pos/s"]
    if "loss" in latest:
        parts.append(f"loss {latest['loss']:.3f}")
    parts += [f"{k.removeprefix('win_rate_')} {v:.2f}" for k, v in latest.items() if k.startswith("win_rate_")]
    return "  ".join(parts)


def _summary(metrics: dict[str, float]) -> str:
    keys = ["iteration", "total_games", "positions_per_second", "loss", "value_loss", "policy_loss",
            "gating_score", "elo"]
    parts = [f"{k}={metrics[k]:.4g}" for k in keys if k in metrics]
    parts += [f"{k}={v:.3f}" for k, v in metrics.items() if k.startswith("win_rate_")]
    return " ".join(parts)


def _yaml_dump(values: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump(values, sort_keys=False)
