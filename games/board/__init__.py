"""Board games: batched m,n,k rules (tic-tac-toe, connect four, gomoku), Othello and Hex, and their AEC envs."""

from __future__ import annotations

from arena.env.aec import TurnBasedAECEnv
from games.board.hex import HexGame, HexState, hex_game
from games.board.mnk import BoardState, IllegalMoveError, MNKGame, connect_four, gomoku, tic_tac_toe
from games.board.othello import OthelloGame, OthelloState, othello

__all__ = [
    "BoardState",
    "HexGame",
    "HexState",
    "IllegalMoveError",
    "MNKGame",
    "OthelloGame",
    "OthelloState",
    "connect_four",
    "connect_four_env",
    "gomoku",
    "gomoku_env",
    "hex_env",
    "hex_game",
    "othello",
    "othello_env",
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


def othello_env(size: int = 8, render_mode: str | None = None) -> TurnBasedAECEnv:
    """Othello on an even size x size board (4..10); actions are the cells row by row, then pass."""
    return TurnBasedAECEnv(othello(size), render_mode=render_mode)


def hex_env(size: int = 11, swap: bool = False, render_mode: str | None = None) -> TurnBasedAECEnv:
    """Hex on a size x size rhombus (5..11); swap=True adds the swap (pie) rule as the last action."""
    return TurnBasedAECEnv(hex_game(size, swap), render_mode=render_mode)
