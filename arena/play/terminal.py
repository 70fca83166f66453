"""Play a turn-based board game against a bot (or a friend) in the terminal.

The whole session -- prompts, board drawing, ``undo``, ``hint``, the end-of-game menu -- lives in
:func:`play_terminal`, which reads lines through ``input_fn`` and writes to ``output``. The
``arena play`` command only builds the env and the bots and calls it; tests drive it with
scripted input.

Moves are typed in the game's own coordinates (``game.parse_action``): ``h8`` on gomoku and
tic-tac-toe, a column number on connect four. Environments have no undo, so the session keeps
the list of moves and rebuilds the position by replaying it on a fresh env.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np

from arena.bots import Bot, HumanBot, SearchBot, SearchResult, bind_env, current_state, game_of

MARKS = ("X", "O")  # what seat 0 / seat 1 stones look like on the board (the game's render default)

QUIT_WORDS = frozenset({"quit", "exit", "q"})
HELP_WORDS = frozenset({"help", "h", "?"})

# Outcomes of one game, from the human's side (hot-seat games report the winning mark instead).
WIN, LOSS, DRAW = "win", "loss", "draw"


@dataclass
class GameOutcome:
    """A finished game: the moves played (``(seat, action)`` in order) and the final score per seat."""

    moves: list[tuple[int, int]]
    scores: tuple[float, ...]
    human_seat: int | None  # None in a hot-seat game

    @property
    def result(self) -> str:
        """``win``/``loss``/``draw`` for the human; in hot-seat games, ``draw`` or ``X``/``O`` wins."""
        if self.scores[0] == self.scores[1]:
            return DRAW
        winner = 0 if self.scores[0] > self.scores[1] else 1
        if self.human_seat is None:
            return MARKS[winner]
        return WIN if winner == self.human_seat else LOSS


@dataclass
class SessionSummary:
    """What happened in a :func:`play_terminal` session."""

    games: list[GameOutcome] = field(default_factory=list)
    interrupted: bool = False  # ended by Ctrl-C rather than quit/exit/Ctrl-D


class _Quit(Exception):
    """The person asked to leave (quit, exit, Ctrl-D)."""


def supports_color(stream: TextIO) -> bool:
    """ANSI colours only on a real terminal that is not ``TERM=dumb`` and without ``NO_COLOR``."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM", "") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def top_moves(game: Any, result: SearchResult, limit: int = 5) -> list[tuple[str, float]]:
    """The ``limit`` most visited moves of a search as ``(coordinates, visit share)``, best first.

    ``result.visit_shares`` is ``[A]`` over all actions; moves with no visits are left out.
    """
    shares = np.asarray(result.visit_shares, dtype=np.float64).reshape(-1)
    # Stable sort so that ties keep action order: the listing does not flicker between runs.
    order = np.argsort(-shares, kind="stable")[:limit]
    return [(game.action_to_str(int(a)), float(shares[a])) for a in order if shares[a] > 0]


def format_search(game: Any, result: SearchResult, limit: int = 5, whose: str = "the player to move") -> str:
    """One line describing a search: top moves with visit shares, the value (in [-1, 1], from
    ``whose`` point of view) and the number of simulations."""
    listing = ", ".join(f"{move} {share:.0%}" for move, share in top_moves(game, result, limit))
    sims = f", {result.simulations} simulations" if result.simulations else ""
    return f"top moves: {listing} (value {result.value:+.2f} for {whose}{sims})"


HELP_TEXT = """\
Commands at the prompt:
  {example:<10} play a move ({how})
  hint       what the bot would play for you, with its top moves
  undo       take back your last move (and the bot's reply)
  board      draw the board again
  help       this list
  quit       leave (also exit, Ctrl-D or Ctrl-C)"""


class TerminalSession:
    """One person (or two, hot-seat) at the terminal against a bot; see :func:`play_terminal`."""

    def __init__(self, env_factory: Callable[[], Any], opponent: Bot | None, human_seat: int,
                 input_fn: Callable[[str], str], output: TextIO, *, opponent_name: str | None = None,
                 hint_bot: Bot | None = None, color: bool = False, top_limit: int = 5,
                 play_again: bool = True) -> None:
        if human_seat not in (0, 1):
            raise ValueError(f"human_seat must be 0 (move first) or 1 (move second), got {human_seat}")
        self.env_factory = env_factory
        # A `human` opponent (or none) means hot-seat: both seats type their moves here.
        self.hot_seat = opponent is None or isinstance(opponent, HumanBot)
        self.opponent = None if self.hot_seat else opponent
        self.opponent_name = opponent_name or getattr(opponent, "name", "bot")
        self.hint_bot = hint_bot if hint_bot is not None else self.opponent
        self.human_seat = human_seat
        self.input_fn = input_fn
        self.output = output
        self.color = color
        self.top_limit = top_limit
        self.play_again = play_again
        self.moves: list[tuple[int, int]] = []  # (seat, action) in the order they were played
        self.env = self._replay([])
        self.game = game_of(self.env)

    # ------------------------------------------------------------------ small helpers
    def say(self, text: str = "") -> None:
        self.output.write(text + "\n")
        self.output.flush()

    def ask(self, prompt: str) -> str:
        """Read one line; Ctrl-D (EOF) means quit. Ctrl-C propagates to :func:`play_terminal`."""
        self.output.flush()
        try:
            return self.input_fn(prompt)
        except EOFError:
            self.say()
            raise _Quit() from None

    def _replay(self, moves: list[tuple[int, int]]) -> Any:
        """A fresh env with ``moves`` played on it (envs have no undo)."""
        env = self.env_factory()
        env.reset()
        for _, action in moves:
            env.step(int(action))
        return env

    @property
    def state(self) -> Any:
        """The current position (a batch of one of the game's states)."""
        return current_state(self.env, self.game)

    @property
    def finished(self) -> bool:
        return bool(self.state.terminal[0])

    @property
    def to_play(self) -> int:
        return int(self.state.to_play[0])

    def is_human(self, seat: int) -> bool:
        return self.hot_seat or seat == self.human_seat

    def who(self, seat: int) -> str:
        if self.hot_seat:
            return MARKS[seat]
        return "you" if seat == self.human_seat else self.opponent_name

    def observation(self) -> tuple[Any, np.ndarray]:
        """What the player to move sees: ``observation`` planes and ``action_mask[A]``."""
        for bot in (self.opponent, self.hint_bot):
            if bot is not None:
                bind_env(bot, self.env)  # undo replays into a fresh env
        obs = self.env.observe(self.env.agent_selection)
        return obs["observation"], np.asarray(obs["action_mask"])

    def move_help(self) -> tuple[str, str]:
        """An example move and how moves are written, for prompts and help."""
        if getattr(self.game, "gravity", False):
            cols = self.game.board_shape[1]
            return "4" if cols >= 4 else "1", f"a column number 1-{cols}"
        if hasattr(self.game, "k"):  # the m,n,k cell games
            rows, cols = self.game.board_shape
            last = chr(ord("a") + cols - 1)
            centre = self.game.action_to_str((rows // 2) * cols + cols // 2)
            return centre, f"a cell: column letter a-{last} and row number 1-{rows}, e.g. {centre}"
        # Any other game: its own notation, shown on the moves that are legal now.
        legal = np.flatnonzero(self.game.legal_mask(self.state)[0]) if not self.finished else np.arange(0)
        if legal.size == 0:
            return self.game.action_to_str(0), "a move in the game's notation"
        names = [self.game.action_to_str(int(a)) for a in legal]
        shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
        return names[len(names) // 2], f"a move in the game's notation (legal now: {shown})"

    def draw(self) -> None:
        self.say()
        self.say(self.game.render(self.state, 0, color=self.color))
        self.say()

    def reset_bots(self) -> None:
        for bot in (self.opponent, self.hint_bot):
            if bot is not None:
                bot.reset()

    # ------------------------------------------------------------------ commands
    def undo(self) -> bool:
        """Take back the human's last move and the bot's replies after it (hot-seat: the last
        move). Returns whether anything was taken back."""
        if self.hot_seat:
            count = 1 if self.moves else 0
        else:
            human_moves = [i for i, (seat, _) in enumerate(self.moves) if seat == self.human_seat]
            count = len(self.moves) - human_moves[-1] if human_moves else 0
        if count == 0:
            self.say("nothing to undo yet")
            return False
        taken = self.moves[-count:]
        self.moves = self.moves[:-count]
        self.env = self._replay(self.moves)
        self.reset_bots()  # a bot that reuses its search tree must not keep the abandoned line
        listing = ", ".join(self.game.action_to_str(a) for _, a in taken)
        self.say(f"took back {listing}")
        return True

    def hint(self) -> None:
        if self.hint_bot is None:
            self.say("no hint available: there is no bot in a hot-seat game")
            return
        observation, mask = self.observation()
        self.hint_bot.reset()  # the hint position is not on the bot's own game line
        if isinstance(self.hint_bot, SearchBot):
            result = self.hint_bot.policy(observation, mask)
            self.say(f"hint: {self.game.action_to_str(int(result.action))}; "
                     f"{format_search(self.game, result, self.top_limit, 'you')}")
        else:
            action = int(self.hint_bot.act(observation, mask))
            self.say(f"hint: {getattr(self.hint_bot, 'name', 'the bot')} would play "
                     f"{self.game.action_to_str(action)}")
        if self.hint_bot is self.opponent:
            self.opponent.reset()

    def help(self) -> None:
        example, how = self.move_help()
        self.say(HELP_TEXT.format(example=example, how=how))

    def illegal_reason(self, action: int) -> str:
        text = self.game.action_to_str(action)
        if getattr(self.game, "gravity", False):
            return f"column {text} is full; pick another column"
        if hasattr(self.game, "k"):
            return f"{text} is already taken; pick an empty cell"
        legal = np.flatnonzero(self.game.legal_mask(self.state)[0])
        shown = ", ".join(self.game.action_to_str(int(a)) for a in legal[:12]) + (", ..." if legal.size > 12 else "")
        return f"{text} is not legal here; legal moves: {shown}"

    # ------------------------------------------------------------------ turns
    def human_turn(self) -> bool:
        """Read commands until a move is played (True) or an undo changed the position (False)."""
        seat = self.to_play
        prompt = f"{MARKS[seat]} to move> " if self.hot_seat else f"your move ({MARKS[seat]})> "
        while True:
            text = self.ask(prompt).strip()
            word = text.lower()
            if not word:
                continue
            if word in QUIT_WORDS:
                raise _Quit()
            if word in HELP_WORDS:
                self.help()
                continue
            if word == "board":
                self.draw()
                continue
            if word == "hint":
                self.hint()
                continue
            if word == "undo":
                if self.undo():
                    return False
                continue
            try:
                action = int(self.game.parse_action(text))
            except ValueError as exc:
                self.say(f"{exc} (type help for commands)")
                continue
            _, mask = self.observation()
            if not (0 <= action < mask.shape[0]) or not mask[action]:
                self.say(self.illegal_reason(action))
                continue
            self.play(seat, action)
            return True

    def bot_turn(self) -> None:
        seat = self.to_play
        observation, mask = self.observation()
        start = time.perf_counter()
        result: SearchResult | None = None
        if isinstance(self.opponent, SearchBot):
            self.say(f"{self.opponent_name} ({MARKS[seat]}) is thinking...")
            # Play the policy's own action so that what is shown is what is played.
            result = self.opponent.policy(observation, mask)
            action = int(result.action)
        else:
            action = int(self.opponent.act(observation, mask))
        seconds = time.perf_counter() - start
        if not (0 <= action < mask.shape[0]) or not mask[action]:
            raise RuntimeError(f"bot {self.opponent_name} chose the illegal action {action}")
        self.play(seat, action)
        if result is None:
            self.say(f"{self.opponent_name} plays {self.game.action_to_str(action)}")
        else:
            self.say(f"{self.opponent_name} plays {self.game.action_to_str(action)} ({seconds:.1f} s)")
            self.say(f"  {format_search(self.game, result, self.top_limit, self.opponent_name)}")

    def play(self, seat: int, action: int) -> None:
        self.env.step(action)
        self.moves.append((seat, action))

    # ------------------------------------------------------------------ games
    def announce(self) -> None:
        example, how = self.move_help()
        if self.hot_seat:
            self.say(f"{self.game.name}: hot-seat game, X moves first. Type {how}.")
        else:
            order = "first" if self.human_seat == 0 else "second"
            self.say(f"{self.game.name}: you are {MARKS[self.human_seat]} and move {order}; "
                     f"{self.opponent_name} is {MARKS[1 - self.human_seat]}.")
            self.say(f"Type {how}, or hint, undo, help, quit.")

    def status_line(self) -> str:
        seat = self.to_play
        return f"move {len(self.moves) + 1}: {MARKS[seat]} to play ({self.who(seat)})"

    def result_line(self, outcome: GameOutcome) -> str:
        r = outcome.result
        if r == DRAW:
            return "Game over: a draw."
        if self.hot_seat:
            return f"Game over: {r} wins."
        if r == WIN:
            return "Game over: you win!"
        return f"Game over: {self.opponent_name} wins."

    def play_game(self) -> tuple[GameOutcome, str]:
        """Play one game until it ends; returns the outcome and what comes next (``again``,
        ``swap`` or ``quit``). An undo in the end menu goes back into the game; quitting during
        the game raises ``_Quit``."""
        self.moves = []
        self.env = self._replay([])
        self.reset_bots()
        self.announce()
        while True:
            while not self.finished:
                seat = self.to_play
                if self.is_human(seat):
                    self.draw()
                    self.say(self.status_line())
                    self.human_turn()
                else:
                    self.bot_turn()
            self.draw()
            scores = tuple(float(s) for s in self.game.returns(self.state)[0])
            outcome = GameOutcome(list(self.moves), scores, None if self.hot_seat else self.human_seat)
            self.say(self.result_line(outcome))
            if not self.play_again:
                return outcome, "quit"
            choice = self.end_menu()
            if choice != "undo":
                return outcome, choice

    def end_menu(self) -> str:
        """Ask what next: ``again``, ``swap``, ``undo`` (back into the game) or ``quit``."""
        swap = "" if self.hot_seat else ", s = swap sides"
        while True:
            try:
                word = self.ask(f"Play again? (y = yes{swap}, u = undo, n = quit)> ").strip().lower()
            except _Quit:
                return "quit"
            if word in ("y", "yes", "again"):
                return "again"
            if not self.hot_seat and word in ("s", "swap"):
                return "swap"
            if word in ("u", "undo"):
                if self.undo():
                    return "undo"
                continue
            if word in ("n", "no") or word in QUIT_WORDS:
                return "quit"
            self.say("type y to play again" + (", s to swap sides" if swap else "")
                     + ", u to undo or n to quit")

    def run(self) -> SessionSummary:
        summary = SessionSummary()
        try:
            while True:
                outcome, choice = self.play_game()
                summary.games.append(outcome)
                if choice == "quit":
                    self.say("bye")
                    break
                if choice == "swap":
                    self.human_seat = 1 - self.human_seat
        except _Quit:
            self.say("bye")
        except KeyboardInterrupt:
            self.say("\nbye (interrupted)")
            summary.interrupted = True
        return summary


def play_terminal(env_factory: Callable[[], Any], opponent: Bot | None, human_seat: int = 0,
                  input_fn: Callable[[str], str] = input, output: TextIO | None = None, *,
                  opponent_name: str | None = None, hint_bot: Bot | None = None,
                  color: bool | None = None, top_limit: int = 5, play_again: bool = True) -> SessionSummary:
    """Play a turn-based board game in the terminal until the person quits.

    ``env_factory()`` builds a fresh AEC env of an Arena board game (``env.game`` holds the rules,
    ``env.unwrapped.state`` the position); it is called again on every undo to replay the moves.
    ``opponent`` plays the seat that is not ``human_seat`` (0 moves first); a ``human`` bot or
    ``None`` makes it a hot-seat game where both seats type moves. ``hint_bot`` answers ``hint``
    (default: the opponent). Search bots (with ``policy``) have their top ``top_limit`` moves shown.

    Reads lines with ``input_fn(prompt)`` and writes to ``output`` (default stdout); ``color=None``
    colours the last move only when ``output`` is a terminal. With ``play_again=False`` the session
    ends after one game. Ctrl-D, ``quit`` and ``exit`` end it cleanly; so does Ctrl-C
    (``SessionSummary.interrupted`` is then True). Never raises on bad input.
    """
    output = sys.stdout if output is None else output
    if color is None:
        color = supports_color(output)
    session = TerminalSession(env_factory, opponent, human_seat, input_fn, output,
                              opponent_name=opponent_name, hint_bot=hint_bot, color=color,
                              top_limit=top_limit, play_again=play_again)
    return session.run()
