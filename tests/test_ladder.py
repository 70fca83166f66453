"""`arena ladder`: a person climbs a tiny league through a pseudo-terminal; games land in its store."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from leagues.report import compute_ratings
from leagues.store import PayoffStore

pexpect = pytest.importorskip("pexpect")
REPO = Path(__file__).resolve().parents[1]


def tiny_league(directory: Path, game: str, players: list[tuple[str, str]]) -> Path:
    """A league directory with fixed players only (what the ladder needs: players, games, recipe)."""
    directory.mkdir(parents=True, exist_ok=True)
    store = PayoffStore(directory / "league.db")
    store.set_meta("recipe", {"name": "tiny", "game": game, "game_kwargs": {}, "matches": {"elo_k": 32.0}})
    store.set_meta("iteration", 1)
    store.set_meta("created", 1.0)
    ids = [store.add_player(name, "fixed", spec=spec) for name, spec in players]
    store.record_game("0/seed/0", iteration=0, purpose="eval", seats=(ids[-1], ids[0]), scores=(1.0, -1.0),
                      seed=0, duration=0.0)
    store.close()
    return directory


def spawn(*args: str) -> pexpect.spawn:
    env = dict(os.environ, TERM="xterm", LANG="C.UTF-8", NO_COLOR="1")
    return pexpect.spawn(sys.executable, ["-m", "arena", "ladder", *args], cwd=str(REPO), env=env,
                         encoding="utf-8", timeout=90, dimensions=(24, 80))


def test_board_ladder_stores_the_humans_games(tmp_path: Path) -> None:
    league = tiny_league(tmp_path / "lg", "tic_tac_toe", [("random", "random"), ("mcts-30", "mcts:30")])
    child = spawn(str(league), "--as", "ada", "--lives", "1", "--seed", "3")
    child.expect("weakest first: random, mcts-30")
    child.expect("rung 1/2: random")
    moves = iter(["b2", "a1", "c3", "a3", "c1", "b1", "b3", "a2", "c2", "a1", "a3", "c1", "c3"])
    while True:
        i = child.expect([r"your move \(.\)> ", r"is already taken", r"rung 2/2", "out of lives", r"Game over"])
        if i in (0, 1):
            child.sendline(next(moves))
        elif i == 4:
            continue
        else:
            break
    if i == 2:  # climbed the first rung: leave at the next prompt
        child.expect(r"your move \(.\)> ")
        child.sendline("quit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert "human:ada" in child.before
    store = PayoffStore(league / "league.db")
    try:
        human = store.player("human:ada")
        assert human.kind == "human" and human.games >= 1
        rows = {r.name: r for r in compute_ratings(store)}
        assert rows["human:ada"].kind == "human"
    finally:
        store.close()
    status = pexpect.run(f"{sys.executable} -m arena league status {league}", cwd=str(REPO), encoding="utf-8",
                         env=dict(os.environ, COLUMNS="120"))
    assert "human:ada" in status and "human" in status


def test_realtime_ladder_ctrl_c_keeps_finished_games(tmp_path: Path) -> None:
    league = tiny_league(tmp_path / "rt", "rock_paper_scissors", [("random", "random"), ("random-b", "random")])
    child = spawn(str(league), "--as", "bob", "--fps", "50")
    child.expect("rung 1/2")
    child.expect(r"step \d+/10")
    child.send("1")
    child.expect("episode over")
    child.expect(r"rung \d/2|out of lives")
    child.sendcontrol("c")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130 and "Traceback" not in child.before
    store = PayoffStore(league / "league.db")
    try:
        assert store.player("human:bob").games == 1  # the finished game is stored, the interrupted one not
    finally:
        store.close()


def test_ladder_refuses_a_directory_without_a_league(tmp_path: Path) -> None:
    child = spawn(str(tmp_path))
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2 and "not a league directory" in child.before
