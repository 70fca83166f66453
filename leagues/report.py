"""What a league looks like: ratings tables, the live display, and ``arena league report`` files.

* :func:`compute_ratings` -- per player: online Elo, order-independent Bradley-Terry Elo, the
  Nash-averaging mixture weight and rating, openskill ordinal, games and score;
* :class:`LiveDisplay` -- the rich panel shown while a league runs (players, games/s, ratings);
* :func:`write_report` -- ``payoff.png`` (heatmap), ``ratings.png`` (Elo curves),
  ``composition.png`` (players per kind over iterations) and ``summary.md``.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from leagues.ratings import (
    antisymmetric_payoff,
    bradley_terry,
    nash_averaging,
    openskill_ratings,
    replay_elo,
    totals_from_games,
)
from leagues.store import PayoffStore


@dataclass
class RatingRow:
    """One player's line in the ratings table."""

    name: str
    kind: str
    role: str
    games: int
    score: float  # mean result in [0, 1] over all its games (win 1, draw 1/2)
    elo: float  # online Elo (order-dependent; the curves)
    bt_elo: float  # Bradley-Terry fit over all games (order-independent)
    nash_weight: float  # weight in the max-entropy Nash mixture of the league
    nash_rating: float  # Nash-averaged payoff (0 on the equilibrium support, < 0 off it)
    openskill: float  # openskill ordinal (mu - 3 sigma)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def compute_ratings(store: PayoffStore) -> list[RatingRow]:
    """Ratings of every player that has played, best (Bradley-Terry Elo) first."""
    players = [p for p in store.players() if p.games > 0]
    if not players:
        return []
    games = [(g.seats, g.outcome) for g in store.games()]
    ids = [p.id for p in players]
    scores, counts = totals_from_games(ids, games)
    bt = bradley_terry(scores, counts)
    with np.errstate(invalid="ignore", divide="ignore"):
        win_rates = np.where(counts > 0, scores / np.maximum(counts, 1e-12), 0.5)
    nash = nash_averaging(antisymmetric_payoff(win_rates))
    skill = openskill_ratings(([[s[0]], [s[1]]], [o, 1.0 - o]) for s, o in games if s[0] != s[1])
    rows = []
    for i, p in enumerate(players):
        total = counts[i].sum()
        rows.append(RatingRow(
            name=p.name, kind=p.kind, role=p.role or "-", games=p.games,
            score=float(scores[i].sum() / total) if total else 0.5, elo=p.elo, bt_elo=float(bt[i]),
            nash_weight=float(nash.mixture[i]), nash_rating=float(nash.ratings[i]),
            openskill=skill.get(p.id, (0.0, 0.0, 0.0))[2]))
    rows.sort(key=lambda r: -r.bt_elo)
    return rows


def ratings_table(rows: list[RatingRow], title: str = "League ratings") -> Table:
    table = Table(title=title, caption="Elo: Bradley-Terry fit over all games (online Elo in brackets); "
                  "Nash: weight in the max-entropy Nash mixture; skill: openskill ordinal")
    for column in ("#", "player", "kind", "games", "score", "Elo", "(online)", "Nash", "skill"):
        table.add_column(column, justify="left" if column in ("player", "kind") else "right")
    for rank, r in enumerate(rows, start=1):
        kind = r.kind if r.role == "-" else f"{r.kind}:{r.role}"
        table.add_row(str(rank), r.name, kind, str(r.games), f"{r.score:.1%}", f"{r.bt_elo:+.0f}", f"({r.elo:+.0f})",
                      f"{r.nash_weight:.2f}", f"{r.openskill:.1f}")
    return table


def best_player(store: PayoffStore, kinds: tuple[str, ...] = ("live", "snapshot")) -> str:
    """The highest-rated learner player (Bradley-Terry Elo), or the first live one before any game."""
    rows = [r for r in compute_ratings(store) if r.kind in kinds]
    if rows:
        return rows[0].name
    live = store.players(list(kinds))
    if not live:
        raise ValueError("this league has no learner players")
    return live[0].name


class LiveDisplay:
    """The rich panel refreshed while a league runs; silent when disabled."""

    def __init__(self, league: Any, *, enabled: bool = True, top: int = 10) -> None:
        self.league = league
        self.enabled = enabled
        self.top = top
        self.message = ""
        self.start = time.perf_counter()
        self.games_at_start = league.games_done
        self.console = Console(stderr=True)
        self.live: Live | None = None
        self.last_refresh = 0.0

    def __enter__(self) -> LiveDisplay:
        if self.enabled:
            self.live = Live(self._render(), console=self.console, refresh_per_second=4, transient=False)
            self.live.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.live is not None:
            self.live.update(self._render())
            self.live.__exit__(*exc)
            self.live = None

    def update(self, message: str | None = None) -> None:
        if message is not None:
            self.message = message
        now = time.perf_counter()
        # Rendering queries the store; a few times a second is plenty.
        if self.live is not None and (message is not None or now - self.last_refresh > 0.25):
            self.last_refresh = now
            self.live.update(self._render())

    def _render(self) -> Group:
        league = self.league
        elapsed = time.perf_counter() - self.start
        rate = (league.games_done - self.games_at_start) / max(elapsed, 1e-9)
        players = league.store.players()
        header = Text.assemble(
            (f"{league.recipe.name}", "bold"), f"  iteration {league.iteration}/{league.recipe.iterations}",
            f"  players {len(players)}  games {league.games_done}  {rate:.1f} games/s  {elapsed:.0f}s  ",
            (self.message, "dim"))
        table = Table(show_edge=False, pad_edge=False)
        for column in ("player", "kind", "games", "Elo"):
            table.add_column(column, justify="left" if column in ("player", "kind") else "right")
        for p in sorted(players, key=lambda p: -league.elo.get(p.id, p.elo))[: self.top]:
            table.add_row(p.name, p.kind, str(p.games), f"{league.elo.get(p.id, p.elo):+.0f}")
        return Group(header, table)


# ---------------------------------------------------------------------------- report files
def write_report(directory: str | Path) -> list[Path]:
    """Write ``report/`` under a league directory and return the files written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from leagues.runner import DB_NAME

    directory = Path(directory)
    if not (directory / DB_NAME).is_file():
        raise ValueError(f"{directory} is not a league directory (no {DB_NAME}); run `arena league run` first")
    store = PayoffStore(directory / DB_NAME)
    out = directory / "report"
    out.mkdir(exist_ok=True)
    written: list[Path] = []
    try:
        rows = compute_ratings(store)
        players = store.players()
        by_id = {p.id: p for p in players}
        games = store.games()
        played = [p for p in players if p.games > 0]

        # Payoff heatmap: row player's score against the column player.
        ids = [p.id for p in played]
        scores, counts = totals_from_games(ids, [(g.seats, g.outcome) for g in games])
        with np.errstate(invalid="ignore", divide="ignore"):
            matrix = np.where(counts > 0, scores / np.maximum(counts, 1e-12), np.nan)
        size = max(4.0, 0.45 * len(ids) + 2)
        fig, ax = plt.subplots(figsize=(size + 1, size))
        image = ax.imshow(matrix, cmap="RdBu", vmin=0, vmax=1)
        ax.set_xticks(range(len(ids)), [by_id[i].name for i in ids], rotation=90, fontsize=7)
        ax.set_yticks(range(len(ids)), [by_id[i].name for i in ids], fontsize=7)
        ax.set_title("Payoff: row player's score vs column player")
        fig.colorbar(image, ax=ax, fraction=0.046)
        fig.tight_layout()
        written.append(_save(fig, out / "payoff.png"))

        # Online Elo curves, replayed from the stored games (identical to the stored ratings).
        trace = replay_elo({p.id: p.elo_initial for p in players}, [(g.seats, g.outcome) for g in games])
        fig, ax = plt.subplots(figsize=(8, 5))
        for p in players:
            if p.kind == "snapshot" or len(trace.curves.get(p.id, [])) < 2:
                continue
            xs, ys = zip(*trace.curves[p.id])
            ax.plot(xs, ys, label=p.name, lw=1.5 if p.kind == "live" else 1.0,
                    ls="-" if p.kind == "live" else "--")
        ax.set_xlabel("games played in the league")
        ax.set_ylabel("online Elo")
        ax.set_title("Rating curves (learners solid, fixed and held-out players dashed)")
        ax.legend(fontsize=7, loc="best")
        fig.tight_layout()
        written.append(_save(fig, out / "ratings.png"))

        # Composition: how many players of each kind the league had after each iteration.
        iterations = int(store.get_meta("iteration", 0))
        kinds = ("fixed", "heldout", "live", "snapshot")
        composition = {k: [sum(1 for p in players if p.kind == k and (k != "snapshot" or p.iteration <= it))
                           for it in range(iterations + 1)] for k in kinds}
        fig, ax = plt.subplots(figsize=(8, 4))
        ax.stackplot(range(iterations + 1), [composition[k] for k in kinds], labels=kinds)
        ax.set_xlabel("iteration")
        ax.set_ylabel("players")
        ax.set_title("League composition over time")
        ax.legend(loc="upper left", fontsize=8)
        fig.tight_layout()
        written.append(_save(fig, out / "composition.png"))

        match_gif = _top_two_gif(store, rows, out / "match.gif")
        if match_gif is not None:
            written.append(match_gif)
        written.append(_summary(store, rows, composition, iterations, out / "summary.md"))
    finally:
        store.close()
    return written


def _top_two_gif(store: PayoffStore, rows: list[RatingRow], path: Path, max_frames: int = 120) -> Path | None:
    """A short GIF of one game between the two top-rated players (people excluded); ``None`` when
    the league has fewer than two or a player cannot be rebuilt here."""
    from arena.checkpoint import CheckpointError
    from arena.play.watch import make_watch_env, record_video
    from leagues.player import LearnerCache, PlayerSpec, build_bot

    top = [r.name for r in rows if r.kind != "human"][:2]
    recipe = store.get_meta("recipe", {}) or {}
    if len(top) < 2 or not recipe.get("game"):
        return None
    game, kwargs = str(recipe["game"]), dict(recipe.get("game_kwargs") or {})
    try:
        env = make_watch_env(game, kwargs, video=True)
        cache = LearnerCache(2)
        bots = []
        for k, name in enumerate(top):
            p = store.player(name)
            spec = PlayerSpec(p.id, p.name, spec=p.spec) if p.spec else PlayerSpec(p.id, p.name, path=p.path)
            bots.append(build_bot(spec, env, cache, seed=k))
        env.close()
        record_video(game, kwargs, bots, top, path, seed=0, max_frames=max_frames)
    except (CheckpointError, ValueError, OSError, KeyError):
        return None
    return path


def _save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(path)
    return path


def _summary(store: PayoffStore, rows: list[RatingRow], composition: dict[str, list[int]], iterations: int,
             path: Path) -> Path:
    recipe = store.get_meta("recipe", {})
    lines = [f"# League report: {recipe.get('name', '?')}", "",
             f"Game `{recipe.get('game', '?')}`, {iterations} iterations, {store.count_games()} games, "
             f"{_player_count(store, rows)}.", "",
             *[f"- {line}" for line in learner_progress(store, rows)], "",
             "![payoff](payoff.png)", "", "![ratings](ratings.png)", "", "![composition](composition.png)", "",
             *(["![the top two players](match.gif)", ""] if (path.parent / "match.gif").is_file() else []),
             "## Ratings", "",
             "| # | player | kind | games | score | Elo (BT fit) | Elo (online) | Nash weight | Nash rating | openskill |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for rank, r in enumerate(rows, start=1):
        lines.append(f"| {rank} | {r.name} | {r.kind} | {r.games} | {r.score:.1%} | {r.bt_elo:+.0f} | {r.elo:+.0f} | "
                     f"{r.nash_weight:.3f} | {r.nash_rating:+.3f} | {r.openskill:.1f} |")
    heldout = [p for p in store.players(["heldout"])]
    if heldout:
        lines += ["", "## Held-out evaluation", "",
                  "Players never in the training pool; score of each learner against them.", "",
                  "| learner | held-out | games | score |", "|---|---|---|---|"]
        names = {p.id: p.name for p in store.players()}
        tally: dict[tuple[int, int], list[float]] = {}
        held_ids = {p.id for p in heldout}
        for g in store.games("eval"):
            a, b = g.seats[0], g.seats[1]
            if b in held_ids:
                tally.setdefault((a, b), []).append(g.outcome)
            elif a in held_ids:
                tally.setdefault((b, a), []).append(1.0 - g.outcome)
        for (learner, held), results in sorted(tally.items()):
            lines.append(f"| {names[learner]} | {names[held]} | {len(results)} | {np.mean(results):.1%} |")
    lines += ["", "## Composition", "", "| iteration | " + " | ".join(composition) + " |",
              "|---|" + "---|" * len(composition)]
    for it in range(iterations + 1):
        lines.append(f"| {it} | " + " | ".join(str(composition[k][it]) for k in composition) + " |")
    events = store.events()
    shown = [e for e in events if e["kind"] in ("snapshot", "exploit")]
    if shown:
        lines += ["", "## Events (snapshots, resets, PBT exploits)", "", "| iteration | event | agent | details |",
                  "|---|---|---|---|"]
        for e in shown:
            detail = ", ".join(f"{k}={_short(v)}" for k, v in e["details"].items())
            lines.append(f"| {e['iteration']} | {e['kind']} | {e['agent']} | {detail} |")
    timings = store.get_meta("timings")
    if timings and timings.get("wall"):
        share = timings["overhead"] / timings["wall"]
        lines += ["", "## Where the time went", "",
                  f"Wall {timings['wall']:.1f} s: learning {timings['learn']:.1f} s, games {timings['games']:.1f} s, "
                  f"checkpoints {timings['checkpoints']:.1f} s; league overhead (matchmaking + store + ratings) "
                  f"{timings['overhead']:.2f} s = {share:.1%} of wall time."]
    path.write_text("\n".join(lines) + "\n")
    return path


def _player_count(store: PayoffStore, rows: list[RatingRow]) -> str:
    """"7 players" -- the players listed (those that have played), plus any that have not yet."""
    waiting = [p.name for p in store.players() if p.games == 0]
    text = f"{len(rows)} players"
    if waiting:
        text += f" (and {len(waiting)} not rated yet, no games: {', '.join(waiting)})"
    return text


def learner_progress(store: PayoffStore, rows: list[RatingRow]) -> list[str]:
    """What the league did for each learner, one line each: its Bradley-Terry Elo at its first
    snapshot and now, and its score against each held-out player at the first and the last
    evaluation. Only players with games appear (a rating needs games)."""
    rated = {r.name: r for r in rows}
    players = store.players()
    by_id = {p.id: p for p in players}
    held = {p.id for p in players if p.kind == "heldout"}
    lines = []
    for live in (p for p in players if p.kind == "live"):
        now = rated.get(live.name)
        snaps = [p for p in players if p.kind == "snapshot" and p.agent == live.agent and p.name in rated]
        if now is not None and snaps:
            first = snaps[0]
            change = now.bt_elo - rated[first.name].bt_elo
            lines.append(f"{live.name}: Elo {rated[first.name].bt_elo:+.0f} at its first snapshot {first.name} "
                         f"-> {now.bt_elo:+.0f} now (iteration {live.iteration}): {change:+.0f}")
        elif now is not None:
            lines.append(f"{live.name}: Elo {now.bt_elo:+.0f} after iteration {live.iteration} (no rated snapshot yet)")
        scores: dict[tuple[int, int], list[float]] = {}
        for g in store.games("eval"):
            a, b = g.seats
            if a == live.id and b in held:
                scores.setdefault((b, g.iteration), []).append(g.outcome)
            elif b == live.id and a in held:
                scores.setdefault((a, g.iteration), []).append(1.0 - g.outcome)
        for h in sorted({k[0] for k in scores}):
            its = sorted(it for hh, it in scores if hh == h)
            shown = [f"{float(np.mean(scores[(h, it)])):.0%} at iteration {it}" for it in (its[0], its[-1])]
            games = len(scores[(h, its[-1])])
            trend = shown[1] if len(its) == 1 else f"{shown[0]} -> {shown[1]}"
            lines.append(f"{live.name} against held-out {by_id[h].name}: {trend} ({games} games each)")
    return lines


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_short(v)}" for k, v in value.items()) + "}"
    return str(value)
