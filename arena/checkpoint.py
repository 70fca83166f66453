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


def _reason(exc: BaseException) -> str:
    """A short reason from torch's long load errors."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    for line in lines:
        if "GLOBAL" in line or "blocked" in line:
            return f"it would need to run code to load ({line[:120]}); refused, nothing was executed"
    if isinstance(exc, EOFError) or any("central directory" in line or "zip archive" in line for line in lines):
        return "the file is truncated or damaged"
    if any("Unsupported operand" in line or "WeightsUnpickler" in line for line in lines) or isinstance(exc, KeyError):
        return "not a torch checkpoint, or it holds objects that are not plain tensors and values (refused)"
    return (lines[0][:160] if lines else type(exc).__name__)


def load_safely(path: str | Path, what: str = "Arena checkpoint") -> dict[str, Any]:
    """Load a dict saved by :func:`save_atomic` with ``weights_only=True`` (never unpickles code).

    Anything else -- a missing, empty, truncated, random or hostile file -- is one
    :class:`CheckpointError` line naming the file."""
    import warnings

    path = Path(path)
    if path.is_dir():
        raise CheckpointError(f"checkpoint {path} is a directory, not a file")
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    if path.stat().st_size == 0:
        raise CheckpointError(f"refusing to load {path}: the file is empty (0 bytes), not a {what}")
    try:
        with warnings.catch_warnings():  # torch warns about pickle protocols of foreign files
            warnings.simplefilter("ignore")
            obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # UnpicklingError / RuntimeError / EOFError / KeyError with long texts
        raise CheckpointError(f"refusing to load {path}: not a safe {what} ({_reason(exc)})") from None
    if not isinstance(obj, dict):
        raise CheckpointError(f"{path} holds a {type(obj).__name__}, not a {what}")
    return obj
