"""Hex on a square rhombus from 5x5 to 11x11, written only through the public turn-based protocol
(:class:`arena.env.TurnBasedGame`), with the optional swap (pie) rule.

Rules (the same as OpenSpiel's ``hex``, which the test suite cross-checks):

* Cells are ``(row, col)`` with row 0 at the top; rows are drawn shifted half a cell to the right
  of the row above, so a cell touches ``(r-1, c)``, ``(r-1, c+1)``, ``(r, c-1)``, ``(r, c+1)``,
  ``(r+1, c-1)`` and ``(r+1, c)``.
* Seat 0 (``X``, black in OpenSpiel) moves first and wins by joining the top and bottom edges
  with a chain of its stones; seat 1 (``O``, white) joins the left and right edges. A move places
  a stone on any empty cell. Hex has no draws: a full board always holds exactly one winning chain.
* ``swap=True`` adds action ``rows * cols``, ``swap``, legal only as the second ply of the game
  (seat 1's first move). It removes seat 0's stone from ``(r, c)`` and puts a seat-1 stone on the
  mirrored cell ``(c, r)`` (mirror in the long diagonal), then seat 0 moves again. This is
  OpenSpiel's swap and the usual pie rule: seat 1 takes over the opening stone, mirrored so that it
  serves seat 1's left-right connection exactly as it served seat 0's top-bottom one.

Batched state :class:`HexState`: ``board[B, N, N]`` int8 (0 empty, 1 seat 0, 2 seat 1),
``to_play``, ``winner`` (-1 ongoing, 0/1 the winning seat), ``moves`` (plies played, the swap
included) and ``last_move`` (cell of the last stone placed, the mirrored cell after a swap, -1 at
the start). The win test after each stone is a flood fill from that stone in a numba kernel
(``nogil``, cached on disk).

Observation ``[B, N, N, 3]`` int8 from a seat's point of view: own stones, opponent stones, and a
constant plane that is 1 when the observing seat is seat 1 (which edges the observer must join).
Whether the swap is available follows from the planes (seat 1 to move, one stone on the board).

Notation (as OpenSpiel writes it): column letter ``a``.. left to right, row number ``1``.. top to
bottom, e.g. ``c2``; the swap is ``swap``.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

import numba
import numpy as np

from arena.env.batched import BatchedState, Symmetry, grid_symmetries
from games.board.mnk import IllegalMoveError
from games.board.notation import cell_name, parse_cell, stone_planes, win_loss_returns

ONGOING = -1
MIN_SIZE = 5
MAX_SIZE = 11

@numba.njit(cache=True, nogil=True)
def hex_connects(board, cell, piece, stack, seen):
    """Whether the chain of ``piece`` through flat ``cell`` joins ``piece``'s two edges (top and
    bottom for 1, left and right for 2). ``stack`` and ``seen`` are int32 scratch of ``N * N``."""
    n = board.shape[0]
    seen[: n * n] = 0
    stack[0] = cell
    seen[cell] = 1
    top = 1
    first_edge = False
    second_edge = False
    while top > 0:
        top -= 1
        x = stack[top]
        r = x // n
        c = x % n
        if piece == 1:
            if r == 0:
                first_edge = True
            if r == n - 1:
                second_edge = True
        else:
            if c == 0:
                first_edge = True
            if c == n - 1:
                second_edge = True
        if first_edge and second_edge:
            return True
        for k in range(6):
            if k == 0:
                rr, cc = r - 1, c
            elif k == 1:
                rr, cc = r - 1, c + 1
            elif k == 2:
                rr, cc = r, c - 1
            elif k == 3:
                rr, cc = r, c + 1
            elif k == 4:
                rr, cc = r + 1, c - 1
            else:
                rr, cc = r + 1, c
            if 0 <= rr < n and 0 <= cc < n and board[rr, cc] == piece:
                y = rr * n + cc
                if seen[y] == 0:
                    seen[y] = 1
                    stack[top] = y
                    top += 1
    return False


@numba.njit(cache=True, nogil=True)
def _step_batch(board, to_play, winner, moves, last_move, actions, swap, stack, seen):
    """Apply ``actions[b]`` to every unfinished board; return the first illegal index (-1: none)."""
    bad = -1
    n = board.shape[1]
    cells = n * n
    for b in range(board.shape[0]):
        if winner[b] != -1:
            continue
        a = actions[b]
        if swap and a == cells:
            if moves[b] != 1 or to_play[b] != 1:
                if bad < 0:
                    bad = b
                continue
            first = -1
            for x in range(cells):
                if board[b, x // n, x % n] != 0:
                    first = x
            r = first // n
            c = first % n
            board[b, r, c] = 0
            board[b, c, r] = 2
            moves[b] += 1
            last_move[b] = c * n + r
            to_play[b] = 0
            continue
        if a < 0 or a >= cells or board[b, a // n, a % n] != 0:
            if bad < 0:
                bad = b
            continue
        piece = to_play[b] + 1
        board[b, a // n, a % n] = piece
        moves[b] += 1
        last_move[b] = a
        if hex_connects(board[b], a, piece, stack, seen):
            winner[b] = to_play[b]
        to_play[b] = 1 - to_play[b]
    return bad


@dataclass
class HexState(BatchedState):
    """A batch of ``B`` Hex positions (arrays only).

    ``board[B, N, N]`` int8: 0 empty, 1 seat 0 (top-bottom), 2 seat 1 (left-right).
    ``to_play[B]`` int8: seat to move. ``winner[B]`` int8: -1 ongoing, else the winning seat.
    ``moves[B]`` int16: plies played (the swap included). ``last_move[B]`` int32: cell of the last
    stone placed (-1 at the start).
    """

    board: np.ndarray
    to_play: np.ndarray
    winner: np.ndarray
    moves: np.ndarray
    last_move: np.ndarray


class HexGame:
    """Batched Hex rules on a ``size x size`` rhombus (5..11); actions are the cells row by row
    (row 0 at the top), followed by ``swap`` when the swap rule is on."""

    num_players = 2

    def __init__(self, size: int = 11, swap: bool = False) -> None:
        if isinstance(size, bool) or not isinstance(size, int | np.integer) or \
                not MIN_SIZE <= int(size) <= MAX_SIZE:
            raise ValueError(f"hex size={size!r} is not allowed: choose a board size from {MIN_SIZE} to "
                             f"{MAX_SIZE} (11 is the classic board)")
        if not isinstance(swap, bool | np.bool_):
            raise ValueError(f"hex swap={swap!r} must be True or False")
        self.size = int(size)
        self.rows = self.cols = self.size
        self.swap = bool(swap)
        self.name = "hex"
        self._stack = np.empty(self.num_cells, dtype=np.int32)
        self._seen = np.empty(self.num_cells, dtype=np.int32)

    # ------------------------------------------------------------------ shape facts
    @property
    def num_cells(self) -> int:
        return self.size * self.size

    @property
    def swap_action(self) -> int:
        """The swap's index (``rows * cols``); only an action when ``swap=True``."""
        return self.num_cells

    @property
    def num_actions(self) -> int:
        return self.num_cells + (1 if self.swap else 0)

    @property
    def board_shape(self) -> tuple[int, int]:
        return (self.size, self.size)

    @property
    def observation_shape(self) -> tuple[int, int, int]:
        """Own stones, opponent stones, "the observer joins left and right" (constant)."""
        return (self.size, self.size, 3)

    @property
    def max_moves(self) -> int:
        return self.num_cells + (1 if self.swap else 0)

    def symmetries(self) -> list[Symmetry]:
        """Identity and the half turn (which maps each player's pair of edges onto itself); the
        swap action maps to itself. The diagonal mirrors swap the players' edges, so they are not
        symmetries of the rules for a fixed seat."""
        return grid_symmetries(self.size, self.size, ("identity", "rot180"), extra_actions=int(self.swap))

    def __repr__(self) -> str:
        return f"HexGame({self.size}x{self.size}{', swap' if self.swap else ''})"

    # ------------------------------------------------------------------ batched rules
    def initial_state(self, batch_size: int = 1) -> HexState:
        n = self.size
        return HexState(
            board=np.zeros((batch_size, n, n), dtype=np.int8),
            to_play=np.zeros(batch_size, dtype=np.int8),
            winner=np.full(batch_size, ONGOING, dtype=np.int8),
            moves=np.zeros(batch_size, dtype=np.int16),
            last_move=np.full(batch_size, -1, dtype=np.int32),
        )

    def legal_mask(self, state: HexState) -> np.ndarray:
        """``[B, A]`` bool: every empty cell (plus ``swap`` on seat 1's first move); all False when over."""
        b = state.batch_size
        mask = np.zeros((b, self.num_actions), dtype=np.bool_)
        np.equal(state.board.reshape(b, self.num_cells), 0, out=mask[:, : self.num_cells])
        if self.swap:
            mask[:, self.swap_action] = (state.moves == 1) & (state.to_play == 1)
        mask[state.winner != ONGOING] = False
        return mask

    def step(self, state: HexState, actions: np.ndarray) -> HexState:
        """Play ``actions[B]`` in place (finished games ignore theirs) and return ``state``.

        Raises :class:`~games.board.mnk.IllegalMoveError` (a ``ValueError``) naming the first illegal
        action; games before it in the batch have already moved.
        """
        actions = np.asarray(actions, dtype=np.int64).reshape(-1)
        if actions.shape[0] != state.batch_size:
            raise ValueError(f"expected {state.batch_size} actions, got {actions.shape[0]}")
        bad = _step_batch(state.board, state.to_play, state.winner, state.moves, state.last_move, actions,
                          self.swap, self._stack, self._seen)
        if bad >= 0:
            a = int(actions[bad])
            shown = self.action_to_str(a) if 0 <= a < self.num_actions else str(a)
            raise IllegalMoveError(f"illegal move {shown} (action {a}) in game {bad} of the batch")
        return state

    def returns(self, state: HexState) -> np.ndarray:
        """``[B, 2]`` float32: +1 the winner, -1 the loser, zeros while the game goes on."""
        return win_loss_returns(state.winner)

    # ------------------------------------------------------------------ observations
    def observation(self, state: HexState, seat: np.ndarray | int) -> np.ndarray:
        """``[B, N, N, 3]`` int8: own stones, opponent stones, 1 everywhere when ``seat`` is seat 1."""
        return stone_planes(state.board, seat, seat_plane=True)

    def state_from_observation(self, observation: np.ndarray) -> HexState:
        """Rebuild the position of the player to move from its ``[N, N, 3]`` observation (the
        observer is taken to be the player to move). A position where seat 0 is to move facing one
        more opponent stone than it has comes from a swap, which counts as a ply."""
        planes = np.asarray(observation)
        shape = self.observation_shape
        if planes.shape != shape:
            raise ValueError(f"observation of shape {planes.shape} does not fit {self!r}: expected {shape}")
        own = planes[..., 0].astype(bool)
        opp = planes[..., 1].astype(bool)
        seat = int(planes[0, 0, 2] != 0)
        state = self.initial_state(1)
        state.board[0][own] = seat + 1
        state.board[0][opp] = 2 - seat
        state.to_play[0] = seat
        n_own, n_opp = int(own.sum()), int(opp.sum())
        swapped = self.swap and seat == 0 and n_opp == n_own + 1
        state.moves[0] = n_own + n_opp + int(swapped)
        stones = np.flatnonzero(state.board[0].reshape(-1))
        for cell in stones:
            piece = int(state.board[0].reshape(-1)[cell])
            if hex_connects(state.board[0], int(cell), piece, self._stack, self._seen):
                state.winner[0] = piece - 1
                break
        return state

    # ------------------------------------------------------------------ coordinates
    def action_to_str(self, action: int) -> str:
        """``c2``-style: column letter a.. left to right, row number 1.. top to bottom; ``swap``."""
        action = int(action)
        if self.swap and action == self.swap_action:
            return "swap"
        if not 0 <= action < self.num_cells:
            raise ValueError(f"action {action} is out of range 0..{self.num_actions - 1}")
        return cell_name(action, self.size, self.size, top_row_is_1=True)

    def parse_action(self, text: str) -> int:
        """Inverse of :meth:`action_to_str`; raises ``ValueError`` with a hint when malformed."""
        t = text.strip().lower()
        if t == "swap":
            if not self.swap:
                raise ValueError("'swap' is not a move in this game: start it with swap=True for the pie rule")
            return self.swap_action
        return parse_cell(text, self.size, self.size, top_row_is_1=True, what="a Hex cell", example="c2",
                          extra=", or 'swap'" if self.swap else "")

    def cell_of_action(self, state: HexState, index: int, action: int) -> int:
        """The cell a move puts a stone on; for the swap, the mirrored cell of the opening stone."""
        action = int(action)
        if 0 <= action < self.num_cells:
            return action
        if self.swap and action == self.swap_action:
            stones = np.flatnonzero(state.board[index].reshape(-1))
            if stones.size == 1:
                r, c = divmod(int(stones[0]), self.size)
                return c * self.size + r
        return -1

    # ------------------------------------------------------------------ rendering
    def render(self, state: HexState, index: int = 0, *, color: bool = False) -> str:
        """The rhombus with coordinates, each row shifted half a cell right of the one above; the
        last stone in brackets (bold red with ``color=True``)."""
        n = self.size
        marks = (".", "X", "O")
        board = state.board[index]
        last = int(state.last_move[index])
        letters = " ".join(string.ascii_lowercase[:n])
        lines = ["    " + letters + "      X joins top-bottom, O joins left-right"]
        for r in range(n):
            chars = [" "] * (2 * n + 1)
            for c in range(n):
                chars[2 * c + 1] = marks[int(board[r, c])]
            cell = r * n
            if cell <= last < cell + n:
                x = 2 * (last - cell) + 1
                if color:
                    chars[x] = f"\x1b[1;31m{chars[x]}\x1b[0m"
                else:
                    chars[x - 1], chars[x + 1] = "[", "]"
            lines.append(" " * r + f"{r + 1:>2} " + "".join(chars) + f" {r + 1}")
        lines.append(" " * (n - 1) + "    " + letters)
        w = int(state.winner[index])
        if w == ONGOING:
            mover = int(state.to_play[index])
            status = f"{'XO'[mover]} to move"
            if self.swap and int(state.moves[index]) == 1 and mover == 1:
                status += " ('swap' takes over X's stone)"
        else:
            status = f"{'XO'[w]} wins"
        lines.append(status)
        return "\n".join(lines)


def hex_game(size: int = 11, swap: bool = False) -> HexGame:
    """Hex on a ``size x size`` rhombus (5..11); ``swap=True`` turns on the swap (pie) rule."""
    return HexGame(size, swap)
