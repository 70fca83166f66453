"""The human ladder: a person plays a league's players from the lowest-rated up.

``arena ladder DIR --as NAME --lives K`` climbs the league in ``DIR``: one game against each
player (fixed bots, learners and snapshots; not held-out evaluators or other people), weakest
first by the Bradley-Terry fit. A win climbs a rung, a loss costs a life and the rung is played
again, a draw plays it again for free; the climb ends at the top, with the lives, or when the
person leaves (quit / q / Ctrl-D / Ctrl-C).

Board games use the board UI (:func:`arena.play.terminal.play_terminal`), simultaneous-move games
the real-time keyboard UI (:func:`arena.play.realtime.play_realtime`). Each finished game is stored
in the league as the player ``human:NAME`` (kind ``human``) with its online Elo update, in one
transaction (:meth:`leagues.store.PayoffStore.record_game`): a kill -9 loses at most the game
being played. The person then appears in ``arena league status`` and ``report`` like any player,
marked ``human``; league matchmaking never schedules them.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from leagues.player import LearnerCache, PlayerSpec, build_bot
from leagues.ratings import elo_update
from leagues.store import PayoffStore, PlayerRow

HUMAN_KIND = "human"
LADDER_KINDS = ("fixed", "live", "snapshot")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")


class LadderError(ValueError):
    """A ladder that cannot start (bad directory, name or options); one line for the user."""


@dataclass
class LadderResult:
    """What happened on the climb."""

    player: str
    rungs: list[str]  # opponents, lowest-rated first
    games: list[tuple[str, str]] = field(default_factory=list)  # (opponent, win/loss/draw)
    climbed: int = 0
    lives_left: int = 0
    left: bool = False  # the person quit (q, quit, Ctrl-D)

    @property
    def top(self) -> bool:
        return self.climbed == len(self.rungs)


def ladder_order(store: PayoffStore) -> list[PlayerRow]:
    """The players to climb, weakest first: unrated players, then by Bradley-Terry Elo."""
    from leagues.report import compute_ratings

    candidates = [p for p in store.players() if p.kind in LADDER_KINDS]
    rating = {r.name: r.bt_elo for r in compute_ratings(store)}
    lowest = min(rating.values(), default=0.0) - 1.0
    return sorted(candidates, key=lambda p: (rating.get(p.name, lowest), p.id))


def human_player(store: PayoffStore, name: str) -> PlayerRow:
    """The store's ``human:NAME`` player, added on first use (starting at Elo 0)."""
    if not NAME_PATTERN.match(name):
        raise LadderError(f"--as {name!r}: use 1-32 letters, digits, '_', '.' or '-'")
    full = f"human:{name}"
    try:
        player = store.player(full)
    except KeyError:
        store.add_player(full, HUMAN_KIND)
        return store.player(full)
    if player.kind != HUMAN_KIND:
        raise LadderError(f"{full} is a {player.kind} player of this league, not a person")
    return player


def record_human_game(store: PayoffStore, human: PlayerRow, opponent: PlayerRow, *, human_first: bool,
                      human_score: float, opponent_score: float, seed: int, duration: float, elo_k: float) -> None:
    """Store one ladder game and both players' online Elo update in one transaction."""
    seats = (human.id, opponent.id) if human_first else (opponent.id, human.id)
    scores = (human_score, opponent_score) if human_first else (opponent_score, human_score)
    outcome = 1.0 if scores[0] > scores[1] else 0.0 if scores[0] < scores[1] else 0.5
    with store.transaction():
        elo = {p.id: store.player(p.id).elo for p in (human, opponent)}
        a, b = elo_update(elo[seats[0]], elo[seats[1]], outcome, elo_k)
        iteration = int(store.get_meta("iteration", 0))
        key = f"ladder/{human.name}/{time.time_ns()}"
        store.record_game(key, iteration=iteration, purpose="eval", seats=seats, scores=scores, seed=seed,
                          duration=duration, elo_updates={seats[0]: a, seats[1]: b})


# One game: (opponent bot, opponent name, seed, game index) -> (human score, opponent score, human
# moved first) or None when the person left.
GameRunner = Callable[[Any, str, int, int], "tuple[float, float, bool] | None"]


def climb(store: PayoffStore, name: str, lives: int, play_one: GameRunner, make_bot: Callable[[PlayerRow, int], Any],
          output: TextIO, *, seed: int = 0, elo_k: float = 32.0) -> LadderResult:
    """The climb itself (the UI comes in through ``play_one``, the bots through ``make_bot``)."""
    if lives < 1:
        raise LadderError(f"--lives must be at least 1, got {lives}")
    human = human_player(store, name)
    rungs = ladder_order(store)
    if not rungs:
        raise LadderError("this league has no players to climb")
    result = LadderResult(human.name, [p.name for p in rungs], lives_left=lives)
    say = output.write
    say(f"ladder of {len(rungs)} players, weakest first: {', '.join(result.rungs)}\n"
        f"you are {human.name}; {lives} {'life' if lives == 1 else 'lives'}\n")
    game = 0
    while result.climbed < len(rungs) and result.lives_left > 0:
        opponent = rungs[result.climbed]
        say(f"\nrung {result.climbed + 1}/{len(rungs)}: {opponent.name} ({opponent.kind}); "
            f"lives {result.lives_left}\n")
        output.flush()
        bot = make_bot(opponent, seed + game)
        start = time.perf_counter()
        played = play_one(bot, opponent.name, seed + game, game)
        if played is None:
            result.left = True
            break
        mine, theirs, first = played
        record_human_game(store, store.player(human.id), opponent, human_first=first, human_score=mine,
                          opponent_score=theirs, seed=seed + game, duration=time.perf_counter() - start, elo_k=elo_k)
        game += 1
        outcome = "win" if mine > theirs else "loss" if mine < theirs else "draw"
        result.games.append((opponent.name, outcome))
        if outcome == "win":
            result.climbed += 1
            say(f"you beat {opponent.name}: rung {result.climbed} of {len(rungs)} climbed\n")
        elif outcome == "loss":
            result.lives_left -= 1
            say(f"{opponent.name} wins; {result.lives_left} {'life' if result.lives_left == 1 else 'lives'} left\n")
        else:
            say(f"a draw with {opponent.name}: play it again\n")
    if result.top:
        say(f"\nyou reached the top of the ladder: {len(rungs)} of {len(rungs)} rungs\n")
    elif not result.left:
        say(f"\nout of lives: {result.climbed} of {len(rungs)} rungs climbed\n")
    return result


def human_rating_line(store: PayoffStore, name: str) -> str:
    from leagues.report import compute_ratings

    rows = compute_ratings(store)
    for rank, row in enumerate(rows, start=1):
        if row.name == name:
            return (f"{name}: Elo {row.bt_elo:+.0f} (Bradley-Terry, rank {rank} of {len(rows)}), "
                    f"{row.games} games, score {row.score:.0%}")
    return f"{name}: no games yet"


def run_ladder(directory: str | Path, name: str, lives: int, *, seed: int = 0, fps: float = 10.0,
               input_fn: Callable[[str], str] = input, output: TextIO | None = None,
               color: bool | None = None) -> int:
    """``arena ladder``: climb the league in ``directory``; returns the exit status (130 after Ctrl-C)."""
    import arena
    from arena.play.parallel_loop import is_parallel
    from leagues.runner import DB_NAME, DirectoryLock

    output = output or sys.stdout
    directory = Path(directory)
    if not (directory / DB_NAME).is_file():
        raise LadderError(f"{directory} is not a league directory (no {DB_NAME}); run `arena league run` first")
    if lives < 1:
        raise LadderError(f"--lives must be at least 1, got {lives}")
    lock = DirectoryLock(directory)  # one writer: not while `arena league run` works on it
    store = PayoffStore(directory / DB_NAME, create=False)
    try:
        recipe = store.get_meta("recipe", {}) or {}
        game, kwargs = str(recipe.get("game") or ""), dict(recipe.get("game_kwargs") or {})
        elo_k = float((recipe.get("matches") or {}).get("elo_k", 32.0))
        if not game:
            raise LadderError(f"{directory}: the league store names no game")
        probe = arena.make(game, **kwargs)
        realtime = is_parallel(probe)
        probe.close()
        if realtime and not sys.stdin.isatty():
            raise LadderError(f"{game} is played in real time from the keyboard: run arena ladder in a terminal")
        cache = LearnerCache(2)
        bot_env = arena.make(game, **kwargs)

        def make_bot(player: PlayerRow, bot_seed: int) -> Any:
            output.write(f"loading {player.name} ...\n")
            output.flush()
            spec = PlayerSpec(player.id, player.name, spec=player.spec) if player.spec else \
                PlayerSpec(player.id, player.name, path=player.path)
            bot = build_bot(spec, bot_env, cache, seed=bot_seed)
            from arena.play.keys import discard_typed_keys

            discard_typed_keys()
            return bot

        play_one = _realtime_game(game, kwargs, fps, output, color) if realtime else \
            _board_game(game, kwargs, input_fn, output, color)
        try:
            result = climb(store, name, lives, play_one, make_bot, output, seed=seed, elo_k=elo_k)
        except KeyboardInterrupt:
            output.write("\nbye (interrupted)\n")
            result = None
        output.write(human_rating_line(store, f"human:{name}") + "\n")
        output.flush()
    finally:
        store.close()
        lock.release()
    return 130 if result is None else 0


def _board_game(game: str, kwargs: dict[str, Any], input_fn: Callable[[str], str], output: TextIO,
                color: bool | None) -> GameRunner:
    import arena
    from arena.play.terminal import play_terminal

    def play_one(bot: Any, name: str, seed: int, index: int) -> tuple[float, float, bool] | None:
        seat = index % 2  # who moves first alternates along the climb
        summary = play_terminal(lambda: arena.make(game, **kwargs), bot, seat, input_fn, output,
                                opponent_name=name, color=color, play_again=False)
        if summary.interrupted:
            raise KeyboardInterrupt
        if not summary.games:
            return None
        scores = summary.games[-1].scores
        return float(scores[seat]), float(scores[1 - seat]), seat == 0

    return play_one


def _realtime_game(game: str, kwargs: dict[str, Any], fps: float, output: TextIO, color: bool | None) -> GameRunner:
    from arena.bots import make as make_bot
    from arena.play.keys import TerminalKeys
    from arena.play.realtime import make_env, play_realtime
    from arena.play.terminal import supports_color

    env = make_env(game, kwargs)
    me = env.possible_agents[0]
    use_color = supports_color(output) if color is None else color

    def play_one(bot: Any, name: str, seed: int, index: int) -> tuple[float, float, bool] | None:
        try:
            bot.name = name
        except AttributeError:
            pass
        teammate = make_bot("random", env, seed=seed + 1)
        with TerminalKeys() as keys:
            summary = play_realtime(env, me, [bot], teammate, read_keys=keys.read, output=output, fps=fps,
                                    color=use_color, episodes=1, seed=seed, title=f"{game} vs {name}")
        if summary.interrupted:
            raise KeyboardInterrupt
        if not summary.episodes:
            return None
        outcome = summary.results[-1]
        mine = 1.0 if outcome == "win" else -1.0 if outcome == "loss" else 0.0
        return mine, -mine, True

    return play_one
