"""UnityParallelEnv end to end against a fake Unity player over a real loopback gRPC socket."""

from __future__ import annotations

import numpy as np
import pytest
from gymnasium import spaces

pytest.importorskip("mlagents_envs", reason="the unity extra is not installed: pip install -e '.[unity]'")

# A protocol bug would otherwise hang on a socket: fail instead.
pytestmark = pytest.mark.timeout(120)

from arena.unity.fake import FakeBehavior, fake_unity_env  # noqa: E402

TEAM0, TEAM1 = "Pusher?team=0", "Pusher?team=1"


def two_teams(**overrides: object) -> list[FakeBehavior]:
    return [FakeBehavior(TEAM0, **overrides), FakeBehavior(TEAM1, **overrides)]  # type: ignore[arg-type]


def zero_actions(env) -> dict:
    actions = {}
    for agent in env.agents:
        space = env.action_space(agent)
        if isinstance(space, spaces.Tuple):
            actions[agent] = (np.zeros(space.spaces[0].shape, np.float32), 0)
        elif isinstance(space, spaces.Box):
            actions[agent] = np.zeros(space.shape, np.float32)
        else:
            actions[agent] = 0 if isinstance(space, spaces.Discrete) else np.zeros(len(space.nvec), np.int64)
    return actions


def test_initialisation_two_teams_spaces_and_side_channels() -> None:
    behaviors = [FakeBehavior(TEAM0, visual_shape=(6, 5, 3)),
                 FakeBehavior(TEAM1, continuous_actions=2, discrete_branches=())]
    with fake_unity_env(behaviors, seed=7, time_scale=5.0, width=64, height=48,
                        environment_parameters={"gravity": 3.5}) as (env, fake):
        assert env.possible_agents == [f"{TEAM0}/1", f"{TEAM0}/2", f"{TEAM1}/3", f"{TEAM1}/4"]
        assert env.teams() == {0: [f"{TEAM0}/1", f"{TEAM0}/2"], 1: [f"{TEAM1}/3", f"{TEAM1}/4"]}
        assert env.unity_id(f"{TEAM1}/4") == (TEAM1, 4)
        assert env.behavior_names == [TEAM0, TEAM1]
        pusher = env.observation_space(f"{TEAM0}/1")
        assert isinstance(pusher, spaces.Dict)
        assert pusher["CameraSensor"] == spaces.Box(0.0, 1.0, (6, 5, 3), np.float32)
        assert pusher["VectorSensor_size4"].shape == (4,)
        assert pusher["action_mask"] == spaces.Box(0, 1, (3,), np.int8)
        assert env.action_space(f"{TEAM0}/1") == spaces.Discrete(3)
        # One vector sensor, continuous actions: the bare Box.
        assert env.observation_space(f"{TEAM1}/3") == spaces.Box(-np.inf, np.inf, (4,), np.float32)
        assert env.action_space(f"{TEAM1}/3") == spaces.Box(-1.0, 1.0, (2,), np.float32)
        assert env.observation_space(f"{TEAM0}/2") is env.observation_space(f"{TEAM0}/1")

        observations, infos = env.reset()
        assert set(observations) == set(env.agents) == set(env.possible_agents)
        assert fake.init_input.seed == 7
        assert fake.init_input.communication_version == "1.5.0"
        assert fake.engine_settings == {"time_scale": 5.0, "width": 64, "height": 48}
        assert fake.environment_parameters == {"gravity": 3.5}
        assert infos[f"{TEAM1}/4"]["team"] == 1 and infos[f"{TEAM1}/4"]["behavior"] == TEAM1

        # reset(options=...) sends new parameters and really resets Unity.
        env.reset(options={"environment_parameters": {"gravity": 1.0, "wind": 2.0}})
        assert fake.environment_parameters == {"gravity": 1.0, "wind": 2.0}
        assert fake.commands == ["reset", "reset"]
    assert fake.shut_down, "closing the environment must tell Unity to shut down"


def test_visual_observations_png_and_raw() -> None:
    behaviors = [FakeBehavior(TEAM0, visual_shape=(4, 3, 3)),
                 FakeBehavior(TEAM1, visual_shape=(4, 3, 1), compress_visual=False, vector_size=0)]
    with fake_unity_env(behaviors, render_mode="rgb_array") as (env, _):
        observations, _ = env.reset()
        png = observations[f"{TEAM0}/2"]["CameraSensor"]
        assert png.dtype == np.float32 and png.shape == (4, 3, 3)
        np.testing.assert_allclose(png, 2 * 37 % 256 / 255.0, atol=1e-6)
        raw = observations[f"{TEAM1}/3"]  # a single visual sensor with a mask: a Dict
        assert raw["CameraSensor"].shape == (4, 3, 1)
        np.testing.assert_allclose(raw["CameraSensor"], 3 * 37 % 256 / 255.0, atol=1e-6)
        frame = env.render()
        assert frame.dtype == np.uint8 and frame.shape == (4, 3, 3)
        assert int(frame[0, 0, 0]) == 37


def test_actions_reach_unity_with_ml_agents_dtypes() -> None:
    behaviors = [FakeBehavior(TEAM0, discrete_branches=(3, 2)),
                 FakeBehavior(TEAM1, continuous_actions=2, discrete_branches=(4,))]
    with fake_unity_env(behaviors) as (env, fake):
        env.reset()
        assert env.action_space(f"{TEAM0}/1") == spaces.MultiDiscrete([3, 2])
        assert env.action_space(f"{TEAM1}/3") == spaces.Tuple(
            (spaces.Box(-1.0, 1.0, (2,), np.float32), spaces.Discrete(4)))
        actions = {f"{TEAM0}/1": np.array([2, 1]), f"{TEAM0}/2": [1, 0],
                   f"{TEAM1}/3": (np.array([0.5, 3.0]), 3), f"{TEAM1}/4": ([-0.25, 0.0], np.int64(1))}
        _, rewards, _, _, _ = env.step(actions)
        sent = fake.actions[-1]
        assert sent[TEAM0] == [(1, (), (2, 1)), (2, (), (1, 0))]
        assert sent[TEAM1] == [(3, (0.5, 1.0), (3,)), (4, (-0.25, 0.0), (1,))]  # 3.0 clipped to 1
        assert rewards[f"{TEAM0}/1"] == pytest.approx(0.3)
        assert rewards[f"{TEAM1}/3"] == pytest.approx(0.45)
        # The fake masks the last choice of each branch for odd ids; PettingZoo masks say 1 = allowed.
        observations, *_ = env.step(actions)
        mask_odd = observations[f"{TEAM0}/1"]["action_mask"]
        assert [m.tolist() for m in mask_odd] == [[1, 1, 0], [1, 0]]
        assert [m.tolist() for m in observations[f"{TEAM0}/2"]["action_mask"]] == [[1, 1, 1], [1, 1]]
        assert observations[f"{TEAM1}/3"]["discrete_action_mask"].tolist() == [1, 1, 1, 0]
        with pytest.raises(ValueError, match="does not fit"):
            env.step({**actions, f"{TEAM0}/1": [3, 0]})
        with pytest.raises(ValueError, match=r"'Pusher\?team=1/4' must be 2 finite floats"):
            env.step({**actions, f"{TEAM1}/4": ([np.nan, 0.0], 1)})
        with pytest.raises(ValueError, match="must be a pair"):
            env.step({**actions, f"{TEAM1}/3": 2})
        with pytest.raises(ValueError, match="no action for live agent"):
            env.step({f"{TEAM0}/1": [0, 0]})
        with pytest.raises(ValueError, match="unknown agents"):
            env.step({**actions, "Pusher?team=9/1": 0})


def test_agents_die_respawn_and_the_episode_ends() -> None:
    # Unity step 2: agent slot 1 of team 0 is disabled (dies); 2 steps later it is re-enabled
    # with a new id; at step 6 the scene's episode ends for everyone.
    deaths = {2: [(TEAM0, 1)]}
    with fake_unity_env(two_teams(), episode_length=6, deaths=deaths, respawn_delay=2) as (env, fake):
        env.reset()
        _, _, terminations, _, _ = env.step(zero_actions(env))
        assert not any(terminations.values())
        observations, rewards, terminations, truncations, infos = env.step(zero_actions(env))
        assert terminations[f"{TEAM0}/2"] and not truncations[f"{TEAM0}/2"]
        assert rewards[f"{TEAM0}/2"] == pytest.approx(-1.0)
        assert f"{TEAM0}/2" not in env.agents and len(env.agents) == 3
        env.step(zero_actions(env))
        observations, rewards, terminations, _, infos = env.step(zero_actions(env))
        assert f"{TEAM0}/5" in observations and f"{TEAM0}/5" in env.agents, "respawned agent joins"
        assert not terminations[f"{TEAM0}/5"] and rewards[f"{TEAM0}/5"] == 0.0
        assert env.possible_agents[-1] == f"{TEAM0}/5" and env.agent_teams[f"{TEAM0}/5"] == 0
        assert observations[f"{TEAM0}/5"]["VectorSensor_size4"][1] == 5.0  # its Unity id
        env.step(zero_actions(env))
        observations, rewards, terminations, truncations, infos = env.step(zero_actions(env))
        assert env.agents == [], "the scene episode ended for everyone"
        assert all(terminations.values()) and not any(truncations.values())
        assert infos[f"{TEAM0}/1"]["group_reward"] == 1.0 and infos[f"{TEAM1}/3"]["group_reward"] == -1.0
        assert rewards[f"{TEAM1}/3"] == 0.0  # group rewards stay in the info unless asked for
        with pytest.raises(ValueError, match="call reset"):
            env.step({})
        observations, _ = env.reset()
        assert sorted(observations) == sorted([f"{TEAM0}/1", f"{TEAM0}/5", f"{TEAM1}/3", f"{TEAM1}/4"])
        assert fake.commands == ["reset"] + ["step"] * 6 + ["reset"]


def test_respawn_true_gives_new_lives_new_names() -> None:
    with fake_unity_env(two_teams(), episode_length=2, respawn=True, max_cycles=5,
                        include_group_reward=True) as (env, _):
        env.reset()
        env.step(zero_actions(env))
        observations, rewards, terminations, truncations, _ = env.step(zero_actions(env))
        assert terminations[f"{TEAM0}/1"] and f"{TEAM0}/1#1" in env.agents
        assert rewards[f"{TEAM0}/1"] == pytest.approx(1.0) and rewards[f"{TEAM1}/3"] == pytest.approx(-1.0)
        assert len(env.agents) == 4 and f"{TEAM0}/1" not in env.agents
        for _ in range(3):
            _, _, terminations, truncations, _ = env.step(zero_actions(env))
        assert env.agents == [] and all(truncations.values()), "max_cycles truncates everyone"


def test_max_step_interruption_is_a_truncation() -> None:
    with fake_unity_env([FakeBehavior("Runner", agents=1)], max_step=3) as (env, _):
        env.reset()
        assert env.possible_agents == ["Runner/1"] and env.agent_teams["Runner/1"] == 0
        env.step({"Runner/1": 0})
        env.step({"Runner/1": 0})
        _, _, terminations, truncations, infos = env.step({"Runner/1": 0})
        assert truncations == {"Runner/1": True} and terminations == {"Runner/1": False}
        assert infos["Runner/1"]["interrupted"] is True and env.agents == []


def test_decision_period_and_late_behaviors() -> None:
    behaviors = [FakeBehavior("Fast", agents=1), FakeBehavior("Slow", agents=1, decision_period=3),
                 FakeBehavior("Late", agents=1, appears_at=2)]
    with fake_unity_env(behaviors) as (env, fake):
        observations, _ = env.reset()
        assert sorted(observations) == ["Fast/1", "Slow/2"]
        _, _, _, _, infos = env.step({"Fast/1": 1, "Slow/2": 1})
        assert infos["Slow/2"]["decision_requested"] is False and infos["Fast/1"]["decision_requested"]
        observations, _, _, _, infos = env.step({"Fast/1": 1, "Slow/2": 2})
        assert "Late/4" in env.agents and env.behavior_names == ["Fast", "Late", "Slow"]
        assert env.action_space("Late/4") == spaces.Discrete(3)
        _, _, _, _, infos = env.step({a: 1 for a in env.agents})
        assert infos["Slow/2"]["decision_requested"] is True
        # Slow decided at the reset and at Unity step 3: only those actions reach Unity.
        assert fake.actions[0]["Slow"] == [(2, (), (1,))]
        assert "Slow" not in fake.actions[1] and "Slow" not in fake.actions[2]
        env.step({a: 2 for a in env.agents})
        assert fake.actions[3]["Slow"] == [(2, (), (2,))]


def test_dict_and_tuple_observation_formats() -> None:
    behaviors = [FakeBehavior("Walker", agents=1, continuous_actions=2, discrete_branches=())]
    with fake_unity_env(behaviors, observation_format="dict") as (env, _):
        observations, _ = env.reset()
        assert set(observations["Walker/1"]) == {"VectorSensor_size4"}
    with fake_unity_env(behaviors, observation_format="tuple") as (env, _):
        observations, _ = env.reset()
        assert isinstance(observations["Walker/1"], tuple) and observations["Walker/1"][0].shape == (4,)
        assert env.observation_space("Walker/1").contains(observations["Walker/1"])
