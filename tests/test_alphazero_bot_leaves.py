"""The az bot's ``leaves_per_call`` option: leaves of its one tree evaluated per network call."""

from __future__ import annotations

import numpy as np
import pytest

import arena
from arena import bots
from arena.bots import BotSpecError


def test_leaves_option_sets_the_batch_and_is_checked():
    env = arena.make("tic_tac_toe")
    assert bots.make("az", env).params.leaves_per_game == 8
    assert bots.make("az", env, leaves_per_call=32).params.leaves_per_game == 32
    assert bots.make("az", env, playouts=10, leaves_per_call=32).params.leaves_per_game == 10  # never above playouts
    for bad in (0, 2.5, "many", 5000):
        with pytest.raises(BotSpecError, match="leaves_per_call"):
            bots.make("az", env, leaves_per_call=bad)


def test_more_leaves_a_call_search_the_same_playouts_and_take_a_win():
    """Connect four, X to move with three in column 0: with 32 leaves a call the search still
    spends exactly its playouts and plays the win in one."""
    env = arena.make("connect_four")
    env.reset(seed=0)
    for col in (0, 1, 0, 1, 0, 1):
        env.step(col)
    bot = bots.make("az", env, playouts=256, leaves_per_call=32, seed=0)
    obs = env.observe(env.agent_selection)
    result = bot.policy(obs["observation"], obs["action_mask"])
    assert result.action == 0
    assert int(bot.mcts.tree.visits[0, 0]) == 256  # the root: one visit a playout
    assert np.isclose(result.visit_shares.sum(), 1.0)
