"""Faithfulness of the batched particle-world ports to mpe2.

For each world and both action kinds: reset mpe2 with a seed, copy its world state (positions,
velocities, utterances, goals) into the port, then step both with the same random actions until
the episode ends. Observations, rewards, terminations and truncations must agree within 1e-5
(they agree to the last bit in practice). ``ARENA_MPE_FAITHFUL_EPISODES`` sets the episodes per
(world, action kind); the default keeps this file quick, the full run in docs/benchmarks.md used
1,000.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

import numpy as np
import pytest

from games.mpe import WORLDS, make_batched

TOLERANCE = 1e-5
DEFAULT_EPISODES = 8
EPISODES = int(os.environ.get("ARENA_MPE_FAITHFUL_EPISODES", DEFAULT_EPISODES))

# name -> constructor arguments exercised besides the defaults (small variants of each world).
VARIANTS: dict[str, list[dict[str, Any]]] = {
    "simple_spread_v3": [{}, {"N": 4, "local_ratio": 0.3}],
    "simple_tag_v3": [{}, {"num_good": 2, "num_adversaries": 2, "num_obstacles": 1}],
    "simple_adversary_v3": [{}, {"N": 3}],
    "simple_reference_v3": [{}],
    "simple_speaker_listener_v4": [{}],
    "simple_push_v3": [{}],
}


def _index(items: list[Any], item: Any) -> int:
    return next(i for i, x in enumerate(items) if x is item)


def _goals(name: str, world: Any) -> np.ndarray | None:
    """The port's goal indices read from an mpe2 world."""
    lms, agents = world.landmarks, world.agents
    if name == "simple_adversary_v3":
        return np.array([_index(lms, agents[0].goal_a)])
    if name == "simple_reference_v3":
        return np.array([_index(lms, agents[0].goal_b), _index(lms, agents[1].goal_b)])
    if name == "simple_speaker_listener_v4":
        return np.array([_index(lms, agents[0].goal_b)])
    if name == "simple_push_v3":
        return np.array([_index(lms, agents[0].goal_a)])
    return None


def copy_state(name: str, ref: Any, port: Any) -> dict[str, np.ndarray]:
    """Load mpe2's current world into a batch-of-one port; returns the port's observations."""
    world = ref.unwrapped.world
    pos = np.array([e.state.p_pos for e in world.entities])[None]
    vel = np.array([e.state.p_vel for e in world.entities])[None]
    comm = np.array([a.state.c for a in world.agents])[None]
    return port.set_state(pos, vel, comm, _goals(name, world), steps=ref.unwrapped.steps)


def run_episodes(name: str, kwargs: dict[str, Any], continuous: bool, episodes: int, seed: int = 0) -> float:
    """Largest absolute difference over ``episodes`` episodes (asserts the flags agree)."""
    ref = importlib.import_module(f"mpe2.{name}").parallel_env(continuous_actions=continuous, **kwargs)
    port = make_batched(name, 1, continuous_actions=continuous, **kwargs)
    rng = np.random.default_rng(seed)
    worst = 0.0
    for ep in range(episodes):
        obs_ref, _ = ref.reset(seed=seed * 100_003 + ep)
        obs_port = copy_state(name, ref, port)
        for a in ref.agents:
            worst = max(worst, float(np.abs(obs_ref[a] - obs_port[a][0]).max()))
        while ref.agents:
            actions = {}
            for a in ref.agents:
                space = ref.action_space(a)
                if continuous:
                    actions[a] = rng.random(space.shape, dtype=np.float32)
                else:
                    actions[a] = int(rng.integers(space.n))
            obs_ref, rew_ref, term_ref, trunc_ref, _ = ref.step(actions)
            obs_port, rew_port, term_port, trunc_port, _ = port.step(
                {a: np.asarray(v)[None] for a, v in actions.items()})
            for a in obs_ref:
                assert obs_port[a].dtype == np.float32 and obs_port[a][0].shape == obs_ref[a].shape
                worst = max(worst, float(np.abs(obs_ref[a] - obs_port[a][0]).max()),
                            abs(float(rew_ref[a]) - float(rew_port[a][0])))
                assert bool(term_port[a][0]) == term_ref[a], (name, ep, a, "termination")
                assert bool(trunc_port[a][0]) == trunc_ref[a], (name, ep, a, "truncation")
    ref.close()
    return worst


CASES = [(name, kw, cont) for name in WORLDS for kw in VARIANTS[name] for cont in (False, True)]


@pytest.mark.parametrize(("name", "kwargs", "continuous"), CASES,
                         ids=[f"{n}-{'cont' if c else 'disc'}-{i}" for n, kws in VARIANTS.items()
                              for i, _ in enumerate(kws) for c in (False, True)])
def test_port_matches_mpe2_step_for_step(name: str, kwargs: dict[str, Any], continuous: bool) -> None:
    worst = run_episodes(name, kwargs, continuous, EPISODES)
    print(f"\n{name} {kwargs} continuous={continuous}: {EPISODES} episodes, max abs error {worst:.3g}")
    assert worst <= TOLERANCE, f"{name} {kwargs} continuous={continuous}: max abs error {worst:.3g}"


@pytest.mark.parametrize("name", list(WORLDS))
def test_seeded_reset_of_a_batch_of_one_starts_where_mpe2_does(name: str) -> None:
    ref = importlib.import_module(f"mpe2.{name}").parallel_env()
    port = make_batched(name, 1)
    for seed in (0, 7, 12345):
        obs_ref, _ = ref.reset(seed=seed)
        obs_port = port.reset(seed=seed)
        for a in ref.agents:
            np.testing.assert_array_equal(obs_port[a][0], obs_ref[a])


def test_success_termination_matches_mpe2() -> None:
    """``terminate_on_success``: a state where every landmark is covered ends the episode, as in mpe2."""
    import mpe2.simple_spread_v3 as spread

    ref = spread.parallel_env(terminate_on_success=True)
    ref.reset(seed=3)
    world = ref.unwrapped.world
    for agent, lm in zip(world.agents, world.landmarks, strict=True):
        agent.state.p_pos = lm.state.p_pos.copy()
    port = make_batched("simple_spread_v3", 1, terminate_on_success=True)
    copy_state("simple_spread_v3", ref, port)
    actions = {a: 0 for a in ref.agents}
    _, rew_ref, term_ref, trunc_ref, _ = ref.step(actions)
    _, rew_port, term_port, trunc_port, _ = port.step({a: np.array([0]) for a in actions})
    for a in actions:
        assert term_ref[a] and bool(term_port[a][0]) and not trunc_port[a][0]
        assert abs(rew_ref[a] - rew_port[a][0]) <= TOLERANCE
