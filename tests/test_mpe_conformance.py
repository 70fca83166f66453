"""The particle-world ports: PettingZoo conformance of their Parallel views, the registry names,
and the batched engine's own behaviour (autoreset, threads, errors)."""

from __future__ import annotations

import numpy as np
import pytest
from pettingzoo.test import parallel_api_test, parallel_seed_test

import arena
from games.mpe import WORLDS, make_batched


@pytest.mark.parametrize("continuous", [False, True], ids=["discrete", "continuous"])
@pytest.mark.parametrize("name", list(WORLDS))
def test_parallel_view_passes_pettingzoo_tests(name: str, continuous: bool) -> None:
    parallel_api_test(arena.make(name, continuous_actions=continuous), num_cycles=60)
    parallel_seed_test(lambda: arena.make(name, continuous_actions=continuous))


@pytest.mark.parametrize("name", list(WORLDS))
def test_spaces_and_agents_are_mpe2s(name: str) -> None:
    import importlib

    for continuous in (False, True):
        ref = importlib.import_module(f"mpe2.{name}").parallel_env(continuous_actions=continuous)
        port = arena.make(name, continuous_actions=continuous)
        assert port.possible_agents == ref.possible_agents
        for a in ref.possible_agents:
            assert port.action_space(a) == ref.action_space(a)
            assert port.observation_space(a) == ref.observation_space(a)
        assert port.state_space.shape == ref.state_space.shape
        port.reset(seed=1)
        ref.reset(seed=1)
        np.testing.assert_array_equal(port.state(), ref.state())


def test_bare_names_are_ports_and_module_paths_are_mpe2() -> None:
    from games.mpe.engine import ParticleEnv

    assert isinstance(arena.make("simple_spread_v3", N=3, max_cycles=25, continuous_actions=False), ParticleEnv)
    assert not isinstance(arena.make("mpe2.simple_spread_v3"), ParticleEnv)
    assert {"simple_tag_v3", "simple_push_v3"} <= {s.name for s in arena.registered()}


def test_max_cycles_truncates_every_agent() -> None:
    env = arena.make("simple_tag_v3", max_cycles=3)
    env.reset(seed=0)
    for t in range(3):
        _, _, term, trunc, _ = env.step({a: 0 for a in env.agents})
        assert not any(term.values()) and all(trunc.values()) == (t == 2)
    assert env.agents == []


def test_autoreset_returns_new_episodes_and_the_final_observation() -> None:
    engine = make_batched("simple_spread_v3", 5, max_cycles=4, autoreset=True)
    obs = engine.reset(seed=0)
    start = {a: v.copy() for a, v in obs.items()}
    rng = np.random.default_rng(0)
    for _ in range(4):
        actions = {a: rng.integers(0, 5, size=5) for a in engine.possible_agents}
        before = engine.pos.copy()
        obs, rew, term, trunc, infos = engine.step(actions)
        assert rew["agent_0"].shape == (5,) and obs["agent_0"].shape == (5, 18)
    assert all(trunc["agent_0"]) and "final_observation" in infos["agent_0"]
    assert (engine.steps == 0).all()
    # The new episodes start still, from fresh positions; the final observation is the old state's.
    assert (obs["agent_0"][:, :2] == 0).all() and not np.allclose(obs["agent_0"], start["agent_0"])
    final = infos["agent_0"]["final_observation"]
    assert final.shape == (5, 18) and not np.allclose(final[:, 2:4], engine.pos[:, 0])
    assert np.abs(final[:, 2:4] - before[:, 0]).max() < 0.6  # moved at most one step's worth


def test_batch_copies_are_independent_and_match_single_copies() -> None:
    """Copy b of a batch steps exactly like a batch of one from the same state and actions."""
    batch = make_batched("simple_tag_v3", 8)
    batch.reset(seed=4)
    rng = np.random.default_rng(1)
    singles = []
    for b in range(8):
        s = make_batched("simple_tag_v3", 1)
        s.set_state(batch.pos[b:b + 1], batch.vel[b:b + 1])
        singles.append(s)
    for _ in range(10):
        actions = {a: rng.integers(0, 5, size=8) for a in batch.possible_agents}
        obs, rew, _, _, _ = batch.step(actions)
        for b, s in enumerate(singles):
            o1, r1, _, _, _ = s.step({a: v[b:b + 1] for a, v in actions.items()})
            for a in batch.possible_agents:
                np.testing.assert_array_equal(obs[a][b], o1[a][0])
                assert rew[a][b] == r1[a][0]


def test_threads_give_the_same_results_as_one_thread() -> None:
    import numba

    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba has one thread here")
    one = make_batched("simple_reference_v3", 64, continuous_actions=True, autoreset=True)
    two = make_batched("simple_reference_v3", 64, continuous_actions=True, autoreset=True, num_threads=2)
    two.threads.pin(True)  # the threaded kernels on every step (the timing guard would mix them)
    o1, o2 = one.reset(seed=3), two.reset(seed=3)
    rng = np.random.default_rng(0)
    for _ in range(30):
        actions = {a: rng.random((64, 15), dtype=np.float32) for a in one.possible_agents}
        o1, r1, _, _, _ = one.step(actions)
        o2, r2, _, _, _ = two.step(actions)
        for a in one.possible_agents:
            np.testing.assert_array_equal(o1[a], o2[a])
            np.testing.assert_array_equal(r1[a], r2[a])


def test_user_mistakes_give_one_line_errors() -> None:
    with pytest.raises(ValueError, match="curriculum=True is not in Arena's batched port"):
        arena.make("simple_spread_v3", curriculum=True)
    with pytest.raises(ValueError, match="unknown argument colour"):
        arena.make("simple_push_v3", colour=1)
    with pytest.raises(ValueError, match="N must be >= 1"):
        arena.make("simple_adversary_v3", N=0)
    engine = make_batched("simple_spread_v3", 2)
    engine.reset(seed=0)
    with pytest.raises(ValueError, match="agent_1's action must be in 0..4, got 7"):
        engine.step({"agent_0": np.array([0, 1]), "agent_1": np.array([7, 0]), "agent_2": np.array([0, 0])})
    with pytest.raises(ValueError, match="missing agent_2"):
        engine.step({"agent_0": np.array([0, 1]), "agent_1": np.array([0, 0])})
    with pytest.raises(ValueError, match="num_threads"):
        make_batched("simple_spread_v3", 2, num_threads=10_000)


def test_render_and_out_of_range_continuous_actions_are_clipped() -> None:
    env = arena.make("simple_speaker_listener_v4", continuous_actions=True, render_mode="ansi")
    env.reset(seed=0)
    obs, _, _, _, _ = env.step({"speaker_0": np.array([2.0, -1.0, 0.5], dtype=np.float32),
                                "listener_0": np.zeros(5, dtype=np.float32)})
    np.testing.assert_allclose(obs["listener_0"][-3:], [1.0, 0.0, 0.5])
    text = env.render()
    assert "speaker_0" in text and "says [1.00, 0.00, 0.50]" in text and "goal landmark" in text
