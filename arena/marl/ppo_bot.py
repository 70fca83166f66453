"""The ``ppo:<run dir or checkpoint.pt>`` bot kind: a policy trained by ``arena train ppo``.

Importing this module only registers the kind; torch and the learner load when a bot is built.
The checkpoint is read through :func:`arena.checkpoint.load_safely` (``weights_only``), so it can never run code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from arena.bots import Bot, BotSpecError, register_bot

USAGE = "ppo:<run dir or checkpoint.pt>"


def load_ppo_bot(path: str | Path, env: Any, *, seed: int | None = None, deterministic: bool = False) -> Bot:
    """A frozen :class:`arena.marl.ppo.PPOBot` from a checkpoint written by ``arena train ppo``."""

    from arena.checkpoint import CheckpointError, load_safely
    from arena.marl.ppo import PPOLearner

    file = Path(path).expanduser()
    if file.is_dir():
        file = file / "checkpoint.pt"
    if not file.is_file():
        raise BotSpecError(f"ppo checkpoint {path} does not exist: give a run directory or checkpoint.pt "
                           "written by `arena train ppo`")
    try:
        state = load_safely(file, "PPO checkpoint")
    except CheckpointError as exc:
        raise BotSpecError(str(exc)) from None
    if state.get("kind") != "ppo" or not isinstance(state.get("config"), dict):
        raise BotSpecError(f"{file} is not a PPO checkpoint (written by `arena train ppo`)")
    learner = PPOLearner()
    try:
        learner.load_state_dict({**state, "config": {**state["config"], "device": "cpu"}})
    except (KeyError, TypeError, ValueError, RuntimeError, IndexError, AttributeError) as exc:
        first = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else type(exc).__name__
        raise BotSpecError(f"{file} is a damaged PPO checkpoint ({first})") from None
    try:
        return learner.bot(env, seed=seed, deterministic=deterministic)
    except ValueError as exc:
        raise BotSpecError(f"{file}: {exc}") from None


def _make_ppo(argument: str, env: Any, seed: int | None, **options: Any) -> Bot:
    unknown = [k for k, v in options.items() if v is not None]
    if unknown:
        raise BotSpecError(f"'ppo' bots take no options, got {', '.join(unknown)}")
    if not argument:
        raise BotSpecError(f"'ppo' needs a checkpoint: {USAGE}")
    return load_ppo_bot(argument, env, seed=seed)


register_bot("ppo", _make_ppo, USAGE)
