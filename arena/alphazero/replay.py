"""Replay buffer of (planes, pi, z) and the rules-preserving symmetry augmentation.

Symmetries are used only where the rules keep them: the 8 rotations/reflections of a square
board without gravity (``game.symmetric``); the 4 flips of a rectangular board without gravity;
only the left-right mirror on gravity boards (connect four: stones fall down, so up-down flips and
rotations would change the game).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch


def symmetry_count(game: Any) -> int:
    if getattr(game, "gravity", False):
        return 2
    return 8 if getattr(game, "symmetric", False) else 4


def transform(game: Any, planes: np.ndarray, pi: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Apply symmetry ``k`` (0 = identity) to ``planes[N, C, H, W]`` and ``pi[N, A]``.

    Square boards: ``k = 0..7`` = rotation by ``k % 4`` quarter turns, then a left-right mirror
    when ``k >= 4``. Rectangular boards: ``k = 0..3`` = none, left-right, up-down, both.
    Gravity boards: ``k = 0..1`` = none, left-right (``pi`` is over columns).
    """
    N, C, H, W = planes.shape
    if getattr(game, "gravity", False):
        if k == 0:
            return planes, pi
        return planes[..., ::-1].copy(), pi[:, ::-1].copy()
    grid = pi.reshape(N, H, W)
    if getattr(game, "symmetric", False):
        p = np.rot90(planes, k % 4, axes=(2, 3))
        g = np.rot90(grid, k % 4, axes=(1, 2))
        if k >= 4:
            p = p[..., ::-1]
            g = g[..., ::-1]
    else:
        p, g = planes, grid
        if k & 1:
            p, g = p[..., ::-1], g[..., ::-1]
        if k & 2:
            p, g = p[..., ::-1, :], g[..., ::-1, :]
    return np.ascontiguousarray(p), np.ascontiguousarray(g).reshape(N, H * W)


def augment(game: Any, planes: np.ndarray, pi: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All symmetric copies: ``[N, ...]`` -> ``[S * N, ...]`` with ``S = symmetry_count(game)``."""
    out = [transform(game, planes, pi, k) for k in range(symmetry_count(game))]
    return (np.concatenate([o[0] for o in out]), np.concatenate([o[1] for o in out]),
            np.concatenate([z] * len(out)))


class ReplayBuffer:
    """A ring buffer of ``capacity`` positions: ``planes[cap, C, H, W]`` (uint8: the planes are
    binary), ``pi[cap, A]`` float32 and ``z[cap]`` float32 (final score of the player to move)."""

    def __init__(self, capacity: int, plane_shape: tuple[int, ...], num_actions: int) -> None:
        self.capacity = int(capacity)
        self.planes = np.zeros((self.capacity, *plane_shape), dtype=np.uint8)
        self.pi = np.zeros((self.capacity, num_actions), dtype=np.float32)
        self.z = np.zeros(self.capacity, dtype=np.float32)
        self.size = 0
        self.cursor = 0
        self.added = 0  # positions ever added

    def __len__(self) -> int:
        return self.size

    def add(self, planes: np.ndarray, pi: np.ndarray, z: np.ndarray) -> None:
        n = planes.shape[0]
        if n > self.capacity:  # keep the newest
            planes, pi, z = planes[-self.capacity:], pi[-self.capacity:], z[-self.capacity:]
            n = self.capacity
        idx = (self.cursor + np.arange(n)) % self.capacity
        self.planes[idx] = planes
        self.pi[idx] = pi
        self.z[idx] = z
        self.cursor = int((self.cursor + n) % self.capacity)
        self.size = int(min(self.capacity, self.size + n))
        self.added += n

    def sample(self, batch_size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        idx = rng.integers(0, self.size, size=batch_size)
        return self.planes[idx].astype(np.float32), self.pi[idx], self.z[idx]

    def state_dict(self) -> dict[str, Any]:
        n = self.size
        return {"planes": torch.from_numpy(self.planes[:n].copy()), "pi": torch.from_numpy(self.pi[:n].copy()),
                "z": torch.from_numpy(self.z[:n].copy()), "cursor": self.cursor, "added": self.added}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        n = int(state["planes"].shape[0])
        if n > self.capacity:
            raise ValueError(f"replay buffer in the checkpoint holds {n} positions, more than the "
                             f"configured replay_capacity {self.capacity}")
        self.planes[:n] = state["planes"].numpy()
        self.pi[:n] = state["pi"].numpy()
        self.z[:n] = state["z"].numpy()
        self.size = n
        self.cursor = int(state["cursor"]) % self.capacity if n == self.capacity else n
        self.added = int(state["added"])
