"""Board games: batched m,n,k rules (tic-tac-toe, connect four, gomoku) and their AEC envs."""

from __future__ import annotations

from arena.env.aec import TurnBasedAECEnv
from games.board.mnk import BoardState, IllegalMoveError, MNKGame, connect_four, gomoku, tic_tac_toe

__all__ = [
    "BoardState",
    "IllegalMoveError",
    "MNKGame",
    "connect_four",
    "connect_four_env",
    "gomoku",
    "gomoku_env",
    "tic_tac_toe",
    "tic_tac_toe_env",
]


def tic_tac_toe_env(render_mode: str | None = None) -> TurnBasedAECEnv:
    """Tic-tac-toe as a PettingZoo AEC env (actions 0..8 = cells row by row)."""
    return TurnBasedAECEnv(tic_tac_toe(), render_mode=render_mode)


def connect_four_env(render_mode: str | None = None) -> TurnBasedAECEnv:
    """Connect four (6 rows x 7 columns) as a PettingZoo AEC env (actions 0..6 = columns)."""
    return TurnBasedAECEnv(connect_four(), render_mode=render_mode)


def gomoku_env(size: int = 15, n_in_row: int = 5, exact: bool = False,
               render_mode: str | None = None) -> TurnBasedAECEnv:
    """Free-style gomoku on a size x size board (exact=True: only exactly n_in_row wins)."""
    return TurnBasedAECEnv(gomoku(size, n_in_row, exact), render_mode=render_mode)
