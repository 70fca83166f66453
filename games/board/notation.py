"""Helpers shared by the grid board games (m,n,k, Othello, Hex): stone planes, win/loss returns
and ``a1``-style cell names (column letter, row number)."""

from __future__ import annotations

import string

import numpy as np


def win_loss_returns(winner: np.ndarray) -> np.ndarray:
    """``[B, 2]`` float32 from ``winner[B]`` (0 or 1 the winning seat, anything else no winner):
    +1 the winner, -1 the loser, zeros for draws and games that go on."""
    out = np.zeros((len(winner), 2), dtype=np.float32)
    out[winner == 0] = (1.0, -1.0)
    out[winner == 1] = (-1.0, 1.0)
    return out


def stone_planes(board: np.ndarray, seat: np.ndarray | int, *, seat_plane: bool) -> np.ndarray:
    """``[B, H, W, 2 or 3]`` int8 planes of ``board[B, H, W]`` (0 empty, 1/2 the seats' stones) from
    ``seat``'s point of view: own stones, opponent stones and, with ``seat_plane``, a plane of ones
    when ``seat`` is seat 1."""
    batch = board.shape[0]
    seat = np.broadcast_to(np.asarray(seat, dtype=np.int8), (batch,))
    own = (seat + 1)[:, None, None]
    opp = (2 - seat)[:, None, None]
    planes = [board == own, board == opp]
    if seat_plane:
        planes.append(np.broadcast_to((seat == 1)[:, None, None], board.shape))
    return np.stack(planes, axis=-1).astype(np.int8)


def cell_name(action: int, rows: int, cols: int, *, top_row_is_1: bool) -> str:
    """``c2``-style name of flat cell ``action``: column letter a.. left to right, row number from
    the top (``top_row_is_1``) or from the bottom."""
    r, c = divmod(int(action), cols)
    return f"{string.ascii_lowercase[c]}{r + 1 if top_row_is_1 else rows - r}"


def parse_cell(text: str, rows: int, cols: int, *, top_row_is_1: bool, what: str, example: str,
               extra: str = "") -> int:
    """Inverse of :func:`cell_name`; a ``ValueError`` naming ``what`` was expected and how to type
    one (``extra`` adds the game's other moves to the hint, e.g. ", or 'pass'")."""
    t = text.strip().lower()
    last = string.ascii_lowercase[cols - 1]
    where = " (row 1 at the top)" if top_row_is_1 else ""
    hint = f"type a column letter a-{last} and a row number 1-{rows}{where}, e.g. {example}{extra}"
    if len(t) < 2 or t[0] not in string.ascii_lowercase[:cols] or not t[1:].isdigit():
        raise ValueError(f"'{text}' is not {what}: {hint}")
    row = int(t[1:])
    if not 1 <= row <= rows:
        raise ValueError(f"'{text}' is off the board: {hint}")
    r = row - 1 if top_row_is_1 else rows - row
    return r * cols + string.ascii_lowercase.index(t[0])
