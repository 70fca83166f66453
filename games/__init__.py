"""Arena's built-in games. Importing this package registers them with ``arena.make``."""

from __future__ import annotations

from arena.env.registry import register


def _vs_random_team(game: str, team: str, actions: str | None = None):  # noqa: ANN202
    from arena.env.teams import VsRandomTeam

    return VsRandomTeam(game, team, actions)


def _register_builtins() -> None:
    from games.board import connect_four_env, gomoku_env, tic_tac_toe_env
    from games.matrix import rps

    register("tic_tac_toe", tic_tac_toe_env, api="aec",
             description="Tic-tac-toe, 3x3, three in a row")
    register("connect_four", connect_four_env, api="aec",
             description="Connect four, 6 rows x 7 columns, four in a row, stones drop")
    register("gomoku", gomoku_env, api="aec",
             description="Free-style gomoku, any board 5x5..19x19, any n in a row (exact=True: exactly n)",
             kwargs={"size": 15, "n_in_row": 5, "exact": False})
    register("rock_paper_scissors", rps.parallel_env, api="parallel",
             description="Repeated rock-paper-scissors: a cyclic game for league and rating tests",
             kwargs={"num_rounds": 10})
    register("vs-random-team", _vs_random_team, api="parallel",
             description="one team of a team game as a cooperative task; the other agents play uniformly at random",
             kwargs={"game": "BlowBlow-2T2P", "team": "red"})
    from games.arena2d import register_games; register_games()  # noqa: E702, I001 - the 2-D arena games


_register_builtins()
