"""The payoff store: one SQLite file (WAL journal) that holds the whole league.

Everything needed to rebuild a league lives here: the agents (learners) with their role,
hyperparameters and lineage; the players (fixed bots, held-out evaluators, live learners and
frozen snapshots with their checkpoint path, parent and step); every game played (seats, scores,
outcome, seed, duration); the per-iteration match plans; and events (snapshots, PBT exploits,
exploiter resets) for reports.

A game row and the online Elo update it causes are written in one transaction, so a process
killed at any moment leaves either both or neither: no game is lost or counted twice, and the
stored Elo always equals a replay of the stored games (:func:`leagues.ratings.replay_elo`).
Each game carries a unique ``key`` (iteration/agent/slot/game) so a resumed run skips the games
it already has.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
SQLITE_HEADER = b"SQLite format 3\x00"


class StoreError(ValueError):
    """A ``league.db`` that cannot be used: empty, damaged, or not a league store. Never written to."""


def check_store_file(path: str | Path) -> None:
    """Refuse (one line, :class:`StoreError`) a ``league.db`` that is empty, not SQLite, or damaged.

    Reads only: the 16-byte header, then ``PRAGMA quick_check`` on a read-only connection. Runs
    before any connection that may write, so a damaged league is never "repaired" into a new one.
    """
    path = Path(path)
    what = f"{path} is damaged"
    fix = "restore it from a backup or start a new league with another --out"
    size = path.stat().st_size
    if size == 0:
        raise StoreError(f"{path} is empty (0 bytes), not a league store; {fix}")
    with open(path, "rb") as f:
        header = f.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        raise StoreError(f"{what}: not an SQLite database; {fix}")
    # Without a write-ahead log the main file is the whole store: read it immutable (no -wal/-shm
    # files created, no locks). With one (a running league, or one killed with kill -9), committed
    # transactions may live only in the log: read through it, read-only.
    wal = path.with_name(path.name + "-wal")
    has_wal = wal.exists() and wal.stat().st_size > 0
    mode = "mode=ro" if has_wal else "mode=ro&immutable=1"
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?{mode}", uri=True, timeout=30.0)
    except sqlite3.Error as exc:
        raise StoreError(f"{what} ({exc}); {fix}") from None
    try:
        rows = db.execute("PRAGMA quick_check").fetchall()
        problems = [r[0] for r in rows if r[0] != "ok"]
        if problems:
            raise StoreError(f"{what} ({problems[0]}); {fix}")
        names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.Error as exc:
        if has_wal and isinstance(exc, sqlite3.OperationalError) and "malformed" not in str(exc):
            return  # a log without its index (-shm) cannot be read read-only; the writer's open recovers it
        raise StoreError(f"{what} ({exc}); {fix}") from None
    finally:
        db.close()
    missing = {"meta", "players", "games"} - names
    if missing:
        raise StoreError(f"{path} is not an Arena league store (no {', '.join(sorted(missing))} table); {fix}")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS agents (
    name TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    role TEXT NOT NULL,
    learner TEXT NOT NULL,
    config TEXT NOT NULL,
    hyperparameters TEXT NOT NULL,
    checkpoint TEXT NOT NULL,
    checkpoint_iteration INTEGER NOT NULL DEFAULT 0,
    steps INTEGER NOT NULL DEFAULT 0,
    steps_at_snapshot INTEGER NOT NULL DEFAULT 0,
    steps_at_ready INTEGER NOT NULL DEFAULT 0,
    generation INTEGER NOT NULL DEFAULT 0,
    parent TEXT,
    live_player INTEGER
);
CREATE TABLE IF NOT EXISTS players (
    id INTEGER PRIMARY KEY,
    name TEXT UNIQUE NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('fixed', 'heldout', 'live', 'snapshot', 'human')),
    spec TEXT,
    path TEXT,
    agent TEXT,
    role TEXT,
    parent INTEGER,
    step INTEGER NOT NULL DEFAULT 0,
    iteration INTEGER NOT NULL DEFAULT 0,
    hyperparameters TEXT NOT NULL DEFAULT '{}',
    elo_initial REAL NOT NULL DEFAULT 0.0,
    elo REAL NOT NULL DEFAULT 0.0,
    games INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS games (
    id INTEGER PRIMARY KEY,
    key TEXT UNIQUE NOT NULL,
    iteration INTEGER NOT NULL,
    purpose TEXT NOT NULL CHECK (purpose IN ('train', 'eval')),
    seats TEXT NOT NULL,
    scores TEXT NOT NULL,
    outcome REAL NOT NULL,
    seed INTEGER NOT NULL,
    duration REAL NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS plans (
    iteration INTEGER NOT NULL,
    agent TEXT NOT NULL,
    plan TEXT NOT NULL,
    PRIMARY KEY (iteration, agent)
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    iteration INTEGER NOT NULL,
    kind TEXT NOT NULL,
    agent TEXT,
    details TEXT NOT NULL,
    created REAL NOT NULL
);
"""


@dataclass(frozen=True)
class PlayerRow:
    """One matchable player: a fixed bot, a held-out evaluator, a live learner or a snapshot."""

    id: int
    name: str
    kind: str
    spec: str | None
    path: str | None
    agent: str | None
    role: str | None
    parent: int | None
    step: int
    iteration: int
    hyperparameters: dict[str, float]
    elo_initial: float  # the Elo it started from (a snapshot inherits its learner's)
    elo: float  # online Elo after every stored game
    games: int


@dataclass(frozen=True)
class AgentRow:
    """One learner of the league and where its latest parameters are on disk."""

    name: str
    position: int
    role: str
    learner: str
    config: dict[str, Any]
    hyperparameters: dict[str, float]
    checkpoint: str
    checkpoint_iteration: int
    steps: int
    steps_at_snapshot: int
    steps_at_ready: int
    generation: int
    parent: str | None
    live_player: int | None


@dataclass(frozen=True)
class GameRow:
    """One finished game. ``seats[s]`` is the player id in seat ``s``; ``scores[s]`` its final
    reward; ``outcome`` the score of seat 0 in [0, 1] (win 1, draw 0.5, loss 0)."""

    id: int
    key: str
    iteration: int
    purpose: str
    seats: tuple[int, ...]
    scores: tuple[float, ...]
    outcome: float
    seed: int
    duration: float


def outcome_of(scores: Sequence[float]) -> float:
    """Seat 0's result in [0, 1] from the final rewards of a two-seat game."""
    if scores[0] > scores[1]:
        return 1.0
    if scores[0] < scores[1]:
        return 0.0
    return 0.5


class PayoffStore:
    """SQLite-backed league state. Open with a path (``league.db``) or ``":memory:"``.

    Writes go through :meth:`transaction`; every public writer opens one, or joins the one the
    caller already holds, so a caller can group several writes atomically.

    An existing file is checked first (:func:`check_store_file`): an empty or damaged one raises
    :class:`StoreError` and is left as it was. A new file is created only with ``create=True``.
    """

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            if os.path.exists(self.path):
                check_store_file(self.path)
            elif not create:
                raise StoreError(f"{self.path} does not exist (not a league directory)")
        # isolation_level=None: we issue BEGIN/COMMIT ourselves so transactions are explicit.
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
        self.db.row_factory = sqlite3.Row
        if self.path != ":memory:":
            self.db.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: a committed transaction survives the process being killed (kill -9) at any
        # moment; only an OS crash or power loss may lose the last commits (never corrupt the file).
        # FULL would fsync every game and cost more than the games of a fast league.
        self.db.execute("PRAGMA synchronous=NORMAL")
        self._depth = 0
        with self.transaction():
            # executescript() would commit on its own; run statements one by one inside our transaction.
            for statement in _split(_SCHEMA):
                self.db.execute(statement)
            if self.get_meta("schema_version") is None:
                self.set_meta("schema_version", SCHEMA_VERSION)
        version = self.get_meta("schema_version")
        if version != SCHEMA_VERSION:
            raise ValueError(f"{self.path}: league store schema {version} is not supported "
                             f"(this Arena reads schema {SCHEMA_VERSION})")

    def close(self) -> None:
        self.db.close()

    # ----------------------------------------------------------------- transactions
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All writes inside commit together or not at all (nested calls join the outer one)."""
        if self._depth:
            self._depth += 1
            try:
                yield self.db
            finally:
                self._depth -= 1
            return
        self.db.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")
        finally:
            self._depth = 0

    # ----------------------------------------------------------------- meta
    def get_meta(self, key: str, default: Any = None) -> Any:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return default if row is None else json.loads(row["value"])

    def set_meta(self, key: str, value: Any) -> None:
        with self.transaction():
            self.db.execute("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                            (key, json.dumps(value)))

    # ----------------------------------------------------------------- players
    def add_player(self, name: str, kind: str, *, spec: str | None = None, path: str | None = None,
                   agent: str | None = None, role: str | None = None, parent: int | None = None,
                   step: int = 0, iteration: int = 0, hyperparameters: dict[str, float] | None = None,
                   elo: float = 0.0) -> int:
        """Insert a player and return its id."""
        if kind == "human":
            self._allow_human_players()
        with self.transaction():
            cur = self.db.execute(
                "INSERT INTO players(name, kind, spec, path, agent, role, parent, step, iteration, "
                "hyperparameters, elo_initial, elo, created) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (name, kind, spec, path, agent, role, parent, step, iteration,
                 json.dumps(hyperparameters or {}), elo, elo, time.time()))
            return int(cur.lastrowid)

    def _allow_human_players(self) -> None:
        """Widen ``players.kind`` to allow ``human`` (ladder players) in a store made before it could
        (SQLite cannot alter a CHECK: the table is rebuilt in one transaction, rows and ids kept)."""
        row = self.db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'players'").fetchone()
        if row is None or "'human'" in row[0]:
            return
        sql = re.sub(r"CREATE TABLE\s+(IF NOT EXISTS\s+)?\"?players\"?", "CREATE TABLE players_new", row[0], count=1)
        sql = sql.replace("'snapshot')", "'snapshot', 'human')", 1)
        with self.transaction():
            self.db.execute(sql)
            self.db.execute("INSERT INTO players_new SELECT * FROM players")
            self.db.execute("DROP TABLE players")
            self.db.execute("ALTER TABLE players_new RENAME TO players")

    def _update(self, table: str, key_column: str, key: Any, allowed: set[str], fields: dict[str, Any]) -> None:
        """``UPDATE table SET fields WHERE key_column = key`` for whitelisted column names only."""
        bad = set(fields) - allowed
        if bad:
            raise ValueError(f"cannot update {table} fields {sorted(bad)}")
        if "hyperparameters" in fields:
            fields["hyperparameters"] = json.dumps(fields["hyperparameters"])
        with self.transaction():
            sets = ", ".join(f"{k} = ?" for k in fields)
            self.db.execute(f"UPDATE {table} SET {sets} WHERE {key_column} = ?", (*fields.values(), key))

    def update_player(self, player_id: int, **fields: Any) -> None:
        self._update("players", "id", player_id, {"path", "step", "iteration", "hyperparameters", "role", "parent"},
                     fields)

    def players(self, kinds: Sequence[str] | None = None) -> list[PlayerRow]:
        """Players in creation order, optionally only of the given kinds."""
        rows = self.db.execute("SELECT * FROM players ORDER BY id").fetchall()
        out = [_player(r) for r in rows]
        return [p for p in out if kinds is None or p.kind in kinds]

    def player(self, key: int | str) -> PlayerRow:
        column = "id" if isinstance(key, int) else "name"
        row = self.db.execute(f"SELECT * FROM players WHERE {column} = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(f"no player {key!r} in this league")
        return _player(row)

    # ----------------------------------------------------------------- agents
    def add_agent(self, name: str, *, position: int, role: str, learner: str, config: dict[str, Any],
                  hyperparameters: dict[str, float], checkpoint: str, live_player: int,
                  parent: str | None = None) -> None:
        with self.transaction():
            self.db.execute(
                "INSERT INTO agents(name, position, role, learner, config, hyperparameters, checkpoint, "
                "parent, live_player) VALUES(?,?,?,?,?,?,?,?,?)",
                (name, position, role, learner, json.dumps(config), json.dumps(hyperparameters), checkpoint,
                 parent, live_player))

    def update_agent(self, name: str, **fields: Any) -> None:
        self._update("agents", "name", name, {"hyperparameters", "checkpoint", "checkpoint_iteration", "steps",
                                              "steps_at_snapshot", "steps_at_ready", "generation", "parent"},
                     fields)

    def agents(self) -> list[AgentRow]:
        rows = self.db.execute("SELECT * FROM agents ORDER BY position").fetchall()
        return [_agent(r) for r in rows]

    def agent(self, name: str) -> AgentRow:
        row = self.db.execute("SELECT * FROM agents WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise KeyError(f"no agent {name!r} in this league")
        return _agent(row)

    # ----------------------------------------------------------------- games
    def has_game(self, key: str) -> bool:
        return self.db.execute("SELECT 1 FROM games WHERE key = ?", (key,)).fetchone() is not None

    def game_keys(self, iteration: int) -> set[str]:
        rows = self.db.execute("SELECT key FROM games WHERE iteration = ?", (iteration,)).fetchall()
        return {r["key"] for r in rows}

    def record_game(self, key: str, *, iteration: int, purpose: str, seats: Sequence[int],
                    scores: Sequence[float], seed: int, duration: float,
                    elo_updates: dict[int, float] | None = None) -> int | None:
        """Store one game and, in the same transaction, the players' new online Elo.

        Returns the game id, or ``None`` when a game with this key is already stored (a resumed
        run replaying work it had finished): then nothing changes.
        """
        with self.transaction():
            if self.has_game(key):
                return None
            cur = self.db.execute(
                "INSERT INTO games(key, iteration, purpose, seats, scores, outcome, seed, duration, created) "
                "VALUES(?,?,?,?,?,?,?,?,?)",
                (key, iteration, purpose, json.dumps(list(seats)), json.dumps([float(s) for s in scores]),
                 outcome_of(scores), int(seed), float(duration), time.time()))
            for player_id in set(seats):
                self.db.execute("UPDATE players SET games = games + 1 WHERE id = ?", (player_id,))
            for player_id, elo in (elo_updates or {}).items():
                self.db.execute("UPDATE players SET elo = ? WHERE id = ?", (float(elo), player_id))
            return int(cur.lastrowid)

    def games(self, purpose: str | None = None) -> list[GameRow]:
        """All stored games in the order they were recorded."""
        if purpose is None:
            rows = self.db.execute("SELECT * FROM games ORDER BY id").fetchall()
        else:
            rows = self.db.execute("SELECT * FROM games WHERE purpose = ? ORDER BY id", (purpose,)).fetchall()
        return [GameRow(r["id"], r["key"], r["iteration"], r["purpose"], tuple(json.loads(r["seats"])),
                        tuple(json.loads(r["scores"])), r["outcome"], r["seed"], r["duration"]) for r in rows]

    def count_games(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM games").fetchone()[0])

    # ----------------------------------------------------------------- plans and events
    def save_plan(self, iteration: int, agent: str, plan: dict[str, Any]) -> None:
        with self.transaction():
            self.db.execute("INSERT OR REPLACE INTO plans(iteration, agent, plan) VALUES(?,?,?)",
                            (iteration, agent, json.dumps(plan)))

    def plan(self, iteration: int, agent: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT plan FROM plans WHERE iteration = ? AND agent = ?",
                              (iteration, agent)).fetchone()
        return None if row is None else json.loads(row["plan"])

    def add_event(self, iteration: int, kind: str, agent: str | None, details: dict[str, Any]) -> None:
        with self.transaction():
            self.db.execute("INSERT INTO events(iteration, kind, agent, details, created) VALUES(?,?,?,?,?)",
                            (iteration, kind, agent, json.dumps(details), time.time()))

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT * FROM events ORDER BY id").fetchall()
        out = [{"id": r["id"], "iteration": r["iteration"], "kind": r["kind"], "agent": r["agent"],
                "details": json.loads(r["details"])} for r in rows]
        return [e for e in out if kind is None or e["kind"] == kind]


def _split(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def _player(r: sqlite3.Row) -> PlayerRow:
    return PlayerRow(r["id"], r["name"], r["kind"], r["spec"], r["path"], r["agent"], r["role"], r["parent"],
                     r["step"], r["iteration"], json.loads(r["hyperparameters"]), r["elo_initial"], r["elo"], r["games"])


def _agent(r: sqlite3.Row) -> AgentRow:
    return AgentRow(r["name"], r["position"], r["role"], r["learner"], json.loads(r["config"]),
                    json.loads(r["hyperparameters"]), r["checkpoint"], r["checkpoint_iteration"], r["steps"],
                    r["steps_at_snapshot"], r["steps_at_ready"], r["generation"], r["parent"], r["live_player"])
