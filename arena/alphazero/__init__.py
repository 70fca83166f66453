"""AlphaZero: batched MCTS self-play, a policy-value ResNet, replay, training, gating, evaluation.

Modules (each readable on its own): :mod:`~arena.alphazero.config` (every hyperparameter),
:mod:`~arena.alphazero.network`, :mod:`~arena.alphazero.selfplay`, :mod:`~arena.alphazero.replay`,
:mod:`~arena.alphazero.trainer`, :mod:`~arena.alphazero.checkpoint`,
:mod:`~arena.alphazero.evaluate`, :mod:`~arena.alphazero.bot` (the ``az`` bot),
:mod:`~arena.alphazero.learner` (the league interface) and :mod:`~arena.alphazero.cli`.
The search itself lives in :mod:`arena.mcts.batched`. Torch is imported by the submodules that
need it, so importing this package is cheap.
"""
