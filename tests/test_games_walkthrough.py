"""docs/games.md, "Your first game in ten minutes", run start to finish from a temporary directory.

Every command of the page's ```bash blocks runs as written, in order (``pip install -e D`` gains
``--no-deps --no-build-isolation`` so that it is fast and offline, ``arena play`` reads ``quit``):
scaffold, install into this environment, ``arena games`` lists the package, conformance tests,
``arena match``, a short ``arena train`` (PPO for the 2-D game, AlphaZero for the turn-based one),
a two-iteration league, bots from the trained run and the league. The packages are uninstalled
at the end.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parent.parent / "docs" / "games.md"
BIN = Path(sys.executable).parent


def walkthrough(section: str) -> list[str]:
    """The commands of the ```bash blocks under the ``## section`` heading of docs/games.md."""
    text = DOC.read_text()
    start = text.index(f"## {section}")
    end = text.find("\n## ", start + 1)
    body = text[start:end if end > 0 else None]
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", body, flags=re.S):
        commands += [line.strip() for line in block.splitlines() if line.strip() and not line.startswith("#")]
    return commands


def run(command: str, cwd: Path) -> subprocess.CompletedProcess:
    argv = shlex.split(command)
    stdin = None
    if argv[:2] == ["pip", "install"]:
        argv = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", *argv[2:]]
    elif argv[0] == "python":
        argv = [sys.executable, *argv[1:]]
    elif argv[0] == "arena":
        argv = [str(BIN / "arena"), *argv[1:]]
        if argv[1] == "play":
            stdin = "quit\n"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "COLUMNS": "200"}
    result = subprocess.run(argv, cwd=cwd, input=stdin, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, f"`{command}` failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    return result


def installed_distribution(package_dir: Path) -> str:
    return re.search(r'^name = "([^"]+)"', (package_dir / "pyproject.toml").read_text(), flags=re.M).group(1)


def uninstall(distribution: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "uninstall", "-y", "-q", distribution],
                   capture_output=True, text=True, timeout=120)


def check_walkthrough(tmp_path: Path, section: str, name: str, package: str) -> dict[str, str]:
    commands = walkthrough(section)
    assert commands[0].startswith(f"arena new-game {name}") and commands[1] == f"pip install -e {package}"
    outputs: dict[str, str] = {}
    distribution = None
    try:
        for command in commands:
            result = run(command, tmp_path)
            outputs[command] = result.stdout
            if command.startswith("arena new-game"):
                distribution = installed_distribution(tmp_path / package)
                assert f"pip install -e {package}" in result.stdout, "new-game prints the next commands"
        listing = json.loads(run("arena games --json", tmp_path).stdout)
        game = next(g for g in listing["games"] if g["name"] == name)
        assert game["source"] == f"package {distribution}"
        assert not listing["problems"]
    finally:
        if distribution:
            uninstall(distribution)
    return outputs


@pytest.mark.slow
def test_two_d_game_walkthrough(tmp_path: Path) -> None:
    outputs = check_walkthrough(tmp_path, "A 2-D team game (YAML)", "Hilltop-2T2P", "hilltop")
    assert "Hilltop-2T2P" in outputs["arena games"] and "package" in outputs["arena games"]
    assert "passed" in outputs["python -m pytest -q hilltop/tests"]
    assert (tmp_path / "runs" / "hilltop" / "checkpoint.pt").is_file()
    assert (tmp_path / "runs" / "hilltop-league" / "league.db").is_file()
    assert "Hilltop-2T2P: 4 games" in outputs["arena match Hilltop-2T2P random random --games 4"]


@pytest.mark.slow
def test_turn_based_game_walkthrough(tmp_path: Path) -> None:
    outputs = check_walkthrough(tmp_path, "A turn-based game (Python)", "TakeAway", "take-away")
    assert "TakeAway" in outputs["arena games"]
    assert "every check passed" in outputs["arena check-game TakeAway"]
    assert (tmp_path / "runs" / "takeaway" / "best.pt").is_file()
    assert (tmp_path / "runs" / "takeaway-league" / "league.db").is_file()
    # take-away is solved: MCTS with 200 playouts beats a random player nearly always
    table = outputs["arena match TakeAway mcts:200 random --games 10"]
    wins = int(re.search(r"mcts:200\s*│\s*(\d+)", table).group(1))
    assert wins >= 8, table
