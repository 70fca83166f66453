"""AlphaZero behind the league's :class:`arena.learner.Learner` interface.

``learn(make_env, opponents, steps)`` plays ``steps`` self-play games (AlphaZero trains by
self-play, so ``opponents`` are ignored) and then trains ``train_steps`` gradient steps.
:func:`tiny_config` is a configuration small enough for a connect-four league on 2 CPU cores.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

from arena.alphazero.config import AlphaZeroConfig
from arena.bots import Bot, game_of


def tiny_config(game: str = "connect_four", **changes: Any) -> AlphaZeroConfig:
    """2 blocks x 32 channels, 50 playouts, small replay: a few seconds per game on a CPU core."""
    values = dict(game=game, blocks=2, channels=32, num_simulations=50, selfplay_batch=16,
                  games_per_iteration=16, replay_capacity=20000, batch_size=128, train_steps=20,
                  min_replay=128, temperature_moves=8, eval_every=0, tensorboard=False, threads=1,
                  mode="continuous", snapshot_every=0)
    values.update(changes)
    return AlphaZeroConfig.from_dict(values)


class AlphaZeroLearner:
    """A league-drivable AlphaZero agent (see :class:`arena.learner.Learner`)."""

    def __init__(self, config: AlphaZeroConfig | None = None, *, name: str = "alphazero",
                 bot_simulations: int | None = None) -> None:
        from arena.alphazero.trainer import AlphaZeroTrainer

        self.name = name
        self.config = config if config is not None else tiny_config()
        self.trainer = AlphaZeroTrainer(self.config)
        self.bot_simulations = bot_simulations

    def learn(self, make_env: Callable[[], Any], opponents: Sequence[Bot], steps: int) -> dict[str, float]:
        """``steps`` self-play games, then ``train_steps`` Adam steps; returns loss and game stats."""
        game = game_of(make_env())
        if (game.num_actions != self.trainer.game.num_actions
                or tuple(game.observation_shape) != tuple(self.trainer.game.observation_shape)):
            raise ValueError(f"this learner trains {self.trainer.game!r}, not {game!r}")
        data = self.trainer.self_play_phase(max(1, int(steps)))
        metrics = self.trainer.train_phase(self.config.train_steps)
        metrics.update({"games": float(data.games), "positions": float(data.positions),
                        "draw_rate": data.draws / max(1, data.games),
                        "positions_per_second": data.positions / max(data.seconds, 1e-9)})
        return metrics

    def bot(self, env: Any, *, seed: int | None = None) -> Bot:
        """A frozen player: a deep copy of the current network searching on the CPU."""
        from arena.alphazero.bot import AlphaZeroBot

        game = game_of(env)
        sims = self.bot_simulations or self.config.num_simulations
        return AlphaZeroBot(game, copy.deepcopy(self.trainer.model).cpu(), simulations=sims,
                            c_puct=self.config.c_puct, device="cpu", seed=seed, name=self.name, env=env)

    def state_dict(self) -> dict[str, Any]:
        return {"name": self.name, "trainer": self.trainer.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.name = str(state.get("name", self.name))
        self.trainer.load_state_dict(state["trainer"])

    def clone(self) -> AlphaZeroLearner:
        twin = AlphaZeroLearner(copy.deepcopy(self.config), name=self.name, bot_simulations=self.bot_simulations)
        twin.load_state_dict(copy.deepcopy(self.state_dict()))
        return twin

    @property
    def hyperparameters(self) -> dict[str, float]:
        c = self.config
        return {"lr": c.lr, "c_puct": c.c_puct, "l2": c.l2, "dirichlet_alpha": c.dirichlet_alpha,
                "dirichlet_weight": c.dirichlet_weight}

    def set_hyperparameters(self, values: dict[str, float]) -> None:
        unknown = set(values) - set(self.hyperparameters)
        if unknown:
            raise ValueError(f"unknown AlphaZero hyperparameters {sorted(unknown)}; "
                             f"tunable: {sorted(self.hyperparameters)}")
        self.config = self.config.replace(**{k: float(v) for k, v in values.items()})
        self.trainer.config = self.config
        for group in self.trainer.optimizer.param_groups:
            group["lr"] = self.config.lr
