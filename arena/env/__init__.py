"""Environment layer: batched engines, PettingZoo adapters and the game registry."""

from arena.env.aec import TurnBasedAECEnv
from arena.env.batched import BatchedParallelGame, TurnBasedGame
from arena.env.parallel import BatchedParallelEnv
from arena.env.registry import GameSpec, UnknownGameError, make, register, registered, spec

__all__ = [
    "BatchedParallelEnv",
    "BatchedParallelGame",
    "GameSpec",
    "TurnBasedAECEnv",
    "TurnBasedGame",
    "UnknownGameError",
    "make",
    "register",
    "registered",
    "spec",
]
