"""The worked example in docs/unity.md runs (and asserts what the text claims)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("mlagents_envs", reason="the unity extra is not installed: pip install -e '.[unity]'")

# A protocol bug would otherwise hang on a socket: fail instead.
pytestmark = pytest.mark.timeout(120)

DOC = Path(__file__).resolve().parent.parent / "docs" / "unity.md"


def test_social_tree_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(r"<!-- example: unity-social-tree -->\n```python\n(.*?)```", text, re.S)
    assert match, "docs/unity.md lost its tested example"
    exec(compile(match.group(1), str(DOC), "exec"), {"__name__": "docs_example"})  # noqa: S102
    printed = capsys.readouterr().out
    assert "{0: ['Pusher?team=0/0', 'Pusher?team=0/1'], 1: ['Pusher?team=1/0', 'Pusher?team=1/1']}" in printed
