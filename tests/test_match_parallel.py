"""`arena match` on simultaneous-move games: one bot per side, sides alternating, the board-game table."""

from __future__ import annotations

import json

import arena
from arena.bots import RandomBot
from arena.cli import main
from arena.play.parallel_loop import play_parallel_match


def test_match_sumo_prints_the_table(capsys) -> None:
    assert main(["match", "Sumo-2T1P", "random", "random", "--games", "2"]) == 0
    out = capsys.readouterr().out
    assert "sides alternating" in out and "random (A)" in out and "wins" in out


def test_match_json_on_team_and_mpe_games(capsys) -> None:
    for game in ("Soccer-2T2P", "mpe2.simple_tag_v3", "rock_paper_scissors"):
        assert main(["match", game, "random", "random", "--games", "2", "--json"]) == 0
        data = json.loads(capsys.readouterr().out)
        a, b = data["bots"]
        assert a["wins"] + a["draws"] + a["losses"] == 2
        assert a["wins"] == b["losses"] and a["draws"] == b["draws"]


def test_match_refuses_games_without_two_sides(capsys) -> None:
    assert main(["match", "mpe2.simple_spread_v3", "random", "random", "--games", "1"]) == 2
    assert "cannot sit" in capsys.readouterr().err


def test_sides_alternate() -> None:
    result = play_parallel_match(lambda: arena.make("Sumo-2T1P"), [RandomBot(0), RandomBot(1)], ["a", "b"], 4)
    assert [g.seats for g in result.games] == [(0, 1), (1, 0), (0, 1), (1, 0)]
    assert all(sorted(g.scores) in ([-1.0, 1.0], [0.0, 0.0]) for g in result.games)
