"""The terminal play loop (arena.play.terminal) driven by scripted input, without a pty."""

from __future__ import annotations

import io

import numpy as np
import pytest

import arena
from arena.bots import HumanBot, RandomBot, SearchBot, SearchResult, game_of
from arena.play.terminal import TerminalSession, format_search, play_terminal, top_moves


class FakeSearchBot:
    """Plays the lowest legal action and reports a made-up search around it.

    ``act`` is never supposed to be called by the terminal UI (it must play the policy's action),
    so it fails loudly.
    """

    name = "fake"

    def __init__(self, value: float = 0.25) -> None:
        self.value = value
        self.policy_calls = 0
        self.resets = 0

    def policy(self, observation, action_mask) -> SearchResult:
        self.policy_calls += 1
        legal = np.flatnonzero(np.asarray(action_mask))
        shares = np.zeros(len(action_mask))
        weights = np.arange(len(legal), 0, -1, dtype=np.float64)
        shares[legal] = weights / weights.sum()
        return SearchResult(action=int(legal[0]), visit_shares=shares, value=self.value, simulations=123)

    def act(self, observation, action_mask) -> int:
        raise AssertionError("the terminal UI must play SearchBot.policy(...).action, not act()")

    def reset(self) -> None:
        self.resets += 1


def scripted(lines):
    """An input function that answers prompts with ``lines`` then raises EOF (Ctrl-D)."""
    answers = iter(lines)
    prompts: list[str] = []

    def input_fn(prompt: str) -> str:
        prompts.append(prompt)
        try:
            answer = next(answers)
        except StopIteration:
            raise EOFError from None
        if isinstance(answer, BaseException):
            raise answer
        return answer

    return input_fn, prompts


def run(game: str, opponent, lines, *, human_seat: int = 0, color: bool = False, **kwargs):
    input_fn, prompts = scripted(lines)
    out = io.StringIO()
    summary = play_terminal(lambda: arena.make(game, **kwargs), opponent, human_seat, input_fn, out,
                            opponent_name=getattr(opponent, "name", None), color=color)
    return summary, out.getvalue(), prompts


def session(game: str, opponent, lines, *, human_seat: int = 0, **kwargs) -> tuple[TerminalSession, io.StringIO]:
    input_fn, _ = scripted(lines)
    out = io.StringIO()
    return TerminalSession(lambda: arena.make(game, **kwargs), opponent, human_seat, input_fn, out), out


# Tic-tac-toe cells: a3 b3 c3 / a2 b2 c2 / a1 b1 c1 are actions 0..8; FakeSearchBot takes the lowest free.


def test_full_game_human_wins_against_fake_search_bot():
    bot = FakeSearchBot()
    summary, out, _ = run("tic_tac_toe", bot, ["b2", "c3", "a1", "n"])
    assert [g.result for g in summary.games] == ["win"]
    assert summary.games[0].moves == [(0, 4), (1, 0), (0, 2), (1, 1), (0, 6)]
    assert "Game over: you win!" in out
    assert out.rstrip().endswith("bye")
    assert not summary.interrupted


def test_bot_move_shows_top_moves_and_plays_the_policy_action():
    bot = FakeSearchBot(value=-0.5)
    summary, out, _ = run("tic_tac_toe", bot, ["b2", "quit"])
    assert "fake plays a3" in out  # the policy's action, the lowest free cell
    assert "top moves: a3 " in out and "value -0.50 for fake" in out and "123 simulations" in out
    assert bot.policy_calls == 1
    # the listing names at most five moves
    line = next(ln for ln in out.splitlines() if "top moves" in ln)
    assert line.split("top moves: ")[1].split(" (")[0].count("%") == 5


def test_malformed_and_illegal_input_reprompts():
    summary, out, prompts = run("tic_tac_toe", FakeSearchBot(), ["zz", "99", "", "d1", "a4", "b2", "a3", "quit"])
    assert "'zz' is not a cell" in out
    assert "'99' is not a cell" in out
    assert "'d1' is not a cell" in out
    assert "'a4' is off the board" in out
    assert "a3 is already taken" in out  # the bot answered b2 with a3
    assert summary.games == []
    assert len(prompts) == 8  # every line was answered by a fresh prompt, nothing crashed


def test_undo_takes_back_human_move_and_bot_reply():
    bot = FakeSearchBot()
    sess, out = session("tic_tac_toe", bot, ["b2", "undo", "c1", "quit"])
    sess.run()
    text = out.getvalue()
    assert "took back b2, a3" in text
    # after the undo the human played c1 and the bot replied a3 on a board without b2
    assert sess.moves == [(0, 8), (1, 0)]
    assert int(sess.state.board[0].sum()) == 1 + 2
    assert bot.resets >= 2  # once for the new game, once after the undo


def test_undo_with_nothing_to_undo_when_bot_moved_first():
    bot = FakeSearchBot()
    sess, out = session("tic_tac_toe", bot, ["undo", "quit"], human_seat=1)
    sess.run()
    assert "nothing to undo yet" in out.getvalue()
    assert sess.moves == [(0, 0)]  # the bot's opening move stays


def test_undo_from_the_end_menu_goes_back_into_the_game():
    bot = FakeSearchBot()
    summary, out, _ = run("tic_tac_toe", bot, ["b2", "c3", "a1", "u", "c1", "quit"])
    assert "Game over: you win!" in out
    assert "took back a1" in out
    assert out.count("Game over") == 1  # after the undo the game went on and no second result yet
    assert summary.games == []  # the finished game was taken back, the new ending never came


def test_hint_names_the_search_bots_move_and_top_moves():
    bot = FakeSearchBot()
    summary, out, _ = run("tic_tac_toe", bot, ["hint", "quit"])
    assert "hint: a3" in out
    assert "value +0.25 for you" in out


def test_hint_uses_a_given_hint_bot_and_random_bots_just_name_a_move():
    out = io.StringIO()
    input_fn, _ = scripted(["hint", "quit"])
    hint_bot = FakeSearchBot()
    play_terminal(lambda: arena.make("tic_tac_toe"), RandomBot(seed=0), 0, input_fn, out, hint_bot=hint_bot)
    assert hint_bot.policy_calls == 1 and "hint: a3" in out.getvalue()

    out = io.StringIO()
    input_fn, _ = scripted(["hint", "quit"])
    play_terminal(lambda: arena.make("tic_tac_toe"), RandomBot(seed=0), 0, input_fn, out)
    assert "hint: random would play " in out.getvalue()


def test_quit_words_ctrl_d_and_ctrl_c_end_cleanly():
    for word in ("quit", "exit", "Q", "QUIT"):
        summary, out, _ = run("tic_tac_toe", RandomBot(seed=0), [word])
        assert out.rstrip().endswith("bye") and not summary.interrupted
    summary, out, _ = run("tic_tac_toe", RandomBot(seed=0), [])  # EOF straight away
    assert out.rstrip().endswith("bye") and not summary.interrupted
    summary, out, _ = run("tic_tac_toe", RandomBot(seed=0), ["b2", KeyboardInterrupt()])
    assert summary.interrupted and "bye (interrupted)" in out


def test_help_lists_the_commands():
    _, out, _ = run("connect_four", RandomBot(seed=0), ["help", "quit"])
    for word in ("hint", "undo", "board", "quit", "column number 1-7"):
        assert word in out


def test_hot_seat_both_seats_type_and_undo_takes_back_one_move():
    game = arena.make("connect_four")
    human = HumanBot(game_of(game))
    sess, out = session("connect_four", human, ["1", "1", "undo", "2", "quit"])
    sess.run()
    assert sess.hot_seat
    assert sess.moves == [(0, 0), (1, 1)]
    assert "took back 1" in out.getvalue()
    assert "O to move> " not in out.getvalue()  # prompts go to input_fn, the board to output


def test_connect_four_full_column_is_rejected():
    summary, out, _ = run("connect_four", None, ["1"] * 7 + ["quit"])
    assert "column 1 is full; pick another column" in out
    assert summary.games == []


def test_gomoku_coordinates_and_default_board():
    bot = FakeSearchBot()
    sess, out = session("gomoku", bot, ["h8", "p1", "a16", "quit"])
    sess.run()
    assert sess.game.board_shape == (15, 15)
    assert sess.moves[0] == (0, 7 * 15 + 7)  # h8 is the centre of a 15x15 board
    text = out.getvalue()
    assert "'p1' is not a cell" in text and "'a16' is off the board" in text
    assert "15 " in text and " o" in text  # row and column labels are drawn


def test_swap_sides_after_a_game():
    bot = FakeSearchBot()
    sess, out = session("tic_tac_toe", bot, ["b2", "c3", "a1", "s", "quit"])
    summary = sess.run()
    assert len(summary.games) == 1
    assert sess.human_seat == 1
    assert sess.moves == [(0, 0)]  # in the second game the bot opened
    assert "you are O and move second" in out.getvalue()


def test_lost_game_and_draw_are_reported():
    # Human as O against the fake bot (lowest free cell): X gets a3 b3 c3 across the top.
    summary, out, _ = run("tic_tac_toe", FakeSearchBot(), ["a1", "b1", "n"], human_seat=1)
    assert summary.games[0].result == "loss" and "Game over: fake wins." in out
    # Hot-seat draw: X b2 c3 a2 b3 c1 / O a3 a1 c2 b1
    moves = ["b2", "a3", "c3", "a1", "a2", "c2", "b3", "b1", "c1", "n"]
    summary, out, _ = run("tic_tac_toe", None, moves)
    assert summary.games[0].result == "draw" and "Game over: a draw." in out


def test_color_only_when_asked():
    _, plain, _ = run("tic_tac_toe", FakeSearchBot(), ["b2", "quit"], color=False)
    _, colored, _ = run("tic_tac_toe", FakeSearchBot(), ["b2", "quit"], color=True)
    assert "\x1b[" not in plain and "[O]" in plain  # plain text marks the last move with brackets
    assert "\x1b[" in colored


def test_top_moves_and_format_search():
    game = game_of(arena.make("tic_tac_toe"))
    shares = np.array([0.1, 0.0, 0.5, 0.0, 0.3, 0.0, 0.0, 0.0, 0.1])
    result = SearchResult(action=2, visit_shares=shares, value=0.125, simulations=10)
    assert top_moves(game, result, 3) == [("c3", 0.5), ("b2", 0.3), ("a3", 0.1)]
    assert format_search(game, result, 2, "bot") == "top moves: c3 50%, b2 30% (value +0.12 for bot, 10 simulations)"


def test_fake_bot_counts_as_search_bot():
    assert isinstance(FakeSearchBot(), SearchBot)


def test_bad_seat_is_rejected():
    with pytest.raises(ValueError, match="human_seat"):
        play_terminal(lambda: arena.make("tic_tac_toe"), None, 2, lambda p: "quit", io.StringIO())
