"""Arena: multi-agent games, social-tree rewards, self-play leagues and AlphaZero."""

from arena import bots
from arena.env import make, register, registered

__version__ = "0.1.0"

__all__ = ["__version__", "bots", "make", "register", "registered"]
