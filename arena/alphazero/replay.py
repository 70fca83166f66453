"""Replay buffer of (planes, pi, z) and the rules-preserving symmetry augmentation.

Augmentation uses exactly the symmetries the game declares (``game.symmetries()``, see
:class:`arena.env.Symmetry`); a game that declares none is not augmented. The m,n,k games declare
the 8 rotations/reflections of a square board, the 4 flips of a rectangle, and only the left-right
mirror when stones fall (connect four).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from arena.env.batched import Symmetry, symmetries_of


def symmetry_count(game: Any) -> int:
    """Copies of each position after augmentation (the identity included)."""
    return 1 + len(symmetries_of(game))


def transform(symmetry: Symmetry, planes: np.ndarray, pi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Apply ``symmetry`` to channels-first ``planes[N, P, H, W]`` and ``pi[N, A]``."""
    n, c, h, w = planes.shape
    flat = planes.reshape(n, c, h * w)
    out = np.empty_like(flat)
    out[:, :, symmetry.cell_perm] = flat
    return out.reshape(n, c, h, w), symmetry.apply_policy(pi)


def augment(game: Any, planes: np.ndarray, pi: np.ndarray, z: np.ndarray,
            *extra: np.ndarray) -> tuple[np.ndarray, ...]:
    """All declared symmetric copies: ``[N, ...]`` -> ``[S * N, ...]`` with ``S = symmetry_count(game)``.

    ``extra`` arrays go along: ``[N, A]`` policies (the opponent's reply policy) are mapped by the
    same symmetry as ``pi`` (it maps the whole game, so the next position too), any other shape
    (flags, values) is repeated."""
    symmetries = symmetries_of(game)
    out = [(planes, pi)] + [transform(s, planes, pi) for s in symmetries]
    result = [np.concatenate([o[0] for o in out]), np.concatenate([o[1] for o in out]),
              np.concatenate([z] * len(out))]
    for array in extra:
        if array.ndim == 2 and array.shape == pi.shape:
            result.append(np.concatenate([array] + [s.apply_policy(array) for s in symmetries]))
        else:
            result.append(np.concatenate([array] * len(out)))
    return tuple(result)


def plane_dtype(game: Any) -> type:
    """Storage type of the planes: ``uint8`` when the game's observation is integer or boolean
    (binary planes), else ``float32``."""
    sample = np.asarray(game.observation(game.initial_state(1), 0))
    return np.uint8 if sample.dtype.kind in "biu" else np.float32


class ReplayBuffer:
    """A ring buffer of ``capacity`` positions: ``planes[cap, C, H, W]`` (uint8: the planes are
    binary), ``pi[cap, A]`` float32 and ``z[cap]`` float32 (final score of the player to move);
    with ``reply`` also ``pi_next[cap, A]`` (the opponent's reply policy) and ``has_next[cap]``."""

    def __init__(self, capacity: int, plane_shape: tuple[int, ...], num_actions: int,
                 dtype: type = np.uint8, *, reply: bool = False) -> None:
        self.capacity = int(capacity)
        self.planes = np.zeros((self.capacity, *plane_shape), dtype=dtype)
        self.pi = np.zeros((self.capacity, num_actions), dtype=np.float32)
        self.z = np.zeros(self.capacity, dtype=np.float32)
        self.reply = bool(reply)
        self.pi_next = np.zeros((self.capacity, num_actions), dtype=np.float32) if reply else None
        self.has_next = np.zeros(self.capacity, dtype=np.bool_) if reply else None
        self.size = 0
        self.cursor = 0
        self.added = 0  # positions ever added

    def __len__(self) -> int:
        return self.size

    def add(self, planes: np.ndarray, pi: np.ndarray, z: np.ndarray, pi_next: np.ndarray | None = None,
            has_next: np.ndarray | None = None) -> None:
        n = planes.shape[0]
        if self.reply and (pi_next is None or has_next is None):
            raise ValueError("this replay buffer keeps the reply policy: add() needs pi_next and has_next")
        if n > self.capacity:  # keep the newest
            planes, pi, z = planes[-self.capacity:], pi[-self.capacity:], z[-self.capacity:]
            if self.reply:
                pi_next, has_next = pi_next[-self.capacity:], has_next[-self.capacity:]
            n = self.capacity
        idx = (self.cursor + np.arange(n)) % self.capacity
        self.planes[idx] = planes
        self.pi[idx] = pi
        self.z[idx] = z
        if self.reply:
            self.pi_next[idx] = pi_next
            self.has_next[idx] = has_next
        self.cursor = int((self.cursor + n) % self.capacity)
        self.size = int(min(self.capacity, self.size + n))
        self.added += n

    def sample(self, batch_size: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        """``(planes, pi, z)`` of ``batch_size`` positions drawn uniformly (with replacement), and
        ``pi_next, has_next`` after them when the buffer keeps the reply policy."""
        idx = rng.integers(0, self.size, size=batch_size)
        if self.reply:
            return self.planes[idx].astype(np.float32), self.pi[idx], self.z[idx], self.pi_next[idx], self.has_next[idx]
        return self.planes[idx].astype(np.float32), self.pi[idx], self.z[idx]

    def state_dict(self) -> dict[str, Any]:
        n = self.size
        state = {"planes": torch.from_numpy(self.planes[:n].copy()), "pi": torch.from_numpy(self.pi[:n].copy()),
                 "z": torch.from_numpy(self.z[:n].copy()), "cursor": self.cursor, "added": self.added}
        if self.reply:
            state["pi_next"] = torch.from_numpy(self.pi_next[:n].copy())
            state["has_next"] = torch.from_numpy(self.has_next[:n].copy())
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        n = int(state["planes"].shape[0])
        if n > self.capacity:
            raise ValueError(f"replay buffer in the checkpoint holds {n} positions, more than the "
                             f"configured replay_capacity {self.capacity}")
        self.planes[:n] = state["planes"].numpy()
        self.pi[:n] = state["pi"].numpy()
        self.z[:n] = state["z"].numpy()
        if self.reply:  # a checkpoint from before the reply head: those positions teach no reply
            if "pi_next" in state:
                self.pi_next[:n] = state["pi_next"].numpy()
                self.has_next[:n] = state["has_next"].numpy()
            else:
                self.has_next[:n] = False
        self.size = n
        self.cursor = int(state["cursor"]) % self.capacity if n == self.capacity else n
        self.added = int(state["added"])
