"""The bridged Unity env passes PettingZoo's conformance tests, opens through arena.make and
carries a social tree."""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest

pytest.importorskip("mlagents_envs", reason="the unity extra is not installed: pip install -e '.[unity]'")

# A protocol bug would otherwise hang on a socket: fail instead.
pytestmark = pytest.mark.timeout(120)

import arena  # noqa: E402
from arena.unity import free_port  # noqa: E402
from arena.unity.fake import FakeBehavior, FakeUnity, fake_unity_env  # noqa: E402

TEAM0, TEAM1 = "Pusher?team=0", "Pusher?team=1"


def arena_like_game() -> list[FakeBehavior]:
    """Two teams: discrete agents with camera + vector sensors against hybrid-action agents."""
    return [FakeBehavior(TEAM0, visual_shape=(4, 4, 3), discrete_branches=(3, 2)),
            FakeBehavior(TEAM1, continuous_actions=2, discrete_branches=(3,))]


def test_parallel_api_test_passes() -> None:
    from pettingzoo.test import parallel_api_test

    deaths = {3: [(TEAM0, 0)], 9: [(TEAM1, 1)]}
    with fake_unity_env(arena_like_game(), episode_length=12, deaths=deaths, respawn_delay=3) as (env, fake):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # PettingZoo reports most API slips as warnings
            # ...except this one, inherent to Unity: possible_agents grows with every agent Unity
            # reveals, so it names agents (older lives) that are not in the current episode.
            warnings.filterwarnings("ignore", "No agents present but not all possible_agents")
            parallel_api_test(env, num_cycles=40)
        assert fake.commands.count("reset") >= 3
        assert len(env.possible_agents) > 4, "the respawned agents (new Unity ids) were seen"


def test_parallel_api_test_with_respawn_and_truncation() -> None:
    from pettingzoo.test import parallel_api_test

    with fake_unity_env(arena_like_game(), episode_length=5, max_step=3, respawn=True) as (env, _):
        parallel_api_test(env, num_cycles=12)
        assert any("#" in agent for agent in env.possible_agents)


# api_test's advice for simple games, which a game with cameras, several action branches and
# ML-Agents' names does not follow by design (Dict/Tuple spaces, per-branch masks, "Name?team=N/id").
@pytest.mark.filterwarnings("ignore:Observation is not a NumPy array", "ignore:Action mask is not a NumPy array",
                            "ignore:Observation space for each agent probably",
                            "ignore:Action space for each agent probably", "ignore:We recommend agents to be named",
                            "ignore:Agents have different observation space sizes")
def test_aec_view_passes_api_test() -> None:
    from pettingzoo.test import api_test

    from arena.unity import unity_aec_env

    port = free_port()
    deaths = {2: [(TEAM1, 0)]}  # an agent dies mid-round and comes back (new id) two steps later
    with FakeUnity(port, arena_like_game(), episode_length=8, deaths=deaths, respawn_delay=2):
        env = unity_aec_env(None, base_port=port)
        try:
            api_test(env, num_cycles=30)
        finally:
            env.close()


def test_arena_make_unity_prefix() -> None:
    port = free_port()
    with FakeUnity(port, [FakeBehavior("Runner", agents=1)], episode_length=3) as fake:
        env = arena.make("unity:", base_port=port, time_scale=1.0)
        try:
            observations, _ = env.reset()
            assert list(observations) == ["Runner/1"]
        finally:
            env.close()
    assert fake.engine_settings["time_scale"] == 1.0 and fake.shut_down
    port = free_port()
    with FakeUnity(port, [FakeBehavior("Runner", agents=1)], episode_length=3):
        env = arena.make("unity:editor", api="aec", base_port=port)
        try:
            env.reset()
            assert env.agent_selection == "Runner/1"
        finally:
            env.close()


def test_social_tree_over_unity_teams() -> None:
    from arena.social import SocialTreeWrapper
    from arena.unity import team_tree

    # Both agents of team 0 are disabled at Unity step 2; with agent_names="index" their names
    # stay Pusher?team=0/0 and /1 across episodes although Unity gives them new ids.
    deaths = {2: [(TEAM0, 0), (TEAM0, 1)]}
    with fake_unity_env([FakeBehavior(TEAM0), FakeBehavior(TEAM1)], episode_length=10, deaths=deaths,
                        respawn_delay=0, agent_names="index") as (env, _):
        assert env.possible_agents == [f"{TEAM0}/0", f"{TEAM0}/1", f"{TEAM1}/0", f"{TEAM1}/1"]
        tree = team_tree(env)
        wrapped = SocialTreeWrapper(env, tree)
        for _episode in range(2):
            wrapped.reset()
            _, rewards, terminations, _, _ = wrapped.step(dict.fromkeys(wrapped.agents, 0))
            assert not any(terminations.values())
            _, rewards, terminations, truncations, infos = wrapped.step(dict.fromkeys(wrapped.agents, 0))
            # Team 0 died first: the root's Survive ranking pays team 1 (rank 1) and not team 0.
            assert all(terminations.values()) and wrapped.agents == []
            assert rewards[f"{TEAM1}/0"] == rewards[f"{TEAM1}/1"] == pytest.approx(1.0)
            assert rewards[f"{TEAM0}/0"] == rewards[f"{TEAM0}/1"] == pytest.approx(0.0)
            assert infos[f"{TEAM1}/0"]["reward_terms"] == {"/": pytest.approx(1.0)}
        assert env.unity_id(f"{TEAM0}/0")[1] > 4, "the second episode's team-0 agents have new Unity ids"


def test_core_import_does_not_load_mlagents() -> None:
    code = ("import sys, arena, arena.unity; arena.make('tic_tac_toe'); "
            "from arena.unity import free_port, UnityError; "
            "assert 'mlagents_envs' not in sys.modules, 'mlagents_envs was imported'; "
            "assert 'google.protobuf' not in sys.modules, 'protobuf was imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_launches_a_build_on_an_automatic_port(tmp_path) -> None:
    """A shell script that runs the fake player stands in for a Unity build: ML-Agents launches
    it with --mlagents-port, and closing the env shuts the process down."""
    import json
    import stat

    build = tmp_path / "Pusher.x86_64"
    build.write_text(f"#!/bin/sh\nexec '{sys.executable}' -m arena.unity.fake \"$@\"\n")
    build.chmod(build.stat().st_mode | stat.S_IXUSR)
    record = tmp_path / "argv.json"
    env = arena.make(f"unity:{tmp_path / 'Pusher'}", base_port="auto", no_graphics=True,
                     additional_args=["--record", str(record)], timeout_wait=60)
    try:
        process = env.unity_env._process
        observations, _ = env.reset()
        assert len(observations) == 4 and env.teams().keys() == {0, 1}
        env.step({agent: 1 for agent in env.agents})
    finally:
        env.close()
    assert process.poll() == 0, "the fake build exits cleanly when the env closes"
    received = json.loads(record.read_text())
    assert received["unity_flags"][:2] == ["-nographics", "-batchmode"]
    argv = received["argv"]
    assert argv[argv.index("--mlagents-port") + 1] == str(env.port)
