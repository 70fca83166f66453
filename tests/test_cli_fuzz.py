"""A fuzz table of bad command lines: every one must exit 2 with exactly one ``arena: error:`` line,
no traceback, and no file changed.

Each case is ``(argv, setup)``: ``setup(tmp)`` writes the files the case needs (corrupt, empty,
binary or hostile checkpoints, configs, recipes, trees and league stores) and ``{T}`` in ``argv``
is replaced by that directory. Cases run in-process through ``arena.cli.main`` (fast); closed
stdin and broken pipes are checked at the end, the pipes in real subprocesses.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from arena.cli import main

ROOT = Path(__file__).resolve().parents[1]
Setup = Callable[[Path], None]


# ------------------------------------------------------------------ bad files
class _Hostile:
    """Unpickling this would run a shell command; the loaders must refuse it."""

    def __reduce__(self):
        return (os.system, ("touch /tmp/arena-fuzz-pwned",))


def _checkpoint_bytes(kind: str) -> bytes:
    import torch

    if kind == "empty":
        return b""
    if kind == "random":
        return os.urandom(4096)
    if kind == "text":
        return b"this is not a checkpoint\n"
    if kind == "pickle-bomb":
        return pickle.dumps(_Hostile(), protocol=2)
    if kind == "pickle-bomb-4":
        return pickle.dumps(_Hostile(), protocol=4)
    buf = io.BytesIO()
    torch.save({"format": "something-else", "weights": torch.zeros(4)}, buf)
    data = buf.getvalue()
    if kind == "truncated":
        return data[: len(data) // 2]
    if kind == "wrong-format":
        return data
    if kind == "list":
        buf = io.BytesIO()
        torch.save([1, 2, 3], buf)
        return buf.getvalue()
    raise AssertionError(kind)


CHECKPOINT_KINDS = ["empty", "random", "text", "pickle-bomb", "pickle-bomb-4", "truncated", "wrong-format", "list"]

YAML_FILES = {
    "binary": b"\x00\x01\x02\xff\xfe" * 50,
    "random": bytes(range(128, 256)) * 8,
    "hostile": b"!!python/object/apply:os.system ['touch /tmp/arena-fuzz-pwned']\n",
    "hostile-nested": b"name: x\nlr: !!python/object/new:os.system ['touch /tmp/arena-fuzz-pwned']\n",
    "syntax": b"a: [1, 2\nb: {\n",
    "list": b"- 1\n- 2\n",
    "scalar": b"42\n",
    "tabs": b"a:\n\t- b\n",
}


def _write(rel: str, data: bytes) -> Setup:
    def setup(tmp: Path) -> None:
        path = tmp / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return setup


def _chain(*steps: Setup) -> Setup:
    def setup(tmp: Path) -> None:
        for step in steps:
            step(tmp)
    return setup


def _nothing(tmp: Path) -> None:
    pass


MADDPG_CONFIG = json.dumps({"algorithm": "maddpg", "env": "rock_paper_scissors", "config": {}}).encode()
PPO_CONFIG = json.dumps({"game": "rock_paper_scissors", "env_args": {}, "config": {}}).encode()


def _league_db(kind: str) -> Setup:
    def setup(tmp: Path) -> None:
        from leagues.store import PayoffStore

        good = tmp / "good.db"
        store = PayoffStore(good)
        for i in range(100):
            store.add_player(f"p{i}", "fixed", spec="random")
        store.set_meta("recipe", {"name": "x", "game": "rock_paper_scissors"})
        store.close()
        data = good.read_bytes()
        good.unlink()
        bad = {"empty": b"", "random": os.urandom(len(data)), "truncated": data[: len(data) // 2],
               "overwritten": data[:100] + os.urandom(2000) + data[2100:],
               "header-only": b"SQLite format 3\x00" + os.urandom(3000)}[kind]
        (tmp / "lg").mkdir()
        (tmp / "lg" / "league.db").write_bytes(bad)
    return setup


# ------------------------------------------------------------------ the table
CASES: list[tuple[str, list[str], Setup]] = []


def case(name: str, argv: list[str], setup: Setup = _nothing) -> None:
    CASES.append((name, argv, setup))


# Checkpoints: arena eval, maddpg/ppo/alphazero --resume, az: bot files.
for kind in CHECKPOINT_KINDS:
    ck = _checkpoint_bytes(kind)
    case(f"eval-checkpoint-{kind}", ["eval", "{T}/md", "--episodes", "1"],
         _chain(_write("md/config.json", MADDPG_CONFIG), _write("md/checkpoint.pt", ck)))
    case(f"maddpg-resume-{kind}", ["train", "maddpg", "rock_paper_scissors", "--out", "{T}/md", "--resume",
                                   "--episodes", "5", "--no-progress"],
         _chain(_write("md/config.json", MADDPG_CONFIG), _write("md/checkpoint.pt", ck)))
    case(f"ppo-resume-{kind}", ["train", "ppo", "rock_paper_scissors", "--out", "{T}/pp", "--resume",
                                "--steps", "32", "--no-progress"],
         _chain(_write("pp/config.json", PPO_CONFIG), _write("pp/checkpoint.pt", ck)))
    case(f"alphazero-resume-{kind}", ["train", "alphazero", "tic_tac_toe", "--out", "{T}/az", "--resume",
                                      "--no-progress"], _write("az/checkpoint.pt", ck))
    case(f"az-bot-{kind}", ["match", "tic_tac_toe", "az:{T}/bot.pt", "random", "--games", "1"],
         _write("bot.pt", ck))
    case(f"ppo-bot-{kind}", ["match", "rock_paper_scissors", "ppo:{T}/bot.pt", "random", "--games", "1"],
         _write("bot.pt", ck))

# Run directories whose config.json is bad.
for name, data in {"binary": b"\x00\xff" * 40, "not-json": b"{oops", "list": b"[1, 2]",
                   "other-algorithm": b'{"algorithm": "ppo"}', "empty": b""}.items():
    case(f"eval-config-{name}", ["eval", "{T}/md"],
         _chain(_write("md/config.json", data), _write("md/checkpoint.pt", b"")))
    case(f"ppo-resume-config-{name}", ["train", "ppo", "rock_paper_scissors", "--out", "{T}/pp", "--resume",
                                       "--no-progress"],
         _chain(_write("pp/config.json", data), _write("pp/checkpoint.pt", _checkpoint_bytes("wrong-format"))))

# YAML files: recipes, --config of every learner, social trees.
for kind, data in YAML_FILES.items():
    case(f"recipe-{kind}", ["league", "run", "{T}/r.yaml", "--out", "{T}/lg", "--no-live"], _write("r.yaml", data))
    case(f"maddpg-config-{kind}", ["train", "maddpg", "rock_paper_scissors", "--out", "{T}/md", "--config",
                                   "{T}/c.yaml", "--no-progress"], _write("c.yaml", data))
    case(f"ppo-config-{kind}", ["train", "ppo", "rock_paper_scissors", "--out", "{T}/pp", "--config",
                                "{T}/c.yaml", "--no-progress"], _write("c.yaml", data))
    case(f"alphazero-config-{kind}", ["train", "alphazero", "tic_tac_toe", "--out", "{T}/az", "--config",
                                      "{T}/c.yaml", "--no-progress"], _write("c.yaml", data))
    case(f"tree-{kind}", ["verify-rewards", "rock_paper_scissors", "--tree", "{T}/t.yaml", "--episodes", "2"],
         _write("t.yaml", data))
for flag_case in (["league", "run", "{T}"], ["league", "run", "{T}/missing.yaml"],
                  ["train", "maddpg", "rock_paper_scissors", "--out", "{T}/md", "--config", "{T}"],
                  ["train", "ppo", "rock_paper_scissors", "--out", "{T}/pp", "--config", "{T}/missing.yaml"],
                  ["train", "alphazero", "tic_tac_toe", "--out", "{T}/az", "--config", "{T}/missing.yaml"]):
    case("missing-or-dir-" + "-".join(flag_case[:2]) + f"-{len(CASES)}", flag_case)
case("recipe-unknown-field", ["league", "run", "{T}/r.yaml"],
     _write("r.yaml", b"name: x\ngame: rock_paper_scissors\niteraitons: 2\nagents: []\n"))
case("recipe-unknown-game", ["league", "run", "{T}/r.yaml"],
     _write("r.yaml", b"name: x\ngame: no_such_game\niterations: 2\n"
                      b"agents: [{name: a, learner: softmax}]\n"))
case("recipe-unknown-learner", ["league", "run", "{T}/r.yaml"],
     _write("r.yaml", b"name: x\ngame: rock_paper_scissors\niterations: 2\n"
                      b"agents: [{name: a, learner: nope}]\n"))
case("recipe-bad-bot", ["league", "run", "{T}/r.yaml"],
     _write("r.yaml", b"name: x\ngame: rock_paper_scissors\niterations: 2\nmembers: [{name: m, bot: 'nobot:3'}]\n"
                      b"agents: [{name: a, learner: softmax}]\n"))

# Damaged league stores: status, report, run --resume, league: bots.
RPS_RECIPE = (b"name: x\ngame: rock_paper_scissors\niterations: 1\nworkers: 0\ntensorboard: false\n"
              b"members: [{name: random, bot: random}]\nagents: [{name: a, learner: softmax}]\n")
for kind in ("empty", "random", "truncated", "overwritten", "header-only"):
    setup = _chain(_league_db(kind), _write("r.yaml", RPS_RECIPE))
    case(f"league-status-{kind}", ["league", "status", "{T}/lg"], setup)
    case(f"league-status-json-{kind}", ["league", "status", "{T}/lg", "--json"], setup)
    case(f"league-report-{kind}", ["league", "report", "{T}/lg"], setup)
    case(f"league-resume-{kind}", ["league", "run", "{T}/r.yaml", "--out", "{T}/lg", "--resume", "--no-live"], setup)
    case(f"league-bot-{kind}", ["match", "rock_paper_scissors", "league:{T}/lg", "random", "--games", "1"], setup)
case("league-status-not-a-league", ["league", "status", "{T}"])
case("league-status-missing", ["league", "status", "{T}/nope"])
case("league-resume-nothing", ["league", "run", "{T}/r.yaml", "--out", "{T}/none", "--resume"],
     _write("r.yaml", RPS_RECIPE))

# Numeric options: negative, zero, huge and non-numeric values.
NUMERIC = [
    (["league", "run", "{T}/r.yaml", "--out", "{T}/lg"], "--workers", ["-1", "abc", "100000", "1.5"]),
    (["league", "run", "{T}/r.yaml", "--out", "{T}/lg"], "--iterations", ["0", "-3", "abc"]),
    (["league", "run", "{T}/r.yaml", "--out", "{T}/lg"], "--threads", ["0", "-1", "abc", "99999"]),
    (["eval", "{T}/md"], "--episodes", ["0", "-1", "abc"]),
    (["eval", "{T}/md"], "--seed", ["-1", str(2**40), "abc"]),
    (["eval", "{T}/md"], "--fps", ["-1", "abc", "nan", "1e9"]),
    (["match", "tic_tac_toe", "random", "random"], "--games", ["0", "-1", "abc"]),
    (["match", "tic_tac_toe", "random", "random"], "--seed", ["-1", str(2**40), "x"]),
    (["train", "ppo", "rock_paper_scissors", "--out", "{T}/pp"], "--steps", ["0", "-1", "abc", "1.5"]),
    (["train", "ppo", "rock_paper_scissors", "--out", "{T}/pp"], "--threads", ["0", "-1", "abc"]),
    (["train", "ppo", "rock_paper_scissors", "--out", "{T}/pp"], "--chunk", ["0", "-5"]),
    (["train", "maddpg", "rock_paper_scissors", "--out", "{T}/md"], "--episodes", ["0", "-1", "abc"]),
    (["train", "maddpg", "rock_paper_scissors", "--out", "{T}/md"], "--seed", ["-1", "abc"]),
    (["train", "maddpg", "rock_paper_scissors", "--out", "{T}/md"], "--num-envs", ["0", "-1", "abc"]),
    (["train", "alphazero", "tic_tac_toe", "--out", "{T}/az"], "--iterations", ["0", "-1", "abc"]),
    (["train", "alphazero", "tic_tac_toe", "--out", "{T}/az"], "--seed", ["-1", "abc"]),
    (["verify-rewards", "rock_paper_scissors"], "--episodes", ["0", "-1", "abc"]),
    (["verify-rewards", "rock_paper_scissors"], "--confidence", ["-1", "2", "abc"]),
    (["verify-rewards", "rock_paper_scissors"], "--seed", ["-1"]),
]
for prefix, option, values in NUMERIC:
    for value in values:
        case(f"{prefix[0]}-{prefix[1]}{option}={value}", [*prefix, option, value], _write("r.yaml", RPS_RECIPE))

# --set / --env-arg values and keys.
for algo, game, key in (("ppo", "rock_paper_scissors", "lr"), ("maddpg", "rock_paper_scissors", "lr_actor")):
    out = ["--out", "{T}/run", "--no-progress"]
    for item in (f"{key}=abc", f"{key}=-1", "no_such_key=1", "=1", key, f"{key}=[1, 2"):
        case(f"{algo}-set-{item}", ["train", algo, game, *out, "--set", item])
    for item in ("foo=1", "=3", "novalue"):
        case(f"{algo}-env-arg-{item}", ["train", algo, game, *out, "--env-arg", item])
    case(f"{algo}-resume-nothing", ["train", algo, game, *out, "--resume"])
case("alphazero-resume-nothing", ["train", "alphazero", "tic_tac_toe", "--out", "{T}/az", "--resume"])
case("ppo-turn-based", ["train", "ppo", "connect_four", "--out", "{T}/pp", "--no-progress"])
case("alphazero-unknown-config-key", ["train", "alphazero", "tic_tac_toe", "--out", "{T}/az", "--config", "{T}/c.yaml"],
     _write("c.yaml", b"num_simulatons: 3\n"))

# Unknown names.
for argv in (["match", "no_such_game", "random", "random"], ["match", "tic_tac_toe", "no_such_bot", "random"],
             ["match", "tic_tac_toe", "random", "mcts:abc"], ["train", "ppo", "no_such_game", "--out", "{T}/x"],
             ["train", "maddpg", "no_such_game", "--out", "{T}/x"],
             ["train", "alphazero", "no_such_game", "--out", "{T}/x"], ["league", "run", "no_such_recipe"],
             ["league", "run", "quick_conect_four"], ["verify-rewards", "no_such_game"],
             ["eval", "{T}/no_such_run"], ["no-such-command"], ["league", "no-such-subcommand"],
             ["train", "no-such-algorithm"], ["train", "maddpg", "rock_paper_scissors", "--out", "{T}/md",
                                               "--device", "tpu"], ["games", "--no-such-flag"]):
    case("unknown-" + "-".join(a for a in argv[:3] if "{T}" not in a), argv)


def _tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


@pytest.fixture(autouse=True)
def _quiet(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.delenv("ARENA_DEBUG", raising=False)
    monkeypatch.setenv("COLUMNS", "200")


def test_corpus_is_large_enough():
    assert len(CASES) >= 150, len(CASES)
    assert len({name for name, _, _ in CASES}) == len(CASES), "case names must be unique"


@pytest.mark.parametrize("name,argv,setup", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_line(name, argv, setup, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    setup(tmp_path)
    before = _tree(tmp_path)
    code = main([a.replace("{T}", str(tmp_path)) for a in argv])
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert code == 2, (code, captured.err[-2000:])
    assert "Traceback" not in captured.err + captured.out
    assert len(lines) == 1 and lines[0].startswith("arena: error: "), captured.err[-2000:]
    assert _tree(tmp_path) == before, "a refused command changed or created files"
    assert not os.path.exists("/tmp/arena-fuzz-pwned"), "a hostile file ran code"


def test_closed_stdin_is_one_line(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["match", "connect_four", "human", "random", "--games", "1"]) == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("arena: error:")]
    assert len(errors) == 1 and "end of file" in errors[0] and "Traceback" not in err


def _pipe(command: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    return subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120)


@pytest.mark.slow
def test_broken_pipes_exit_zero_quietly(tmp_path):
    python = f"'{sys.executable}' -m arena"
    result = _pipe(f"{python} games --json | head -c 10")
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
    out = tmp_path / "lg"
    recipe = tmp_path / "r.yaml"
    recipe.write_bytes(RPS_RECIPE)
    assert _pipe(f"{python} league run {recipe} --out {out} --no-live > /dev/null").returncode == 0
    result = _pipe(f"{python} league status {out} | head -1")
    assert result.returncode == 0 and "Traceback" not in result.stderr and not result.stderr.strip(), result.stderr
