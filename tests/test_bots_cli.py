"""Bot protocol, bot specs, matches and the basic CLI commands (run as a user would)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import arena
from arena import bots
from arena.bots import BotSpecError, HumanBot, RandomBot
from arena.play import play_match


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "arena", *args], capture_output=True, text=True, timeout=timeout)


def test_random_bot_plays_only_legal_moves() -> None:
    bot = RandomBot(seed=0)
    mask = np.array([0, 1, 0, 1, 0], dtype=np.int8)
    assert {bot.act(None, mask) for _ in range(50)} == {1, 3}
    with pytest.raises(ValueError, match="no legal action"):
        bot.act(None, np.zeros(5, dtype=np.int8))


def test_human_bot_reprompts_until_legal() -> None:
    env = arena.make("connect_four")
    answers = iter(["x", "9", "1", "2"])
    said: list[str] = []
    bot = HumanBot(env.game, input_fn=lambda _: next(answers), print_fn=said.append)
    mask = np.array([0, 1, 1, 1, 1, 1, 1], dtype=np.int8)  # column 1 is full
    assert bot.act(None, mask) == 1
    assert len(said) == 3 and "not a legal move" in said[-1]


def test_bot_specs_are_validated() -> None:
    env = arena.make("tic_tac_toe")
    assert isinstance(bots.make("random", env, seed=1), RandomBot)
    with pytest.raises(BotSpecError, match="unknown bot 'nope'"):
        bots.make("nope", env)
    with pytest.raises(BotSpecError, match="takes no argument"):
        bots.make("random:3", env)
    with pytest.raises(BotSpecError, match="takes no options"):
        bots.make("random", env, playouts=5)


def test_match_alternates_seats_and_counts_results() -> None:
    env_fn = lambda: arena.make("tic_tac_toe")  # noqa: E731
    result = play_match(env_fn, [RandomBot(0), RandomBot(1)], ["a", "b"], games=10, seed=3)
    assert [g.seats for g in result.games[:2]] == [(0, 1), (1, 0)]
    for i in (0, 1):
        assert result.wins(i) + result.draws(i) + result.losses(i) == 10
    assert result.wins(0) == result.losses(1)
    assert abs(result.win_rate(0) + result.win_rate(1) - 1.0) < 1e-9


def test_cli_games_json() -> None:
    out = run_cli("games", "--json")
    assert out.returncode == 0, out.stderr
    names = {g["name"] for g in json.loads(out.stdout)["games"]}
    assert "connect_four" in names


def test_cli_match_json() -> None:
    out = run_cli("match", "tic_tac_toe", "random", "random", "--games", "4", "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert sum(report["bots"][0][k] for k in ("wins", "draws", "losses")) == 4


@pytest.mark.parametrize(("args", "message"), [
    (("match", "connect_fuor", "random", "random"), "unknown game 'connect_fuor'"),
    (("match", "tic_tac_toe", "rnd", "random"), "unknown bot 'rnd'"),
    (("match", "tic_tac_toe", "random", "random", "--games", "0"), "argument --games: must be >= 1"),
    (("match", "tic_tac_toe", "random", "random", "--size", "9"), "tic_tac_toe has no such option"),
])
def test_cli_user_errors_are_one_line(args: tuple[str, ...], message: str) -> None:
    out = run_cli(*args)
    assert out.returncode == 2
    assert message in out.stderr
    assert "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
