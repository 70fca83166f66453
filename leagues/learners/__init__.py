"""Learner kinds a league recipe can name, each built from a plain config dict.

* ``softmax`` -- :class:`leagues.learners.softmax.SoftmaxLearner`, a mixed strategy trained by
  REINFORCE (matrix-like games, tests);
* ``alphazero`` -- :class:`arena.alphazero.learner.AlphaZeroLearner` (board games);
* ``ppo`` -- :class:`arena.marl.ppo.PPOLearner` (simultaneous-move games: rock-paper-scissors,
  mpe2, the 2-D games);
* ``maddpg`` -- :class:`arena.marl.maddpg_learner.MADDPGLearner` (simultaneous-move ParallelEnvs
  with Box observations: mpe2, e.g. ``simple_tag_v3`` predators vs prey).

Checkpoints name their learner kind; :func:`make_learner` is the only way a checkpoint turns
back into code, so a checkpoint can never ask to import an arbitrary module.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from arena.learner import Learner


def _softmax(config: dict[str, Any]) -> Learner:
    from leagues.learners.softmax import SoftmaxConfig, SoftmaxLearner

    fields = {f.name for f in dataclasses.fields(SoftmaxConfig)}
    unknown = sorted(set(config) - fields)
    if unknown:
        raise ValueError(f"softmax learner: unknown config field '{unknown[0]}' (valid: {', '.join(sorted(fields))})")
    return SoftmaxLearner(SoftmaxConfig(**config))


def _alphazero(config: dict[str, Any]) -> Learner:
    """AlphaZero; fields left out of ``config`` take :func:`arena.alphazero.learner.tiny_config` values."""
    try:
        from arena.alphazero.learner import AlphaZeroLearner, tiny_config
    except ModuleNotFoundError as exc:
        raise ValueError(f"the alphazero learner is not available in this install ({exc})") from None
    return AlphaZeroLearner(tiny_config(**config))


def _ppo(config: dict[str, Any]) -> Learner:
    """PPO for simultaneous-move games (:mod:`arena.marl.ppo`); ``config`` holds ``PPOConfig`` fields."""
    try:
        from arena.marl.ppo import make_ppo_learner
    except ModuleNotFoundError as exc:
        raise ValueError(f"the ppo learner is not available in this install ({exc})") from None
    return make_ppo_learner(config)


def _maddpg(config: dict[str, Any]) -> Learner:
    """MADDPG for simultaneous-move games (:mod:`arena.marl.maddpg_learner`); ``config`` holds
    ``MADDPGConfig`` fields (``critic_scope`` defaults to ``team``) and ``side_choice``."""
    try:
        from arena.marl.maddpg_learner import make_maddpg_learner
    except ModuleNotFoundError as exc:
        raise ValueError(f"the maddpg learner is not available in this install ({exc})") from None
    return make_maddpg_learner(config)


LEARNERS: dict[str, Callable[[dict[str, Any]], Learner]] = {
    "softmax": _softmax,
    "alphazero": _alphazero,
    "ppo": _ppo,
    "maddpg": _maddpg,
}


# Learners that must be told which game they play (their config has game/game_kwargs fields).
GAME_AWARE = {"alphazero"}


def league_config(kind: str, config: dict[str, Any], game: str, game_kwargs: dict[str, Any]) -> dict[str, Any]:
    """The config a league stores for an agent: the recipe's, plus the game where the learner needs it."""
    out = dict(config)
    if kind == "softmax" and "num_actions" not in out:
        # A mixed strategy over the game's own actions (rock-paper-scissors: 3, tic-tac-toe: 9).
        import arena

        env = arena.make(game, **game_kwargs)
        space = env.action_space(env.possible_agents[0])
        if hasattr(space, "n"):
            out["num_actions"] = int(space.n)
        env.close()
    if kind in GAME_AWARE:
        out.setdefault("game", game)
        out.setdefault("game_kwargs", dict(game_kwargs))
    return out


def check_learner_fits(kind: str, env: Any, game: str) -> None:
    """A one-line ``ValueError`` when learner ``kind`` cannot train on ``env`` (built from ``game``),
    saying what to use instead; before a league starts, not as a traceback in the middle of it."""
    turn_based = hasattr(env, "agent_iter")
    if kind in ("ppo", "maddpg") and turn_based:
        raise ValueError(f"the {kind} learner trains simultaneous-move (Parallel) games and '{game}' is turn-based "
                         "(AEC); use the alphazero learner for turn-based games")
    if kind == "alphazero":
        if not turn_based:
            raise ValueError(f"the alphazero learner trains turn-based (AEC) games and '{game}' is a "
                             "simultaneous-move game; use ppo or maddpg")
        from arena.bots import BotSpecError, game_of

        try:
            game_of(env)
        except BotSpecError as exc:
            raise ValueError(f"the alphazero learner cannot train on '{game}': {exc}") from None
    if kind == "softmax":
        from gymnasium import spaces

        agents = list(env.possible_agents)
        sizes = {getattr(env.action_space(a), "n", None) for a in agents}
        if any(not isinstance(env.action_space(a), spaces.Discrete) for a in agents) or len(sizes) != 1:
            raise ValueError(f"the softmax learner plays games whose agents share one Discrete action space; "
                             f"'{game}' has {', '.join(str(env.action_space(a)) for a in agents[:3])}")


def make_learner(kind: str, config: dict[str, Any]) -> Learner:
    """Build a fresh learner of ``kind`` from ``config`` (raises ValueError naming a bad kind/field)."""
    if kind not in LEARNERS:
        raise ValueError(f"unknown learner '{kind}': use one of {', '.join(sorted(LEARNERS))}")
    return LEARNERS[kind](dict(config))
