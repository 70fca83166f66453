"""BMaRS classification: hand-made rewards of all five classes on rock-paper-scissors, known cases
on tic-tac-toe and mpe2 simple_spread, counter-examples of failed assertions, determinism."""

from __future__ import annotations

import numpy as np
import pytest

import arena
from arena.social import (
    BmarsConfig,
    SchemeAssertionError,
    assert_scheme,
    classify_returns,
    classify_reward,
    measure_tree,
    preset_tree,
)
from arena.social.bmars import t_quantile

FAST = BmarsConfig(contexts=4, episodes=16, seed=0)


def rps():
    return arena.make("rock_paper_scissors", num_rounds=5)


def constant(ctx, path):
    return 1.0


def likes_rock(ctx, path):
    return {a: float(act == 0) for a, act in ctx.actions.items()}


def zero_sum(ctx, path):
    return dict(ctx.env_rewards)


def shared_rocks(ctx, path):
    return float(sum(act == 0 for act in ctx.actions.values()))


def mixed(ctx, path):
    """Team play (both paid per rock) mixed with the zero-sum game, weighted so both show."""
    rocks = shared_rocks(ctx, path)
    return {a: 3.0 * r + rocks for a, r in ctx.env_rewards.items()}


def once(ctx, path):
    """1 at the first step of the episode, whatever happens: a constant return."""
    return 1.0 if ctx.step == 1 else 0.0


@pytest.mark.parametrize(("reward", "expected"), [
    (constant, "NL"), (likes_rock, "IS"), (zero_sum, "CP"), (shared_rocks, "CL"), (mixed, "CC")])
def test_hand_made_rewards_on_rock_paper_scissors(reward, expected: str) -> None:
    evidence = classify_reward(rps, reward, FAST)
    assert evidence.measured == expected, evidence.to_dict()
    assert_scheme(evidence, expected)


def test_claiming_cp_on_a_collaborative_reward_fails_with_a_counter_example() -> None:
    evidence = classify_reward(rps, shared_rocks, FAST)
    with pytest.raises(SchemeAssertionError, match=r"claimed CP, measured CL: the sum over agents is not constant: "
                                                   r"perturbing player_\d moved sum R by [+-]"):
        assert_scheme(evidence, "CP")
    with pytest.raises(SchemeAssertionError, match="opposed interests"):
        assert_scheme(classify_reward(rps, zero_sum, FAST), "CL")
    with pytest.raises(AssertionError, match="another agent's policy matters"):
        assert_scheme(classify_reward(rps, mixed, FAST), "IS")


def test_tic_tac_toe_known_cases() -> None:
    make = lambda: arena.make("tic_tac_toe")  # noqa: E731
    report = measure_tree(make, preset_tree("tic_tac_toe", ["player_0", "player_1"]), FAST)
    assert report.node("/").measured == "CP"
    assert report.node("/").sum_stats["min"] == report.node("/").sum_stats["max"] == 1.0
    corner = lambda ctx, path: float(any(a in (0, 2, 6, 8) for a in ctx.actions.values()))  # noqa: E731
    assert classify_reward(make, corner, FAST).measured == "CL"
    assert classify_reward(make, once, FAST).measured == "NL"
    # Paid every ply, a "constant" still depends on how long the game lasts: learnable.
    assert classify_reward(make, constant, FAST).measured != "NL"


def test_simple_spread_team_distance_is_collaborative_and_energy_isolated() -> None:
    game = "mpe2.simple_spread_v3"
    report = measure_tree(lambda: arena.make(game), preset_tree(game, ["agent_0", "agent_1", "agent_2"]),
                          BmarsConfig(contexts=3, episodes=10, seed=0), game=game)
    measured = {n.path: n.measured for n in report.nodes}
    assert measured == {"team": "CL", "team/agent_0": "IS", "team/agent_1": "IS", "team/agent_2": "IS"}
    assert report.node("team").aligned is not None and report.node("team").opposed is None


def test_deterministic_for_a_seed() -> None:
    a = classify_reward(rps, mixed, BmarsConfig(contexts=2, episodes=4, seed=3)).to_dict()
    b = classify_reward(rps, mixed, BmarsConfig(contexts=2, episodes=4, seed=3)).to_dict()
    c = classify_reward(rps, mixed, BmarsConfig(contexts=2, episodes=4, seed=4)).to_dict()
    assert a == b and a != c


def _synthetic(effect: np.ndarray, noise: float = 0.0) -> np.ndarray:
    """returns[c, k, e, y] with baseline 1 and ``effect[x, y]`` added when x is perturbed."""
    n = effect.shape[0]
    rng = np.random.default_rng(0)
    out = np.ones((2, n + 1, 8, n)) + noise * rng.normal(size=(2, n + 1, 8, n))
    out[:, 1:] += effect[None, :, None, :]
    return out


def test_classify_returns_on_synthetic_effects() -> None:
    agents = ["a", "b", "c"]
    assert classify_returns(_synthetic(np.zeros((3, 3))), agents).measured == "NL"
    assert classify_returns(_synthetic(np.eye(3)), agents).measured == "IS"
    zs = np.array([[1.0, -1.0, 0.0], [0.0, 1.0, -1.0], [-1.0, 0.0, 1.0]])
    assert classify_returns(_synthetic(zs), agents).measured == "CP"
    assert classify_returns(_synthetic(np.ones((3, 3))), agents).measured == "CL"
    mixed_effects = np.array([[1.0, 1.0, -1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    evidence = classify_returns(_synthetic(mixed_effects), agents)
    assert evidence.measured == "CC" and evidence.opposed[0] == "a"
    # Noise far larger than the effect: nothing is significant.
    assert classify_returns(_synthetic(0.01 * np.eye(3), noise=5.0), agents).measured == "NL"


def test_t_quantile_matches_tables() -> None:
    assert t_quantile(0.975, 10) == pytest.approx(2.228, abs=2e-3)
    assert t_quantile(0.995, 15) == pytest.approx(2.947, abs=3e-3)
    assert t_quantile(0.975, 1000) == pytest.approx(1.962, abs=2e-3)
