"""Playing games: bot-vs-bot matches and the terminal UI."""

from arena.play.match import GameRecord, MatchResult, play_game, play_match
from arena.play.terminal import GameOutcome, SessionSummary, play_terminal

__all__ = ["GameOutcome", "GameRecord", "MatchResult", "SessionSummary", "play_game", "play_match",
           "play_terminal"]
