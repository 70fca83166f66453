"""The registered 2-D games: name -> (module in games.arena2d.games, definition kwargs, description).

A game written in YAML names its file instead of a module (``king_of_the_hill.yaml``, kwargs
``{}``), loaded with :func:`games.arena2d.builder.load_game`.

Kept import-free so that registering the games costs nothing: a game's module (and the engine,
with its numba kernels) is imported only when the game is built.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from games.arena2d.spec import GameDef

GAMES: dict[str, tuple[str, dict[str, Any], str]] = {
    "Soccer-2T1P": ("soccer", {"players": 1}, "Soccer 1v1: score in the other goal; conceding loses"),
    "Soccer-2T2P": ("soccer", {"players": 2}, "Soccer 2v2: score in the other goal; conceding loses"),
    "Soccer-Dense-2T2P": ("soccer", {"players": 2, "dense": True},
                          "Soccer 2v2 with dense team (ball toward goal) and player (run to ball) rewards"),
    "Sumo-2T1P": ("sumo", {}, "Sumo: push the opponent off the round platform; draws cost both"),
    "Push-2T2P": ("push", {}, "Push (the book's example): IS agents, CL teams, CP global; deliver your box first"),
    "Crossroads-2T1P": ("crossroads", {"players": 1}, "Crossroads 1v1: cross the junction to your exit first"),
    "Crossroads-2T2P": ("crossroads", {"players": 2}, "Crossroads 2v2: the first side through the junction wins"),
    "RunToGoal-2T1P": ("run_to_goal", {}, "RunToGoal: race around a pillar to the goal"),
    "RunToGoal-Dense-2T1P": ("run_to_goal", {"dense": True}, "RunToGoal with a dense distance-to-goal reward"),
    "Gunner-2T1P": ("gunner", {"layout": "open"}, "Gunner: a shoot-out on an open field (ammo, reload, 3 hits)"),
    "Maze2x2Gunner-2T1P": ("gunner", {"layout": "maze"}, "Gunner in a 2x2 maze of rooms"),
    "BarrierGunner-2T1P": ("gunner", {"layout": "barrier"}, "Gunner among barriers to hide behind"),
    "Tennis-2T1P": ("tennis", {}, "Tennis (top-down): return the ball; let it past you and you lose"),
    "BlowBlow-2T2P": ("blowblow", {}, "BlowBlow: blow two balls into the other team's half (blow action)"),
    "YouShallNotPass-2T1P": ("you_shall_not_pass", {}, "YouShallNotPass: a runner against a heavier guard"),
    "CaptureTheFlag-2T2P": ("capture_the_flag", {}, "CaptureTheFlag: push the enemy flag into your base (depth 3)"),
    "KingOfTheHill-2T2P": ("king_of_the_hill.yaml", {},
                           "King of the Hill 2v2: hold the central hill alone longest (written in YAML)"),
}


def definition(name: str) -> GameDef:
    """The :class:`GameDef` of a registered 2-D game."""
    if name not in GAMES:
        raise ValueError(f"unknown 2-D game {name!r}; games are {', '.join(GAMES)}")
    module, kwargs, _ = GAMES[name]
    if module.endswith((".yaml", ".yml")):
        from games.arena2d.builder import load_game

        return load_game(Path(__file__).parent / "games" / module)
    return importlib.import_module(f"games.arena2d.games.{module}").definition(**kwargs)
