"""Environment layer: batched engines, PettingZoo adapters and the game registry."""

from arena.env.aec import TurnBasedAECEnv
from arena.env.batched import BatchedParallelGame, TurnBasedGame
from arena.env.parallel import BatchedParallelEnv
from arena.env.registry import (
    GameSpec,
    PrefixSpec,
    UnknownGameError,
    make,
    register,
    register_prefix,
    registered,
    registered_prefixes,
    spec,
)

__all__ = [
    "BatchedParallelEnv",
    "BatchedParallelGame",
    "GameSpec",
    "PrefixSpec",
    "TurnBasedAECEnv",
    "TurnBasedGame",
    "UnknownGameError",
    "make",
    "register",
    "register_prefix",
    "registered",
    "registered_prefixes",
    "spec",
]
