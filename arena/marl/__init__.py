"""Multi-agent reinforcement learning on PettingZoo ParallelEnvs: MADDPG (:mod:`arena.marl.maddpg`)
and the shared pieces in :mod:`arena.marl.common`.

Importing this package does not import torch; import the submodules for the algorithms.
"""
