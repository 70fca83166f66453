"""HoldZone and RankByScore on hand-built batched states, their per-episode twins, hooks and
the tree `arena verify-rewards` measures."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from arena.social import (
    Agent,
    HoldZone,
    RankByScore,
    SocialTree,
    SocialTreeWrapper,
    Team,
    TreeError,
    paid_tree,
    register_hook,
)
from arena.social.schemes import score_ranks
from games.arena2d.social import BatchedTree, StepInputs

AGENTS = ["r0", "r1", "b0", "b1", "g0"]


def three_teams(mode: str = "Highest", penalize_tie: bool = False, zone_coef: float = 1.0) -> SocialTree:
    def team(name: str, members: list[str]) -> object:
        return Team(children=[Agent(agent=m) for m in members], name=name,
                    schemes=[HoldZone("hill", score="hill")])

    from arena.social import Coefficients

    root = Team(children=[team("red", ["r0", "r1"]), team("blue", ["b0", "b1"]), team("green", ["g0"])],
                schemes=[RankByScore("hill", mode=mode, penalize_tie=penalize_tie)])
    return SocialTree(root, Coefficients(zone=zone_coef))


def batched(tree: SocialTree, num_envs: int) -> BatchedTree:
    entities = {a: i for i, a in enumerate(AGENTS)}
    entities["hill"] = len(AGENTS)
    return BatchedTree(tree, entities, num_envs, continuous=False)


def step(bt: BatchedTree, inside: np.ndarray, *, finish: bool = False, die: list[str] = ()) -> np.ndarray:
    """One batched step where ``inside[B, A]`` says who stands on the hill; ``die`` kills agents
    (in every copy) during the step; ``finish`` ends the episode (time limit)."""
    num_envs = inside.shape[0]
    alive_before = bt.alive.copy()
    bt.begin_step(np.ones(num_envs, dtype=np.int64))
    if die:
        direct = np.zeros_like(bt.alive)
        for agent in die:
            direct[:, bt.leaf[AGENTS.index(agent)]] = True
        bt.event(direct)
    if finish:
        bt.finish(np.ones(num_envs, dtype=bool))
    points = np.zeros((num_envs, len(AGENTS) + 1, 2))
    inputs = StepInputs(points, points, None, np.zeros((num_envs, len(AGENTS)), dtype=np.int64),
                        lambda k, zone: inside[:, k])
    return bt.rewards(alive_before, inputs)


def test_hold_zone_pays_exclusive_control_only() -> None:
    bt = batched(three_teams(), 5)
    inside = np.array([
        [1, 0, 0, 0, 0],  # red alone: both red agents paid
        [1, 1, 1, 0, 0],  # red and blue: contested, nobody paid
        [0, 0, 0, 0, 0],  # empty hill
        [0, 0, 0, 1, 0],  # blue alone
        [0, 0, 0, 0, 1],  # green alone
    ], dtype=bool)
    r = step(bt, inside)
    np.testing.assert_array_equal(r, [[1, 1, 0, 0, 0], [0] * 5, [0] * 5, [0, 0, 1, 1, 0], [0, 0, 0, 0, 1]])
    np.testing.assert_array_equal(bt.scores[:, :, 0].sum(axis=1), [1, 0, 0, 1, 1])


def test_dead_agents_neither_hold_nor_contest_and_are_not_paid() -> None:
    bt = batched(three_teams(), 1)
    step(bt, np.zeros((1, 5), dtype=bool), die=["b0"])  # b0 dies: blue lives on through b1
    r = step(bt, np.array([[1, 0, 1, 0, 0]], dtype=bool))  # dead b0 "on the hill" does not contest
    np.testing.assert_array_equal(r, [[1, 1, 0, 0, 0]])


def test_rank_by_score_pays_once_at_the_end_and_ties_share() -> None:
    bt = batched(three_teams(zone_coef=0.0), 2)
    red, blue = np.array([[1, 0, 0, 0, 0]] * 2, bool), np.array([[0, 0, 1, 0, 0]] * 2, bool)
    for inside in (red, red, blue):
        assert not step(bt, inside).any(), "zone coefficient 0: nothing paid before the end"
    np.testing.assert_array_equal(bt.scores[0, :, 0].nonzero()[0], [1, 4])  # the team nodes fed the score
    # Copy 0: red 2, blue 1, green 0 -> ranks 2, 1, 0. Copy 1: green holds at the last step -> blue
    # and green tie at 1 and share (0 + 1) / 2.
    final = np.array([[0, 0, 0, 0, 0], [0, 0, 0, 0, 1]], dtype=bool)
    r = step(bt, final, finish=True)
    np.testing.assert_array_equal(r, [[2, 2, 1, 1, 0], [2, 2, 0.5, 0.5, 0.5]])
    assert not step(bt, final).any(), "paid once"


def test_rank_by_score_lowest_mode_and_tie_penalty() -> None:
    bt = batched(three_teams("Lowest", zone_coef=0.0), 1)
    step(bt, np.array([[1, 0, 0, 0, 0]], bool))
    r = step(bt, np.zeros((1, 5), bool), finish=True)
    np.testing.assert_array_equal(r, [[0, 0, 1.5, 1.5, 1.5]])  # red held most: last under Lowest
    bt = batched(three_teams(penalize_tie=True, zone_coef=0.0), 1)
    r = step(bt, np.zeros((1, 5), bool), finish=True)
    np.testing.assert_array_equal(r, [[0, 0, 0, 0, 0]])  # all tied at rank 1, minus 1


def test_score_ranks_add_up_like_death_ranks() -> None:
    ranks = score_ranks(np.array([[3.0, 1.0, 1.0, 7.0], [2.0, 2.0, 2.0, 2.0]]))
    np.testing.assert_array_equal(ranks, [[2, 0.5, 0.5, 3], [1.5, 1.5, 1.5, 1.5]])
    assert (ranks.sum(axis=1) == 6).all()


def test_declaration_errors_name_the_problem() -> None:
    with pytest.raises(TreeError, match="no scheme below this node feeds it"):
        SocialTree(Team(children=[Agent(agent="a"), Agent(agent="b")], schemes=[RankByScore("goals")]))
    with pytest.raises(TreeError, match="mode must be 'Highest' or 'Lowest'"):
        RankByScore("hill", mode="Survive")
    with pytest.raises(TreeError, match="HoldZone needs a zone name"):
        HoldZone("")
    with pytest.raises(TreeError, match="hook 'nobody.here:fn': cannot import 'nobody.here'"):
        SocialTree.from_dict({"root": {"schemes": [{"type": "Custom", "hook": "nobody.here:fn"}],
                                       "children": [{"agent": "a"}]}})
    with pytest.raises(TreeError, match="unknown field of Custom 'hok'"):
        SocialTree.from_dict({"root": {"schemes": [{"type": "Custom", "hook": "x:y", "hok": 1}],
                                       "children": [{"agent": "a"}]}})


def test_tree_files_round_trip_the_new_schemes() -> None:
    register_hook("test_zero", lambda s: np.zeros(s.num_envs))
    data = {"root": {"schemes": [{"type": "RankByScore", "score": "hill", "mode": "Lowest"}], "children": [
        {"name": "a", "schemes": [{"type": "HoldZone", "zone": "hill", "score": "hill"}], "children": [{"agent": "x"}]},
        {"name": "b", "schemes": [{"type": "Custom", "hook": "test_zero", "score": "hill", "declared": "IS"}],
         "children": [{"agent": "y"}]}]}}
    tree = SocialTree.from_dict(data)
    again = SocialTree.from_dict(tree.to_dict())
    assert again.to_dict() == tree.to_dict()
    assert again.info((1,)).schemes[0].to_dict()["hook"] == "test_zero"


def test_per_episode_wrapper_pays_what_the_engine_pays_for_koth() -> None:
    from games.arena2d import make

    raw = make("KingOfTheHill-2T2P")
    wrapped = SocialTreeWrapper(make("KingOfTheHill-2T2P"), raw.social_tree)
    for seed in (1, 2):
        raw.reset(seed=seed)
        wrapped.reset(seed=seed)
        rng = np.random.default_rng(seed)
        returns = {a: 0.0 for a in raw.possible_agents}
        while raw.agents:
            actions = {a: int(rng.choice([0, 3, 3, 3, 5, 6])) for a in raw.agents}
            _, r_raw, _, _, _ = raw.step(actions)
            _, r_tree, _, _, _ = wrapped.step(actions)
            assert r_raw == pytest.approx(r_tree, abs=1e-12)
            for a, v in r_raw.items():
                returns[a] += v
        assert wrapped.agents == []
        # Ranking pays 1 in total per team (0 + 1 or 0.5 + 0.5), i.e. 2 per team of two.
        ranks = {a: v for a, v in wrapped.episode_terms.items()}
        assert sum(t.get("/", 0.0) for t in ranks.values()) == pytest.approx(2.0)


# -- which tree arena verify-rewards measures ---------------------------------------------------


def _run_verify(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, factory, tree: str | None = None,
                **extra: object) -> dict:
    import json

    from arena.commands import verify_rewards

    monkeypatch.setattr(verify_rewards.arena, "make", lambda name, **kwargs: factory())
    args = argparse.Namespace(game="Custom-Game", tree=tree, episodes=2, contexts=1, confidence=0.95, seed=0,
                              strict=False, json=True, env_args=[], **extra)
    assert verify_rewards.run(args) == 0
    return json.loads(capsys.readouterr().out)


def test_verify_rewards_measures_the_wrapper_tree_when_the_env_is_wrapped(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    from games.arena2d import make

    def wrapped_koth():  # the game's own tree pays HoldZone; this wrapper pays a time bonus instead
        env = make("KingOfTheHill-2T2P")
        tree = SocialTree.from_dict({"root": {"name": "all", "declared": "CL", "schemes": [{"type": "Time"}],
                                              "children": [{"agent": a} for a in env.possible_agents]}})
        return SocialTreeWrapper(env, tree, deaths="arena2d")

    paid = paid_tree(wrapped_koth())
    assert paid.source == "wrapper" and [paid.tree.info(p).path_str for p in paid.tree.preorder()][0] == "/"
    report = _run_verify(monkeypatch, capsys, wrapped_koth)
    assert "SocialTreeWrapper the env is wrapped in" in report["tree"]
    assert [n["path"] for n in report["nodes"]] == ["/"]  # not the engine's red / blue HoldZone nodes
    report = _run_verify(monkeypatch, capsys, lambda: make("KingOfTheHill-2T2P"))
    assert report["tree"].startswith("the env's own tree")
    assert [n["path"] for n in report["nodes"]] == ["/", "red", "blue"]


def test_verify_rewards_says_when_a_tree_file_is_not_what_the_env_pays(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, tmp_path) -> None:
    from games.arena2d import make

    tree = tmp_path / "t.yaml"
    tree.write_text("deaths: arena2d\nroot:\n  schemes: [{type: Time}]\n  children: [{agent: red_0}, "
                    "{agent: red_1}, {agent: blue_0}, {agent: blue_1}]\n")
    report = _run_verify(monkeypatch, capsys, lambda: make("KingOfTheHill-2T2P"), tree=str(tree))
    assert report["tree"].startswith(f"tree file {tree}") and "not what the env pays" in report["tree"]


def test_measure_paid_reads_the_engine_terms_exactly() -> None:
    """The engine's own terms, summed from its infos, equal the episode's rewards."""
    from arena.social.bmars import _EngineTerms
    from games.arena2d import make

    env = _EngineTerms(make("KingOfTheHill-2T2P"))
    env.reset(seed=3)
    total = {a: 0.0 for a in env.possible_agents}
    while env.agents:
        _, r, _, _, _ = env.step({a: 3 if a.startswith("red") else 0 for a in env.agents})
        for a, v in r.items():
            total[a] += v
    for a in env.possible_agents:
        assert sum(env.episode_terms[a].values()) == pytest.approx(total[a])
    assert env.episode_terms["red_0"]["/"] == 1.0  # red walked onto the empty hill and won
