"""Othello (Reversi) on any even square board from 4x4 to 10x10, written only through the public
turn-based protocol (:class:`arena.env.TurnBasedGame`).

Rules (the same as OpenSpiel's ``othello`` on 8x8, which the test suite cross-checks):

* The board starts with four discs in the centre: white on the top-left and bottom-right of the
  central square, black on the other two (d4 and e5 white, d5 and e4 black on 8x8).
* Black (seat 0, ``X``) moves first. A move places a disc on an empty cell so that it brackets at
  least one straight line (any of the 8 directions) of opponent discs ending in one of the mover's
  discs; every bracketed disc is flipped.
* A player with no placing move must play the explicit **pass** action (index ``rows * cols``),
  which is legal only then. The game ends as soon as neither player can place a disc (full board
  included), so two passes never follow each other.
* The player with more discs wins; equal counts are a draw.

Batched state :class:`OthelloState`: ``board[B, H, W]`` int8 (0 empty, 1 black, 2 white),
``to_play``, ``winner`` (-1 ongoing, 0/1 the winning seat, 2 draw), ``moves`` (plies played,
passes included) and ``last_move`` (the last action, -1 at the start). Rules run in numba kernels
(``nogil``, cached on disk).

Observation ``[B, H, W, 3]`` int8 from a seat's point of view: own discs, opponent discs, and a
constant plane that is 1 when the observing seat plays white (seat 1). Disc positions and the side
to move are all the rules depend on (a pass leaves nothing behind that matters later), so the
observation of the player to move determines the position: :meth:`OthelloGame.state_from_observation`.

Notation: columns ``a``.. left to right, rows ``1``.. top to bottom (standard Othello notation, as
OpenSpiel writes it), e.g. ``d3``; the pass is ``pass``.
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
DRAW = 2
MIN_SIZE = 4
MAX_SIZE = 10

# ---------------------------------------------------------------------------------------------
# single-board kernels (board: int8 [N, N]; piece: 1 black, 2 white)


@numba.njit(cache=True, nogil=True)
def _flips_in_direction(board, r0, c0, dr, dc, piece):
    """How many opponent discs a disc of ``piece`` on (r0, c0) brackets in direction (dr, dc)."""
    n = board.shape[0]
    opp = 3 - piece
    r = r0 + dr
    c = c0 + dc
    count = 0
    while 0 <= r < n and 0 <= c < n and board[r, c] == opp:
        r += dr
        c += dc
        count += 1
    if count > 0 and 0 <= r < n and 0 <= c < n and board[r, c] == piece:
        return count
    return 0


@numba.njit(cache=True, nogil=True)
def othello_is_legal(board, cell, piece):
    """Whether ``piece`` may place a disc on flat ``cell`` (empty and flipping at least one disc)."""
    n = board.shape[0]
    r0 = cell // n
    c0 = cell % n
    if board[r0, c0] != 0:
        return False
    for dr in range(-1, 2):
        for dc in range(-1, 2):
            if (dr != 0 or dc != 0) and _flips_in_direction(board, r0, c0, dr, dc, piece) > 0:
                return True
    return False


@numba.njit(cache=True, nogil=True)
def othello_has_move(board, piece):
    """Whether ``piece`` has at least one placing move."""
    n = board.shape[0]
    for cell in range(n * n):
        if othello_is_legal(board, cell, piece):
            return True
    return False


@numba.njit(cache=True, nogil=True)
def othello_legal(board, piece, out):
    """Write ``piece``'s placing moves into ``out[:k]`` and return ``k`` (0: it must pass)."""
    n = board.shape[0]
    k = 0
    for cell in range(n * n):
        if othello_is_legal(board, cell, piece):
            out[k] = cell
            k += 1
    return k


@numba.njit(cache=True, nogil=True)
def othello_play(board, cell, piece):
    """Place ``piece`` on ``cell`` and flip in place; return the discs flipped (0: illegal, board
    untouched)."""
    n = board.shape[0]
    if cell < 0 or cell >= n * n:
        return 0
    r0 = cell // n
    c0 = cell % n
    if board[r0, c0] != 0:
        return 0
    total = 0
    for dr in range(-1, 2):
        for dc in range(-1, 2):
            if dr == 0 and dc == 0:
                continue
            k = _flips_in_direction(board, r0, c0, dr, dc, piece)
            for i in range(1, k + 1):
                board[r0 + i * dr, c0 + i * dc] = piece
            total += k
    if total > 0:
        board[r0, c0] = piece
    return total


@numba.njit(cache=True, nogil=True)
def othello_outcome(board):
    """Winner by disc count once nobody can move: 0 black, 1 white, 2 draw."""
    n = board.shape[0]
    black = 0
    white = 0
    for r in range(n):
        for c in range(n):
            if board[r, c] == 1:
                black += 1
            elif board[r, c] == 2:
                white += 1
    if black > white:
        return 0
    if white > black:
        return 1
    return 2


# ---------------------------------------------------------------------------------------------
# bitboard kernels for boards up to 8x8: cell (r, c) is bit r * 8 + c of a uint64 (the board sits
# in the top-left corner of an 8x8 frame; the cells outside it are never occupied and never legal)

_ONE = np.uint64(1)
_NOT_COL_A = np.uint64(0xFEFEFEFEFEFEFEFE)  # every bit but column 0 (stops wrapping after an eastward shift)
_NOT_COL_H = np.uint64(0x7F7F7F7F7F7F7F7F)  # every bit but column 7 (stops wrapping after a westward shift)


@numba.njit(cache=True, nogil=True, inline="always")
def _shift(x, d):
    """Move every bit of ``x`` one cell in direction ``d`` (0 N, 1 S, 2 E, 3 W, 4 NE, 5 NW, 6 SE, 7 SW)."""
    if d == 0:
        return x >> np.uint64(8)
    if d == 1:
        return x << np.uint64(8)
    if d == 2:
        return (x << np.uint64(1)) & _NOT_COL_A
    if d == 3:
        return (x >> np.uint64(1)) & _NOT_COL_H
    if d == 4:
        return (x >> np.uint64(7)) & _NOT_COL_A
    if d == 5:
        return (x >> np.uint64(9)) & _NOT_COL_H
    if d == 6:
        return (x << np.uint64(9)) & _NOT_COL_A
    return (x << np.uint64(7)) & _NOT_COL_H


@numba.njit(cache=True, nogil=True)
def _bb_moves(own, opp, empty):
    """Bitboard of the cells where ``own`` may place (each brackets a line of ``opp``)."""
    out = np.uint64(0)
    for d in range(8):
        x = _shift(own, d) & opp
        for _ in range(5):
            x |= _shift(x, d) & opp
        out |= _shift(x, d) & empty
    return out


@numba.njit(cache=True, nogil=True)
def _bb_flips(own, opp, move):
    """Bitboard of the ``opp`` discs a disc of ``own`` on bit ``move`` flips."""
    flips = np.uint64(0)
    for d in range(8):
        line = np.uint64(0)
        x = _shift(move, d)
        while (x & opp) != 0:
            line |= x
            x = _shift(x, d)
        if (x & own) != 0:
            flips |= line
    return flips


@numba.njit(cache=True, nogil=True)
def _bb_of(board, piece):
    n = board.shape[0]
    out = np.uint64(0)
    for r in range(n):
        for c in range(n):
            if board[r, c] == piece:
                out |= _ONE << np.uint64(r * 8 + c)
    return out


@numba.njit(cache=True, nogil=True)
def _bb_inside(n):
    out = np.uint64(0)
    for r in range(n):
        for c in range(n):
            out |= _ONE << np.uint64(r * 8 + c)
    return out


@numba.njit(cache=True, nogil=True)
def _step_one_bits(board, piece, a, inside):
    """One ply on a board of at most 8x8 (bitboards): 0 illegal, 1 played, 2 played and the game is
    over (nobody can place)."""
    n = board.shape[0]
    own = _bb_of(board, piece)
    opp = _bb_of(board, 3 - piece)
    empty = inside & ~(own | opp)
    if a == n * n:
        return 0 if _bb_moves(own, opp, empty) != 0 else 1
    if a < 0 or a > n * n:
        return 0
    r = a // n
    c = a % n
    move = _ONE << np.uint64(r * 8 + c)
    if (move & empty) == 0:
        return 0
    flips = _bb_flips(own, opp, move)
    if flips == 0:
        return 0
    board[r, c] = piece
    for rr in range(n):
        for cc in range(n):
            if (flips >> np.uint64(rr * 8 + cc)) & _ONE:
                board[rr, cc] = piece
    own |= flips | move
    opp &= ~flips
    empty &= ~move
    if _bb_moves(opp, own, empty) != 0 or _bb_moves(own, opp, empty) != 0:
        return 1
    return 2


@numba.njit(cache=True, nogil=True)
def _step_one_scan(board, piece, a):
    """The same ply on any board by direct scanning (boards larger than 8x8)."""
    n = board.shape[0]
    if a == n * n:
        return 0 if othello_has_move(board, piece) else 1
    if othello_play(board, a, piece) == 0:
        return 0
    if othello_has_move(board, 3 - piece) or othello_has_move(board, piece):
        return 1
    return 2


@numba.njit(cache=True, nogil=True)
def _step_batch(board, to_play, winner, moves, last_move, actions):
    """Apply ``actions[b]`` to every unfinished board; return the first illegal index (-1: none)."""
    bad = -1
    n = board.shape[1]
    inside = _bb_inside(n) if n <= 8 else np.uint64(0)
    for b in range(board.shape[0]):
        if winner[b] != -1:
            continue
        piece = to_play[b] + 1
        a = actions[b]
        if n <= 8:
            result = _step_one_bits(board[b], piece, a, inside)
        else:
            result = _step_one_scan(board[b], piece, a)
        if result == 0:
            if bad < 0:
                bad = b
            continue
        moves[b] += 1
        last_move[b] = a
        to_play[b] = 1 - to_play[b]
        if result == 2:
            winner[b] = othello_outcome(board[b])
    return bad


@numba.njit(cache=True, nogil=True)
def _legal_batch(board, to_play, winner, out_mask):
    n = board.shape[1]
    inside = _bb_inside(n) if n <= 8 else np.uint64(0)
    for b in range(board.shape[0]):
        if winner[b] != -1:
            continue
        piece = to_play[b] + 1
        any_move = False
        if n <= 8:
            own = _bb_of(board[b], piece)
            opp = _bb_of(board[b], 3 - piece)
            legal = _bb_moves(own, opp, inside & ~(own | opp))
            if legal != 0:
                any_move = True
                for r in range(n):
                    for c in range(n):
                        if (legal >> np.uint64(r * 8 + c)) & _ONE:
                            out_mask[b, r * n + c] = True
        else:
            for cell in range(n * n):
                if othello_is_legal(board[b], cell, piece):
                    out_mask[b, cell] = True
                    any_move = True
        if not any_move:
            out_mask[b, n * n] = True


@dataclass
class OthelloState(BatchedState):
    """A batch of ``B`` Othello positions (arrays only).

    ``board[B, N, N]`` int8: 0 empty, 1 black (seat 0), 2 white (seat 1).
    ``to_play[B]`` int8: seat to move. ``winner[B]`` int8: -1 ongoing, 0/1 winner, 2 draw.
    ``moves[B]`` int16: plies played, passes included. ``last_move[B]`` int32: last action (the
    pass is ``N * N``), -1 at the start.
    """

    board: np.ndarray
    to_play: np.ndarray
    winner: np.ndarray
    moves: np.ndarray
    last_move: np.ndarray


class OthelloGame:
    """Batched Othello rules on a ``size x size`` board (even, 4..10); actions are the cells row by
    row (row 0 at the top) followed by the pass."""

    num_players = 2

    def __init__(self, size: int = 8) -> None:
        if isinstance(size, bool) or not isinstance(size, int | np.integer) or \
                not (MIN_SIZE <= int(size) <= MAX_SIZE and int(size) % 2 == 0):
            raise ValueError(f"othello size={size!r} is not allowed: choose an even board size from "
                             f"{MIN_SIZE} to {MAX_SIZE} (6 or 8 are usual)")
        self.size = int(size)
        self.rows = self.cols = self.size
        self.name = "othello"

    # ------------------------------------------------------------------ shape facts
    @property
    def num_cells(self) -> int:
        return self.size * self.size

    @property
    def pass_action(self) -> int:
        return self.num_cells

    @property
    def num_actions(self) -> int:
        return self.num_cells + 1

    @property
    def board_shape(self) -> tuple[int, int]:
        return (self.size, self.size)

    @property
    def observation_shape(self) -> tuple[int, int, int]:
        """Own discs, opponent discs, "the observer plays white" (constant)."""
        return (self.size, self.size, 3)

    @property
    def max_moves(self) -> int:
        """Each placement fills a cell and every pass is followed by a placement, so a game lasts
        at most twice the number of initially empty cells."""
        return 2 * (self.num_cells - 4)

    def symmetries(self) -> list[Symmetry]:
        """The relabellings that keep the start position: identity, rot180 and the two diagonal
        mirrors (a quarter turn or a left-right mirror swaps the colours of the centre discs).
        The pass maps to itself."""
        return grid_symmetries(self.size, self.size, ("identity", "rot180", "transpose", "antitranspose"),
                               extra_actions=1)

    def __repr__(self) -> str:
        return f"OthelloGame({self.size}x{self.size})"

    # ------------------------------------------------------------------ batched rules
    def initial_state(self, batch_size: int = 1) -> OthelloState:
        n = self.size
        m = n // 2
        board = np.zeros((batch_size, n, n), dtype=np.int8)
        board[:, m - 1, m - 1] = 2
        board[:, m, m] = 2
        board[:, m - 1, m] = 1
        board[:, m, m - 1] = 1
        return OthelloState(
            board=board,
            to_play=np.zeros(batch_size, dtype=np.int8),
            winner=np.full(batch_size, ONGOING, dtype=np.int8),
            moves=np.zeros(batch_size, dtype=np.int16),
            last_move=np.full(batch_size, -1, dtype=np.int32),
        )

    def legal_mask(self, state: OthelloState) -> np.ndarray:
        """``[B, A]`` bool; the pass is legal exactly when no placing move is; all False when over."""
        mask = np.zeros((state.batch_size, self.num_actions), dtype=np.bool_)
        _legal_batch(state.board, state.to_play, state.winner, mask)
        return mask

    def step(self, state: OthelloState, actions: np.ndarray) -> OthelloState:
        """Play ``actions[B]`` in place (finished games ignore theirs) and return ``state``.

        Raises :class:`~games.board.mnk.IllegalMoveError` (a ``ValueError``) naming the first illegal
        action; games before it in the batch have already moved.
        """
        actions = np.asarray(actions, dtype=np.int64).reshape(-1)
        if actions.shape[0] != state.batch_size:
            raise ValueError(f"expected {state.batch_size} actions, got {actions.shape[0]}")
        bad = _step_batch(state.board, state.to_play, state.winner, state.moves, state.last_move, actions)
        if bad >= 0:
            a = int(actions[bad])
            shown = self.action_to_str(a) if 0 <= a < self.num_actions else str(a)
            raise IllegalMoveError(f"illegal move {shown} (action {a}) in game {bad} of the batch")
        return state

    def returns(self, state: OthelloState) -> np.ndarray:
        """``[B, 2]`` float32: +1 more discs, -1 fewer, 0 equal or ongoing."""
        return win_loss_returns(state.winner)

    def disc_counts(self, state: OthelloState) -> np.ndarray:
        """``[B, 2]`` int: black and white discs on each board."""
        flat = state.board.reshape(state.batch_size, -1)
        return np.stack([(flat == 1).sum(1), (flat == 2).sum(1)], axis=1)

    # ------------------------------------------------------------------ observations
    def observation(self, state: OthelloState, seat: np.ndarray | int) -> np.ndarray:
        """``[B, N, N, 3]`` int8: own discs, opponent discs, 1 everywhere when ``seat`` is white."""
        return stone_planes(state.board, seat, seat_plane=True)

    def state_from_observation(self, observation: np.ndarray) -> OthelloState:
        """Rebuild the position of the player to move from its ``[N, N, 3]`` observation.

        The observer is taken to be the player to move (a bot observes at its turn). ``moves``
        counts the discs played plus one pass when the parity of the side to move needs it (the
        exact number of earlier passes is not observable and does not affect the rules).
        """
        planes = np.asarray(observation)
        shape = self.observation_shape
        if planes.shape != shape:
            raise ValueError(f"observation of shape {planes.shape} does not fit {self!r}: expected {shape}")
        own = planes[..., 0].astype(bool)
        opp = planes[..., 1].astype(bool)
        seat = int(planes[0, 0, 2] != 0)
        state = self.initial_state(1)
        state.board[0] = 0
        state.board[0][own] = seat + 1
        state.board[0][opp] = 2 - seat
        state.to_play[0] = seat
        placed = int(own.sum() + opp.sum()) - 4
        state.moves[0] = placed + ((placed - seat) % 2)
        board = state.board[0]
        if not othello_has_move(board, 1) and not othello_has_move(board, 2):
            state.winner[0] = othello_outcome(board)
        return state

    # ------------------------------------------------------------------ coordinates
    def action_to_str(self, action: int) -> str:
        """``d3``-style: column letter a.. left to right, row number 1.. top to bottom; ``pass``."""
        action = int(action)
        if action == self.pass_action:
            return "pass"
        if not 0 <= action < self.num_cells:
            raise ValueError(f"action {action} is out of range 0..{self.num_actions - 1}")
        return cell_name(action, self.size, self.size, top_row_is_1=True)

    def parse_action(self, text: str) -> int:
        """Inverse of :meth:`action_to_str`; raises ``ValueError`` with a hint when malformed."""
        t = text.strip().lower()
        if t == "pass":
            return self.pass_action
        return parse_cell(text, self.size, self.size, top_row_is_1=True, what="an Othello move", example="d3",
                          extra=", or 'pass'")

    def cell_of_action(self, state: OthelloState, index: int, action: int) -> int:
        """The cell a move places its disc on; -1 for the pass."""
        return int(action) if 0 <= int(action) < self.num_cells else -1

    # ------------------------------------------------------------------ rendering
    def render(self, state: OthelloState, index: int = 0, *, color: bool = False) -> str:
        """The board with coordinates (the last disc in brackets, bold red with ``color=True``),
        the disc counts and who is to move."""
        marks = (".", "X", "O")
        board = state.board[index]
        last = int(state.last_move[index])
        letters = "   " + "".join(f" {string.ascii_lowercase[c]} " for c in range(self.size))
        lines = [letters.rstrip()]
        for r in range(self.size):
            cells = []
            for c in range(self.size):
                ch = marks[int(board[r, c])]
                if r * self.size + c == last:
                    cells.append(f" \x1b[1;31m{ch}\x1b[0m " if color else f"[{ch}]")
                else:
                    cells.append(f" {ch} ")
            lines.append(f"{r + 1:>2} " + "".join(cells) + f" {r + 1}")
        lines.append(letters.rstrip())
        black, white = (int(x) for x in self.disc_counts(state.take(index))[0])
        status = f"X (black) {black}  O (white) {white}"
        w = int(state.winner[index])
        if w == ONGOING:
            status += f"  {'XO'[int(state.to_play[index])]} to move"
            if last == self.pass_action:
                status += f" ({'XO'[1 - int(state.to_play[index])]} passed)"
        else:
            status += "  draw" if w == DRAW else f"  {'XO'[w]} wins"
        lines.append(status)
        return "\n".join(lines)


def othello(size: int = 8) -> OthelloGame:
    """Othello on an even ``size x size`` board (4..10; 8 is the standard game)."""
    return OthelloGame(size)
