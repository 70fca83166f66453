"""tools/bench_mcts.py's Othello row (generic protocol search) and random-playout rows, at a tiny size."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _bench_module():  # noqa: ANN202 - tools/ is not a package
    spec = importlib.util.spec_from_file_location("bench_mcts", REPO / "tools" / "bench_mcts.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_mcts", module)  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def _pyspiel():  # noqa: ANN202
    try:
        import pyspiel
    except ImportError:
        return None
    return pyspiel


def test_othello_search_row() -> None:
    bench = _bench_module()
    assert ("othello 8x8 (generic protocol search)", "othello8", "othello") in bench.CASES
    pyspiel = _pyspiel()
    row = bench.bench_case("othello 8x8", "othello8", "othello", 40, 1, 0, pyspiel)
    assert row.simulations == 40 and row.arena_sims_per_s > 0
    if pyspiel is not None:
        assert row.ratio == pytest.approx(row.arena_sims_per_s / row.openspiel_sims_per_s)


@pytest.mark.parametrize(("key", "os_name"), [("othello8", "othello"), ("hex7", "hex(board_size=7)")])
def test_playout_rows(key: str, os_name: str) -> None:
    bench = _bench_module()
    row = bench.bench_playouts(key, key, os_name, 0.05, 1, 0, _pyspiel())
    assert row.batch == bench.PLAYOUT_BATCH and row.arena_games_per_s > 0
    if row.openspiel_games_per_s is not None:
        assert row.ratio == pytest.approx(row.arena_games_per_s / row.openspiel_games_per_s)
