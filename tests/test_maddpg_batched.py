"""MADDPG and the vector envs on Arena's batched worlds: the engine is stepped directly, the final
observation of a reset copy is what the critic bootstraps from, and the update-to-data ratio is
per env step of one copy whatever the number of copies."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import arena
from arena.env.vector import BatchedVectorEnv, ParallelEnvList, make_vector_env
from arena.marl.common import EnvPool, agent_spaces
from arena.marl.maddpg import (
    MADDPGConfig,
    config_with,
    evaluate,
    load_run,
    read_metrics,
    scheduled_updates,
    train,
)

torch.set_num_threads(1)


def test_particle_world_gives_a_batched_vector_env_and_mpe2_a_list():
    spread = make_vector_env(lambda: arena.make("simple_spread_v3"), 4)
    assert isinstance(spread, BatchedVectorEnv) and spread.engine.num_envs == 4
    original = make_vector_env(lambda: arena.make("mpe2.simple_spread_v3"), 2)
    assert isinstance(original, ParallelEnvList) and len(original.envs) == 2
    forced = make_vector_env(lambda: arena.make("simple_spread_v3"), 2, batched=False)
    assert isinstance(forced, ParallelEnvList)
    with pytest.raises(ValueError, match="no batched engine"):
        make_vector_env(lambda: arena.make("mpe2.simple_spread_v3"), 2, batched=True)
    for vector in (spread, original, forced):
        vector.close()


@pytest.mark.parametrize("batched", [True, False])
def test_an_episode_ends_with_its_final_observation_and_return(batched):
    vector = make_vector_env(lambda: arena.make("simple_spread_v3", max_cycles=3), 3, batched=batched)
    vector.reset(seed=5)
    rng = np.random.default_rng(0)
    total = np.zeros((3, 3))
    for t in range(3):
        before = {a: vector.obs[a].copy() for a in vector.names}
        result = vector.step({a: rng.integers(0, 5, size=3) for a in vector.names})
        total += result.rewards
        assert result.acted.all() and not result.terminated.any()
        if t < 2:
            assert not result.over.any() and not result.truncated.any()
            assert all(np.array_equal(result.final_obs[a], vector.obs[a]) for a in vector.names)
        else:
            assert result.over.all() and result.truncated.all() and result.final_is_last
            np.testing.assert_allclose(result.returns, total, rtol=1e-6)
            # the copies were reset: the next observations are a new episode's, not the final ones
            assert not np.allclose(result.final_obs["agent_0"], vector.obs["agent_0"])
            assert (vector.episode_length == 0).all() and (vector.episode_return == 0).all()
        assert any(not np.array_equal(before[a], result.final_obs[a]) for a in vector.names)
    vector.close()


def test_two_d_engine_bootstraps_from_its_final_observation_at_a_time_limit():
    """The 2-D engine reports the reset copies' last observations, so a time-limit ending is a
    truncation (the critic bootstraps from the final observation), not a termination."""
    pool = EnvPool(lambda: arena.make("Sumo-2T1P"), 2, agent_spaces(arena.make("Sumo-2T1P")), seed=0)
    assert pool.batched
    engine = pool.vector.engine
    truncations = 0
    for _ in range(400):
        actions = [np.eye(a.act_dim, dtype=np.float32)[np.zeros(2, int)] for a in pool.agents]
        steps_before = engine.steps.copy()
        next_obs, _, terminated, active, finished = pool.step(actions)
        at_limit = steps_before + 1 >= engine.max_steps
        if finished and at_limit.any():
            truncations += 1
            rows = np.flatnonzero(at_limit)
            assert not terminated[rows][active[rows] > 0].any()
            # what the critic bootstraps from is the old episode's last view, not the new first one
            assert not np.allclose(next_obs[0][rows], pool.vector.obs[pool.names[0]][rows])
    assert truncations > 0
    pool.close()


def test_engine_without_final_observations_ends_the_return_at_a_time_limit():
    pool = EnvPool(lambda: arena.make("Sumo-2T1P"), 2, agent_spaces(arena.make("Sumo-2T1P")), seed=0)
    assert pool.batched
    engine_step = pool.vector.engine.step

    def step_without_final_observations(actions):  # an engine that does not report them
        obs, rew, term, trunc, infos = engine_step(actions)
        return obs, rew, term, trunc, {a: {} for a in infos}

    pool.vector.engine.step = step_without_final_observations
    ends = 0
    for _ in range(400):
        actions = [np.eye(a.act_dim, dtype=np.float32)[np.zeros(2, int)] for a in pool.agents]
        _, _, terminated, active, finished = pool.step(actions)
        if finished:
            ends += 1
            # no final observation: the copy's return ends there, no bootstrap
            assert terminated[active > 0].all()
    assert ends > 0
    pool.close()


def test_update_rounds_follow_env_steps_of_one_copy_whatever_the_number_of_copies():
    class Counter:
        device = "cpu"
        calls = 0

        def update(self, batch: object) -> dict[str, float]:
            Counter.calls += 1
            return {"critic_loss": 0.0, "actor_loss": 0.0}

    class Buffer:
        size = 10**6

        def sample(self, *args: object) -> None:
            return None

    config = config_with(MADDPGConfig(), {"update_every": 100, "batch_size": 8, "learning_starts": 0})
    rng = np.random.default_rng(0)
    for copies, steps in ((1, 10_240), (64, 160), (1024, 10)):
        Counter.calls, carry = 0, 0
        for _ in range(steps):
            carry, _ = scheduled_updates(Counter(), Buffer(), config, rng, carry, copies)  # type: ignore[arg-type]
        assert Counter.calls == 102 and carry == 40  # 10,240 transitions: 102 rounds, 40 carried


def test_train_on_the_batched_world_keeps_the_update_ratio_and_evaluates(tmp_path):
    small = {"batch_size": 32, "learning_starts": 64, "update_every": 10, "buffer_size": 5000,
             "hidden_sizes": (16,), "tensorboard": False, "env_kwargs": {"max_cycles": 5}}
    runs = {}
    for copies in (1, 16):
        config = config_with(MADDPGConfig(), {**small, "num_envs": copies})
        runs[copies] = train("simple_spread_v3", episodes=32, run_dir=tmp_path / str(copies), config=config,
                             progress=False)
    for copies, result in runs.items():
        metrics = read_metrics(tmp_path / str(copies))
        assert metrics["transitions"] == 32 * 5 and result.returns.shape == (32, 3)
        # 160 transitions, learning from 64 on: 10 rounds for one copy; 16 copies reach 64 with a
        # carry of up to 16 transitions, so at most 16 / 10 + 1 rounds more
        assert result.updates == 10 if copies == 1 else 10 <= result.updates <= 12
    run = load_run(tmp_path / "16")
    assert run.config.num_envs == 16
    assert np.isfinite(evaluate(run, 4)["mean_per_agent"])


def test_continuous_actions_reach_the_batched_engine_in_its_bounds():
    env = arena.make("simple_spread_v3", continuous_actions=True)
    agents = agent_spaces(env)
    pool = EnvPool(lambda: arena.make("simple_spread_v3", continuous_actions=True), 4, agents, seed=1)
    actions = [np.full((4, a.act_dim), 3.0, np.float32) for a in agents]  # out of range: clipped to 1
    converted = pool.env_actions(actions)
    assert all(np.allclose(v, 1.0) for v in converted.values())
    converted = pool.env_actions([-a for a in actions])
    assert all(np.allclose(v, 0.0) for v in converted.values())
    next_obs, rewards, terminated, active, finished = pool.step(actions)
    assert rewards.shape == (4, 3) and active.all() and not finished
    pool.close()
