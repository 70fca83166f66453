"""`arena play` argument handling and bot set-up, called in-process (no pty)."""

from __future__ import annotations

import argparse
import builtins

import pytest

import arena
from arena.bots import HumanBot, RandomBot, SearchBot, game_of
from arena.cli import UserError, main
from arena.commands.play import check_playable, game_kwargs, make_bots
from games.board import MNKGame


def namespace(**overrides) -> argparse.Namespace:
    args = dict(game="tic_tac_toe", opponent="random", human_seat=0, playouts=None, seed=0,
                no_color=True, size=None, n_in_row=None, exact=False)
    args.update(overrides)
    return argparse.Namespace(**args)


def feed(monkeypatch, lines):
    answers = iter(lines)

    def fake_input(prompt=""):
        try:
            return next(answers)
        except StopIteration:
            raise EOFError from None

    monkeypatch.setattr(builtins, "input", fake_input)


def test_gomoku_options_reach_the_board():
    kwargs = game_kwargs(namespace(game="gomoku", size=9, n_in_row=4, exact=True))
    assert kwargs == {"size": 9, "n_in_row": 4, "exact": True}
    game = game_of(arena.make("gomoku", **kwargs))
    assert (game.rows, game.k, game.exact) == (9, 4, True)
    with pytest.raises(UserError, match="--n-in-row, --exact: connect_four has no such option"):
        game_kwargs(namespace(game="connect_four", n_in_row=4, exact=True))


def test_search_opponent_gets_its_own_hint_bot_with_the_playouts():
    env = arena.make("connect_four")
    opponent, hint_bot = make_bots(namespace(game="connect_four", opponent="mcts", playouts=30), env)
    assert isinstance(opponent, SearchBot) and isinstance(hint_bot, SearchBot)
    assert hint_bot is not opponent
    assert opponent.name == hint_bot.name == "mcts:30"


def test_non_search_opponents_get_an_mcts_hint_bot():
    env = arena.make("tic_tac_toe")
    opponent, hint_bot = make_bots(namespace(opponent="random"), env)
    assert isinstance(opponent, RandomBot) and isinstance(hint_bot, SearchBot)
    opponent, hint_bot = make_bots(namespace(opponent="human"), env)
    assert isinstance(opponent, HumanBot) and isinstance(hint_bot, SearchBot)


def test_playouts_with_a_bot_that_takes_none_is_a_one_line_error(capsys):
    assert main(["play", "tic_tac_toe", "--opponent", "random", "--playouts", "10"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("arena: error: ") and "random" in err and "\n" not in err
    assert main(["play", "tic_tac_toe", "--playouts", "0"]) == 2
    assert "argument --playouts: must be >= 1" in capsys.readouterr().err


def test_non_board_envs_are_refused():
    with pytest.raises(UserError, match="simultaneous-move"):
        check_playable("rock_paper_scissors", arena.make("rock_paper_scissors"))


def test_any_registered_board_game_is_playable(monkeypatch, capsys):
    # A user's own m,n,k variant, registered the way games/__init__.py registers the built-ins;
    # the registration is undone after the test so that game listings elsewhere stay as they were.
    from arena.env import registry
    from arena.env.aec import TurnBasedAECEnv

    registry.registered()  # load the built-ins first
    monkeypatch.setattr(registry, "_registry", dict(registry._registry))
    arena.register("four_by_four_three", lambda: TurnBasedAECEnv(MNKGame("four_by_four_three", 4, 4, 3)),
                   api="aec", description="4x4, three in a row")
    feed(monkeypatch, ["b3", "hint", "quit"])
    assert main(["play", "four_by_four_three", "--opponent", "mcts:20", "--seed", "1", "--no-color"]) == 0
    out = capsys.readouterr().out
    assert "four_by_four_three: you are X" in out
    assert "mcts:20 plays " in out and "hint: " in out and out.rstrip().endswith("bye")
    assert " a  b  c  d" in out  # four labelled columns


def test_hot_seat_game_through_main(monkeypatch, capsys):
    feed(monkeypatch, ["b2", "a3", "c3", "a1", "a2", "c2", "b3", "b1", "c1", "n"])
    assert main(["play", "tic_tac_toe", "--opponent", "human", "--no-color"]) == 0
    out = capsys.readouterr().out
    assert "hot-seat game" in out and "Game over: a draw." in out


def test_ctrl_c_through_main_returns_130(monkeypatch, capsys):
    def interrupt(prompt=""):
        raise KeyboardInterrupt

    monkeypatch.setattr(builtins, "input", interrupt)
    assert main(["play", "tic_tac_toe", "--opponent", "random"]) == 130
    assert "bye (interrupted)" in capsys.readouterr().out
