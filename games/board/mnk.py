"""Batched rules for m,n,k-games: tic-tac-toe, connect four and gomoku are all one family.

A position is a ``rows x cols`` grid of int8 cells (0 empty, 1 first player, 2 second player).
A player wins by making ``k`` in a row (horizontally, vertically or diagonally); with
``exact=True`` only a line of exactly ``k`` wins (gomoku's "exactly five": overlines do not
count). With ``gravity=True`` a move names a column and the stone drops to the lowest empty cell
(connect four); otherwise a move names a cell ``row * cols + col``.

Two layers:

* single-board kernels compiled with numba (``mnk_legal``, ``mnk_play``, ``mnk_is_win``,
  ``mnk_outcome``; cached on disk), used by search code that walks one board at a time inside
  compiled loops (pure MCTS rollouts);
* :class:`MNKGame`, the batched API (``[B, H, W]`` arrays) used by environments, AlphaZero and
  tests: ``initial_state``, ``legal_mask``, ``step``, ``returns``, ``observation``.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

import numba
import numpy as np

from arena.env.batched import DIHEDRAL, BatchedState, Symmetry, grid_symmetries
from games.board.notation import cell_name, parse_cell, stone_planes, win_loss_returns

ONGOING = -1
DRAW = 2


@numba.njit(cache=True, nogil=True)
def mnk_legal(board, gravity, out):
    """Write the legal actions of ``board`` (int8 ``[H, W]``) into ``out[:n]`` and return ``n``."""
    rows, cols = board.shape
    n = 0
    if gravity:
        for c in range(cols):
            if board[0, c] == 0:
                out[n] = c
                n += 1
    else:
        for r in range(rows):
            for c in range(cols):
                if board[r, c] == 0:
                    out[n] = r * cols + c
                    n += 1
    return n


@numba.njit(cache=True, nogil=True)
def mnk_play(board, gravity, action, piece):
    """Place ``piece`` (1 or 2) in place; return the flat cell it landed on, -1 if illegal."""
    rows, cols = board.shape
    if gravity:
        if action < 0 or action >= cols:
            return -1
        for r in range(rows - 1, -1, -1):
            if board[r, action] == 0:
                board[r, action] = piece
                return r * cols + action
        return -1
    if action < 0 or action >= rows * cols:
        return -1
    r = action // cols
    c = action % cols
    if board[r, c] != 0:
        return -1
    board[r, c] = piece
    return action


@numba.njit(cache=True, nogil=True)
def mnk_is_win(board, k, exact, cell, piece):
    """Whether the stone ``piece`` on ``cell`` completes a line of ``k`` (exactly ``k`` if ``exact``)."""
    rows, cols = board.shape
    r0 = cell // cols
    c0 = cell % cols
    for d in range(4):
        if d == 0:
            dr, dc = 0, 1
        elif d == 1:
            dr, dc = 1, 0
        elif d == 2:
            dr, dc = 1, 1
        else:
            dr, dc = 1, -1
        count = 1
        r, c = r0 + dr, c0 + dc
        while 0 <= r < rows and 0 <= c < cols and board[r, c] == piece:
            count += 1
            r += dr
            c += dc
        r, c = r0 - dr, c0 - dc
        while 0 <= r < rows and 0 <= c < cols and board[r, c] == piece:
            count += 1
            r -= dr
            c -= dc
        if exact:
            if count == k:
                return True
        elif count >= k:
            return True
    return False


@numba.njit(cache=True, nogil=True)
def mnk_outcome(board, k, exact, cell, piece, moves_after):
    """After ``piece`` landed on ``cell`` with ``moves_after`` stones on the board:
    -1 ongoing, 0/1 the winner's seat, 2 draw."""
    if mnk_is_win(board, k, exact, cell, piece):
        return piece - 1
    if moves_after >= board.shape[0] * board.shape[1]:
        return 2
    return -1


@numba.njit(cache=True, nogil=True)
def _step_batch(board, to_play, winner, moves, last_move, actions, gravity, k, exact):
    """Apply ``actions[b]`` to every unfinished board ``b``; returns the index of the first
    illegal action (-1 when all were legal). Finished boards ignore their action."""
    bad = -1
    for b in range(board.shape[0]):
        if winner[b] != -1:
            continue
        piece = to_play[b] + 1
        cell = mnk_play(board[b], gravity, actions[b], piece)
        if cell < 0:
            if bad < 0:
                bad = b
            continue
        moves[b] += 1
        last_move[b] = cell
        winner[b] = mnk_outcome(board[b], k, exact, cell, piece, moves[b])
        to_play[b] = 1 - to_play[b]
    return bad


@numba.njit(cache=True, nogil=True)
def _legal_batch(board, winner, gravity, out_mask, scratch):
    for b in range(board.shape[0]):
        if winner[b] != -1:
            continue
        n = mnk_legal(board[b], gravity, scratch)
        for i in range(n):
            out_mask[b, scratch[i]] = True


@dataclass
class BoardState(BatchedState):
    """A batch of ``B`` positions of one m,n,k-game (arrays, no per-game objects).

    ``board[B, H, W]`` int8: 0 empty, 1 first player, 2 second player.
    ``to_play[B]`` int8: seat to move (0 or 1).
    ``winner[B]`` int8: -1 ongoing, 0/1 the winning seat, 2 draw.
    ``moves[B]`` int16: stones on the board.
    ``last_move[B]`` int32: flat cell index of the last stone (-1 at the start).
    """

    board: np.ndarray
    to_play: np.ndarray
    winner: np.ndarray
    moves: np.ndarray
    last_move: np.ndarray

    def copy(self) -> BoardState:
        return BoardState(*(a.copy() for a in (self.board, self.to_play, self.winner, self.moves, self.last_move)))


class IllegalMoveError(ValueError):
    """An action that is not legal in the position it was played in."""


class MNKGame:
    """Batched rules of one m,n,k-game variant.

    ``name`` is the registry name, ``rows x cols`` the board, ``k`` the line length, ``gravity``
    turns cell moves into column drops (connect four), ``exact`` makes overlines not win.
    """

    num_players = 2

    def __init__(self, name: str, rows: int, cols: int, k: int, *, gravity: bool = False,
                 exact: bool = False) -> None:
        if rows < 1 or cols < 1:
            raise ValueError(f"board must be at least 1x1, got {rows}x{cols}")
        if k < 2 or k > max(rows, cols):
            raise ValueError(f"n_in_row={k} must be between 2 and the board's longest side ({max(rows, cols)})")
        self.name = name
        self.rows = rows
        self.cols = cols
        self.k = k
        self.gravity = gravity
        self.exact = exact
        self._scratch = np.empty(self.num_actions, dtype=np.int32)

    # ------------------------------------------------------------------ shape facts
    @property
    def num_cells(self) -> int:
        return self.rows * self.cols

    @property
    def num_actions(self) -> int:
        return self.cols if self.gravity else self.rows * self.cols

    @property
    def board_shape(self) -> tuple[int, int]:
        return (self.rows, self.cols)

    @property
    def observation_shape(self) -> tuple[int, int, int]:
        """Planes of one seat's observation: own stones, opponent stones."""
        return (self.rows, self.cols, 2)

    @property
    def max_moves(self) -> int:
        return self.rows * self.cols

    @property
    def symmetric(self) -> bool:
        """Whether the 8 rotations/reflections of the square preserve the rules."""
        return not self.gravity and self.rows == self.cols

    def symmetries(self) -> list[Symmetry]:
        """The board's symmetries that keep the rules: all 8 on a square board, the 4 flips on a
        rectangle, only the left-right mirror when stones fall (gravity)."""
        if self.gravity:
            return grid_symmetries(self.rows, self.cols, ("identity", "flip_lr"), column_actions=True)
        if self.symmetric:
            return grid_symmetries(self.rows, self.cols, DIHEDRAL)
        return grid_symmetries(self.rows, self.cols, ("identity", "flip_lr", "flip_ud", "rot180"))

    def __repr__(self) -> str:
        extra = ", gravity" if self.gravity else ""
        extra += ", exact" if self.exact else ""
        return f"MNKGame({self.name!r}, {self.rows}x{self.cols}, k={self.k}{extra})"

    # ------------------------------------------------------------------ batched rules
    def initial_state(self, batch_size: int = 1) -> BoardState:
        return BoardState(
            board=np.zeros((batch_size, self.rows, self.cols), dtype=np.int8),
            to_play=np.zeros(batch_size, dtype=np.int8),
            winner=np.full(batch_size, ONGOING, dtype=np.int8),
            moves=np.zeros(batch_size, dtype=np.int16),
            last_move=np.full(batch_size, -1, dtype=np.int32),
        )

    def legal_mask(self, state: BoardState) -> np.ndarray:
        """``[B, A]`` bool; all False on finished boards."""
        mask = np.zeros((state.batch_size, self.num_actions), dtype=np.bool_)
        _legal_batch(state.board, state.winner, self.gravity, mask, self._scratch)
        return mask

    def step(self, state: BoardState, actions: np.ndarray) -> BoardState:
        """Play ``actions[B]`` in place (finished boards are left as they are) and return ``state``.

        Raises :class:`IllegalMoveError` naming the first illegal action; boards before it in the
        batch have already moved.
        """
        actions = np.asarray(actions, dtype=np.int64).reshape(-1)
        if actions.shape[0] != state.batch_size:
            raise ValueError(f"expected {state.batch_size} actions, got {actions.shape[0]}")
        bad = _step_batch(state.board, state.to_play, state.winner, state.moves, state.last_move,
                          actions, self.gravity, self.k, self.exact)
        if bad >= 0:
            raise IllegalMoveError(
                f"illegal move {self.action_to_str(int(actions[bad]))} (action {int(actions[bad])}) "
                f"in game {bad} of the batch")
        return state

    def returns(self, state: BoardState) -> np.ndarray:
        """``[B, 2]`` float32 final scores per seat: +1 win, -1 loss, 0 draw or ongoing."""
        return win_loss_returns(state.winner)

    # ------------------------------------------------------------------ observations
    def observation(self, state: BoardState, seat: np.ndarray | int) -> np.ndarray:
        """``[B, H, W, 2]`` int8 planes from ``seat``'s point of view: own stones, opponent stones.

        The same layout as PettingZoo classic's ``connect_four_v3`` and ``tictactoe_v3``.
        """
        return stone_planes(state.board, seat, seat_plane=False)

    def state_from_observation(self, observation: np.ndarray) -> BoardState:
        """Rebuild the position of the player to move from its ``[H, W, 2]`` observation planes.

        Who is to move follows from the stone counts (the first player moves when both have
        equally many). Used by bots, which see what a PettingZoo agent sees.
        """
        planes = np.asarray(observation)
        if planes.shape != (self.rows, self.cols, 2):
            raise ValueError(f"observation of shape {planes.shape} does not fit {self!r}: "
                             f"expected {(self.rows, self.cols, 2)}")
        own = planes[..., 0].astype(bool)
        opp = planes[..., 1].astype(bool)
        n_own, n_opp = int(own.sum()), int(opp.sum())
        seat = 0 if n_own == n_opp else 1
        state = self.initial_state(1)
        state.board[0][own] = seat + 1
        state.board[0][opp] = 2 - seat
        state.to_play[0] = seat
        state.moves[0] = n_own + n_opp
        return state

    # ------------------------------------------------------------------ coordinates
    def action_to_str(self, action: int) -> str:
        """Human coordinates: column number on gravity boards, ``a1``-style cells otherwise
        (letters left to right, numbers bottom to top, as on a gomoku board)."""
        if self.gravity:
            return str(action + 1)
        return cell_name(action, self.rows, self.cols, top_row_is_1=False)

    def parse_action(self, text: str) -> int:
        """Inverse of :meth:`action_to_str`; raises ``ValueError`` with a hint when malformed."""
        t = text.strip().lower()
        if self.gravity:
            if not t.isdigit() or not 1 <= int(t) <= self.cols:
                raise ValueError(f"'{text}' is not a column: type a number from 1 to {self.cols}")
            return int(t) - 1
        return parse_cell(text, self.rows, self.cols, top_row_is_1=False, what="a cell", example="a1")

    def cell_of_action(self, state: BoardState, index: int, action: int) -> int:
        """Flat cell a move would occupy (for highlighting): the drop cell on gravity boards."""
        if not self.gravity:
            return int(action)
        column = state.board[index][:, action]
        empty = np.flatnonzero(column == 0)
        return int(empty[-1]) * self.cols + int(action) if empty.size else -1

    # ------------------------------------------------------------------ rendering
    def render(self, state: BoardState, index: int = 0, *, color: bool = False,
               marks: tuple[str, str] | None = None) -> str:
        """A text board with coordinates; the last stone is shown in brackets (and bold red
        with ``color=True``)."""
        if marks is None:
            marks = ("X", "O")
        board = state.board[index]
        last = int(state.last_move[index])
        lines = []
        width = len(str(self.rows))
        for r in range(self.rows):
            label = "" if self.gravity else f"{self.rows - r:>{width}} "
            cells = []
            for c in range(self.cols):
                v = int(board[r, c])
                ch = "." if v == 0 else marks[v - 1]
                if r * self.cols + c == last:
                    ch = f"\x1b[1;31m{ch}\x1b[0m" if color else ch
                    cells.append(f"[{ch}]" if not color else f" {ch} ")
                else:
                    cells.append(f" {ch} ")
            lines.append(label + "".join(cells))
        if self.gravity:
            lines.append("".join(f" {c + 1:<2}" for c in range(self.cols)).rstrip())
        else:
            pad = " " * (width + 1)
            lines.append(pad + "".join(f" {string.ascii_lowercase[c]} " for c in range(self.cols)).rstrip())
        return "\n".join(lines)


def tic_tac_toe() -> MNKGame:
    return MNKGame("tic_tac_toe", 3, 3, 3)


def connect_four() -> MNKGame:
    return MNKGame("connect_four", 6, 7, 4, gravity=True)


def gomoku(size: int = 15, n_in_row: int = 5, exact: bool = False) -> MNKGame:
    """Free-style gomoku on a ``size x size`` board (5..19); ``exact=True`` for "exactly five"."""
    if not 5 <= int(size) <= 19:
        raise ValueError(f"gomoku size={size} is out of range: choose a board from 5 to 19")
    if not 3 <= int(n_in_row) <= int(size):
        raise ValueError(f"gomoku n_in_row={n_in_row} must be between 3 and the board size ({size})")
    return MNKGame("gomoku", int(size), int(size), int(n_in_row), exact=bool(exact))
