"""tools/bench_alphazero.py --strength at a tiny size: rows are well formed and scores add up."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import bench_alphazero  # noqa: E402  (tools/ is not a package)


def test_strength_rows_for_a_shipped_model():
    rows = bench_alphazero.strength(2, 8, [10, 20], only=["gomoku_6x6_4"])
    assert [r["opponent"] for r in rows] == ["mcts:10", "mcts:20"]
    for row in rows:
        assert row["game"] == "gomoku_6x6_4" and row["games"] == 2 and row["playouts"] == 8
        assert row["wins"] + row["draws"] + row["losses"] == 2
        assert row["win_rate"] == (row["wins"] + 0.5 * row["draws"]) / 2


def test_openspiel_rows_check_each_game_against_openspiel(monkeypatch):
    """az against OpenSpiel's C++ MCTS: results add up, and a game whose rules differed from
    OpenSpiel's (here: an OpenSpiel game of another size) is refused, not counted."""
    import pytest

    pytest.importorskip("pyspiel")
    for label in ("connect_four", "gomoku_8x8_5"):
        row = bench_alphazero.vs_openspiel(label, 20, 2, 8, None)
        assert row["games"] == 2 and row["wins"] + row["draws"] + row["losses"] == 2
        assert row["score"] == (row["wins"] + 0.5 * row["draws"]) / 2
        assert sum(row["first"]) == sum(row["second"]) == 1  # seats alternate
        assert [a + b for a, b in zip(row["first"], row["second"])] == [row["wins"], row["draws"], row["losses"]]
        assert row["az_seconds_per_move"] > 0 and row["openspiel_seconds_per_move"] > 0
    monkeypatch.setitem(bench_alphazero.OPENSPIEL_GAMES, "gomoku_8x8_5", "gomoku(size=9,connect=5)")
    with pytest.raises(RuntimeError, match="OpenSpiel"):
        bench_alphazero.vs_openspiel("gomoku_8x8_5", 20, 2, 8, None)


def test_openspiel_games_in_processes_give_the_same_results():
    """--jobs: every game is seeded by its number alone, so two processes play the same games."""
    import pytest

    pytest.importorskip("pyspiel")
    one = bench_alphazero.vs_openspiel("connect_four", 20, 4, 8, None, seed=3, fpu_reduction=0.2, leaves=4)
    two = bench_alphazero.vs_openspiel("connect_four", 20, 4, 8, None, seed=3, fpu_reduction=0.2, jobs=2, leaves=4)
    for key in ("wins", "draws", "losses", "first", "second", "c_puct", "fpu_reduction", "leaves_per_call"):
        assert one[key] == two[key], key
    assert two["jobs"] == 2 and two["fpu_reduction"] == 0.2 and two["leaves_per_call"] == 4


def test_actor_rows_for_a_training_config(tmp_path):
    """--actors --actor-config: 2 local actors against 1 and against the trainer, on the recipe of a
    config file (here a small 6x6 gomoku one), the recipe named in the rows."""
    config = tmp_path / "g6.yaml"
    config.write_text("game: gomoku\ngame_kwargs: {size: 6, n_in_row: 4}\nblocks: 1\nchannels: 8\n"
                      "num_simulations: 8\nselfplay_batch: 4\n")
    rows = bench_alphazero.bench_actors(["local"], 4, None, 1, config_path=str(config))
    assert [r["name"] for r in rows] == ["actors-local", "actor-cost"]
    for row in rows:
        assert row["ours"] > 0 and row["reference"] > 0
        assert row["ratio"] > 0
    assert "gomoku" in rows[0]["detail"] and "8 sims/move" in rows[0]["detail"] and "1x8 net" in rows[0]["detail"]


def test_versus_two_models_adds_up_and_refuses_two_games(tmp_path):
    import subprocess

    pretrained = Path(__file__).resolve().parents[1] / "arena" / "alphazero" / "pretrained"
    ttt = str(pretrained / "tic_tac_toe.pt")
    row = bench_alphazero.versus(ttt, ttt, 4, 20)
    assert row["games"] == 4 and row["wins"] + row["draws"] + row["losses"] == 4
    assert row["score"] == (row["wins"] + 0.5 * row["draws"]) / 4
    tool = Path(bench_alphazero.__file__)
    out = subprocess.run([sys.executable, str(tool), "--versus", ttt, str(pretrained / "connect_four.pt"),
                          "--games", "2", "--playouts", "8"], capture_output=True, text=True)
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert out.stderr.strip().startswith("bench_alphazero --versus:") and len(out.stderr.strip().splitlines()) == 1


def test_openspiel_refuses_a_bad_leaves_count_in_one_line():
    import subprocess

    tool = Path(bench_alphazero.__file__)
    out = subprocess.run([sys.executable, str(tool), "--openspiel", "connect_four", "--games", "2", "--leaves", "0"],
                         capture_output=True, text=True)
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert out.stderr.strip().startswith("bench_alphazero --leaves:") and len(out.stderr.strip().splitlines()) == 1


def test_leaves_speed_rows_are_ratios_against_the_first():
    rows = bench_alphazero.leaves_speed("tic_tac_toe", [8, 4], playouts=64, repeats=1)
    assert [r["leaves_per_call"] for r in rows] == [8, 4]
    assert rows[0]["ratio"] == 1.0 and rows[0]["reference"] == rows[0]["ours"] > 0
    assert rows[1]["reference"] == rows[0]["ours"] and rows[1]["ratio"] == rows[1]["ours"] / rows[0]["ours"]
