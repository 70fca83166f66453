"""Monte Carlo tree search over flat arrays.

* :mod:`arena.mcts.pure` -- UCT with random rollouts (and optional MCTS-Solver) on m,n,k games,
  compiled with numba: :class:`PureMCTS`, :class:`PureMCTSConfig`, :class:`PureMCTSResult`;
* :mod:`arena.mcts.bot` -- the ``mcts:<simulations>`` bot built on it.
"""

from arena.mcts.pure import PureMCTS, PureMCTSConfig, PureMCTSResult

__all__ = ["PureMCTS", "PureMCTSConfig", "PureMCTSResult"]
