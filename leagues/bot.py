"""The ``league:DIR[:PLAYER]`` bot kind: play a league's best (or a named) player.

``league:runs/quick`` plays the league's top-rated *trained* player -- a live learner or a
snapshot, never a fixed bot, a held-out evaluator or a human -- by the Bradley-Terry fit over every
stored game (the order ``arena league status`` shows). ``league:runs/quick:PLAYER`` plays any
player by name: a snapshot (``az@6``), a live learner (``az``: its latest parameters) or a fixed
member (``mcts200``: that bot).
Registered through the ``arena.bots`` entry point, so ``arena`` itself never imports ``leagues``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from arena.bots import Bot, BotSpecError, register_bot

USAGE = "league:<dir>[:<player>]"
TRAINED_KINDS = ("live", "snapshot")  # who `league:DIR` alone may pick


def make_league_bot(argument: str, env: Any, seed: int | None, **options: Any) -> Bot:
    """Build the bot for ``league:<argument>`` (``argument`` = ``DIR`` or ``DIR:PLAYER``)."""
    from leagues.player import CheckpointError, LearnerCache, PlayerSpec, build_bot
    from leagues.report import best_player
    from leagues.runner import DB_NAME
    from leagues.store import PayoffStore

    unknown = {k: v for k, v in options.items() if v is not None}
    if unknown:
        raise BotSpecError(f"'league' bots take no options, got {', '.join(unknown)}")
    if not argument:
        raise BotSpecError(f"'league' needs a league directory: {USAGE}")
    directory, player_name = argument, None
    if not (Path(directory) / DB_NAME).is_file() and ":" in argument:
        directory, _, player_name = argument.rpartition(":")
    if not (Path(directory) / DB_NAME).is_file():
        raise BotSpecError(f"league:{argument}: {directory} is not a league directory (no {DB_NAME}); "
                           "run `arena league run RECIPE --out DIR` first")
    store = PayoffStore(Path(directory) / DB_NAME)
    try:
        recipe = store.get_meta("recipe", {})
        if player_name is None:
            player_name = best_player(store, kinds=TRAINED_KINDS)
        try:
            player = store.player(player_name)
        except KeyError:
            names = ", ".join(p.name for p in store.players() if p.kind != "human")
            raise BotSpecError(f"league {directory} has no player '{player_name}' (players: {names})") from None
        if player.kind == "human":
            raise BotSpecError(f"league {directory}: {player.name} is a person (a ladder player), not a bot")
    finally:
        store.close()
    _check_same_game(directory, recipe, env)
    spec = PlayerSpec(player.id, player.name, spec=player.spec) if player.spec else \
        PlayerSpec(player.id, player.name, path=player.path)
    try:
        return build_bot(spec, env, LearnerCache(1), seed=seed)
    except CheckpointError as exc:
        raise BotSpecError(str(exc)) from None


def _check_same_game(directory: str, recipe: dict[str, Any], env: Any) -> None:
    """The league's game is found from its stored name and keyword arguments (any name form:
    built-in, package, module path, YAML file) and must be the game ``env`` is."""
    import arena
    from arena.env.registry import describe_name, game_signature

    recipe_game = str(recipe.get("game") or "")
    if not recipe_game:
        return
    kwargs = dict(recipe.get("game_kwargs") or {})
    shown = recipe_game + (f" ({', '.join(f'{k}={v}' for k, v in kwargs.items())})" if kwargs else "")
    try:
        league_env = arena.make(recipe_game, **kwargs)
    except ValueError as exc:
        raise BotSpecError(f"league {directory} plays {shown}, which cannot be built here: {exc}") from None
    try:
        if game_signature(league_env) != game_signature(env):
            name = getattr(env, "metadata", {}).get("name", type(getattr(env, "unwrapped", env)).__name__)
            name = re.sub(r"_v\d+$", "", str(name))  # the name users type: tic_tac_toe, not tic_tac_toe_v0
            raise BotSpecError(f"league {directory} plays {describe_name(recipe_game)}{shown[len(recipe_game):]}, "
                               f"not this game ({name}): name that game, e.g. `arena match {recipe_game} ...`")
    finally:
        league_env.close()


def register() -> None:
    """Entry point of the ``arena.bots`` group: adds the ``league:`` bot kind."""
    register_bot("league", make_league_bot, USAGE, overwrite=True)
