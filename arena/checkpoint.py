"""Checkpoint files for every learner: written atomically, loaded without executing code.

``save_atomic`` writes ``NAME.tmp`` and ``os.replace``-s it over ``NAME``, so a kill at any moment
leaves the old or the new file, never half of one (a stale ``NAME.tmp`` is simply overwritten
next time). ``load_safely`` uses ``torch.load(weights_only=True)``: a file that would need to run
code to load is refused with one line, never executed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch


class CheckpointError(ValueError):
    """A checkpoint that cannot be used (missing, unsafe, corrupt, or of another kind or game)."""


def save_atomic(obj: dict[str, Any], path: str | Path) -> Path:
    """``torch.save`` to ``path`` via a temporary file and ``os.replace`` (atomic on POSIX)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def load_safely(path: str | Path, what: str = "Arena checkpoint") -> dict[str, Any]:
    """Load a dict saved by :func:`save_atomic` with ``weights_only=True`` (never unpickles code)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises UnpicklingError / RuntimeError / EOFError with long texts
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"refusing to load {path}: not a safe {what} ({first[:160]})") from None
    if not isinstance(obj, dict):
        raise CheckpointError(f"{path} holds a {type(obj).__name__}, not a checkpoint dict")
    return obj
