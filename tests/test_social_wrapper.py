"""Reward arithmetic (ranking, broadcast, weighted sum, shaping) through SocialTreeWrapper, episode
ending, held agents, PettingZoo conformance of wrapped envs, and the docs' examples."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from gymnasium import spaces
from pettingzoo import ParallelEnv
from pettingzoo.test import api_test, parallel_api_test

import arena
from arena.social import (
    Agent,
    AtLeastNumberLiving,
    Coefficients,
    Custom,
    Distance,
    DistanceToward,
    EnergyPenalty,
    FacingToward,
    Ranking,
    SocialTree,
    SocialTreeWrapper,
    Team,
    Time,
    TreeError,
    VelocityToward,
    preset_tree,
)

DOCS = Path(__file__).resolve().parents[1] / "docs" / "social.md"


class Scripted(ParallelEnv):
    """Agents on a line. Action 1 moves right by 1, 2 left, 0 stays; the env terminates agent a
    at step ``terminate_at[a]`` and truncates everyone at ``max_steps``. Entities: the agents and
    ``goal`` at x = 5, exposed through ``positions()`` (the accessor hook Arena's engines use)."""

    metadata = {"name": "scripted_v0"}

    def __init__(self, agents: list[str], terminate_at: dict[str, int] | None = None, max_steps: int = 10) -> None:
        self.possible_agents = list(agents)
        self.terminate_at = dict(terminate_at or {})
        self.max_steps = max_steps
        self._obs = spaces.Box(-100, 100, shape=(1,), dtype=np.float32)
        self._act = spaces.Discrete(3)

    def observation_space(self, agent: str) -> spaces.Space:
        return self._obs

    def action_space(self, agent: str) -> spaces.Space:
        return self._act

    def positions(self) -> dict[str, np.ndarray]:
        out = {a: np.array([self.x[a], 0.0]) for a in self.possible_agents}
        out["goal"] = np.array([5.0, 0.0])
        return out

    def _observe(self) -> dict[str, np.ndarray]:
        return {a: np.array([self.x[a]], dtype=np.float32) for a in self.agents}

    def reset(self, seed=None, options=None):
        self.agents = list(self.possible_agents)
        self.x = {a: 0.0 for a in self.agents}
        self.t = 0
        return self._observe(), {a: {} for a in self.agents}

    def step(self, actions):
        self.t += 1
        for a in self.agents:
            self.x[a] += {0: 0.0, 1: 1.0, 2: -1.0}[int(actions[a])]
        obs = self._observe()
        term = {a: self.terminate_at.get(a) == self.t for a in self.agents}
        trunc = {a: self.t >= self.max_steps and not term[a] for a in self.agents}
        rew = {a: 10.0 for a in self.agents}
        infos = {a: {} for a in self.agents}
        self.agents = [a for a in self.agents if not (term[a] or trunc[a])]
        return obs, rew, term, trunc, infos


def run(env, steps: int, action: int = 0) -> list[dict]:
    """Step ``steps`` times (or until the end) with one action for all; the list of rewards dicts."""
    env.reset(seed=0)
    out = []
    for _ in range(steps):
        if not env.agents:
            break
        out.append(env.step({a: action for a in env.agents})[1])
    return out


def flat(scheme, names=("a", "b", "c"), **kw) -> SocialTree:
    return SocialTree(Team(children=[Agent(i, n) for i, n in enumerate(names)], schemes=[scheme]), **kw)


def test_survive_with_shared_rank() -> None:
    # a dies at step 1 (rank 0), b and c together at step 2: places 1 and 2, shared rank 1.5.
    env = SocialTreeWrapper(Scripted(["a", "b", "c"], {"a": 1, "b": 2, "c": 2}), flat(Ranking("Survive")))
    r = run(env, 5)
    assert r == [{"a": 0.0, "b": 0.0, "c": 0.0}, {"b": 1.5, "c": 1.5}]
    assert env.life.over


def test_depart_and_coefficient() -> None:
    tree = flat(Ranking("Depart"), coefficients=Coefficients(ranking=2.0))
    env = SocialTreeWrapper(Scripted(["a", "b", "c"], {"a": 1, "b": 2, "c": 2}), tree)
    r = run(env, 5)
    # Depart: n - rank - 1 = 2 for a, 3 - 1.5 - 1 = 0.5 for b and c; times coefficient 2.
    assert r == [{"a": 4.0, "b": 0.0, "c": 0.0}, {"b": 1.0, "c": 1.0}]


def test_penalize_tie() -> None:
    env = SocialTreeWrapper(Scripted(["a", "b", "c"], {"a": 1, "b": 1, "c": 1}),
                            flat(Ranking("Survive", penalize_tie=True)))
    # All three share places 0..2 (rank 1) and are each penalised 1 for the tie.
    assert run(env, 3) == [{"a": 0.0, "b": 0.0, "c": 0.0}]
    env = SocialTreeWrapper(Scripted(["a", "b"], {"a": 1, "b": 2}), flat(Ranking("Survive", penalize_tie=True),
                                                                         names=("a", "b")))
    assert run(env, 3) == [{"a": 0.0, "b": 0.0}, {"b": 1.0}]


def test_broadcast_and_weighted_sum() -> None:
    tree = SocialTree(
        Team(schemes=[Time("Longer")], children=[
            Team(0, [Agent(0, "a", scale=0.5, schemes=[Custom(lambda ctx, p: 4.0)]), Agent(1, "b")],
                 scale=2.0, schemes=[Custom(lambda ctx, p: 3.0)]),
            Team(1, [Agent(0, "c")]),
        ]),
        coefficients=Coefficients(time=1.0))
    env = SocialTreeWrapper(Scripted(["a", "b", "c"], max_steps=3), tree)
    env.reset(seed=0)
    _, rewards, _, _, infos = env.step({"a": 0, "b": 0, "c": 0})
    # a: root 1 + team 2*3 + own 0.5*4; b: root + team; c: root only.
    assert rewards == {"a": 9.0, "b": 7.0, "c": 1.0}
    assert infos["a"]["reward_terms"] == {"/": 1.0, "team_0": 6.0, "team_0/a": 2.0}
    assert infos["c"]["reward_terms"] == {"/": 1.0}
    assert infos["a"]["env_reward"] == 10.0 and infos["a"]["alive"]
    for agent in rewards:
        assert rewards[agent] == pytest.approx(sum(infos[agent]["reward_terms"].values()))


def test_add_mode_keeps_env_reward() -> None:
    env = SocialTreeWrapper(Scripted(["a", "b"], max_steps=2), flat(Time("Shorter"), names=("a", "b")),
                            reward_mode="add")
    assert run(env, 1) == [{"a": 10.0 - 0.001, "b": 10.0 - 0.001}]


def test_distance_and_agent_shaping() -> None:
    # Both agents step right (toward the goal at x=5) every step.
    tree = SocialTree(Team(schemes=[Distance("a", "goal")], children=[
        Agent(0, "a", schemes=[DistanceToward("goal"), VelocityToward("goal"), FacingToward("goal"),
                               EnergyPenalty()]),
        Agent(1, "b")]))
    env = SocialTreeWrapper(Scripted(["a", "b"], max_steps=3), tree)
    rewards = run(env, 1, action=1)[0]
    # Root: a got 1 closer to the goal, broadcast to both. Leaf a: distance 1*1 + velocity
    # 0.03*1 + direction 0.01*cos(0) + energy -0.01 (moved).
    assert rewards["b"] == pytest.approx(1.0)
    assert rewards["a"] == pytest.approx(1.0 + 1.0 + 0.03 + 0.01 - 0.01)


def test_unknown_entity_is_a_clear_error() -> None:
    env = SocialTreeWrapper(Scripted(["a", "b"]), flat(Distance("a", "box"), names=("a", "b")))
    env.reset(seed=0)
    with pytest.raises(TreeError, match="entity 'box' is not in the env's positions; known entities: a, b, goal"):
        env.step({"a": 0, "b": 0})


def test_root_death_ends_the_episode_even_if_the_env_goes_on() -> None:
    tree = SocialTree(Team(condition=AtLeastNumberLiving(2), schemes=[Ranking()], children=[
        Team(0, [Agent(0, "a"), Agent(1, "b")]), Team(1, [Agent(0, "c")])]))
    env = SocialTreeWrapper(Scripted(["a", "b", "c"], {"c": 2}), tree)
    env.reset(seed=0)
    env.step({a: 0 for a in env.agents})
    _, rewards, term, trunc, _ = env.step({a: 0 for a in env.agents})
    assert rewards == {"a": 1.0, "b": 1.0, "c": 0.0}   # team 0 outlived team 1
    assert all(term.values()) and not any(trunc.values()) and env.agents == []


def test_removed_agent_is_held_until_its_team_rank_is_paid() -> None:
    tree = SocialTree(Team(schemes=[Ranking()], children=[
        Team(0, [Agent(0, "a"), Agent(1, "b")]), Team(1, [Agent(0, "c")])]))
    env = SocialTreeWrapper(Scripted(["a", "b", "c"], {"a": 1, "b": 3, "c": 2}), tree)
    obs, _ = env.reset(seed=0)
    _, _, term, _, infos = env.step({"a": 1, "b": 0, "c": 0})
    assert not term["a"] and "a" in env.agents and not infos["a"]["alive"]   # held: team 0 lives
    obs, rewards, term, _, _ = env.step({"a": 1, "b": 0, "c": 0})  # c dies: team 1 ranks 0
    assert obs["a"][0] == 1.0          # last observation, the action was ignored
    assert rewards == {"a": 0.0, "b": 0.0, "c": 0.0} and term["c"]
    _, rewards, term, _, _ = env.step({"a": 0, "b": 0})            # b dies: team 0 ranks 1
    assert rewards == {"a": 1.0, "b": 1.0} and term["a"] and term["b"]


def test_time_limit_ranks_survivors_and_truncates() -> None:
    env = SocialTreeWrapper(Scripted(["a", "b", "c"], {"a": 1}, max_steps=3), flat(Ranking()))
    env.reset(seed=0)
    env.step({a: 0 for a in env.agents})
    env.step({a: 0 for a in env.agents})
    _, rewards, term, trunc, _ = env.step({a: 0 for a in env.agents})
    assert rewards == {"b": 1.5, "c": 1.5} and trunc == {"b": True, "c": True} and not any(term.values())


def test_agent_mapping_errors() -> None:
    with pytest.raises(TreeError, match="env agent 'c' has no leaf in the tree"):
        SocialTreeWrapper(Scripted(["a", "b", "c"]), flat(Ranking(), names=("a", "b")))
    env = SocialTreeWrapper(Scripted(["x", "y"]), SocialTree(Team(children=[Agent(0), Agent(1)])),
                            agent_map={"agent_0": "x", "agent_1": "y"})
    assert env.possible_agents == ["x", "y"]
    with pytest.raises(TreeError, match="unknown death hook"):
        SocialTreeWrapper(Scripted(["a", "b"]), flat(Ranking(), names=("a", "b")), deaths="nope")


def test_wrapped_simple_tag_passes_parallel_api_test() -> None:
    raw = arena.make("mpe2.simple_tag_v3")
    env = SocialTreeWrapper(raw, preset_tree("mpe2.simple_tag_v3", raw.possible_agents))
    parallel_api_test(env, num_cycles=60)
    rps = arena.make("rock_paper_scissors")
    parallel_api_test(SocialTreeWrapper(rps, preset_tree("rock_paper_scissors", rps.possible_agents)), num_cycles=30)


@pytest.mark.parametrize("game", ["connect_four", "tic_tac_toe"])
def test_wrapped_board_games_pass_api_test(game: str) -> None:
    raw = arena.make(game)
    api_test(SocialTreeWrapper(raw, preset_tree(game, raw.possible_agents)), num_cycles=100)


def test_board_game_ranking_pays_winner_and_splits_draws() -> None:
    raw = arena.make("tic_tac_toe")
    env = SocialTreeWrapper(raw, preset_tree("tic_tac_toe", raw.possible_agents))
    env.reset(seed=0)
    for move in (0, 3, 1, 4, 2):  # player_0 takes the top row
        env.step(move)
    assert env.rewards == {"player_0": 1.0, "player_1": 0.0}
    assert env.episode_terms == {"player_0": {"/": 1.0}, "player_1": {"/": 0.0}}
    assert all(env.terminations.values())
    env.reset(seed=0)
    for move in (0, 1, 2, 4, 3, 5, 7, 6, 8):  # a draw
        env.step(move)
    assert env.rewards == {"player_0": 0.5, "player_1": 0.5}


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", DOCS.read_text(), flags=re.S)


def test_docs_python_example_runs() -> None:
    namespace: dict = {}
    exec(compile(_blocks("python")[0], str(DOCS), "exec"), namespace)
    env = namespace["env"]
    assert env.tree.agents == ["adversary_0", "adversary_1", "adversary_2", "agent_0"]
    terms = env.episode_terms
    # The ranking was paid: predators share one rank, the prey another, constant per team.
    assert len({terms[a]["/"] for a in ("adversary_0", "adversary_1", "adversary_2")}) == 1
    assert terms["agent_0"]["/"] in (0.0, 0.5)


def test_docs_yaml_trees_load() -> None:
    tag_yaml, push_yaml = _blocks("yaml")[:2]
    raw = arena.make("mpe2.simple_tag_v3")
    env = SocialTreeWrapper(raw, SocialTree.from_yaml(tag_yaml, agents=raw.possible_agents))
    assert run(env, 3) and env.tree.find("predators") == (0,)
    push = SocialTree.from_yaml(push_yaml)
    assert push.agents == ["team_0/agent_0", "team_0/agent_1", "team_1/agent_0", "team_1/agent_1"]
    declared = {push.info(p).path_str: push.info(p).declared for p in push.preorder()}
    assert declared["/"] == "CP" and declared["team_1"] == "CL" and declared["team_1/agent_0"] == "IS"
