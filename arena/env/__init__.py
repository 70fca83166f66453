"""Environment layer: batched engines, PettingZoo adapters and the game registry."""

from arena.env.aec import TurnBasedAECEnv
from arena.env.batched import (
    DIHEDRAL,
    BatchedParallelGame,
    BatchedState,
    Symmetry,
    TurnBasedGame,
    board_shape_of,
    grid_symmetries,
    missing_members,
    position_key,
    symmetries_of,
)
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
    "DIHEDRAL",
    "BatchedState",
    "Symmetry",
    "board_shape_of",
    "grid_symmetries",
    "missing_members",
    "position_key",
    "symmetries_of",
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
