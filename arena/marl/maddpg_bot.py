"""The ``maddpg:<run dir or checkpoint.pt>`` bot kind: the actors of a run of ``arena train maddpg``.

Importing this module only registers the kind; torch and the run load when a bot is built. The
checkpoint goes through the run loader (:func:`arena.marl.maddpg.load_run`), which never executes
code from the files. The bot plays any agent of the run's env (one agent, or a whole side through
``act_team``), greedily: ``arena match simple_tag_v3 maddpg:runs/tag random``, ``arena play
simple_tag_v3 --opponent maddpg:runs/tag``, ``arena watch ... --team adversary=maddpg:runs/tag``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from arena.bots import Bot, BotSpecError, register_bot

USAGE = "maddpg:<run dir>"


def load_maddpg_bot(path: str | Path, env: Any, *, seed: int | None = None) -> Bot:
    """A frozen :class:`arena.marl.maddpg_learner.MADDPGBot` from a run written by ``arena train maddpg``."""
    import copy

    from arena.marl.common import agent_spaces
    from arena.marl.maddpg import load_run
    from arena.marl.maddpg_learner import MADDPGBot

    run_dir = Path(path).expanduser()
    if run_dir.is_file():
        run_dir = run_dir.parent
    if not (run_dir / "config.json").is_file() or not (run_dir / "checkpoint.pt").is_file():
        raise BotSpecError(f"maddpg run {path} does not exist: give a directory written by `arena train maddpg` "
                           "(it holds config.json and checkpoint.pt)")
    try:
        run = load_run(run_dir)
    except (ValueError, KeyError, OSError) as exc:
        raise BotSpecError(f"{run_dir}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    actors = copy.deepcopy(run.learner.actors).to("cpu").eval()
    for p in actors.parameters():
        p.requires_grad_(False)
    try:
        here = {a.name: a for a in agent_spaces(env)}
    except ValueError as exc:
        raise BotSpecError(f"a MADDPG bot cannot play this env: {exc}") from None
    bot = MADDPGBot(run.agents, list(actors), run.learner.actor_index,
                    [(a.obs_dim,) for a in run.agents], seed=seed)
    if not any(a.name in here and bot.plays(here[a.name]) for a in run.agents):
        raise BotSpecError(f"{run_dir} was trained on {run.env_name} (agents {', '.join(a.name for a in run.agents)}); "
                           f"none of them fits this env's agents ({', '.join(here)})")
    bot.name = f"maddpg:{run_dir.name}"
    return bot


def _make_maddpg(argument: str, env: Any, seed: int | None, **options: Any) -> Bot:
    unknown = [k for k, v in options.items() if v is not None]
    if unknown:
        raise BotSpecError(f"'maddpg' bots take no options, got {', '.join(unknown)}")
    if not argument:
        raise BotSpecError(f"'maddpg' needs a run: {USAGE}")
    return load_maddpg_bot(argument, env, seed=seed)


register_bot("maddpg", _make_maddpg, USAGE)
