"""Othello and Hex rules cross-checked against OpenSpiel's ``othello`` and ``hex`` on random games.

Each check plays a batch of random games in one batched Arena state while stepping one OpenSpiel
state per game, and compares, after every ply: the legal action sets, the side to move, the board
and whether the game is over; at the end, the returns. Action indices are mapped explicitly (they
happen to coincide: cells row by row from the top-left, then pass/swap), and so are the action
strings. Othello on boards other than 8x8 (OpenSpiel has only 8x8) is checked against a plain
Python reading of the rules written here.
"""

from __future__ import annotations

import numpy as np
import pytest

from games.board.hex import HexGame
from games.board.othello import OthelloGame

pyspiel = pytest.importorskip("pyspiel", reason="open-spiel is not installed (pip install -e .[bench])")


# ----------------------------------------------------------------------------- action mapping
def othello_to_openspiel(game: OthelloGame, action: int) -> int:
    """Arena cell r * 8 + c (row 0 = row "1" at the top) and pass 64 -> OpenSpiel's (the same)."""
    assert game.size == 8
    return 64 if action == game.pass_action else (action // 8) * 8 + action % 8


def hex_to_openspiel(game: HexGame, action: int) -> int:
    """Arena cell r * N + c and swap N * N -> OpenSpiel's (row-major from the top-left; swap N * N)."""
    n = game.size
    return n * n if action == game.num_cells else (action // n) * n + action % n


def openspiel_othello_board(state: object) -> np.ndarray:
    """OpenSpiel's board as Arena's int8 [8, 8] (1 black = player 0, 2 white)."""
    planes = np.asarray(state.observation_tensor(0)).reshape(3, 8, 8)  # empty, player 0's, player 1's
    return (planes[1] + 2 * planes[2]).astype(np.int8)


def openspiel_hex_board(state: object, n: int) -> np.ndarray:
    planes = np.asarray(state.observation_tensor(0)).reshape(3, n, n)  # black (player 0), white, empty
    return (planes[0] + 2 * planes[1]).astype(np.int8)


# ----------------------------------------------------------------------------- the lockstep driver
def play_lockstep(game: object, os_game: object, num_games: int, seed: int, to_os, os_board,
                  prefer: int | None = None) -> dict[str, int]:
    """Random games in lockstep; returns counters (plies, passes/swaps, results) for the caller.

    ``prefer``: an action index played with probability 1/2 whenever legal (the swap), so that the
    rare action is exercised often.
    """
    rng = np.random.default_rng(seed)
    state = game.initial_state(num_games)
    os_states = [os_game.new_initial_state() for _ in range(num_games)]
    mapping = np.array([to_os(game, a) for a in range(game.num_actions)])
    for a in range(game.num_actions):  # action strings agree (OpenSpiel writes the same notation)
        os_text = os_states[0].action_to_string(0, int(mapping[a]))
        assert game.action_to_str(a) == os_text, (a, game.action_to_str(a), os_text)
        assert game.parse_action(os_text) == a
    stats = {"plies": 0, "special": 0, "p0": 0, "p1": 0, "draw": 0}
    special = game.num_actions - 1
    for ply in range(game.max_moves + 1):
        live = ~state.terminal
        for i in range(num_games):
            assert os_states[i].is_terminal() == (not live[i]), (i, ply)
        if not live.any():
            break
        assert ply < game.max_moves, "a game outlived max_moves"
        mask = game.legal_mask(state)
        actions = np.zeros(num_games, dtype=np.int64)
        for i in np.flatnonzero(live):
            os_state = os_states[i]
            legal = np.flatnonzero(mask[i])
            assert sorted(mapping[legal].tolist()) == sorted(os_state.legal_actions()), (i, ply)
            assert int(state.to_play[i]) == os_state.current_player()
            if prefer is not None and mask[i, prefer] and rng.random() < 0.5:
                a = prefer
            else:
                a = int(rng.choice(legal))
            actions[i] = a
            os_state.apply_action(int(mapping[a]))
            stats["plies"] += 1
            stats["special"] += int(a == special)
        game.step(state, actions)
        for i in np.flatnonzero(live):
            np.testing.assert_array_equal(state.board[i], os_board(os_states[i]), err_msg=f"game {i} ply {ply}")
    returns = game.returns(state)
    for i in range(num_games):
        np.testing.assert_array_equal(returns[i], np.asarray(os_states[i].returns(), dtype=np.float32))
        key = {0: "p0", 1: "p1"}.get(int(state.winner[i]), "draw")
        stats[key] += 1
    return stats


def test_othello_8x8_matches_openspiel_on_500_random_games() -> None:
    game = OthelloGame(8)
    os_game = pyspiel.load_game("othello")
    assert os_game.num_distinct_actions() == game.num_actions
    stats = play_lockstep(game, os_game, 500, seed=11, to_os=othello_to_openspiel,
                          os_board=openspiel_othello_board)
    assert stats["special"] > 0, "no pass was played: the check did not exercise passes"
    assert stats["p0"] > 0 and stats["p1"] > 0


@pytest.mark.parametrize(("size", "swap", "games"), [(5, False, 200), (7, True, 200), (11, False, 100)])
def test_hex_matches_openspiel_on_random_games(size: int, swap: bool, games: int) -> None:
    game = HexGame(size, swap=swap)
    os_game = pyspiel.load_game("hex", {"board_size": size, "swap": swap, "plain_obs_tensor": True})
    assert os_game.num_distinct_actions() == game.num_actions
    stats = play_lockstep(game, os_game, games, seed=size, to_os=hex_to_openspiel,
                          os_board=lambda s: openspiel_hex_board(s, size),
                          prefer=game.swap_action if swap else None)
    assert stats["draw"] == 0 and stats["p0"] > 0 and stats["p1"] > 0
    if swap:
        assert stats["special"] > games // 4, "the swap was rarely played"


# ----------------------------------------------------------------------------- other Othello sizes
_DIRS = [(dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1) if dr or dc]


def _reference_flips(board: list[list[int]], r: int, c: int, piece: int) -> list[tuple[int, int]]:
    n = len(board)
    if board[r][c]:
        return []
    out = []
    for dr, dc in _DIRS:
        line = []
        rr, cc = r + dr, c + dc
        while 0 <= rr < n and 0 <= cc < n and board[rr][cc] == 3 - piece:
            line.append((rr, cc))
            rr, cc = rr + dr, cc + dc
        if line and 0 <= rr < n and 0 <= cc < n and board[rr][cc] == piece:
            out += line
    return out


def _reference_moves(board: list[list[int]], piece: int) -> list[int]:
    n = len(board)
    return [r * n + c for r in range(n) for c in range(n) if _reference_flips(board, r, c, piece)]


@pytest.mark.parametrize("size", [4, 6, 10])
def test_othello_other_sizes_match_a_plain_reading_of_the_rules(size: int) -> None:
    game = OthelloGame(size)
    rng = np.random.default_rng(size)
    num_games = 40
    state = game.initial_state(num_games)
    boards = [state.board[i].tolist() for i in range(num_games)]
    to_play = [0] * num_games
    over = [False] * num_games
    passes = 0
    for _ in range(game.max_moves + 1):
        assert list(state.terminal) == over
        if all(over):
            break
        mask = game.legal_mask(state)
        actions = np.zeros(num_games, dtype=np.int64)
        for i in range(num_games):
            if over[i]:
                assert not mask[i].any()
                continue
            piece = to_play[i] + 1
            moves = _reference_moves(boards[i], piece) or [game.pass_action]
            assert np.flatnonzero(mask[i]).tolist() == moves
            a = int(rng.choice(moves))
            actions[i] = a
            if a == game.pass_action:
                passes += 1
            else:
                r, c = divmod(a, size)
                for rr, cc in _reference_flips(boards[i], r, c, piece) + [(r, c)]:
                    boards[i][rr][cc] = piece
            to_play[i] = 1 - to_play[i]
            if not _reference_moves(boards[i], 1) and not _reference_moves(boards[i], 2):
                over[i] = True
        game.step(state, actions)
        for i in range(num_games):
            assert state.board[i].tolist() == boards[i]
            if not over[i]:
                assert int(state.to_play[i]) == to_play[i]
    assert all(over)
    counts = game.disc_counts(state)
    expected = np.sign(counts[:, 0] - counts[:, 1]).astype(np.float32)
    np.testing.assert_array_equal(game.returns(state)[:, 0], expected)
    if size == 4:
        assert passes > 0
