"""Playing games: bot-vs-bot matches, the board-game terminal UI, real-time keyboard play and watching."""

from arena.play.match import GameRecord, MatchResult, play_game, play_match
from arena.play.parallel_loop import EpisodeResult, play_parallel_episode, play_parallel_match, seats_of
from arena.play.terminal import GameOutcome, SessionSummary, play_terminal

__all__ = ["EpisodeResult", "GameOutcome", "GameRecord", "MatchResult", "SessionSummary", "play_game", "play_match",
           "play_parallel_episode", "play_parallel_match", "play_terminal", "seats_of"]
