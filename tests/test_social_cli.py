"""`arena verify-rewards` end to end, through a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def arena_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "arena", *args], capture_output=True, text=True, timeout=120,
                          cwd=cwd)


def test_json_report_for_a_board_game() -> None:
    done = arena_cli("verify-rewards", "connect_four", "--episodes", "12", "--seed", "0", "--json")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1
    report = json.loads(lines[0])
    (root,) = report["nodes"]
    assert root["path"] == "/" and root["declared"] == "CP" and root["measured"] == "CP"
    assert root["matches"] is True and root["sum"]["min"] == root["sum"]["max"] == 1.0
    assert len(root["effects"]) == 2 and len(root["ci_low"][0]) == 2


def test_table_and_custom_tree_file(tmp_path: Path) -> None:
    tree = tmp_path / "tree.yaml"
    tree.write_text("root:\n  declared: CL\n  schemes: [{type: Time, mode: Longer}]\n"
                    "  children: [{agent: player_0}, {agent: player_1}]\n")
    done = arena_cli("verify-rewards", "tic_tac_toe", "--tree", str(tree), "--episodes", "8", "--contexts", "2",
                     "--strict")
    # Both players are paid for every ply the game lasts: a shared, learnable reward.
    assert done.returncode == 0, done.stdout + done.stderr
    assert "measured CL" in done.stdout and "perturbed" in done.stdout


def test_user_errors_are_one_line_exit_2(tmp_path: Path) -> None:
    bad = arena_cli("verify-rewards", "connect_fuor")
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0
    assert bad.stderr.startswith("arena: error: unknown game 'connect_fuor'. Did you mean connect_four?")
    no_preset = arena_cli("verify-rewards", "mpe2.simple_adversary_v3")
    assert no_preset.returncode == 2 and "has no built-in social tree; pass --tree FILE.yaml" in no_preset.stderr
    typo = tmp_path / "typo.yaml"
    typo.write_text("root:\n  children: [{agent: player_0}, {agnet: player_1}]\n")
    bad_tree = arena_cli("verify-rewards", "tic_tac_toe", "--tree", str(typo))
    assert bad_tree.returncode == 2
    assert "root.children[1]: unknown field 'agnet' (did you mean 'agent'?)" in bad_tree.stderr
    assert bad_tree.stderr.strip().count("\n") == 0


def test_games_that_declare_their_tree_need_no_tree_file() -> None:
    """The 2-D arena games carry their social tree; verify-rewards uses it without --tree."""
    out = arena_cli("verify-rewards", "Push-2T2P", "--contexts", "1", "--episodes", "3", "--json")
    assert out.returncode == 0, out.stderr
    nodes = json.loads(out.stdout)["nodes"]
    declared = {tuple(n["path"]) if isinstance(n["path"], list) else n["path"]: n["declared"] for n in nodes}
    assert "CP" in declared.values() and "CL" in declared.values() and "IS" in declared.values()
