"""Checkpoints: written atomically, loaded without executing code.

Two kinds of file, both plain ``torch.save`` dicts of tensors and plain Python values:

* the **training state** ``OUT/checkpoint.pt``: model, best model (gating), optimiser, replay
  buffer, RNG states, counters, config and history -- everything ``--resume`` needs;
* a **model file** (``OUT/best.pt``, ``OUT/latest.pt``, ``OUT/iter_NNNN.pt``, shipped
  ``pretrained/*.pt``): the game, the network shape and the weights -- what the ``az`` bot loads.

Saving and loading go through :mod:`arena.checkpoint` (atomic ``os.replace``; loading with
``torch.load(weights_only=True)``, so a file with pickled code in it is refused).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from arena.checkpoint import CheckpointError, load_safely, save_atomic

__all__ = ["CheckpointError", "load_safely", "save_atomic", "model_record", "load_model_record"]

MODEL_FORMAT = "arena-alphazero-model"
TRAINING_FORMAT = "arena-alphazero-training"
FORMAT_VERSION = 1


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
