"""SocialTree: validation (one clear error per mistake), names and path tags, living conditions,
death propagation and shared death ranks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arena.social import (
    Agent,
    AllLiving,
    AtLeastNumberLiving,
    AtLeastOneLiving,
    AtLeastPortionLiving,
    Ranking,
    SocialTree,
    Team,
    TreeError,
)
from arena.social.tree import parse_condition


def two_teams(condition=None, team_condition=None, size: int = 2) -> SocialTree:
    return SocialTree(Team(condition=condition, children=[
        Team(i, [Agent(j) for j in range(size)], condition=team_condition) for i in range(2)]))


def test_names_path_tags_and_team_ids() -> None:
    tree = two_teams()
    assert tree.agents == ["team_0/agent_0", "team_0/agent_1", "team_1/agent_0", "team_1/agent_1"]
    assert tree.leaf_of("team_1/agent_0") == (1, 0)
    assert tree.team_id("team_1/agent_0") == 1
    assert tree.info(()).path_str == "/"
    assert tree.find("team_1") == (1,)
    assert tree.agents_below((0,)) == ["team_0/agent_0", "team_0/agent_1"]
    assert set(tree.graph.edges) >= {((), (0,)), ((0,), (0, 1))}


def test_asymmetric_deep_tree_and_explicit_agent_names() -> None:
    tree = SocialTree(Team(children=[
        Team(0, [Team(0, [Agent(0, "a"), Agent(1, "b")]), Agent(1, "c")], name="blue"),
        Agent(1, "loner"),
    ]))
    assert tree.agents == ["a", "b", "c", "loner"]
    assert tree.info(tree.leaf_of("b")).path_str == "blue/team_0/b"
    assert tree.team_id("loner") is None  # its parent is the root


def test_id_gap_is_named() -> None:
    with pytest.raises(TreeError, match=r"root: sibling ids must be exactly 0..2, but id 1 is missing"):
        SocialTree(Team(children=[Agent(0), Agent(2), Agent(3)]))
    with pytest.raises(TreeError, match="team_0: sibling id 0 is used twice"):
        SocialTree(Team(children=[Team(0, [Agent(0), Agent(0)])]))


def test_bad_conditions() -> None:
    with pytest.raises(TreeError, match=r"unknown living condition 'AtLeastOneLivin' \(did you mean AtLeastOneLiving\?\)"):
        SocialTree(Team(children=[Agent(0), Agent(1)], condition="AtLeastOneLivin"))
    with pytest.raises(TreeError, match="k >= 1"):
        parse_condition("AtLeastNumberLiving(0)")
    with pytest.raises(TreeError, match=r"portion p in \(0, 1\]"):
        parse_condition({"type": "AtLeastPortionLiving", "p": 1.5})
    with pytest.raises(TreeError, match="a leaf"):
        SocialTree(Team(children=[Agent(0, condition="AllLiving"), Agent(1)]))
    assert parse_condition("AtLeastNumberLiving(3)") == AtLeastNumberLiving(3)
    assert parse_condition("AtLeastPortionLiving").p == 0.5


def test_yaml_typos_name_the_field() -> None:
    text = """
root:
  schemes: [{type: Ranking, mdoe: Survive}]
  children: [{agent: a}, {agent: b}]
"""
    with pytest.raises(TreeError, match=r"root.schemes\[0\]: unknown field of Ranking 'mdoe' \(did you mean 'mode'\?\)"):
        SocialTree.from_yaml(text)
    with pytest.raises(TreeError, match=r"root.children\[1\]: unknown field 'agnet' \(did you mean 'agent'\?\)"):
        SocialTree.from_dict({"root": {"children": [{"agent": "a"}, {"agnet": "b"}]}})
    with pytest.raises(TreeError, match=r"unknown scheme type 'Rankin' \(did you mean 'Ranking'\?\)"):
        SocialTree.from_dict({"root": {"schemes": ["Rankin"], "children": [{"agent": "a"}, {"agent": "b"}]}})
    with pytest.raises(TreeError, match="Custom schemes run Python code"):
        SocialTree.from_dict({"root": {"schemes": [{"type": "Custom"}], "children": [{"agent": "a"}]}})
    with pytest.raises(TreeError, match="missing field 'root'"):
        SocialTree.from_dict({"coefficients": {}})
    with pytest.raises(TreeError, match=r"coefficients: unknown reward kind 'rankng'"):
        SocialTree.from_dict({"coefficients": {"rankng": 2}, "root": {"children": [{"agent": "a"}]}})
    with pytest.raises(TreeError, match="at line 4, column 1"):
        SocialTree.from_yaml("root:\n  children:\n  - {agent: a\n")


def test_glob_shorthand_needs_and_uses_env_agents() -> None:
    data = {"root": {"children": [{"name": "p", "agents": "adversary_*"}, {"name": "q", "agents": ["agent_0"]}]}}
    with pytest.raises(TreeError, match="needs the env's agent names"):
        SocialTree.from_dict(data)
    tree = SocialTree.from_dict(data, agents=["adversary_0", "adversary_1", "agent_0"])
    assert tree.agents_below(tree.find("p")) == ["adversary_0", "adversary_1"]
    with pytest.raises(TreeError, match="matches none of the env agents"):
        SocialTree.from_dict({"root": {"children": [{"agents": "zzz*"}]}}, agents=["a"])


def test_roundtrip_to_dict() -> None:
    tree = SocialTree(Team(schemes=[Ranking("Depart")], condition=AtLeastNumberLiving(2),
                           children=[Team(0, [Agent(0, "a")]), Team(1, [Agent(0, "b")], max_living_steps=5)]))
    again = SocialTree.from_dict(tree.to_dict())
    assert again.to_dict() == tree.to_dict()
    assert again.info((1,)).max_living_steps == 5


@pytest.mark.parametrize(("condition", "living", "total", "alive"), [
    (AllLiving(), 3, 3, True), (AllLiving(), 2, 3, False),
    (AtLeastOneLiving(), 1, 3, True), (AtLeastOneLiving(), 0, 3, False),
    (AtLeastNumberLiving(2), 2, 4, True), (AtLeastNumberLiving(2), 1, 4, False),
    (AtLeastPortionLiving(), 2, 4, True), (AtLeastPortionLiving(0.75), 2, 4, False),
])
def test_living_conditions(condition, living: int, total: int, alive: bool) -> None:
    assert condition.alive(living, total) is alive


def test_death_propagates_up_and_down_with_survivor_ranks() -> None:
    # Team 0 dies with its first member (AllLiving); the root needs two teams, so it dies too and
    # team 1, the survivor, ranks after team 0.
    tree = two_teams(condition=AtLeastNumberLiving(2), team_condition=AllLiving())
    life = tree.start()
    died = life.step([["team_0/agent_1"]])
    assert life.over
    assert set(died) == set(tree.preorder())
    assert life.rank[(0, 1)] == 0.0 and life.rank[(0, 0)] == 1.0   # teammate survived agent_1
    assert life.rank[(0,)] == 0.0 and life.rank[(1,)] == 1.0        # team 1 survived team 0
    assert life.rank[(1, 0)] == life.rank[(1, 1)] == 0.5            # both die together as survivors


def test_simultaneous_deaths_share_one_rank() -> None:
    tree = SocialTree(Team(children=[Agent(i) for i in range(4)]))
    life = tree.start()
    life.step([["agent_0", "agent_2"]])     # two die first, together: places 0 and 1
    assert life.rank[(0,)] == life.rank[(2,)] == 0.5
    assert not life.over
    life.step([["agent_3"], ["agent_1"]])   # ordered groups in one step: agent_3 before agent_1
    assert life.rank[(3,)] == 2.0 and life.rank[(1,)] == 3.0
    assert life.over
    assert sum(life.rank[(i,)] for i in range(4)) == 4 * 3 / 2


def test_max_living_steps_and_finish() -> None:
    tree = SocialTree(Team(children=[Agent(0), Agent(1, max_living_steps=2), Agent(2)]))
    life = tree.start()
    assert life.step() == []
    assert life.step() == [(1,)]            # agent_1 expires at its second step
    assert life.rank[(1,)] == 0.0
    assert life.finish() == [(), (0,), (2,)]
    assert life.rank[(0,)] == life.rank[(2,)] == 1.5 and life.over
    assert life.step([["agent_0"]]) == []   # nothing happens after the end


@settings(max_examples=60, deadline=None)
@given(sizes=st.lists(st.integers(1, 4), min_size=1, max_size=4),
       order=st.lists(st.integers(0, 15), max_size=12), group_size=st.integers(1, 3))
def test_ranks_of_siblings_always_sum_to_n_choose_2(sizes: list[int], order: list[int], group_size: int) -> None:
    tree = SocialTree(Team(children=[Team(i, [Agent(j) for j in range(n)]) for i, n in enumerate(sizes)]))
    life = tree.start()
    agents = tree.agents
    picks = [agents[k % len(agents)] for k in order]
    for start in range(0, len(picks), group_size):
        life.step([picks[start:start + group_size]])
    life.finish()
    assert life.over and not any(life.alive.values())
    for parent in tree.preorder():
        children = tree.children(parent)
        if children:
            n = len(children)
            assert sum(life.rank[c] for c in children) == pytest.approx(n * (n - 1) / 2)
