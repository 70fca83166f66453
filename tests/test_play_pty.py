"""`arena play` end to end through a pseudo-terminal, typed as a person would type."""

from __future__ import annotations

import os
import re
import sys
from functools import cache
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")

REPO = Path(__file__).resolve().parents[1]
PROMPT = r"your move \(X\)> "
END_MENU = r"Play again\? \(y = yes, s = swap sides, u = undo, n = quit\)> "
TIMEOUT = 60  # generous: two CPU cores are shared with other jobs


def spawn(*args: str) -> pexpect.spawn:
    env = dict(os.environ, TERM="dumb", NO_COLOR="1", COLUMNS="100", LINES="40")
    env.pop("ARENA_DEBUG", None)
    return pexpect.spawn(sys.executable, ["-m", "arena", "play", *args], cwd=str(REPO), env=env,
                         encoding="utf-8", timeout=TIMEOUT, dimensions=(40, 100))


def finish(child: pexpect.spawn) -> tuple[int, str]:
    """Wait for the program to end; its exit status and everything it printed since the last expect."""
    child.expect(pexpect.EOF)
    rest = child.before
    child.close()
    return child.exitstatus, rest


# ---------------------------------------------------------------- a perfect tic-tac-toe player
LINES = [(0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6)]
CELLS = ["a3", "b3", "c3", "a2", "b2", "c2", "a1", "b1", "c1"]  # action -> coordinates


def winner(board: tuple[int, ...]) -> int:
    for a, b, c in LINES:
        if board[a] and board[a] == board[b] == board[c]:
            return board[a]
    return 0


@cache
def negamax(board: tuple[int, ...], player: int) -> tuple[int, int]:
    """(score for ``player`` to move, best cell): +1 win, 0 draw, -1 loss."""
    best = (-2, -1)
    for cell in range(9):
        if board[cell]:
            continue
        after = board[:cell] + (player,) + board[cell + 1:]
        if winner(after):
            return 1, cell
        if all(after):
            score = 0
        else:
            score = -negamax(after, 3 - player)[0]
        if score > best[0]:
            best = (score, cell)
    return best


def test_full_game_against_random_is_won_or_drawn():
    child = spawn("tic_tac_toe", "--opponent", "random", "--seed", "7", "--no-color")
    board = [0] * 9
    while True:
        index = child.expect([PROMPT, END_MENU])
        for move in re.findall(r"random plays ([abc][123])", child.before):
            board[CELLS.index(move)] = 2
        if index == 1:
            break
        assert "\x1b[" not in child.before  # no escape codes with --no-color
        cell = negamax(tuple(board), 1)[1]
        board[cell] = 1
        child.sendline(CELLS[cell])
    result = re.search(r"Game over: (you win!|a draw\.|random wins\.)", child.before)
    assert result is not None and result.group(1) != "random wins."
    child.sendline("n")
    child.expect("bye")
    status, _ = finish(child)
    assert status == 0


def test_bad_input_undo_hint_and_quit():
    child = spawn("tic_tac_toe", "--opponent", "random", "--seed", "1", "--no-color")
    child.expect(PROMPT)
    child.sendline("zz")
    child.expect(r"'zz' is not a cell: .*e\.g\. a1 \(type help for commands\)")
    child.expect(PROMPT)
    child.sendline("99")
    child.expect(r"'99' is not a cell")
    child.expect(PROMPT)
    child.sendline("b2")
    child.expect(r"random plays ([abc][123])")
    reply = child.match.group(1)
    child.expect(PROMPT)
    child.sendline("b2")
    child.expect(r"b2 is already taken; pick an empty cell")
    child.expect(PROMPT)
    child.sendline(reply)
    child.expect(rf"{reply} is already taken")
    child.expect(PROMPT)
    child.sendline("hint")
    child.expect(r"hint: ")
    child.expect(PROMPT)
    child.sendline("undo")
    child.expect(rf"took back b2, {reply}")
    child.expect(r"move 1: X to play \(you\)")
    child.expect(PROMPT)
    child.sendline("undo")
    child.expect("nothing to undo yet")
    child.expect(PROMPT)
    child.sendline("help")
    child.expect("take back your last move")
    child.expect(PROMPT)
    child.sendline("quit")
    child.expect("bye")
    status, rest = finish(child)
    assert status == 0
    assert "Traceback" not in rest


def test_ctrl_c_exits_without_traceback():
    child = spawn("connect_four", "--opponent", "random", "--no-color")
    child.expect(PROMPT)
    child.sendline("4")
    child.expect(r"random plays \d")
    child.expect(PROMPT)
    child.sendintr()
    child.expect(r"bye \(interrupted\)")
    status, rest = finish(child)
    assert status == 130
    assert "Traceback" not in child.before + rest


def test_ctrl_d_exits_cleanly():
    child = spawn("gomoku", "--size", "9", "--opponent", "random", "--no-color")
    child.expect(PROMPT)
    child.sendline("e5")
    child.expect(r"random plays [a-i]\d")
    child.expect(PROMPT)
    child.sendeof()
    child.expect("bye")
    status, _ = finish(child)
    assert status == 0


@pytest.mark.parametrize(("args", "message"), [
    (("tic_tac_toe", "--opponent", "nope"), r"arena: error: unknown bot 'nope'"),
    (("tic_tac_toe", "--opponent", "random:3"), r"arena: error: 'random' takes no argument"),
    (("tic_tac_toe", "--size", "9"), r"arena: error: --size: tic_tac_toe has no such option"),
    (("Sumo-2T1P", "--as", "green"), r"arena: error: --as green: no such agent in Sumo-2T1P; agents are red, blue"),
    (("chess",), r"arena: error: unknown game 'chess'"),
])
def test_bad_arguments_give_one_line_and_exit_2(args, message):
    child = spawn(*args)
    status, output = finish(child)
    assert status == 2
    lines = [ln for ln in output.splitlines() if ln.strip()]
    assert len(lines) == 1, output
    assert re.search(message, lines[0]), lines[0]


def test_default_mcts_opponent_shows_its_top_moves_and_hints():
    child = spawn("connect_four", "--playouts", "50", "--second", "--seed", "0", "--no-color")
    child.expect(r"you are O and move second; mcts:50 is X")
    child.expect(r"mcts:50 plays (\d)")
    child.expect(r"top moves: \d \d+%.* \(value [+-]\d\.\d\d for mcts:50, 50 simulations\)")
    child.expect(r"your move \(O\)> ")
    child.sendline("hint")
    child.expect(r"hint: \d; top moves: \d \d+%.*for you, 50 simulations\)")
    child.expect(r"your move \(O\)> ")
    child.sendline("exit")
    child.expect("bye")
    status, _ = finish(child)
    assert status == 0


def test_last_move_is_coloured_on_a_colour_terminal_only():
    env = dict(os.environ, TERM="xterm-256color", COLUMNS="100", LINES="40")
    env.pop("NO_COLOR", None)
    child = pexpect.spawn(sys.executable, ["-m", "arena", "play", "tic_tac_toe", "--opponent", "random",
                                           "--seed", "2"], cwd=str(REPO), env=env, encoding="utf-8",
                          timeout=TIMEOUT, dimensions=(40, 100))
    child.expect(PROMPT)
    child.sendline("b2")
    child.expect(PROMPT)
    assert "\x1b[1;31mO\x1b[0m" in child.before  # the bot's reply, highlighted
    child.sendline("quit")
    status, _ = finish(child)
    assert status == 0


def test_ctrl_c_while_the_bot_is_thinking_exits_cleanly():
    # A search budget far beyond the test's timeout: only the interrupt can end it in time.
    child = spawn("gomoku", "--opponent", "mcts:5000000", "--second", "--no-color")
    child.expect(r"mcts:5000000 \(X\) is thinking\.\.\.")
    child.sendintr()
    child.expect(r"bye \(interrupted\)")
    status, rest = finish(child)
    assert status == 130
    assert "Traceback" not in child.before + rest
