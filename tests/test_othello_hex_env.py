"""Othello and Hex: PettingZoo conformance of their AEC envs and the turn-based protocol's rules
(in-place step, strict alternation, mask agrees with step, declared symmetries, game length)."""

from __future__ import annotations

import numpy as np
import pytest
from pettingzoo.test import api_test, render_test, seed_test

import arena
from arena.env import grid_symmetries
from games.board.hex import HexGame
from games.board.mnk import IllegalMoveError
from games.board.othello import OthelloGame

ENVS = [("othello", {}), ("othello", {"size": 6}), ("hex", {}), ("hex", {"size": 7, "swap": True})]
GAMES = [OthelloGame(8), OthelloGame(6), OthelloGame(4), HexGame(11), HexGame(5, swap=True), HexGame(7, swap=True)]


@pytest.mark.parametrize(("name", "kwargs"), ENVS)
def test_envs_pass_pettingzoo_tests(name: str, kwargs: dict) -> None:
    api_test(arena.make(name, **kwargs), num_cycles=200)
    seed_test(lambda: arena.make(name, **kwargs), num_cycles=50)
    render_test(lambda render_mode=None: arena.make(name, render_mode=render_mode, **kwargs))


def test_registered_with_their_defaults() -> None:
    specs = {s.name: s for s in arena.registered()}
    assert specs["othello"].kwargs == {"size": 8} and specs["hex"].kwargs == {"size": 11, "swap": False}
    assert arena.make("othello").game.size == 8
    env = arena.make("hex", size=7, swap=True)
    assert (env.game.size, env.game.swap, env.game.num_actions) == (7, True, 50)


def _random_games(game: object, num_games: int, seed: int):  # noqa: ANN202 - generator of (state, mask, actions)
    """Random games stepped together; yields (state before, legal mask, actions) every ply."""
    rng = np.random.default_rng(seed)
    state = game.initial_state(num_games)
    for _ in range(game.max_moves):
        if state.terminal.all():
            return
        mask = game.legal_mask(state)
        live = ~state.terminal
        actions = np.array([rng.choice(np.flatnonzero(m)) if m.any() else 0 for m in mask])
        yield state, mask, actions
        assert (mask[live].sum(1) > 0).all(), "an unfinished game has no legal action"
        assert not mask[~live].any(), "a finished game has legal actions"
        before_to_play = state.to_play.copy()
        out = game.step(state, actions)
        assert out is state, "step must return the state it mutated"
        moved = live
        assert (state.to_play[moved & ~state.terminal] == 1 - before_to_play[moved & ~state.terminal]).all()
    assert state.terminal.all(), "a game outlived max_moves"


@pytest.mark.parametrize("game", GAMES, ids=repr)
def test_protocol_rules_on_random_games(game: object) -> None:
    final = None
    plies = 0
    for state, _mask, _actions in _random_games(game, 64, seed=3):
        final = state
        plies += 1
        assert (state.moves[~state.terminal] <= game.max_moves).all()
    assert final is not None and final.terminal.all() and plies <= game.max_moves
    returns = game.returns(final)
    assert returns.dtype == np.float32 and returns.shape == (64, 2)
    np.testing.assert_array_equal(returns.sum(1), 0.0)
    assert set(np.unique(returns[:, 0])) <= {-1.0, 0.0, 1.0}
    if isinstance(game, HexGame):
        assert (returns[:, 0] != 0).all(), "Hex has no draws"
    assert (game.returns(game.initial_state(3)) == 0).all()


@pytest.mark.parametrize("game", GAMES, ids=repr)
def test_mask_agrees_with_step(game: object) -> None:
    rng = np.random.default_rng(5)
    checked_illegal = 0
    for state, mask, _actions in _random_games(game, 4, seed=7):
        for i in np.flatnonzero(~state.terminal):
            legal = np.flatnonzero(mask[i])
            for a in rng.choice(legal, size=min(3, legal.size), replace=False):
                game.step(state.take(int(i)), np.array([a]))  # every legal action steps
            illegal = np.flatnonzero(~mask[i])
            if illegal.size:
                a = int(rng.choice(illegal))
                with pytest.raises(IllegalMoveError, match="illegal move"):
                    game.step(state.take(int(i)), np.array([a]))
                checked_illegal += 1
            with pytest.raises(ValueError):
                game.step(state.take(int(i)), np.array([game.num_actions + 3]))
    assert checked_illegal > 0
    finished = game.initial_state(2)
    finished.winner[:] = 0
    before = finished.copy()
    game.step(finished, np.array([0, 0]))  # finished games ignore their action
    np.testing.assert_array_equal(finished.board, before.board)


def _check_symmetry_on_games(game: object, sym: object, num_games: int = 16, seed: int = 1) -> bool:
    """Play random games and their images under ``sym`` in lockstep; True when the legal masks
    and the boards correspond all along and the results agree."""
    rng = np.random.default_rng(seed)
    state = game.initial_state(num_games)
    image = game.initial_state(num_games)
    n = game.board_shape[0] * game.board_shape[1]
    for _ in range(game.max_moves + 1):
        mask = game.legal_mask(state)
        image_mask = game.legal_mask(image)
        if not np.array_equal(image_mask[:, sym.action_perm], mask):
            return False
        flat = state.board.reshape(num_games, n)
        image_flat = image.board.reshape(num_games, n)
        if not np.array_equal(image_flat[:, sym.cell_perm], flat):
            return False
        planes = game.observation(state, state.to_play)
        if not np.array_equal(sym.apply_planes(planes), game.observation(image, image.to_play)):
            return False
        if state.terminal.all():
            break
        actions = np.array([rng.choice(np.flatnonzero(m)) if m.any() else 0 for m in mask])
        game.step(state, actions)
        game.step(image, sym.action_perm[actions])
    return np.array_equal(game.returns(state), game.returns(image))


@pytest.mark.parametrize("game", GAMES, ids=repr)
def test_declared_symmetries_preserve_the_rules(game: object) -> None:
    declared = game.symmetries()
    names = [s.name for s in declared]
    if isinstance(game, OthelloGame):
        assert names == ["identity", "rot180", "transpose", "antitranspose"]
    else:
        assert names == ["identity", "rot180"]
    for sym in declared:
        assert sym.action_perm.shape == (game.num_actions,)
        assert sym.action_perm[-1] == game.num_actions - 1 or not getattr(game, "swap", True)
        assert _check_symmetry_on_games(game, sym), sym.name
    # The symmetries left out really break the rules (the start position or the edges).
    size = game.board_shape[0]
    left_out = ("rot90", "flip_lr", "flip_ud") + (("transpose",) if isinstance(game, HexGame) else ())
    extra = 1 if game.num_actions > size * size else 0
    for sym in grid_symmetries(size, size, left_out, extra_actions=extra):
        assert not _check_symmetry_on_games(game, sym), sym.name


def test_othello_passes_and_ending() -> None:
    game = OthelloGame(4)
    state = game.initial_state(1)
    # A position where black (to move) cannot place but white can: black must pass.
    state.board[0] = np.array([[2, 2, 2, 0], [2, 2, 1, 0], [2, 2, 2, 0], [2, 2, 2, 2]], dtype=np.int8)
    mask = game.legal_mask(state)[0]
    assert np.flatnonzero(mask).tolist() == [game.pass_action]
    with pytest.raises(IllegalMoveError, match="illegal move d1"):
        game.step(state.copy(), np.array([3]))
    game.step(state, np.array([game.pass_action]))
    assert int(state.to_play[0]) == 1 and not state.terminal[0] and int(state.moves[0]) == 1
    assert "O to move (X passed)" in game.render(state)
    white_moves = np.flatnonzero(game.legal_mask(state)[0]).tolist()
    assert white_moves and game.pass_action not in white_moves
    with pytest.raises(IllegalMoveError, match="illegal move pass"):
        game.step(state.copy(), np.array([game.pass_action]))
    # White plays d2 (flips c2): the board holds only white discs, nobody can move, white wins.
    game.step(state, np.array([game.parse_action("d2")]))
    assert state.terminal[0] and int(state.winner[0]) == 1
    np.testing.assert_array_equal(game.returns(state)[0], [-1.0, 1.0])
    assert "O wins" in game.render(state)


def test_hex_swap_and_win() -> None:
    game = HexGame(5, swap=True)
    state = game.initial_state(1)
    assert not game.legal_mask(state)[0, game.swap_action]
    game.step(state, np.array([game.parse_action("b1")]))  # row 0, column 1
    assert game.legal_mask(state)[0, game.swap_action]
    assert game.cell_of_action(state, 0, game.swap_action) == 1 * 5 + 0
    game.step(state, np.array([game.parse_action("swap")]))
    assert state.board[0, 1, 0] == 2 and int((state.board[0] != 0).sum()) == 1
    assert int(state.to_play[0]) == 0 and int(state.moves[0]) == 2
    assert not game.legal_mask(state)[0, game.swap_action]
    with pytest.raises(IllegalMoveError, match="illegal move swap"):
        game.step(state.copy(), np.array([game.swap_action]))
    # Seat 0 builds column c top to bottom; seat 1 plays elsewhere; seat 0 wins on c5.
    for r in range(5):
        game.step(state, np.array([r * 5 + 2]))
        if state.terminal[0]:
            break
        game.step(state, np.array([r * 5 + 4]))
    assert state.terminal[0] and int(state.winner[0]) == 0 and int(state.last_move[0]) == 4 * 5 + 2
    plain = HexGame(5)
    with pytest.raises(ValueError, match="swap=True"):
        plain.parse_action("swap")


def test_hex_win_follows_hex_adjacency() -> None:
    game = HexGame(5)
    state = game.initial_state(1)
    # Seat 1 joins left and right along the anti-diagonal steps (r, c) -> (r - 1, c + 1): connected in Hex.
    path = [(4, 0), (3, 1), (2, 2), (1, 3), (0, 4)]
    filler = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)]
    for (r, c), (fr, fc) in zip(path, filler):
        game.step(state, np.array([fr * 5 + fc]))
        game.step(state, np.array([r * 5 + c]))
    assert int(state.winner[0]) == 1
    # The other diagonal (r, c) -> (r + 1, c + 1) is not adjacent: no win.
    state = game.initial_state(1)
    for k, (fr, fc) in enumerate([(0, 1), (0, 2), (0, 3), (0, 4), (1, 4)]):
        game.step(state, np.array([fr * 5 + fc]))
        game.step(state, np.array([k * 5 + k]))
    assert not state.terminal[0]


@pytest.mark.parametrize("game", GAMES, ids=repr)
def test_observation_round_trip_and_render(game: object) -> None:
    for state, _mask, _actions in _random_games(game, 8, seed=2):
        obs = game.observation(state, state.to_play)
        assert obs.shape == (8, *game.observation_shape) and obs.dtype == np.int8
        for i in np.flatnonzero(~state.terminal)[:2]:
            rebuilt = game.state_from_observation(obs[i])
            np.testing.assert_array_equal(rebuilt.board[0], state.board[i])
            assert int(rebuilt.to_play[0]) == int(state.to_play[i])
            np.testing.assert_array_equal(game.legal_mask(rebuilt)[0], game.legal_mask(state.take(int(i)))[0])
            assert int(rebuilt.moves[0]) % 2 == int(state.moves[i]) % 2
        text = game.render(state, 0)
        assert max(len(line) for line in text.splitlines()) <= 80
        assert "a" in text.splitlines()[0]


@pytest.mark.parametrize("game", GAMES, ids=repr)
def test_notation(game: object) -> None:
    for a in range(game.num_actions):
        assert game.parse_action(game.action_to_str(a)) == a
        assert game.parse_action(game.action_to_str(a).upper()) == a
    for bad in ("", "z9", "a0", "a99", "11", "pas"):
        with pytest.raises(ValueError, match="e.g."):
            game.parse_action(bad)
    assert game.action_to_str(0) == "a1" and game.action_to_str(game.board_shape[1]) == "a2"
    assert game.cell_of_action(game.initial_state(1), 0, 7) == 7


def test_othello_notation_matches_the_standard_opening() -> None:
    game = OthelloGame(8)
    opening = sorted(game.action_to_str(a) for a in np.flatnonzero(game.legal_mask(game.initial_state(1))[0]))
    assert opening == ["c4", "d3", "e6", "f5"]
    assert game.action_to_str(game.pass_action) == "pass" and game.parse_action(" PASS ") == 64


def test_bad_options_are_one_line_errors() -> None:
    for size in (3, 5, 12, "8", True):
        with pytest.raises(ValueError, match="even board size from 4 to 10"):
            OthelloGame(size)
    for size in (4, 12):
        with pytest.raises(ValueError, match="from 5 to 11"):
            HexGame(size)
    with pytest.raises(ValueError, match="True or False"):
        HexGame(7, swap="yes")
