"""The ``ppo:<run dir or checkpoint.pt>`` bot kind: a policy trained by ``arena train ppo``, and
:func:`evaluate_run` (``arena eval RUN_DIR`` on such a run).

Importing this module only registers the kind; torch and the learner load when a bot is built.
The checkpoint is read through :func:`arena.checkpoint.load_safely` (``weights_only``), so it can never run code.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from arena.bots import Bot, BotSpecError, register_bot

USAGE = "ppo:<run dir or checkpoint.pt>"


def load_ppo_learner(path: str | Path) -> tuple[Any, Path, int]:
    """The :class:`arena.marl.ppo.PPOLearner` of a run directory or checkpoint written by ``arena
    train ppo`` (on the CPU), the checkpoint file it came from, and the env steps it had trained."""
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
    return learner, file, int(state.get("env_steps", 0))


def load_ppo_bot(path: str | Path, env: Any, *, seed: int | None = None, deterministic: bool = False) -> Bot:
    """A frozen :class:`arena.marl.ppo.PPOBot` from a checkpoint written by ``arena train ppo``."""
    learner, file, _ = load_ppo_learner(path)
    return _bot_of(learner, file, env, seed=seed, deterministic=deterministic)


def _bot_of(learner: Any, file: Path, env: Any, *, seed: int | None, deterministic: bool) -> Bot:
    try:
        return learner.bot(env, seed=seed, deterministic=deterministic)
    except ValueError as exc:
        raise BotSpecError(f"{file}: {exc}") from None


def evaluate_run(run_dir: str | Path, episodes: int, *, seed: int = 12345, explore: bool = False, num_envs: int = 8,
                 on_episode: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Play ``episodes`` episodes of a run written by ``arena train ppo``, its policies in every
    seat, on ``num_envs`` copies of the run's game (the game's batched engine when it has one).

    Every policy plays its most likely action (the mean of a Gaussian) unless ``explore`` (then
    it samples, as in training). ``on_episode(finished_so_far)`` sees progress. Returns the same
    keys as :func:`arena.marl.maddpg.evaluate` (``env``, ``episodes``, ``per_agent``, ``per_team``,
    ``mean_per_agent``) plus ``env_steps_trained``.
    """
    import json

    import numpy as np
    import torch

    import arena
    from arena.env.teams import team_of
    from arena.env.vector import make_vector_env

    if episodes < 1:
        raise ValueError(f"--episodes must be >= 1, got {episodes}")
    run = Path(run_dir)
    try:
        saved = json.loads((run / "config.json").read_text())
        game, env_args = str(saved["game"]), dict(saved["env_args"] or {})
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{run}/config.json is not a run of `arena train ppo` ({type(exc).__name__})") from None
    torch.set_num_threads(1)

    def make_env() -> Any:
        return arena.make(game, **env_args)

    learner, file, trained = load_ppo_learner(run)
    probe = make_env()
    try:
        bot = _bot_of(learner, file, probe, seed=seed, deterministic=not explore)
    finally:
        probe.close()
    vector = make_vector_env(make_env, max(1, min(num_envs, episodes)))
    done: list[np.ndarray] = []
    try:
        vector.reset(seed)
        states: dict[str, Any] = dict.fromkeys(vector.names)
        starts = np.ones(vector.num_envs, bool)
        while len(done) < episodes:
            actions = {}
            for agent in vector.names:
                actions[agent], states[agent] = bot.act_batch(agent, vector.obs[agent], vector.masks[agent],
                                                              states[agent], starts)
            result = vector.step(actions)
            starts = result.over.copy()
            done.extend(result.returns[k].astype(np.float64) for k in np.flatnonzero(result.over))
            if result.over.any() and on_episode is not None:
                on_episode(min(len(done), episodes))
        names = list(vector.names)
    finally:
        vector.close()
    returns = np.asarray(done[:episodes])
    per_agent = {name: float(returns[:, i].mean()) for i, name in enumerate(names)}
    per_team: dict[str, list[float]] = {}
    for name, value in per_agent.items():
        per_team.setdefault(team_of(name), []).append(value)
    return {"env": game, "episodes": episodes, "per_agent": per_agent,
            "per_team": {team: float(np.mean(v)) for team, v in per_team.items()},
            "mean_per_agent": float(returns.mean()), "env_steps_trained": trained}


def _make_ppo(argument: str, env: Any, seed: int | None, **options: Any) -> Bot:
    unknown = [k for k, v in options.items() if v is not None]
    if unknown:
        raise BotSpecError(f"'ppo' bots take no options, got {', '.join(unknown)}")
    if not argument:
        raise BotSpecError(f"'ppo' needs a checkpoint: {USAGE}")
    return load_ppo_bot(argument, env, seed=seed)


register_bot("ppo", _make_ppo, USAGE)
