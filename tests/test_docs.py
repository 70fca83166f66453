"""The docs are tests: every shell command and every Python snippet of README.md and docs/*.md runs.

What is extracted (:func:`extract`):

* every line of a ```bash block, and every line of a plain ``` block that starts with a command
  (``arena``, ``python``, ``bash``, ``pip``, ``source``, ``ruff``, ``tensorboard``, ``VAR=value ...``,
  or a ``$ `` prompt); ``#`` comments are dropped, trailing ``# ...`` comments too (outside quotes),
  and ``\\`` continuations are joined;
* every ```python block.

Each runs as a user would: from a fresh working directory per doc page (the repository's files are
linked in, so ``leagues/recipes/...`` and ``tools/...`` resolve while ``runs/`` is the test's own),
commands through ``bash -c`` with this environment's ``arena``/``python`` first on PATH, snippets in
a fresh interpreter. Commands of a page share its directory, in page order (``arena eval runs/spread``
finds the run the line above trained); a command that needs an earlier one names it in ``after`` so
it also runs alone (``-k``).

One table, :data:`RULES`, keeps the run short: per command pattern a budget override (``--episodes
25000`` -> ``--episodes 20``), the stdin of interactive commands (``arena play`` reads ``quit``),
setup files, or the reason the command cannot run here. A skipped ``arena``/``tools`` command still
has its arguments parsed (``dry``): a wrong flag fails even then. A rule that matches no docs line
fails too (the table follows the docs).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BIN = Path(sys.executable).parent
COMMAND = re.compile(r"^(\$ )?([A-Z_]+=\S+ )*(arena|python|bash|pip|source|ruff|tensorboard)( |$)")
TIMEOUT = 300


# ------------------------------------------------------------------------------------------ extraction
@dataclass(frozen=True)
class Item:
    doc: str  # "README.md" or "docs/x.md"
    line: int  # 1-based line of the command (its first line) or of the snippet's first code line
    kind: str  # "shell" or "python"
    text: str

    @property
    def id(self) -> str:
        return f"{self.doc}:{self.line}"


def strip_comment(line: str) -> str:
    """``line`` without a trailing ``# comment`` (a ``#`` outside quotes that starts a word)."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip()
    return line.rstrip()


def extract(path: Path) -> list[Item]:
    doc = str(path.relative_to(ROOT))
    lines = path.read_text(encoding="utf-8").splitlines()
    items: list[Item] = []
    i = 0
    while i < len(lines):
        fence = re.match(r"^```(\S*)\s*$", lines[i])
        if not fence:
            i += 1
            continue
        lang, start = fence.group(1), i + 1
        end = start
        while end < len(lines) and not lines[end].startswith("```"):
            end += 1
        body = lines[start:end]
        if lang == "python":
            items.append(Item(doc, start + 1, "python", "\n".join(body) + "\n"))
        elif lang in ("bash", "sh", "shell", ""):
            j = 0
            while j < len(body):
                raw = body[j].strip()
                first = j
                while raw.endswith("\\") and j + 1 < len(body):  # continuation lines
                    j += 1
                    raw = raw[:-1].rstrip() + " " + body[j].strip()
                j += 1
                command = strip_comment(raw)
                if not command or (lang != "bash" and not COMMAND.match(command)):
                    continue
                items.append(Item(doc, start + first + 1, "shell", command.removeprefix("$ ")))
        i = end + 1
    return items


ITEMS = [item for path in DOCS for item in extract(path)]


# ------------------------------------------------------------------------------------------ the table
@dataclass(frozen=True)
class Block:
    """A setup file taken from a fenced block of the same page (``first``: its first line's start);
    ``merge``: YAML fields laid over it (a budget override for a config file)."""

    lang: str
    first: str
    merge: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    skip: str = ""  # why it cannot run here (it is then only parsed: `dry`)
    sub: tuple[tuple[str, str], ...] = ()  # budget overrides: (regex, replacement) on the text
    stdin: str | None = None  # for interactive commands
    pty: str | None = None  # real-time commands: run in a terminal, send these keys once "keys:" shows
    files: dict = field(default_factory=dict)  # name -> text, Block or a function giving the text
    dry: bool = True  # a skipped command's arguments are still parsed (not for synopses)
    in_repo: bool = False  # a read-only command run in the repository itself (ruff: linked folders are not read)
    after: tuple[str, ...] = ()  # patterns of commands of the same page that must have run first
    fails_with: str = ""  # a snippet the docs say fails: exit != 0 and this in its output
    expect: tuple[str, ...] = ()  # what the docs say it prints
    slow: bool = False
    bootstrap: bool = False  # runs only where tools/bootstrap.sh installed this environment


TINY_AZ = {"num_simulations": 16, "games_per_iteration": 8, "selfplay_batch": 8, "train_steps": 2,
           "batch_size": 32, "min_replay": 32, "eval_every": 0, "time_limit_minutes": 0, "tensorboard": False}
PLAY = "quit\n"
SYNOPSIS = "the command's synopsis (placeholders), not a command"
COVERED = "covered by tests/test_games_walkthrough.py, which runs the page's walkthrough in order"
BENCH = "a benchmark: minutes of CPU on purpose ({})"
TINY_PPO = ((r"--steps \d+", "--steps 256"), (r"$", " --set num_envs=2 --set num_steps=128"))


def connect_four_tree() -> str:
    """A user's tree.yaml for connect four: Arena's built-in one (root Ranking, the loser dies first)."""
    from arena.social.presets import preset_tree

    return yaml.safe_dump(preset_tree("connect_four", ["player_0", "player_1"]), sort_keys=False)


# pattern (re.search on the command or the snippet's text) -> rule. First match wins. A command that
# reads runs/NAME also runs, first, the page's earlier command that writes it (--out runs/NAME).
RULES: dict[str, Rule] = {
    # ---- not commands, or run elsewhere
    r"^arena [a-z-]+ [A-Z][A-Z_]*( [A-Z][A-Z_]*)* \[": Rule(skip=SYNOPSIS, dry=False),
    r"\A(arena|pip|python) .*(Hilltop|hilltop|TakeAway|take-away)": Rule(skip=COVERED),
    r"\Aray (start|stop)": Rule(skip="starts or stops a Ray cluster for the whole machine (other tests share it)"),
    r"--backend ray": Rule(skip="starts a Ray instance (tens of seconds, several processes); the Ray backend's "
                                "own tests run leagues on it"),
    r"^bash tools/bootstrap\.sh test": Rule(skip="the whole test suite: CI runs it (.ci/run), this test is in it"),
    r"^python -m pytest -q$": Rule(skip="the whole test suite: this test is part of it"),
    r"^python -m pytest -q tests/": Rule(skip="tests of the suite itself (they run in CI)"),
    r"ARENA_MPE_FAITHFUL_EPISODES=1000": Rule(skip="1,000-episode faithfulness run (minutes); the suite runs "
                                                   "tests/test_mpe_faithful.py at its default budget"),
    r"\Apip install ": Rule(skip="installs packages from the network"),
    r"unity:builds/|unity:\"\)": Rule(skip="needs a Unity build or the Unity Editor (not in CI)"),
    r"from arena\.unity\.fake import FakeBehavior": Rule(skip="run by tests/test_unity_docs.py"),
    r"--device cuda": Rule(skip="--device cuda: CI has no GPU"),
    # ---- README.md: set-up and development
    r"^bash tools/bootstrap\.sh demo": Rule(bootstrap=True, sub=((r"$", " --iterations 1 --workers 0"),), slow=True),
    r"^source \.venv/bin/activate$": Rule(),
    r"^ruff check \.$": Rule(in_repo=True),
    r"^python tools/bench_mcts\.py$": Rule(sub=((r"$", " --quick --no-playouts --simulations 200"),)),
    # ---- AlphaZero
    r"^arena train alphazero tic_tac_toe --out runs/ttt$": Rule(sub=((r"$", " --iterations 1"),), slow=True),
    r"^arena train alphazero tic_tac_toe --config arena/alphazero/pretrained/tic_tac_toe\.yaml":
        Rule(sub=((r"$", " --iterations 1"),)),
    r"^arena train alphazero connect_four --config my_c4\.yaml --out runs/c4 --resume":
        Rule(sub=((r"$", " --iterations 2"),), after=(r"--config my_c4\.yaml --out runs/c4$",)),
    r"^arena train alphazero connect_four --config my_c4\.yaml --out runs/c4$":
        Rule(sub=((r"$", " --iterations 1"),), files={"my_c4.yaml": Block("yaml", "game: connect_four", TINY_AZ)}),
    r"^arena train alphazero connect_four --config my_c4\.yaml --out runs/c4_actors --actors 2$":
        Rule(sub=((r"$", " --iterations 1"),), files={"my_c4.yaml": Block("yaml", "game: connect_four", TINY_AZ)}),
    r"^arena train alphazero gomoku --size 6 --n-in-row 4 --config g6\.yaml":
        Rule(sub=((r"$", " --iterations 1"),), files={"g6.yaml": yaml.safe_dump({"game": "gomoku", **TINY_AZ})}),
    # ---- MADDPG (budgets: a few episodes; a resume goes a little further)
    r"^arena train maddpg .*--resume": Rule(sub=((r"--episodes \d+", "--episodes 16"),)),
    r"^arena train maddpg .*--episodes \d+": Rule(sub=((r"--episodes \d+", "--episodes 8"),)),
    r"^arena train maddpg ": Rule(sub=((r"$", " --episodes 8"),)),
    r"^arena eval \S+ --render": Rule(sub=((r"$", " --fps 0"),)),
    r"^arena eval \S+ --episodes \d+": Rule(sub=((r"--episodes \d+", "--episodes 3"),)),
    r"^tensorboard --logdir (\S+)$": Rule(sub=((r"^tensorboard --logdir (\S+)$", r"test -d \1"),)),
    r"train\(\"mpe2\.simple_spread_v3\", episodes=25_000": Rule(sub=((r"episodes=25_000", "episodes=8"),
                                                                  (r"returns\[-1000:\]", "returns[-8:]"),
                                                                  (r"\), 100\)\)", "), 3))"))),
    # ---- PPO
    r"^arena train ppo .*--resume": Rule(sub=((r"--steps \d+", "--steps 512"),)),
    r"^arena train ppo .*--steps \d+": Rule(sub=TINY_PPO),
    r"learner\.learn\(lambda: arena\.make\(\"Soccer-2T2P\"\)": Rule(sub=((r"steps=50_000", "steps=256"),
                                                                        (r"num_envs=16", "num_envs=2"))),
    # ---- plots, leagues
    r"^arena plot runs/ttt runs/spread runs/soccer --out curves\.png$": Rule(expect=("wrote curves.png: ",), slow=True),
    r"^arena league run leagues/recipes/quick_connect_four\.yaml .*--resume$":
        Rule(sub=((r"$", " --iterations 2 --workers 0"),), after=(r"quick_connect_four\.yaml$",), slow=True),
    r"^arena league run leagues/recipes/quick_connect_four\.yaml( --out runs/league)?$":
        Rule(sub=((r"$", " --iterations 1 --workers 0"),), slow=True),
    r"^arena league (status|report) runs/quick_connect_four$": Rule(after=(r"quick_connect_four\.yaml$",)),
    r"^arena league run leagues/recipes/simple_tag_maddpg\.yaml$": Rule(sub=((r"$", " --iterations 1"),), slow=True),
    r"^arena ladder runs/league --as ada --lives 2 --no-color$":
        Rule(skip="a transcript of README.md's `arena ladder runs/league --as ada`, which runs (after its league)"),
    # ---- social trees and rewards
    r"^arena verify-rewards Push-2T2P$": Rule(sub=((r"$", " --contexts 1 --episodes 2"),)),
    r"^arena verify-rewards Push-2T2P --tree push\.yaml": Rule(sub=((r"--contexts 2 --episodes 6",
                                                                   "--contexts 1 --episodes 2"),),
                                                             after=(r"tree Push-2T2P > push\.yaml",)),
    r"measure_tree\(lambda: arena\.make\(\"connect_four\"\), \"tree\.yaml\"":
        Rule(sub=((r"episodes=16", "episodes=4"),), fails_with="claimed CP, measured CL",
             files={"tree.yaml": connect_four_tree}),
    r"measure_tree\(lambda: make\(\"Push-2T2P\"\)": Rule(sub=((r"contexts=2, episodes=6", "contexts=1, episodes=2"),)),
    r"load_game\(\"hill\.yaml\"\)": Rule(expect=("[0.495 0.495 0.495 0.495]",)),  # its files: named blocks
    r"load_game\(\"bump\.yaml\"\)": Rule(files={"bump.yaml": Block("yaml", "name: Bump-2T1P")}),
    r"make\(\"KingOfTheHill-2T2P\"\), \"koth-tree\.yaml\"": Rule(expect=("{'red': 0.02, '/': 1.0}",)),
    # ---- benchmarks (docs/benchmarks.md and pages that quote them): small budgets, or parsed only
    r"^python tools/bench_mcts\.py --vs-random": Rule(skip=BENCH.format("against OpenSpiel's C++ MCTS")),
    r"^python tools/bench_unity\.py": Rule(skip="needs a Unity build (not in CI); tests/test_unity_bridge.py "
                                                "drives the fake"),
    r"^python tools/bench_social\.py --seconds": Rule(skip=BENCH.format("it also times `arena verify-rewards` "
                                                                        "at its default budget on every game")),
    r"^python tools/bench_social\.py --hooks --seconds 6$": Rule(sub=((r"--seconds 6", "--seconds 0.2 --num-envs 16"),)),
    r"^python tools/bench_envs\.py --seconds 4": Rule(sub=((r"--seconds 4", "--seconds 0.1 --batches 16"),)),
    r"python tools/bench_envs\.py --mpe all --seconds 3$": Rule(sub=((r"all --seconds 3", "simple_spread_v3 "
                                                                      "--seconds 0.1 --batches 16"),)),
    r"python tools/bench_envs\.py --batches 64,1024 --threads 1,2 --seconds 3$":
        Rule(sub=((r"--batches 64,1024 --threads 1,2 --seconds 3", "--batches 16 --threads 1,2 --seconds 0.1"),)),
    r"python tools/bench_envs\.py --mpe simple_spread_v3,simple_tag_v3 --threads 1,2":
        Rule(sub=((r"--batches 64,1024 --seconds 3", "--batches 16 --seconds 0.1"),)),
    r"^python tools/bench_turn_based\.py$": Rule(sub=((r"$", " --quick"),)),
    r"bench_solver_cost\(256, 400, 5\)": Rule(sub=((r"\(256, 400, 5\)", "(16, 50, 1)"),)),
    r"^python tools/bench_ppo\.py": Rule(skip=BENCH.format("even --quick takes about a minute")),
    r"^python tools/bench_league\.py": Rule(skip=BENCH.format("7.9-9.1 min; tests/test_league_bench.py")),
    r"^python tools/bench_alphazero\.py": Rule(skip=BENCH.format("tests/test_alphazero_bench.py")),
    r"^python tools/bench_maddpg\.py": Rule(skip=BENCH.format("25,000-episode trainings; tests/test_maddpg_bench.py")),
    r"^python tools/bench_mappo\.py --steps .*--plot docs/": Rule(sub=(
        (r"--steps \d+", "--steps 800"), (r"--seeds [\d,]+", "--seeds 0"), (r"--plot docs/", "--plot "),
        (r"$", " --eval-episodes 2"))),  # the picture goes to the page's directory, not docs/
    r"^python tools/bench_mappo\.py --steps": Rule(sub=((r"--steps \d+", "--steps 800"), (r"--seeds [\d,]+", "--seeds 0"),
                                                         (r"$", " --eval-episodes 2"))),
    # ---- matches, play, watch
    r"^arena match .*--games \d+": Rule(sub=((r"--games \d+", "--games 2"),)),
    r"^arena play tic_tac_toe --opponent random --seed 1 --no-color$":
        Rule(stdin="zz\nb2\nundo\nquit\n", expect=("took back b2, a2",)),
    r"^arena play (Soccer-2T1P|mpe2\.simple_tag_v3) ": Rule(pty="q"),
    r"^arena play gomoku --size 9 --n-in-row 5 --second$": Rule(stdin=PLAY, sub=((r"$", " --playouts 50"),)),
    r"^arena watch ": Rule(sub=((r"$", " --fps 0 --episodes 1"),)),
    r"^arena (play|ladder) ": Rule(stdin=PLAY),
    r"play_terminal\(lambda: arena\.make\(\"connect_four\"\)": Rule(stdin=PLAY),
}


def rule_for(item: Item) -> tuple[str | None, Rule]:
    for pattern, rule in RULES.items():
        if re.search(pattern, item.text, flags=re.M):
            return pattern, rule
    return None, Rule()


# ------------------------------------------------------------------------------------------ running
def workspace_env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "OMP_NUM_THREADS": "1",
            "NUMBA_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "COLUMNS": "160", "PYTHONUNBUFFERED": "1"}


def make_workspace(path: Path) -> Path:
    """A user's working directory: the repository's files linked in, a ``.venv`` of this environment."""
    path.mkdir(parents=True, exist_ok=True)
    for entry in ROOT.iterdir():
        if entry.name in ("runs", ".git", ".venv") or entry.name.endswith(".egg-info"):
            continue
        (path / entry.name).symlink_to(entry)
    (path / ".venv").symlink_to(Path(sys.prefix))
    return path


def block_text(doc: str, block: Block) -> str:
    text = (ROOT / doc).read_text(encoding="utf-8")
    for body in re.findall(rf"^```{block.lang}\n(.*?)^```", text, flags=re.S | re.M):
        if body.startswith(block.first):
            if block.merge:
                return yaml.safe_dump({**yaml.safe_load(body), **block.merge}, sort_keys=False)
            return body
    raise AssertionError(f"{doc} has no ```{block.lang} block starting with {block.first!r} (the test's table)")


def named_blocks(doc: str) -> dict[str, str]:
    """The page's files: ```yaml / ```python blocks whose first line names them (``# hill.yaml``)."""
    text = (ROOT / doc).read_text(encoding="utf-8")
    found = {}
    for body in re.findall(r"^```(?:yaml|python)\n(.*?)^```", text, flags=re.S | re.M):
        name = re.match(r"# ([\w.-]+\.(?:yaml|py))\b", body)
        if name:
            found[name.group(1)] = body
    return found


def bootstrapped() -> bool:
    stamp = Path(sys.prefix) / ".arena-install-stamp"
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + (ROOT / "tools/bootstrap.sh").read_bytes())
    return stamp.is_file() and stamp.read_text().strip() == want.hexdigest()


DRY_PARSE = """
import argparse, json, runpy, sys

class Parsed(Exception):
    pass

parse = argparse.ArgumentParser.parse_args

def parsed(self, args=None, namespace=None):
    parse(self, args, namespace)
    raise Parsed

argparse.ArgumentParser.parse_args = parsed
results = {}
for key, (script, args) in json.loads(sys.argv[1]).items():
    try:
        if script == "arena":
            from arena.cli import build_parser
            build_parser().parse_args(args)
        else:
            sys.argv = [script, *args]
            runpy.run_path(script, run_name="__main__")
        results[key] = "did not parse its arguments"
    except Parsed:
        results[key] = ""
    except SystemExit as exc:
        results[key] = f"exit {exc.code}"
    except BaseException as exc:
        results[key] = f"{type(exc).__name__}: {exc}"
print("DRY-PARSE " + json.dumps(results))
"""


def dry_target(item: Item) -> list | None:
    """(script, arguments) of a skipped command whose arguments can be parsed, else None."""
    try:
        argv = shlex.split(item.text.replace("[", "").replace("]", ""))  # optional parts are parsed too
    except ValueError:
        return None
    while argv and re.match(r"^[A-Z_]+=", argv[0]):
        argv.pop(0)
    if not argv or any(ch in item.text for ch in "|><"):
        return None
    if argv[0] == "arena":
        return ["arena", argv[1:]]
    if argv[0] == "python" and len(argv) > 1 and argv[1].endswith(".py"):
        return [argv[1], argv[2:]]
    return None


_DRY: dict[str, str] = {}


def parse_problems(targets: dict[str, list], cwd: Path) -> dict[str, str]:
    """For each key, "" when ``(script, arguments)`` parse, else what went wrong (one interpreter)."""
    done = subprocess.run([sys.executable, "-c", DRY_PARSE, json.dumps(targets)], cwd=cwd, capture_output=True,
                          text=True, timeout=TIMEOUT, env=workspace_env())
    line = next((x for x in done.stdout.splitlines() if x.startswith("DRY-PARSE ")), None)
    assert line, f"the argument parser run failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return json.loads(line.removeprefix("DRY-PARSE "))


def dry_parse(item: Item, cwd: Path) -> None:
    """Parse a skipped command's arguments with its own parser (arena's or a tools/ script's), running
    nothing. All skipped commands are parsed in one interpreter, the first time one is asked for."""
    if dry_target(item) is None:
        return
    if not _DRY:
        targets = {}
        for other in ITEMS:
            rule = rule_for(other)[1]
            if other.kind == "shell" and rule.skip and rule.dry and dry_target(other) is not None:
                targets[other.id] = dry_target(other)
        _DRY.update(parse_problems(targets, cwd))
    problem = _DRY.get(item.id, "")
    assert not problem, f"{item.id}: the arguments of `{item.text}` do not parse ({problem})"


def run_in_terminal(argv: list[str], cwd: Path, keys: str) -> tuple[int, str]:
    """Run ``argv`` in a pseudo-terminal; type ``keys`` once the screen shows its key help."""
    pexpect = pytest.importorskip("pexpect")
    child = pexpect.spawn(argv[0], argv[1:], cwd=str(cwd), env=workspace_env(), dimensions=(40, 160),
                          encoding="utf-8", codec_errors="replace", timeout=TIMEOUT)
    try:
        child.expect("keys")
        child.send(keys)
        child.expect(pexpect.EOF)
    finally:
        output = child.before if isinstance(child.before, str) else ""
        child.close(force=True)
    return (child.exitstatus if child.exitstatus is not None else -1), output


def writers_of_runs_read_by(item: Item) -> list[Item]:
    """The page's earlier commands that write the run directories ``item`` reads (``runs/NAME`` in its
    text, not after its own ``--out`` unless it resumes): the latest ``--out runs/NAME`` before it, for each."""
    own = set() if "--resume" in item.text else set(re.findall(r"--out (runs/[\w.-]+)", item.text))
    found = []
    for run in dict.fromkeys(re.findall(r"(?<![\w/])(runs/[\w.-]+)", item.text)):
        run = run.rstrip(".")
        if run in own:
            continue
        earlier = [o for o in ITEMS if o.doc == item.doc and 0 < o.line < abs(item.line) and o.kind == "shell"
                   and re.search(rf"--out {re.escape(run)}(\s|$)", o.text)]
        if earlier:
            found.append(earlier[-1])
    return found


class Page:
    """One doc page's working directory and which of its items ran there."""

    def __init__(self, doc: str, path: Path, scratch: Path) -> None:
        self.doc, self.path, self.scratch = doc, path, scratch
        self.ran: dict[str, str] = {}  # item id -> output
        for name, text in named_blocks(doc).items():
            (path / name).write_text(text)

    def run(self, item: Item) -> str:
        if item.id in self.ran:
            return self.ran[item.id]
        _, rule = rule_for(item)
        for pattern in rule.after:
            before = [o for o in ITEMS if o.doc == item.doc and o.line < item.line and re.search(pattern, o.text)]
            assert before, f"{item.id}: no earlier command of {item.doc} matches {pattern!r} (the test's table)"
            self.run(before[-1])
        for producer in writers_of_runs_read_by(item):
            if not rule_for(producer)[1].skip:
                self.run(producer)
        cwd = ROOT if rule.in_repo else self.path
        for name, source in rule.files.items():
            text = block_text(item.doc, source) if isinstance(source, Block) else (
                source() if callable(source) else source)
            (cwd / name).write_text(text)
        text = item.text
        for pattern, replacement in rule.sub:
            text, count = re.subn(pattern, replacement, text, count=1, flags=re.M)
            assert count, f"{item.id}: the budget override {pattern!r} no longer matches (the test's table)"
        if item.kind == "python":  # the snippet's file stays out of the page's directory (ruff check .)
            script = self.scratch / f"snippet_{item.line}.py"
            script.write_text(text)
            argv = [sys.executable, "-c", f"import runpy, sys; sys.path.insert(0, ''); "
                                          f"runpy.run_path({str(script)!r}, run_name='__main__')"]
        else:
            argv = ["bash", "-c", text]
        if rule.pty is not None:
            returncode, output = run_in_terminal(argv, cwd, rule.pty)
        else:
            done = subprocess.run(argv, cwd=cwd, input=rule.stdin or "", capture_output=True, text=True,
                                  timeout=TIMEOUT, env=workspace_env())
            returncode, output = done.returncode, done.stdout + done.stderr
        shown = f"{item.id}: `{text.strip()}` exited {returncode}:\n{output[-3000:]}"
        if rule.fails_with:
            assert returncode != 0 and rule.fails_with in output, shown
        else:
            assert returncode == 0, shown
            assert "Traceback" not in output, shown
        for expected in rule.expect:
            assert expected in output, f"{item.id}: the docs say it prints {expected!r}:\n{output[-3000:]}"
        self.ran[item.id] = output
        return output


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Page]:
    class Pages(dict):
        def __missing__(self, doc: str) -> Page:
            stem = Path(doc).stem
            page = Page(doc, make_workspace(tmp_path_factory.mktemp(stem)), tmp_path_factory.mktemp(f"{stem}-scratch"))
            self[doc] = page
            return page

    return Pages()


def params() -> list:
    out = []
    for item in ITEMS:
        _, rule = rule_for(item)
        marks = [pytest.mark.slow] if rule.slow else []
        out.append(pytest.param(item, id=item.id, marks=marks))
    return out


@pytest.mark.parametrize("item", params())
def test_docs_item_runs(item: Item, pages: dict[str, Page]) -> None:
    _, rule = rule_for(item)
    page = pages[item.doc]
    if rule.skip:
        if item.kind == "shell" and rule.dry:
            dry_parse(item, page.path)
        pytest.skip(rule.skip)
    if rule.bootstrap and not bootstrapped():
        pytest.skip("this environment was not installed by tools/bootstrap.sh: running it would install")
    for producer in writers_of_runs_read_by(item):
        if rule_for(producer)[1].skip:
            pytest.skip(f"reads what {producer.id} writes, which does not run here: {rule_for(producer)[1].skip}")
    output = page.run(item)
    if item.doc == "README.md" and item.text == "arena train alphazero tic_tac_toe --out runs/ttt":
        # "Ctrl-C, then --resume continues": the first iteration left a checkpoint to resume from.
        assert "done: 1 iterations" in output, output
        resumed = page.run(Item(item.doc, -item.line, "shell", item.text + " --resume --iterations 1"))
        assert "resumed runs/ttt at iteration 1" in resumed, resumed


# ------------------------------------------------------------------------------------------ the table itself
def test_every_rule_matches_a_docs_line() -> None:
    unused = [p for p in RULES if not any(re.search(p, item.text, flags=re.M) for item in ITEMS)]
    assert not unused, f"rules of the test's table that match no docs line any more: {unused}"


def test_extraction_finds_the_readme_tour_and_handles_comments_and_continuations() -> None:
    readme = [i for i in ITEMS if i.doc == "README.md"]
    assert any(i.text == "arena games" for i in readme)  # trailing comment dropped
    assert any(i.kind == "python" and "arena.bots.make" in i.text for i in readme)
    ppo = [i.text for i in ITEMS if i.doc == "docs/ppo.md" and i.text.startswith("arena train ppo mpe2")]
    assert ppo and ppo[0].endswith("--set lr=1e-3") and "\\" not in ppo[0]  # continuation joined
    assert strip_comment('arena x --name "a # b"  # note') == 'arena x --name "a # b"'
    assert len(ITEMS) >= 100, len(ITEMS)


def test_a_broken_docs_line_fails(tmp_path: Path) -> None:
    """A wrong flag, a missing file or a renamed function in the docs fails the test (run or parsed)."""
    page = Page("README.md", make_workspace(tmp_path / "page"), tmp_path)
    for text, kind in [("arena games --no-such-flag", "shell"), ("arena league status runs/never-made", "shell"),
                       ("from arena.bots import no_such_function\n", "python"), ("arena eval runs/x --episodes 0", "shell")]:
        with pytest.raises(AssertionError, match="exited"):
            page.run(Item("README.md", 10_000, kind, text))
    problems = parse_problems({"bad": ["arena", ["train", "maddpg", "x", "--out", "r", "--episdes", "3"]],
                               "good": ["arena", ["train", "maddpg", "x", "--out", "r", "--episodes", "3"]],
                               "tool": ["tools/bench_mcts.py", ["--no-such-option"]]}, page.path)
    assert problems["bad"] == "exit 2" and problems["good"] == "" and problems["tool"] == "exit 2"


def test_the_tours_default_alphazero_iteration_is_small() -> None:
    """``arena train alphazero tic_tac_toe --out runs/ttt`` (default config) must finish its first
    iteration within 60 s on 2 cores, so that "Ctrl-C, then --resume continues" works as written.
    Measured (docs/alphazero.md): 11-13 s of iteration on the loaded 2-core box with these defaults,
    170 s with the old default ``threads: 0`` (torch's intra-op threads spinning on a busy machine).
    A bound on the work per iteration instead of a timing test: games x playouts, one torch thread."""
    from arena.alphazero.config import AlphaZeroConfig

    c = AlphaZeroConfig(game="tic_tac_toe")
    assert c.threads == 1
    assert c.games_per_iteration * c.num_simulations <= 64 * 400
    assert c.train_steps * c.batch_size <= 100 * 512
    assert c.mode == "continuous" and (c.eval_every == 0 or c.eval_every > 1)  # no evaluation in iteration 1
