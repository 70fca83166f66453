"""MAPPO / IPPO: the PPO learner with a value over the side's observations (``critic='central'``)
or the agent's own (``'local'``), on Arena's batched particle worlds, alone and against opponents."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import arena
from arena.cli import main as arena_main
from arena.marl.ppo import PPOConfig, PPOLearner, build_layout, critic_dims, critic_members, make_ppo_learner

torch.set_num_threads(1)
TINY = dict(num_envs=4, num_steps=10, num_minibatches=2, update_epochs=1, hidden_sizes=(16,))


def test_central_value_reads_the_sides_observations_own_first():
    spread = arena.make("simple_spread_v3")
    layout = build_layout(spread, PPOConfig(critic="central"))
    assert critic_members(layout) == [[0, 1, 2], [1, 0, 2], [2, 0, 1]]
    assert critic_dims(layout, PPOConfig(critic="central")) == {"agent": 54}
    assert critic_dims(layout, PPOConfig()) == {"agent": 18}
    tag = arena.make("simple_tag_v3")
    config = PPOConfig(critic="central")
    dims = critic_dims(build_layout(tag, config), config)
    assert dims == {"adversary": 3 * 16, "agent": 14}  # predators see the predators, the prey itself


def test_mappo_trains_on_the_batched_world_and_round_trips():
    make_env = lambda: arena.make("simple_spread_v3", max_cycles=5)  # noqa: E731
    learner = PPOLearner(PPOConfig(critic="central", **TINY))
    metrics = learner.learn(make_env, [], 200)
    assert metrics["steps"] == 200 and metrics["episodes"] == 40
    assert np.isfinite(metrics["value_loss"]) and np.isfinite(metrics["policy_loss"])
    model = learner.models["agent"]
    assert model.critic[0][0].in_features == 54 and model.actor[0][0].in_features == 18
    twin = PPOLearner()
    twin.load_state_dict(learner.state_dict())
    assert twin.config.critic == "central"
    for key, value in learner.models["agent"].state_dict().items():
        assert torch.equal(value, twin.models["agent"].state_dict()[key])
    bot = twin.bot(make_env(), seed=0)
    assert 0 <= bot.act(np.zeros(18, np.float32)) < 5  # bots need only the policy: one agent's observation


def test_central_and_local_values_differ_only_in_what_the_value_reads():
    env = arena.make("simple_spread_v3")
    learners = {critic: PPOLearner(PPOConfig(critic=critic, seed=3, **TINY)) for critic in ("local", "central")}
    for learner in learners.values():
        learner.bot(env)  # builds the networks
    local, central = learners["local"].models["agent"], learners["central"].models["agent"]
    assert local.critic[0][0].in_features == 18 and central.critic[0][0].in_features == 54
    for mine, theirs in zip(local.actor.parameters(), central.actor.parameters()):
        assert torch.equal(mine, theirs)  # the same seed gives the same policy either way


def test_mappo_as_a_league_learner_plays_one_side_against_a_frozen_opponent():
    make_env = lambda: arena.make("simple_tag_v3", max_cycles=5)  # noqa: E731
    learner = make_ppo_learner({"critic": "central", **TINY})
    opponent = make_ppo_learner(dict(TINY)).bot(make_env(), seed=1)
    metrics = learner.learn(make_env, [opponent], 200)
    assert metrics["steps"] == 200 and np.isfinite(metrics["value_loss"])
    assert set(learner.models) == {"adversary", "agent"}


def test_bad_critic_settings_are_one_line_errors():
    with pytest.raises(ValueError, match="critic must be 'local'"):
        PPOConfig(critic="global")
    with pytest.raises(ValueError, match="needs a feed-forward network"):
        PPOConfig(critic="central", recurrent=True)


def test_command_line_critic_option(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", "ppo", "simple_spread_v3", "--critic", "central", "--steps", "80", "--out", str(out),
            "--env-arg", "max_cycles=5", "--set", "num_envs=4", "--set", "num_steps=10", "--set", "hidden_sizes=[8]",
            "--no-progress"]
    assert arena_main(args) == 0
    state = torch.load(out / "checkpoint.pt", weights_only=True)
    assert state["config"]["critic"] == "central" and state["env_steps"] == 80
    assert arena_main(["train", "ppo", "simple_spread_v3", "--critic", "local", "--steps", "160", "--out", str(out),
                       "--resume"]) == 2
    assert "drop --set/--config/--env-arg/--critic" in capsys.readouterr().err


def test_the_scripted_assignment_baseline_shares_the_landmarks_out_by_least_total_distance() -> None:
    """tools/bench_mappo.py's coordinated reference player: every agent computes, from its own
    observation, the assignment of agents to landmarks with the least total distance."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    import importlib
    import os

    # Imported (not run), the tool leaves the process's thread settings alone: setting
    # NUMBA_NUM_THREADS after numba's threads started breaks every later numba compilation.
    before = {k: os.environ.get(k) for k in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    import bench_mappo

    importlib.reload(bench_mappo)
    assert {k: os.environ.get(k) for k in before} == before

    agents = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]])
    # Agents 1 and 2 are nearest to landmarks 0 and 1 (0.1 away), but sending them there leaves agent 0
    # 2.9 from landmark 2 (total 3.1); the least total distance (2.7) sends agent i to landmark i.
    landmarks = np.array([[0.9, 0.0], [1.9, 0.0], [2.9, 0.0]])
    for i in range(3):
        obs = np.zeros((1, 18))
        obs[0, 2:4] = agents[i]
        obs[0, 4:10] = (landmarks - agents[i]).ravel()
        obs[0, 10:14] = (np.delete(agents, i, axis=0) - agents[i]).ravel()
        got = bench_mappo._assigned_landmark(i, obs)[0] + agents[i]
        assert np.allclose(got, landmarks[i])


def test_bench_variant_overrides_keep_list_values_whole() -> None:
    """``--variant "h=hidden_sizes=[128,128],entropy_coef=0.03"``: the comma inside the brackets
    belongs to the list."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    import bench_mappo

    assert bench_mappo.parse_overrides("hidden_sizes=[128,128],entropy_coef=0.03,activation=tanh") == {
        "hidden_sizes": [128, 128], "entropy_coef": 0.03, "activation": "tanh"}
    with pytest.raises(SystemExit, match="not KEY=VALUE"):
        bench_mappo.parse_overrides("hidden_sizes=[64,64],oops")


NEVER_SEEN_GAME = '''
import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv


class PickTheLegal(ParallelEnv):
    """Two agents pick one of 3 moves, two of them legal (action_mask); an illegal move raises."""

    metadata = {"name": "pick_the_legal_v0"}
    possible_agents = ["scout_0", "scout_1"]

    def __init__(self):
        self.rng, self.agents, self.masks, self.t = np.random.default_rng(0), [], {}, 0

    def observation_space(self, agent):
        return spaces.Dict({"observation": spaces.Box(0.0, 1.0, (3,), np.float32),
                            "action_mask": spaces.Box(0, 1, (3,), np.int8)})

    def action_space(self, agent):
        return spaces.Discrete(3)

    def _observe(self):
        for agent in self.agents:
            mask = np.ones(3, np.int8)
            mask[self.rng.integers(3)] = 0
            self.masks[agent] = mask
        return {a: {"observation": self.masks[a].astype(np.float32), "action_mask": self.masks[a]} for a in self.agents}

    def reset(self, seed=None, options=None):
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self.agents, self.t = list(self.possible_agents), 0
        return self._observe(), {a: {} for a in self.agents}

    def step(self, actions):
        for agent, action in actions.items():
            assert self.masks[agent][int(action)], f"{agent} played an illegal move"
        rewards = {a: float(int(actions[a]) == 2) for a in self.agents}
        self.t += 1
        over = self.t >= 4
        obs = self._observe()
        truncations = {a: over for a in self.agents}
        terminations = {a: False for a in self.agents}
        if over:
            self.agents = []
        return obs, rewards, terminations, truncations, {a: {} for a in truncations}


def parallel_env(**kwargs):
    return PickTheLegal()
'''


def test_arena_eval_plays_a_ppo_run_of_a_never_seen_game(tmp_path, capsys, monkeypatch) -> None:
    """``arena eval RUN`` on a run of ``arena train ppo``: per-agent means over the episodes asked
    for, greedy (only legal moves: the game raises on an illegal one) and with --explore."""
    import json

    (tmp_path / "usergames").mkdir()
    (tmp_path / "usergames" / "__init__.py").write_text("")
    (tmp_path / "usergames" / "pick_the_legal.py").write_text(NEVER_SEEN_GAME)
    monkeypatch.syspath_prepend(str(tmp_path))
    out = tmp_path / "run"
    assert arena_main(["train", "ppo", "usergames.pick_the_legal", "--steps", "64", "--out", str(out), "--set", "num_envs=2",
                       "--set", "num_steps=8", "--set", "hidden_sizes=[8]", "--no-progress"]) == 0
    capsys.readouterr()
    for extra in ([], ["--explore"]):
        assert arena_main(["eval", str(out), "--episodes", "5", "--json", *extra]) == 0
        result = json.loads(capsys.readouterr().out)
        assert result["env"] == "usergames.pick_the_legal" and result["episodes"] == 5 and result["env_steps_trained"] == 64
        assert set(result["per_agent"]) == {"scout_0", "scout_1"} and set(result["per_team"]) == {"scout"}
        assert all(0.0 <= v <= 4.0 for v in result["per_agent"].values())
        assert result["mean_per_agent"] == pytest.approx(sum(result["per_agent"].values()) / 2)
    assert arena_main(["eval", str(out), "--episodes", "3"]) == 0
    text = capsys.readouterr().out
    assert "3 episodes, run trained for 64 env steps" in text and "mean per agent" in text
    assert arena_main(["eval", str(tmp_path)]) == 2
    assert "is not a run directory of `arena train maddpg` or `arena train ppo`" in capsys.readouterr().err
