"""Every 2-D game: registered, PettingZoo-conformant, rendering, batched == single, social rules."""

from __future__ import annotations

import numpy as np
import pytest
from pettingzoo.test import parallel_api_test, parallel_seed_test

import arena
from games.arena2d import GAMES, make, make_batched

BMARS = {"NL", "IS", "CP", "CL", "CC"}


@pytest.mark.parametrize("name", list(GAMES))
def test_game_is_registered_and_conformant(name: str) -> None:
    env = arena.make(name)
    assert env.metadata["name"] == name
    parallel_api_test(env, num_cycles=60)
    parallel_seed_test(lambda: arena.make(name), num_cycles=30)


@pytest.mark.parametrize("name", ["Gunner-2T1P", "BlowBlow-2T2P", "Push-2T2P"])
def test_continuous_actions_are_conformant(name: str) -> None:
    env = arena.make(name, actions="continuous")
    assert env.action_space(env.possible_agents[0]).shape[0] == 3 + ("Gunner" in name) + ("BlowBlow" in name)
    parallel_api_test(env, num_cycles=40)


@pytest.mark.parametrize("name", ["Soccer-2T2P", "Gunner-2T1P", "CaptureTheFlag-2T2P"])
def test_render_modes(name: str) -> None:
    text_env = make(name, render_mode="ansi")
    text_env.reset(seed=0)
    text_env.step({a: 3 for a in text_env.agents})
    text = text_env.render()
    assert isinstance(text, str) and name in text and "step 1/" in text
    assert all(str(i) in text for i in range(len(text_env.possible_agents)))
    image_env = make(name, render_mode="rgb_array")
    image_env.reset(seed=0)
    image = image_env.render()
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    assert len(np.unique(image.reshape(-1, 3), axis=0)) >= 4, "walls, field, agents and zones differ in colour"
    with pytest.warns(UserWarning, match="render_mode"):
        assert make(name).render() is None  # no render_mode: a warning, no picture


def test_batch_of_b_equals_b_single_runs() -> None:
    seeds = [3, 11, 12, 40]
    batch = make_batched("Push-2T2P", len(seeds), autoreset=False)
    batch_obs = batch.reset(seed=seeds)
    singles = [make_batched("Push-2T2P", 1, autoreset=False) for _ in seeds]
    single_obs = [s.reset(seed=seed) for s, seed in zip(singles, seeds)]
    rng = np.random.default_rng(0)
    for _ in range(60):
        actions = {a: rng.integers(0, 7, size=len(seeds)) for a in batch.possible_agents}
        batch_out = batch.step(actions)
        single_out = [s.step({a: actions[a][i:i + 1] for a in actions}) for i, s in enumerate(singles)]
        for i in range(len(seeds)):
            for a in batch.possible_agents:
                assert np.array_equal(batch_out[0][a][i], single_out[i][0][a][0])
                assert batch_out[1][a][i] == single_out[i][1][a][0]
                assert batch_out[2][a][i] == single_out[i][2][a][0]
    for i in range(len(seeds)):
        assert np.array_equal(batch.pos[i], singles[i].pos[0])
    assert not np.array_equal(batch_obs["red_0"][0], single_obs[1]["red_0"][0]), "seeds must matter"


def test_every_tree_declares_classes_covering_all_bmars_and_depths_1_to_3() -> None:
    from arena.social.schemes import expected_node_class

    classes, depths = set(), set()
    for name in GAMES:
        tree = make(name).social_tree
        depths.add(max(len(p) for p in tree.preorder()))
        for path in tree.preorder():
            if tree.info(path).schemes:
                expected = expected_node_class(tree, path)
                assert expected in BMARS, f"{name}: {tree.info(path).path_str} has no expected class"
                classes.add(expected)
    assert classes == BMARS
    assert depths == {1, 2, 3}


def test_push_first_team_to_deliver_wins_and_team_distance_is_shared() -> None:
    env = make("Push-2T2P", reward_terms=True)
    env.reset(seed=0)
    game = env.game
    box = game.entities["box_red"]
    goal = game.zone_pos[game.zone_index["goal_red"]]
    game.pos[0, box] = goal - np.array([1.2, 0.0])
    game.vel[0, box] = [6.0, 0.0]
    for _ in range(5):
        _, rewards, term, _, infos = env.step({a: 0 for a in env.agents})
        if term["red_0"]:
            break
    assert all(term.values()), "a team departing ends the game (the root lives while all teams live)"
    terms = infos["red_0"]["reward_terms"]
    assert terms["/"] == pytest.approx(1.0) and infos["blue_0"]["reward_terms"].get("/", 0.0) == 0.0
    assert terms["red"] > 0 and terms["red"] == infos["red_1"]["reward_terms"]["red"]
    assert "red" not in infos["blue_0"]["reward_terms"]


def test_truncation_splits_the_ranking_and_sumo_penalises_ties() -> None:
    env = make("Soccer-2T1P")
    env.reset(seed=0)
    total = {a: 0.0 for a in env.possible_agents}
    while env.agents:
        _, rewards, term, trunc, _ = env.step({a: 0 for a in env.agents})
        for a, r in rewards.items():
            total[a] += r
    assert all(trunc.values()) and not any(term.values())
    assert total == {"red_0": 0.5, "blue_0": 0.5}
    sumo = make("Sumo-2T1P")
    sumo.reset(seed=0)
    while sumo.agents:
        _, rewards, _, _, _ = sumo.step({a: 0 for a in sumo.agents})
    assert rewards == {"red": pytest.approx(-0.5), "blue": pytest.approx(-0.5)}


def test_you_shall_not_pass_runner_dies_at_the_time_limit() -> None:
    env = make("YouShallNotPass-2T1P")
    env.reset(seed=1)
    steps = 0
    while env.agents:
        _, rewards, term, _, _ = env.step({a: 0 for a in env.agents})
        steps += 1
    assert steps == 200 and term["runner"] and rewards == {"runner": 0.0, "guard": 1.0}


def test_observation_modes_change_what_agents_see() -> None:
    from dataclasses import replace

    from games.arena2d.builder import make_env
    from games.arena2d.catalogue import definition
    from games.arena2d.spec import ObservationConfig

    base = definition("Soccer-2T2P")
    sizes = {}
    for others in ("own", "team", "all"):
        env = make_env(replace(base, observation=ObservationConfig(others=others, lidar_rays=4)))
        sizes[others] = env.observation_space("red_0").shape[0]
    assert sizes["team"] - sizes["own"] == 5 and sizes["all"] - sizes["team"] == 10
    rel = make_env(replace(base, observation=ObservationConfig(frame="relative", lidar_rays=0)))
    ab = make_env(replace(base, observation=ObservationConfig(frame="absolute", lidar_rays=0)))
    o_rel, _ = rel.reset(seed=0)
    o_ab, _ = ab.reset(seed=0)
    assert np.allclose(o_rel["red_0"][:2], o_ab["red_0"][:2]), "own position is absolute in both frames"
    assert not np.allclose(o_rel["blue_0"][9:], o_ab["blue_0"][9:])
    img = make_env(replace(base, observation=ObservationConfig(image_size=12)))
    obs, _ = img.reset(seed=0)
    assert obs["red_0"]["image"].shape == (5, 12, 12) and obs["red_0"]["image"][1].sum() == 1
    assert img.observation_space("red_0").contains(obs["red_0"])


def test_lidar_sees_the_opponent_in_front() -> None:
    env = make("Gunner-2T1P")
    env.reset(seed=0)
    game = env.game
    game.pos[0, 0] = [-2.0, 0.0]
    game.pos[0, 1] = [2.0, 0.0]
    game.angle[0, 0] = 0.0
    obs = game._observe()["red"][0]
    rays = obs[-game.lidar_rays * 6:].reshape(game.lidar_rays, 6)
    # Ray 0 points straight ahead: it hits the opponent (one-hot index 4) 4 - 0.5 m away.
    assert rays[0, 4] == 1.0 and rays[0, 0] == pytest.approx(3.5 / game.lidar_range)


def test_batched_engine_autoresets_finished_copies() -> None:
    engine = make_batched("Sumo-2T1P", 8, autoreset=True)
    engine.reset(seed=0)
    forward = {a: np.full(8, 3) for a in engine.possible_agents}
    ended = 0
    for _ in range(60):
        _, _, term, _, _ = engine.step(forward)
        ended += int(term["red"].sum())
    assert ended > 0 and engine.reset_count > 8
    assert engine.active.all(), "finished copies start over with everyone alive"


@pytest.mark.parametrize("name", ["Sumo-2T1P", "Gunner-2T1P"])
def test_autoreset_reports_the_ended_copies_last_observations(name: str) -> None:
    """``infos[agent]["final_observation"]`` is what the copy saw before its reset (what an engine
    without autoreset shows), the current view for copies that go on."""
    auto, plain = make_batched(name, 16, autoreset=True), make_batched(name, 16, autoreset=False)
    auto.reset(seed=3)
    plain.reset(seed=3)
    rng = np.random.default_rng(3)
    n = len(auto.action_names)
    for _ in range(auto.max_steps + 1):
        actions = {a: rng.integers(0, n, 16) for a in auto.possible_agents}
        obs, _, _, _, infos = auto.step(actions)
        plain_obs, _, _, _, _ = plain.step(actions)
        if "final_observation" in infos[auto.possible_agents[0]]:
            done = plain.social.over
            assert done.any() and auto.reset_count > 16
            for a in auto.possible_agents:
                np.testing.assert_array_equal(infos[a]["final_observation"], plain_obs[a])
                assert not np.array_equal(obs[a][done], plain_obs[a][done])  # reset: a new episode's view
            return
        for a in auto.possible_agents:
            np.testing.assert_array_equal(obs[a], plain_obs[a])
    pytest.fail("no copy ended within the time limit")


@pytest.mark.parametrize("name", ["Sumo-2T1P", "Tennis-2T1P", "Push-2T2P", "BlowBlow-2T2P", "CaptureTheFlag-2T2P",
                                  "Gunner-2T1P", "Crossroads-2T2P", "Soccer-Dense-2T2P"])
def test_batched_rewards_equal_arena_social_per_episode_evaluation(name: str) -> None:
    """The engine's compiled tree pays exactly what arena.social's wrapper computes from the same
    tree over the same env (deaths replayed through the 'arena2d' death hook)."""
    from arena.social import SocialTreeWrapper

    raw = make(name)
    wrapped = SocialTreeWrapper(make(name), raw.social_tree)
    raw.reset(seed=5)
    wrapped.reset(seed=5)
    rng = np.random.default_rng(5)
    n = len(raw.action_names)
    for _ in range(150):
        actions = {a: int(rng.integers(n)) for a in raw.agents}
        _, r_raw, t_raw, _, _ = raw.step(actions)
        _, r_tree, t_tree, _, _ = wrapped.step(actions)
        assert r_raw == pytest.approx(r_tree, abs=1e-9)
        assert t_raw == t_tree
        if not raw.agents:
            break
    assert raw.agents == wrapped.agents
