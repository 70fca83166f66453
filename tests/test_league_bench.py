"""`tools/bench_league.py selfplay` at a tiny size: table, JSON structure and the equal-compute bookkeeping."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
STEPS, CHUNK, GAMES, RANDOM_GAMES = 1024, 256, 8, 6


def _load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_league", ROOT / "tools" / "bench_league.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return _load_bench()


@pytest.fixture(scope="module")
def tiny_run(bench: ModuleType) -> tuple[dict, str]:
    import argparse
    import contextlib
    import io

    args = argparse.Namespace(game="Sumo-2T1P", steps=STEPS, chunk=CHUNK, seeds=[0], games=GAMES,
                              random_games=RANDOM_GAMES, threads=1, workers=None, json=False)
    threads = torch.get_num_threads()
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            result = bench.bench_selfplay(args)
    finally:
        torch.set_num_threads(threads)
    return result, out.getvalue()


def _check_summary(row: dict, games: int) -> None:
    assert row["games"] == games
    assert row["wins"] + row["draws"] + row["losses"] == games
    assert 0.0 <= row["score"] <= 1.0
    assert row["score"] == pytest.approx((row["wins"] + 0.5 * row["draws"]) / games)
    assert 0.0 <= row["ci_low"] <= row["score"] <= row["ci_high"] <= 1.0


def test_equal_compute_bookkeeping(tiny_run, bench):
    result, _ = tiny_run
    json.dumps(result)  # what --json prints
    assert result["steps"] == STEPS and result["seeds"] == [0] and result["chunk"] == CHUNK
    (run,) = result["runs"]
    arms = run["arms"]
    assert set(arms) == set(bench.ARMS)
    for arm in arms.values():
        assert arm["total_steps"] == STEPS  # every arm trains the same number of learner env steps
        assert sum(arm["learner_steps"].values()) == STEPS
    assert arms["pfsp"]["agent_steps"] == STEPS
    assert arms["selfplay"]["agent_steps"] == arms["selfplay-both"]["agent_steps"] == STEPS
    # The exploiters' steps count against the AlphaStar league: its main agent gets half.
    assert arms["alphastar"]["agent_steps"] == STEPS // 2
    assert arms["alphastar"]["learner_steps"] == {"main": STEPS // 2, "main-exploiter": STEPS // 4,
                                                  "league-exploiter": STEPS // 4}
    # --chunk: the compared agents train CHUNK steps per iteration, so the AlphaStar league runs half the iterations.
    assert all(arm["steps_per_iteration"] == CHUNK for arm in arms.values())
    assert arms["pfsp"]["iterations"] == 2 * arms["alphastar"]["iterations"] == STEPS // CHUNK
    assert arms["alphastar"]["league_games"] > 0 and arms["selfplay-both"]["league_games"] == 0


def test_head_to_head_and_reference_scores(tiny_run, bench):
    result, _ = tiny_run
    (run,) = result["runs"]
    pairs = [(h["league"], h["selfplay"]) for h in run["head_to_head"]]
    assert pairs == [(a, b) for a in bench.LEAGUE_ARMS for b in bench.SELFPLAY_ARMS]
    for h in run["head_to_head"]:
        _check_summary(h, GAMES)
    assert set(run["vs_random"]) == set(bench.ARMS)
    for v in run["vs_random"].values():
        _check_summary(v, RANDOM_GAMES)
    # With one seed the pooled rows are the seed's rows.
    for pooled, h in zip(result["pooled"]["head_to_head"], run["head_to_head"]):
        assert pooled["score"] == pytest.approx(h["score"]) and pooled["seed_scores"] == [h["score"]]
        assert pooled["seed_mean"] == pytest.approx(h["score"]) and pooled["seed_ci_low"] is None
    for pooled in result["pooled"]["vs_random"].values():
        _check_summary(pooled, RANDOM_GAMES)


def test_table(tiny_run, bench):
    _, text = tiny_run
    assert text.startswith(f"Sumo-2T1P: {STEPS:,} learner env steps per arm")
    for heading in ("training", "head to head:", "reference: score against a uniform random player"):
        assert heading in text
    for arm in bench.ARMS:
        assert arm in text


def test_score_summary(bench):
    row = bench.score_summary([1.0, 0.5, 0.0, 1.0])
    assert (row["wins"], row["draws"], row["losses"], row["score"]) == (2, 1, 1, 0.625)
    assert row["ci_low"] < 0.625 < row["ci_high"]


def test_seed_summary(bench):
    row = bench.seed_summary([0.6, 0.7, 0.8])
    assert row["seed_mean"] == pytest.approx(0.7)
    assert 0.0 <= row["seed_ci_low"] < 0.7 < row["seed_ci_high"] <= 1.0


def test_bad_steps_is_one_line_error():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "bench_league.py"), "selfplay", "--steps", "1000"],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 2
    assert "--steps 1000: must be a positive multiple of 8192" in result.stderr
