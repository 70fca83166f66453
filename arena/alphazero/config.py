"""Every AlphaZero hyperparameter in one typed dataclass, with its default and why.

Defaults follow the book's gomoku column (SPEC section 3: c_puct 5, 400 playouts, batch 512,
Adam lr 1e-3, Dirichlet alpha 0.3, noise weight 0.25, tau = 1 for the first 12 moves) with a
network scaled down for small boards. ``AlphaZeroConfig.from_dict`` / ``load_config`` reject an
unknown or badly typed field with one message naming it.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A bad configuration field; the message names the field and says how to fix it."""


@dataclass
class AlphaZeroConfig:
    # ---------------------------------------------------------------- game
    game: str = "connect_four"  # registered board game (arena.make name)
    game_kwargs: dict[str, Any] = field(default_factory=dict)  # e.g. {size: 6, n_in_row: 4} for gomoku

    # ---------------------------------------------------------------- network
    blocks: int = 2  # residual blocks in the trunk (the book's 19-39 is for 19x19 Go)
    channels: int = 32  # convolution channels
    value_hidden: int = 64  # width of the value head's hidden layer

    # ---------------------------------------------------------------- search (self-play)
    num_simulations: int = 400  # playouts per move (book: 400 for gomoku)
    c_puct: float = 5.0  # PUCT exploration constant
    dirichlet_alpha: float = 0.3  # root noise Dir(alpha); ~10 / typical number of legal moves
    dirichlet_weight: float = 0.25  # P = (1 - eps) p + eps Dir(alpha) at the root
    temperature_moves: int = 12  # tau = 1 for this many moves of each game, then tau -> 0
    selfplay_batch: int = 64  # games advancing in lockstep; one network call evaluates their leaves
    games_per_iteration: int = 64  # self-play games between two training phases
    reuse_tree: bool = True  # keep the chosen child's subtree as the next root
    fork_rate: float = 0.0  # chance a move after the opening forks the game: a copy plays another move (selfplay.py)
    solver: bool = True  # MCTS-Solver in the search: proven wins are played, proven losses never (exact)

    # ---------------------------------------------------------------- KataGo's sample efficiency
    playout_cap_randomisation: bool = False  # a share of moves get the full budget and are recorded
    full_search_fraction: float = 0.25  # share of full searches (KataGo: 0.25)
    fast_simulations: int = 0  # playouts of the other, unrecorded moves (0: num_simulations // 6, KataGo 100/600)
    forced_playouts: bool = False  # each visited root child gets >= sqrt(k P sum N) playouts (noised roots)
    forced_playouts_k: float = 2.0  # k of the forced playouts (KataGo: 2)
    policy_target_pruning: bool = True  # take the forced playouts back out of the policy target
    reply_target_weight: float = 0.0  # > 0: a head predicting the opponent's reply policy, this weight in the loss

    # ---------------------------------------------------------------- training
    replay_capacity: int = 20000  # positions kept (after symmetry augmentation)
    augment: bool = True  # 8 symmetries on square boards, mirror on gravity boards
    batch_size: int = 512  # positions per gradient step (book: 512)
    train_steps: int = 100  # gradient steps per iteration
    min_replay: int = 512  # wait for this many positions before the first update
    lr: float = 1e-3  # Adam learning rate
    l2: float = 1e-4  # c in the loss term c * ||theta||^2
    amp: bool = False  # mixed precision (bfloat16 autocast) on CUDA

    # ---------------------------------------------------------------- improvement
    mode: str = "continuous"  # "continuous" (AlphaZero) or "gating" (AlphaGo Zero)
    gating_games: int = 400  # evaluation games candidate vs best (book: 400)
    gating_threshold: float = 0.55  # the candidate replaces the best above this win rate
    gating_simulations: int = 0  # playouts per move in gating games (0: num_simulations)

    # ---------------------------------------------------------------- evaluation / monitoring
    eval_every: int = 5  # iterations between evaluations (0: never)
    eval_games: int = 10  # games per opponent per evaluation
    eval_mcts_playouts: list[int] = field(default_factory=lambda: [1000])  # pure-MCTS opponents
    eval_simulations: int = 0  # playouts per move of the evaluated net (0: num_simulations)
    eval_previous: bool = True  # also play the previous evaluation's snapshot (Elo-style curve)
    tensorboard: bool = True  # write scalars under OUT/tb

    # ---------------------------------------------------------------- run
    iterations: int = 100  # self-play + training iterations
    time_limit_minutes: float = 0.0  # stop after this wall time (0: no limit)
    checkpoint_seconds: float = 120.0  # also checkpoint inside a self-play phase this often (0: per iteration only)
    device: str = "auto"  # "auto" (cuda when available), "cpu" or "cuda"
    seed: int = 0  # RNG seed for numpy, torch and self-play
    threads: int = 1  # torch CPU threads (0: torch default = all cores; on a busy machine spinning
    # intra-op threads made tic-tac-toe's first iteration 15x slower: 170 s vs 11 s, docs/alphazero.md)
    snapshot_every: int = 10  # keep OUT/iter_NNNN.pt every this many iterations (0: never)
    init_from: str = ""  # warm start: initial weights from this model file or checkpoint ("": random init)
    actors: int = 1  # self-play actors (1: in the trainer process; N: N processes feeding it, docs/distributed.md)
    backend: str = "local"  # where the actors run: "local" (processes) or "ray" (Ray actors)

    def __post_init__(self) -> None:
        self.validate()

    # ------------------------------------------------------------------ validation
    def validate(self) -> None:
        """Raise :class:`ConfigError` naming the first bad field."""
        positive = ["blocks", "channels", "value_hidden", "num_simulations", "selfplay_batch",
                    "games_per_iteration", "replay_capacity", "batch_size", "iterations", "eval_games", "actors"]
        for name in positive:
            if getattr(self, name) < 1:
                raise ConfigError(f"config field '{name}' must be >= 1, got {getattr(self, name)}")
        non_negative = ["fast_simulations", "forced_playouts_k", "temperature_moves", "train_steps", "min_replay", "gating_simulations",
                        "eval_every", "eval_simulations", "time_limit_minutes", "checkpoint_seconds", "threads", "snapshot_every",
                        "l2", "reply_target_weight"]
        for name in non_negative:
            if getattr(self, name) < 0:
                raise ConfigError(f"config field '{name}' must be >= 0, got {getattr(self, name)}")
        for name in ["c_puct", "dirichlet_alpha", "lr"]:
            if not getattr(self, name) > 0:
                raise ConfigError(f"config field '{name}' must be > 0, got {getattr(self, name)}")
        if not 0 <= self.dirichlet_weight <= 1:
            raise ConfigError(f"config field 'dirichlet_weight' must be in [0, 1], got {self.dirichlet_weight}")
        if not 0 <= self.fork_rate < 1:
            raise ConfigError(f"config field 'fork_rate' must be in [0, 1), got {self.fork_rate}")
        if not 0 < self.full_search_fraction <= 1:
            raise ConfigError(f"config field 'full_search_fraction' must be in (0, 1], got {self.full_search_fraction}")
        if self.fast_simulations > self.num_simulations:
            raise ConfigError(f"config field 'fast_simulations' ({self.fast_simulations}) must not exceed "
                              f"'num_simulations' ({self.num_simulations})")
        if not 0 < self.gating_threshold < 1:
            raise ConfigError(f"config field 'gating_threshold' must be in (0, 1), got {self.gating_threshold}")
        if self.mode not in ("continuous", "gating"):
            raise ConfigError(f"config field 'mode' must be 'continuous' or 'gating', got {self.mode!r}")
        if self.backend not in ("local", "ray"):
            raise ConfigError(f"config field 'backend' must be 'local' or 'ray', got {self.backend!r}")
        if self.device not in ("auto", "cpu", "cuda") and not str(self.device).startswith("cuda:"):
            raise ConfigError(f"config field 'device' must be 'auto', 'cpu' or 'cuda', got {self.device!r}")
        if any(int(p) < 1 for p in self.eval_mcts_playouts):
            raise ConfigError(f"config field 'eval_mcts_playouts' must list positive playouts, got {self.eval_mcts_playouts}")
        if self.batch_size > self.replay_capacity:
            raise ConfigError(f"config field 'batch_size' ({self.batch_size}) must not exceed "
                              f"'replay_capacity' ({self.replay_capacity})")

    # ------------------------------------------------------------------ conversion
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any], *, source: str = "config") -> AlphaZeroConfig:
        """Build from plain values, checking names and types (ints are accepted for floats)."""
        if not isinstance(values, dict):
            raise ConfigError(f"{source} must be a mapping of field: value, got {type(values).__name__}")
        hints = typing.get_type_hints(cls)
        names = [f.name for f in dataclasses.fields(cls)]
        clean: dict[str, Any] = {}
        for key, value in values.items():
            if key not in names:
                close = difflib.get_close_matches(str(key), names, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                raise ConfigError(f"{source}: unknown field '{key}'{hint}")
            clean[key] = _check_type(key, value, hints[key], source)
        try:
            return cls(**clean)
        except ConfigError as exc:
            raise ConfigError(f"{source}: {exc}") from None

    @property
    def fast_playouts(self) -> int:
        """Playouts of a fast (unrecorded) search under playout cap randomisation."""
        return self.fast_simulations or max(1, self.num_simulations // 6)

    def replace(self, **changes: Any) -> AlphaZeroConfig:
        return AlphaZeroConfig.from_dict({**self.to_dict(), **changes})


def _check_type(name: str, value: Any, hint: Any, source: str) -> Any:
    origin = typing.get_origin(hint)
    bad = ConfigError(f"{source}: field '{name}' must be {_describe(hint)}, got {value!r}")
    if hint is bool:
        if not isinstance(value, bool):
            raise bad
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise bad
        return value
    if origin is list:
        (item,) = typing.get_args(hint)
        if not isinstance(value, list):
            raise bad
        return [_check_type(f"{name}[{i}]", v, item, source) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise bad
        return dict(value)
    if isinstance(hint, types.UnionType):
        return value
    return value


def _describe(hint: Any) -> str:
    if hint is bool:
        return "true or false"
    if hint is int:
        return "an integer"
    if hint is float:
        return "a number"
    if hint is str:
        return "a string"
    origin = typing.get_origin(hint)
    if origin is list:
        return f"a list of {_describe(typing.get_args(hint)[0])}s"
    if origin is dict:
        return "a mapping"
    return str(hint)


def load_config(path: str | Path | None, **overrides: Any) -> AlphaZeroConfig:
    """Read a YAML config (Arena's safe YAML reader: no code runs) and apply ``overrides``
    (``None`` values are ignored)."""
    values: dict[str, Any] = {}
    source = "config"
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"config file {p} does not exist")
        from arena.config_input import read_yaml_file

        try:  # Arena's YAML reader: 3e-4 and .5 are numbers; binary files are one line
            loaded = read_yaml_file(p, "config file")
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"{p} must hold a mapping of field: value, got {type(loaded).__name__}")
        values.update(loaded)
        source = str(p)
    values.update({k: v for k, v in overrides.items() if v is not None})
    return AlphaZeroConfig.from_dict(values, source=source)
