"""MADDPG update equations, Gumbel-softmax, env pool, buffer, config, checkpoints and resume."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import torch
from gymnasium import spaces
from pettingzoo import ParallelEnv

from arena.env.registry import register
from arena.marl.common import AgentSpace, EnvPool, ReplayBuffer, agent_spaces, gumbel_softmax_st, team_of
from arena.marl.maddpg import MADDPG, MADDPGConfig, config_with, evaluate, load_run, train


class CountdownEnv(ParallelEnv):
    """Two agents; the episode lasts ``length`` steps and then terminates (``mode='terminate'``) or
    is truncated (``mode='truncate'``). Agent ``agent_1`` terminates early after step 1 in
    ``mode='early'``. Reward: 1 per step for each live agent."""

    metadata = {"name": "countdown_v0", "render_modes": []}

    def __init__(self, mode: str = "truncate", length: int = 3) -> None:
        self.possible_agents = ["agent_0", "agent_1"]
        self.mode, self.length = mode, length
        self.agents: list[str] = []
        self.t = 0

    def observation_space(self, agent):
        return spaces.Box(-1.0, 1.0, (2,), np.float32)

    def action_space(self, agent):
        return spaces.Discrete(2)

    def _obs(self):
        return {a: np.array([self.t / 10.0, i], np.float32) for i, a in enumerate(self.agents)}

    def reset(self, seed=None, options=None):
        self.t = 0
        self.agents = list(self.possible_agents)
        return self._obs(), {a: {} for a in self.agents}

    def step(self, actions):
        self.t += 1
        end = self.t >= self.length
        rewards = {a: 1.0 for a in self.agents}
        term = {a: end and self.mode == "terminate" for a in self.agents}
        trunc = {a: end and self.mode != "terminate" for a in self.agents}
        if self.mode == "early" and self.t == 1:
            term["agent_1"] = True
        obs = self._obs()
        self.agents = [a for a in self.agents if not (term[a] or trunc[a])]
        return obs, rewards, term, trunc, {a: {} for a in obs}


def small_agents(continuous: bool = False) -> list[AgentSpace]:
    if continuous:
        return [AgentSpace(f"agent_{i}", "agent", 4, 2, False, np.full(2, -2.0, np.float32), np.full(2, 3.0, np.float32))
                for i in range(3)]
    return [AgentSpace("agent_0", "agent", 4, 3, True), AgentSpace("agent_1", "agent", 4, 3, True),
            AgentSpace("adversary_0", "adversary", 6, 5, True)]


def random_batch(agents, batch=32, terminated=0.0, seed=0):
    g = torch.Generator().manual_seed(seed)
    n = len(agents)
    return {"obs": [torch.randn(batch, a.obs_dim, generator=g) for a in agents],
            "act": [torch.softmax(torch.randn(batch, a.act_dim, generator=g), -1) for a in agents],
            "next_obs": [torch.randn(batch, a.obs_dim, generator=g) for a in agents],
            "rew": torch.randn(batch, n, generator=g), "terminated": torch.full((batch, n), terminated),
            "active": torch.ones(batch, n)}


def perturb(module: torch.nn.Module, scale: float = 0.5) -> None:
    with torch.no_grad():
        for p in module.parameters():
            p.add_(scale * torch.randn_like(p))


# -- Gumbel-softmax -----------------------------------------------------------------------

def test_gumbel_softmax_straight_through_is_one_hot_with_soft_gradient():
    torch.manual_seed(0)
    logits = torch.tensor([[0.0, 1.0, 2.0]]).repeat(4000, 1).requires_grad_(True)
    sample = gumbel_softmax_st(logits)
    assert sample.shape == (4000, 3)
    assert torch.allclose(sample.sum(-1), torch.ones(4000))
    values = sample.detach()
    assert torch.all((values.abs() < 1e-6) | ((values - 1).abs() < 1e-6)), "forward value is one-hot"
    freq = sample.detach().mean(0)
    assert torch.allclose(freq, torch.softmax(logits[0].detach(), 0), atol=0.03)
    (sample * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert logits.grad is not None and logits.grad.abs().sum() > 0


# -- update equations ----------------------------------------------------------------------

def test_critic_targets_come_from_target_actors_not_online_actors():
    torch.manual_seed(0)
    agents = small_agents()
    learner = MADDPG(agents, MADDPGConfig(), "cpu")
    batch = random_batch(agents)

    def targets():
        torch.manual_seed(123)  # the same Gumbel noise each time
        return torch.stack(learner.critic_targets(batch))

    base = targets()
    perturb(learner.actors)
    perturb(learner.critics)
    assert torch.allclose(targets(), base), "online networks must not affect the TD target"
    perturb(learner.target_actors[learner.actor_index[2]])
    changed = targets()
    assert not torch.allclose(changed, base), "the target actors' next actions must enter the TD target"
    perturb(learner.target_critics)
    assert not torch.allclose(targets(), changed)


def test_termination_stops_bootstrap_and_truncation_does_not():
    torch.manual_seed(0)
    agents = small_agents()
    learner = MADDPG(agents, MADDPGConfig(gamma=0.9), "cpu")
    live = random_batch(agents, terminated=0.0)
    dead = random_batch(agents, terminated=1.0)
    y_dead = torch.stack(learner.critic_targets(dead))
    assert torch.allclose(y_dead, dead["rew"].T)
    y_live = torch.stack(learner.critic_targets(live))
    assert not torch.allclose(y_live, live["rew"].T)


def test_env_pool_marks_termination_but_not_truncation():
    for mode, expected in (("truncate", 0.0), ("terminate", 1.0)):
        pool = EnvPool(lambda mode=mode: CountdownEnv(mode, length=2), 2, agent_spaces(CountdownEnv()), seed=0)
        actions = [np.eye(2, dtype=np.float32)[[0, 1]]] * 2
        _, rew, term, active, finished = pool.step(actions)
        assert not finished and term.sum() == 0 and rew.sum() == 4
        next_obs, rew, term, active, finished = pool.step(actions)
        assert len(finished) == 2 and np.allclose(finished[0], [2.0, 2.0])
        assert np.all(term == expected)
        assert np.allclose(next_obs[0][:, 0], 0.2), "next_obs is the last observation, not the reset one"
        assert np.allclose(pool.obs[0][:, 0], 0.0), "finished copies are reset"


def test_env_pool_handles_an_agent_leaving_early():
    pool = EnvPool(lambda: CountdownEnv("early", length=3), 1, agent_spaces(CountdownEnv()), seed=0)
    actions = [np.eye(2, dtype=np.float32)[[0]]] * 2
    _, _, term, active, _ = pool.step(actions)
    assert term[0].tolist() == [0.0, 1.0] and active[0].tolist() == [1.0, 1.0]
    _, rew, _, active, _ = pool.step(actions)
    assert active[0].tolist() == [1.0, 0.0] and rew[0].tolist() == [1.0, 0.0]
    assert np.allclose(pool.obs[1], 0.0)


def test_each_actor_loss_moves_only_its_own_actor():
    torch.manual_seed(0)
    agents = small_agents()
    learner = MADDPG(agents, MADDPGConfig(), "cpu")
    batch = random_batch(agents)
    for i in range(len(agents)):
        learner.zero_grad(set_to_none=True)
        learner.actor_loss(i, batch).backward()
        for j, actor in enumerate(learner.actors):
            grads = [p.grad for p in actor.parameters()]
            if j == learner.actor_index[i]:
                assert all(g is not None and g.abs().sum() > 0 for g in grads)
            else:
                assert all(g is None for g in grads), f"actor {j} got gradient from agent {i}'s loss"
        for target in (learner.target_actors, learner.target_critics):
            assert all(p.grad is None for p in target.parameters())


def test_update_steps_critics_and_actors_and_soft_updates_targets():
    torch.manual_seed(0)
    agents = small_agents(continuous=True)
    config = MADDPGConfig(tau=0.25)
    learner = MADDPG(agents, config, "cpu")
    before = copy.deepcopy(learner.state_dict())
    metrics = learner.update(random_batch(agents))
    assert np.isfinite(metrics["critic_loss"]) and np.isfinite(metrics["actor_loss"])
    after = learner.state_dict()
    for key in before:
        if key.startswith(("target_actors.", "target_critics.")):
            online = key.replace("target_", "", 1)
            expected = 0.75 * before[key] + 0.25 * after[online]
            assert torch.allclose(after[key], expected, atol=1e-6), key
        else:
            assert not torch.equal(before[key], after[key]), f"{key} was not updated"


def test_gradient_clipping_bounds_the_step():
    torch.manual_seed(0)
    agents = small_agents()
    learner = MADDPG(agents, MADDPGConfig(max_grad_norm=1e-6, lr_critic=1.0), "cpu")
    batch = random_batch(agents)
    batch["rew"] = batch["rew"] * 1e6
    learner.critic_optimizer.zero_grad()
    targets = learner.critic_targets(batch)
    sum(learner.critic_loss(i, batch, targets[i]) for i in range(3)).backward()
    for net in learner.critics:
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1e-6)
        norm = torch.sqrt(sum((p.grad ** 2).sum() for p in net.parameters()))
        assert norm <= 1.01e-6


def test_parameter_sharing_and_team_critics():
    agents = small_agents()
    shared = MADDPG(agents, MADDPGConfig(share_parameters=True, critic_scope="team"), "cpu")
    assert shared.actor_index == [0, 0, 1] and shared.critic_index == [0, 0, 1]
    assert shared.critic_members == [[0, 1], [1, 0], [2]]
    assert shared.critics[0][0].in_features == 2 * (4 + 3)
    full = MADDPG(agents, MADDPGConfig(), "cpu")
    assert full.actor_index == [0, 1, 2] and full.critic_members[2] == [2, 0, 1]
    assert full.critics[2][0].in_features == 4 + 4 + 6 + 3 + 3 + 5
    shared.update(random_batch(agents))  # runs with shared networks summing their agents' losses


def test_continuous_actions_stay_in_range_and_rescale_to_the_env_bounds():
    agents = small_agents(continuous=True)
    learner = MADDPG(agents, MADDPGConfig(), "cpu")
    obs = [np.random.default_rng(0).normal(size=(16, 4)).astype(np.float32) * 100 for _ in agents]
    noise = [np.full((16, 2), 5.0, np.float32) for _ in agents]
    actions = learner.act(obs, explore=True, noise=noise)
    assert all(a.shape == (16, 2) and a.max() <= 1.0 and a.min() >= -1.0 for a in actions)
    assert np.allclose(agents[0].to_env(np.array([-1.0, 1.0])), [-2.0, 3.0])
    greedy = learner.act(obs, explore=False)
    assert not np.allclose(greedy[0], actions[0])


def test_heterogeneous_spaces_of_simple_tag():
    import mpe2.simple_tag_v3 as tag

    env = tag.parallel_env(max_cycles=5)
    agents = agent_spaces(env)
    assert {a.team for a in agents} == {"adversary", "agent"}
    assert len({a.obs_dim for a in agents}) == 2
    buffer = ReplayBuffer(64, agents)
    learner = MADDPG(agents, MADDPGConfig(), "cpu")
    pool = EnvPool(lambda: tag.parallel_env(max_cycles=5), 2, agents, seed=0)
    for _ in range(6):
        obs = [o.copy() for o in pool.obs]
        actions = learner.act(obs, explore=True)
        next_obs, rew, term, active, _ = pool.step(actions)
        buffer.add(obs, actions, rew, next_obs, term, active)
    metrics = learner.update(buffer.sample(8, np.random.default_rng(0), torch.device("cpu")))
    assert np.isfinite(metrics["critic_loss"])


def test_unsupported_spaces_give_clear_errors():
    class DictObs(CountdownEnv):
        def observation_space(self, agent):
            return spaces.Dict({"x": spaces.Box(0, 1, (2,))})

    with pytest.raises(ValueError, match="Box observations"):
        agent_spaces(DictObs())

    class MultiBinaryAct(CountdownEnv):
        def action_space(self, agent):
            return spaces.MultiBinary(3)

    with pytest.raises(ValueError, match="Discrete and Box actions"):
        agent_spaces(MultiBinaryAct())
    assert team_of("adversary_0") == "adversary" and team_of("speaker_0") == "speaker" and team_of("alice") == "alice"


def test_replay_buffer_wraps_around_and_round_trips():
    agents = small_agents()
    buffer = ReplayBuffer(5, agents)
    for step in range(3):
        buffer.add([np.full((2, a.obs_dim), step, np.float32) for a in agents],
                   [np.zeros((2, a.act_dim), np.float32) for a in agents], np.full((2, 3), step, np.float32),
                   [np.zeros((2, a.obs_dim), np.float32) for a in agents], np.zeros((2, 3)), np.ones((2, 3)))
    assert buffer.size == 5 and buffer.position == 1
    assert buffer.rew[:, 0].tolist() == [2, 0, 1, 1, 2]
    other = ReplayBuffer(5, agents)
    other.load_state_dict(buffer.state_dict())
    assert np.array_equal(other.obs[2], buffer.obs[2]) and other.position == 1


# -- configuration -------------------------------------------------------------------------

def test_config_overrides_are_typed_and_validated():
    config = config_with(MADDPGConfig(), {"lr_actor": "0.005", "hidden_sizes": "32,32", "share_parameters": "true",
                                          "batch_size": 256})
    assert config.lr_actor == 0.005 and config.hidden_sizes == (32, 32) and config.share_parameters is True
    with pytest.raises(ValueError, match="did you mean lr_actor"):
        config_with(MADDPGConfig(), {"lr_actr": 0.1})
    with pytest.raises(ValueError, match="batch_size"):
        config_with(MADDPGConfig(), {"batch_size": "many"})
    with pytest.raises(ValueError, match="critic_scope"):
        config_with(MADDPGConfig(), {"critic_scope": "nobody"})
    assert MADDPGConfig().lr_actor == 1e-3 and MADDPGConfig().tau == 0.01 and MADDPGConfig().batch_size == 256


# -- checkpoints and resume ----------------------------------------------------------------

register("test_countdown", lambda mode="truncate", length=3: CountdownEnv(mode, length), api="parallel",
         description="test-only countdown env", overwrite=True)

TINY = {"batch_size": 16, "learning_starts": 32, "update_every": 8, "num_envs": 2, "buffer_size": 1000,
        "hidden_sizes": (16,), "checkpoint_every": 10, "log_every": 5, "save_buffer": True, "tensorboard": False}


def test_checkpoint_round_trip_and_resume(tmp_path):
    config = config_with(MADDPGConfig(), TINY)
    first = train("test_countdown", episodes=20, run_dir=tmp_path, config=config, progress=False)
    assert first.returns.shape == (20, 2) and first.updates > 0
    saved = json.loads((tmp_path / "config.json").read_text())
    assert saved["env"] == "test_countdown" and saved["config"]["batch_size"] == 16
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert state["episode"] == 20 and state["transitions"] == 60

    run = load_run(tmp_path)
    assert run.episodes_trained == 20
    assert run.learner.stacked, "two agents of one shape: stacked networks"
    saved_networks = state["learner"]["networks"]
    assert "actors.1.0.weight" in saved_networks, "checkpoints keep the per-network layout"
    loaded = run.learner.full_state_dict()["networks"]
    assert loaded.keys() == saved_networks.keys()
    for key, value in loaded.items():
        assert torch.equal(value, saved_networks[key])

    with pytest.raises(ValueError, match="already holds a run"):
        train("test_countdown", episodes=30, run_dir=tmp_path, config=config, progress=False)
    with pytest.raises(ValueError, match="trained on test_countdown"):
        train("rock_paper_scissors", episodes=30, run_dir=tmp_path, resume=True, progress=False)
    second = train("test_countdown", episodes=40, run_dir=tmp_path, resume=True, progress=False)
    assert second.returns.shape == (40, 2)
    assert np.array_equal(second.returns[:20], first.returns)
    resumed = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert resumed["episode"] == 40 and resumed["updates"] > state["updates"]
    assert resumed["learner"]["actor_optimizer"]["state"], "optimiser state is carried over"

    result = evaluate(load_run(tmp_path), 6)
    assert result["episodes"] == 6 and result["per_agent"]["agent_0"] == pytest.approx(3.0)
    assert result["per_team"] == {"agent": pytest.approx(3.0)}


def test_resume_without_a_checkpoint_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="no checkpoint.pt"):
        train("test_countdown", episodes=5, run_dir=tmp_path / "missing", resume=True, progress=False)
    with pytest.raises(ValueError, match="does not exist"):
        load_run(tmp_path / "missing")
