"""Arena's built-in games, registered with ``arena.make`` by :func:`_register_builtins`.

The registry finds them the way it finds any game plugin: through the ``arena.games`` entry point
``builtin = "games.builtin"`` declared in pyproject.toml (a module entry point: the registry
calls ``games.builtin.arena_register``, which calls :func:`_register_builtins`), so the registry
never imports this package by name. Importing ``games`` (or ``games.board``) registers nothing by itself. Nothing heavy is
imported here; each game's module loads when it is built. The ``yaml`` handler registered here
makes a path to a 2-D game file a game name (``arena.make("./koth.yaml")``,
``arena train ppo ./koth.yaml``).
"""

from __future__ import annotations

from typing import Any

from arena.env.registry import register, register_prefix


def _vs_random_team(game: str, team: str, actions: str | None = None):  # noqa: ANN202
    from arena.env.teams import VsRandomTeam

    return VsRandomTeam(game, team, actions)


def _yaml_game(path: str, api: str | None = None, render_mode: str | None = None, actions: str | None = None,
               reward_terms: bool = False) -> Any:
    """The PettingZoo env of a 2-D game YAML file (``api="aec"`` wraps the Parallel env)."""
    from games.arena2d.builder import load_game, make_env

    env = make_env(load_game(path), render_mode, actions=actions, reward_terms=reward_terms)
    if api == "aec":
        from pettingzoo.utils.conversions import parallel_to_aec

        return parallel_to_aec(env)
    return env


def _register_builtins() -> None:
    from games.board import connect_four_env, gomoku_env, hex_env, othello_env, tic_tac_toe_env
    from games.matrix import rps

    register("tic_tac_toe", tic_tac_toe_env, api="aec",
             description="Tic-tac-toe, 3x3, three in a row")
    register("connect_four", connect_four_env, api="aec",
             description="Connect four, 6 rows x 7 columns, four in a row, stones drop")
    register("gomoku", gomoku_env, api="aec",
             description="Free-style gomoku, any board 5x5..19x19, any n in a row (exact=True: exactly n)",
             kwargs={"size": 15, "n_in_row": 5, "exact": False})
    register("othello", othello_env, api="aec",
             description="Othello, any even board 4x4..10x10 (6 and 8 usual), explicit pass move",
             kwargs={"size": 8})
    register("hex", hex_env, api="aec",
             description="Hex, any board 5x5..11x11; X joins top-bottom, O left-right; swap=True: pie rule",
             kwargs={"size": 11, "swap": False})
    register("rock_paper_scissors", rps.parallel_env, api="parallel",
             description="Repeated rock-paper-scissors: a cyclic game for league and rating tests",
             kwargs={"num_rounds": 10})
    register("vs-random-team", _vs_random_team, api="parallel",
             description="one team of a team game as a cooperative task; the other agents play uniformly at random",
             kwargs={"game": "BlowBlow-2T2P", "team": "red"})
    from games.arena2d import register_games; register_games()  # noqa: E702, I001 - the 2-D arena games
    from games.mpe import register_games as register_mpe; register_mpe()  # noqa: E702, I001 - batched mpe2 ports
    register_prefix("yaml", _yaml_game, suffixes=(".yaml", ".yml"), api="parallel", overwrite=True,
                    description="yaml:PATH, or any PATH ending in .yaml/.yml: a 2-D game declared in YAML "
                                "(docs/arena2d.md); options render_mode, actions, reward_terms")

