"""Playing games: bot-vs-bot matches and the terminal UI."""

from arena.play.match import GameRecord, MatchResult, play_game, play_match

__all__ = ["GameRecord", "MatchResult", "play_game", "play_match"]
