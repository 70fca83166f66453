"""Batched m,n,k rules against a slow brute-force reference (property-based) and against
PettingZoo's own tic-tac-toe and connect four."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from games.board.mnk import DRAW, ONGOING, IllegalMoveError, MNKGame, connect_four, gomoku, tic_tac_toe


# ---------------------------------------------------------------------------- brute-force reference
def reference_lines(board: np.ndarray, piece: int) -> list[int]:
    """Lengths of every maximal run of ``piece`` in the 4 directions, by scanning every cell."""
    rows, cols = board.shape
    runs = []
    for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
        for r in range(rows):
            for c in range(cols):
                if board[r, c] != piece:
                    continue
                pr, pc = r - dr, c - dc  # only start runs at their first cell
                if 0 <= pr < rows and 0 <= pc < cols and board[pr, pc] == piece:
                    continue
                n, rr, cc = 0, r, c
                while 0 <= rr < rows and 0 <= cc < cols and board[rr, cc] == piece:
                    n, rr, cc = n + 1, rr + dr, cc + dc
                runs.append(n)
    return runs


def reference_play(game: MNKGame, actions: list[int]) -> tuple[np.ndarray, int, list[set[int]]]:
    """Replay ``actions`` with naive rules; returns final board, winner code, legal sets seen."""
    board = np.zeros(game.board_shape, dtype=np.int8)
    legal_seen = []
    winner = ONGOING
    for i, a in enumerate(actions):
        if game.gravity:
            legal = {c for c in range(game.cols) if board[0, c] == 0}
        else:
            legal = {r * game.cols + c for r in range(game.rows) for c in range(game.cols) if board[r, c] == 0}
        legal_seen.append(legal)
        assert a in legal
        piece = i % 2 + 1
        if game.gravity:
            r = max(r for r in range(game.rows) if board[r, a] == 0)
            board[r, a] = piece
        else:
            board[a // game.cols, a % game.cols] = piece
        runs = reference_lines(board, piece)
        won = any(n == game.k for n in runs) if game.exact else any(n >= game.k for n in runs)
        if won:
            winner = piece - 1
            break
        if (board != 0).all():
            winner = DRAW
            break
    return board, winner, legal_seen


def random_game(game: MNKGame, seed: int) -> list[int]:
    rng = np.random.default_rng(seed)
    state = game.initial_state(1)
    actions = []
    while not state.terminal[0]:
        a = int(rng.choice(np.flatnonzero(game.legal_mask(state)[0])))
        actions.append(a)
        game.step(state, [a])
    return actions


GAMES = {
    "tic_tac_toe": tic_tac_toe(),
    "connect_four": connect_four(),
    "gomoku_5x5_4": gomoku(5, 4),
    "gomoku_6x6_4_exact": gomoku(6, 4, exact=True),
    "gomoku_7x7_3": gomoku(7, 3),
    "wide_gravity": MNKGame("wide", 4, 9, 3, gravity=True),
}


@pytest.mark.parametrize("name", list(GAMES))
@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_batched_rules_match_brute_force(name: str, seed: int) -> None:
    game = GAMES[name]
    actions = random_game(game, seed)
    board, winner, legal_seen = reference_play(game, actions)
    state = game.initial_state(1)
    for a, legal in zip(actions, legal_seen):
        assert set(np.flatnonzero(game.legal_mask(state)[0]).tolist()) == legal
        game.step(state, [a])
    np.testing.assert_array_equal(state.board[0], board)
    assert int(state.winner[0]) == winner
    assert not game.legal_mask(state).any(), "finished games have no legal moves"


@settings(max_examples=25, deadline=None)
@given(seeds=st.lists(st.integers(0, 2**31 - 1), min_size=2, max_size=8))
def test_batch_equals_one_by_one(seeds: list[int]) -> None:
    """Stepping B games together gives the same result as stepping each alone."""
    game = connect_four()
    games = [random_game(game, s) for s in seeds]
    batch = game.initial_state(len(games))
    for t in range(max(map(len, games))):
        actions = np.array([g[t] if t < len(g) else 0 for g in games])
        game.step(batch, actions)
    for i, g in enumerate(games):
        single = game.initial_state(1)
        for a in g:
            game.step(single, [a])
        np.testing.assert_array_equal(batch.board[i], single.board[0])
        assert batch.winner[i] == single.winner[0]
        assert batch.moves[i] == len(g)


def test_exactly_five_overline_does_not_win() -> None:
    free, exact = gomoku(9, 5), gomoku(9, 5, exact=True)
    # Black builds x x x x _ x on row 9 and fills the gap to make six; white plays elsewhere.
    black = ["a9", "b9", "c9", "d9", "f9", "e9"]
    white = ["a1", "b1", "c1", "a3", "h3"]
    for game, expected in ((free, 0), (exact, ONGOING)):
        state = game.initial_state(1)
        for i, cell in enumerate(black):
            game.step(state, [game.parse_action(cell)])
            if i < len(white):
                game.step(state, [game.parse_action(white[i])])
        assert int(state.winner[0]) == expected


def test_illegal_move_is_refused_with_a_clear_error() -> None:
    game = tic_tac_toe()
    state = game.initial_state(1)
    game.step(state, [4])
    with pytest.raises(IllegalMoveError, match="illegal move b2"):
        game.step(state, [4])
    full = connect_four()
    s = full.initial_state(1)
    for _ in range(6):
        full.step(s, [0]) if not s.terminal[0] else None
    with pytest.raises(IllegalMoveError):
        full.step(s, [0])


def test_coordinates_round_trip_and_errors() -> None:
    game = gomoku(15, 5)
    for a in (0, 14, 112, 224):
        assert game.parse_action(game.action_to_str(a)) == a
    assert game.action_to_str(0) == "a15" and game.action_to_str(224) == "o1"
    for bad in ("", "z3", "a0", "a16", "hh", "8h"):
        with pytest.raises(ValueError):
            game.parse_action(bad)
    c4 = connect_four()
    assert c4.parse_action("7") == 6
    with pytest.raises(ValueError, match="1 to 7"):
        c4.parse_action("8")


def test_state_from_observation_round_trip() -> None:
    game = connect_four()
    actions = random_game(game, 3)[:9]
    state = game.initial_state(1)
    for a in actions:
        game.step(state, [a])
    seat = int(state.to_play[0])
    rebuilt = game.state_from_observation(game.observation(state, seat)[0])
    np.testing.assert_array_equal(rebuilt.board, state.board)
    assert rebuilt.to_play[0] == seat and rebuilt.moves[0] == len(actions)


def test_bad_variants_are_refused() -> None:
    with pytest.raises(ValueError, match="size=4"):
        gomoku(4, 3)
    with pytest.raises(ValueError, match="n_in_row=7"):
        gomoku(6, 7)
    with pytest.raises(ValueError, match="size=20"):
        gomoku(20, 5)


# ---------------------------------------------------------------------------- PettingZoo's own games
def _play_both(ours, theirs, seed: int) -> None:
    rng = np.random.default_rng(seed)
    ours.reset(seed=seed)
    theirs.reset(seed=seed)
    seat_ours = {a: i for i, a in enumerate(ours.possible_agents)}
    seat_theirs = {a: i for i, a in enumerate(theirs.possible_agents)}
    for agent in theirs.agent_iter():
        obs_t, rew_t, term_t, trunc_t, _ = theirs.last()
        obs_o, rew_o, term_o, trunc_o, _ = ours.last()
        assert seat_ours[ours.agent_selection] == seat_theirs[agent]
        np.testing.assert_array_equal(obs_o["observation"], obs_t["observation"])
        assert (rew_o, term_o, trunc_o) == (rew_t, term_t, trunc_t)
        if not term_t:  # after the end PettingZoo's masks are unspecified (ours are all zero)
            np.testing.assert_array_equal(obs_o["action_mask"], obs_t["action_mask"])
        if term_t or trunc_t:
            action = None
        else:
            action = int(rng.choice(np.flatnonzero(obs_t["action_mask"])))
        theirs.step(action)
        ours.step(action)
    assert not ours.agents


@pytest.mark.parametrize("seed", range(30))
def test_tic_tac_toe_matches_pettingzoo(seed: int) -> None:
    from pettingzoo.classic import tictactoe_v3

    import arena

    _play_both(arena.make("tic_tac_toe"), tictactoe_v3.env(), seed)


@pytest.mark.parametrize("seed", range(30))
def test_connect_four_matches_pettingzoo(seed: int) -> None:
    from pettingzoo.classic import connect_four_v3

    import arena

    _play_both(arena.make("connect_four"), connect_four_v3.env(), seed)
