"""Checkpoints: written atomically, loaded without executing code.

Two kinds of file, both plain ``torch.save`` dicts of tensors and plain Python values:

* the **training state** ``OUT/checkpoint.pt``: model, best model (gating), optimiser, replay
  buffer, RNG states, counters, config and history -- everything ``--resume`` needs;
* a **model file** (``OUT/best.pt``, ``OUT/latest.pt``, ``OUT/iter_NNNN.pt``, shipped
  ``pretrained/*.pt``): the game, the network shape and the weights -- what the ``az`` bot loads.

Saving writes ``NAME.tmp`` and then ``os.replace``-s it over ``NAME``, so a kill at any moment
leaves either the old or the new file, never half of one. Loading always uses
``torch.load(weights_only=True)``: a file with pickled code in it is refused.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

MODEL_FORMAT = "arena-alphazero-model"
TRAINING_FORMAT = "arena-alphazero-training"
FORMAT_VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint that cannot be used (missing, unsafe, corrupt or for another game)."""


def save_atomic(obj: dict[str, Any], path: str | Path) -> Path:
    """``torch.save`` to ``path`` via a temporary file and ``os.replace`` (atomic on POSIX)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        torch.save(obj, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path


def load_safely(path: str | Path) -> dict[str, Any]:
    """Load a checkpoint with ``weights_only=True`` (never unpickles code)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises UnpicklingError / RuntimeError with long texts
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"refusing to load {path}: not a safe Arena checkpoint ({first[:160]})") from None
    if not isinstance(obj, dict):
        raise CheckpointError(f"{path} is not an Arena checkpoint (holds a {type(obj).__name__})")
    return obj


def model_record(game_name: str, game_kwargs: dict[str, Any], network: dict[str, int],
                 state_dict: dict[str, torch.Tensor], **info: Any) -> dict[str, Any]:
    """What a model file holds (see the module docstring)."""
    return {"format": MODEL_FORMAT, "version": FORMAT_VERSION, "game": game_name,
            "game_kwargs": dict(game_kwargs), "network": dict(network),
            "model": {k: v.detach().cpu().clone() for k, v in state_dict.items()}, "info": dict(info)}


def load_model_record(path: str | Path) -> dict[str, Any]:
    """Load and check a model file (a training checkpoint is accepted too: its current model)."""
    obj = load_safely(path)
    if obj.get("format") == TRAINING_FORMAT:
        obj = obj["latest_model"]
    if obj.get("format") != MODEL_FORMAT:
        raise CheckpointError(f"{path} is not an Arena AlphaZero model file (format {obj.get('format')!r})")
    if int(obj.get("version", 0)) > FORMAT_VERSION:
        raise CheckpointError(f"{path} was written by a newer Arena (format version {obj['version']})")
    return obj
