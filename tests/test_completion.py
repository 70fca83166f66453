"""``arena --print-completion bash|zsh``: a completion script that knows every command and option."""

from __future__ import annotations

import argparse
import shutil
import subprocess
from pathlib import Path

import pytest

from arena.cli import build_parser, main

pytest.importorskip("shtab")


def commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every (sub)command path of ``parser``: ("games",), ("train", "alphazero"), ..."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append((*prefix, name))
                found += commands(sub, (*prefix, name))
    return found


def script(shell: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["--print-completion", shell]) == 0
    return capsys.readouterr().out


def test_bash_completion_names_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    text = script("bash", capsys)
    paths = commands(build_parser())
    assert ("train", "alphazero") in paths and ("league", "report") in paths and len(paths) >= 15
    for path in paths:
        assert path[-1] in text, f"the bash completion does not mention {' '.join(path)}"
    # options of a sub-command are there too
    assert "--iterations" in text and "--print-completion" in text


def test_zsh_completion_names_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    text = script("zsh", capsys)
    assert text.startswith("#compdef arena")
    for path in commands(build_parser()):
        assert path[-1] in text, f"the zsh completion does not mention {' '.join(path)}"


def test_unknown_shell_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--print-completion", "fish-and-chips"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("arena: error:") and "bash" in err and err.count("\n") == 1


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completes_commands_and_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Source the script in bash and ask it to complete, as the shell does on <Tab>."""
    path = tmp_path / "arena.bash"
    path.write_text(script("bash", capsys))

    def complete(*words: str) -> list[str]:
        line = " ".join(words)
        program = (f"source {path}; COMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; "
                   f"COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}; _shtab_arena arena; "
                   "printf '%s\\n' \"${COMPREPLY[@]}\"")
        done = subprocess.run(["bash", "-c", program], capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    assert "train" in complete("arena", "tr")
    assert set(complete("arena", "train", "")) >= {"alphazero", "maddpg", "ppo"}
    assert "--iterations" in complete("arena", "league", "run", "--it")
