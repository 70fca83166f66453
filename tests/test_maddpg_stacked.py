"""Stacked agents (one ``[N, in, out]`` network per kind) against one network per agent: the same
losses and the same updates from the same weights and batches; checkpoints in either layout load
into either model; bots read the stacked actors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from arena.marl.common import AgentSpace, ReplayBuffer, agent_spaces
from arena.marl.maddpg import MADDPG, MADDPGConfig, StackedMLP


def equal_agents(continuous: bool, teams: tuple[str, ...] = ("agent", "agent", "agent")) -> list[AgentSpace]:
    low, high = np.full(2, -1.0, np.float32), np.full(2, 1.0, np.float32)
    return [AgentSpace(f"{team}_{i}", team, 5, 2 if continuous else 4, not continuous,
                       low if continuous else None, high if continuous else None) for i, team in enumerate(teams)]


def batch_of(agents: list[AgentSpace], seed: int, size: int = 64) -> dict:
    rng = np.random.default_rng(seed)
    buffer = ReplayBuffer(size, agents)
    n = len(agents)
    acts = []
    for a in agents:
        if a.discrete:
            acts.append(np.eye(a.act_dim, dtype=np.float32)[rng.integers(0, a.act_dim, size)])
        else:
            acts.append(rng.uniform(-1, 1, (size, a.act_dim)).astype(np.float32))
    active = (rng.random((size, n)) > 0.1).astype(np.float32)  # some agents absent: masked out of their losses
    buffer.add([rng.normal(size=(size, a.obs_dim)).astype(np.float32) for a in agents], acts,
               rng.normal(size=(size, n)).astype(np.float32) * 3,
               [rng.normal(size=(size, a.obs_dim)).astype(np.float32) for a in agents],
               (rng.random((size, n)) > 0.8).astype(np.float32), active)
    return buffer.sample(size, rng, torch.device("cpu"))


def pair(agents: list[AgentSpace], double: bool = False, **overrides) -> tuple[MADDPG, MADDPG]:
    """A per-agent learner and a stacked one holding the same weights and optimiser settings.

    ``double``: both in float64. Where a gradient is float32 rounding noise (~1e-9, below Adam's
    eps of 1e-8) Adam's first step turns the two layouts' different summation orders into
    differences of a few 1e-4 whose size depends on the CPU's kernels; in float64 that noise is
    ~1e-17 and the two paths agree far inside the tolerance on any CPU."""
    torch.manual_seed(0)
    per_agent = MADDPG(agents, MADDPGConfig(stack_agents=False, **overrides), "cpu")
    stacked = MADDPG(agents, MADDPGConfig(**overrides), "cpu")
    assert not per_agent.stacked and stacked.stacked
    stacked.load_full_state_dict(per_agent.full_state_dict())
    if double:
        per_agent.double(), stacked.double()
    return per_agent, stacked


def as_double(batch: dict) -> dict:
    return {k: [x.double() for x in v] if isinstance(v, list) else v.double() for k, v in batch.items()}


def assert_same_state(a: MADDPG, b: MADDPG, atol: float = 1e-5) -> None:
    sa, sb = a.full_state_dict(), b.full_state_dict()
    assert sa["networks"].keys() == sb["networks"].keys()
    for key, value in sa["networks"].items():
        assert torch.allclose(value, sb["networks"][key], atol=atol), key
    for name in ("actor_optimizer", "critic_optimizer"):
        state_a, state_b = sa[name]["state"], sb[name]["state"]
        assert state_a.keys() == state_b.keys()
        for index, entry in state_a.items():
            for key, value in entry.items():
                assert torch.allclose(value, state_b[index][key], atol=atol), (name, index, key)


@pytest.mark.parametrize("continuous", [True, False])
def test_stacked_losses_and_updates_equal_the_per_agent_path(continuous):
    agents = equal_agents(continuous)
    # a small clip norm so clipping binds, and differently for each agent (per-agent norms)
    torch.set_default_dtype(torch.float64)  # noise drawn inside the losses in float64 too
    try:
        check_updates(agents, continuous)
    finally:
        torch.set_default_dtype(torch.float32)


def check_updates(agents: list[AgentSpace], continuous: bool) -> None:
    per_agent, stacked = pair(agents, double=True, max_grad_norm=0.05, tau=0.1, lr_actor=0.01, lr_critic=0.01)
    batch = as_double(batch_of(agents, seed=1))

    torch.manual_seed(7)  # the same Gumbel noise for both (discrete agents sample next actions)
    targets = per_agent.critic_targets(batch)
    torch.manual_seed(7)
    stacked_targets = stacked.critic_targets(batch)
    for i in range(len(agents)):
        assert torch.allclose(targets[i], stacked_targets[i], atol=1e-5)
        assert torch.allclose(per_agent.critic_loss(i, batch, targets[i]),
                              stacked.critic_loss(i, batch, targets[i]), atol=1e-5)
        if continuous or i == 0:  # (stacked, one agent's loss draws every agent's Gumbel noise, agent 0's first)
            torch.manual_seed(8)
            loss_a = per_agent.actor_loss(i, batch)
            torch.manual_seed(8)
            assert torch.allclose(loss_a, stacked.actor_loss(i, batch), atol=1e-5)

    for step in range(4):
        batch = as_double(batch_of(agents, seed=10 + step))
        torch.manual_seed(100 + step)
        metrics_a = per_agent.update(batch)
        torch.manual_seed(100 + step)
        metrics_s = stacked.update(batch)
        assert metrics_a["critic_loss"] == pytest.approx(metrics_s["critic_loss"], abs=1e-5)
        assert metrics_a["actor_loss"] == pytest.approx(metrics_s["actor_loss"], abs=1e-5)
    assert_same_state(per_agent, stacked)
    start = MADDPG(agents, MADDPGConfig(stack_agents=False), "cpu")
    assert not torch.allclose(start.full_state_dict()["networks"]["actors.0.0.weight"],
                              stacked.full_state_dict()["networks"]["actors.0.0.weight"]), "the updates moved"

    # acting: one batched forward pass gives each agent's own actor's actions
    per_agent.float(), stacked.float()
    obs = [np.random.default_rng(3).normal(size=(6, 5)).astype(np.float32) for _ in agents]
    for a, b in zip(per_agent.act(obs, explore=False), stacked.act(obs, explore=False)):
        assert np.allclose(a, b, atol=1e-5)


def test_clipping_is_per_agent():
    """Each agent's gradient is scaled by its own norm, as one clip_grad_norm_ per network."""
    agents = equal_agents(True)
    per_agent, stacked = pair(agents, max_grad_norm=1e-3)
    batch = batch_of(agents, seed=2)
    batch["rew"][:, 0] *= 100  # agent 0's critic gradient is far larger than the others'
    torch.manual_seed(0)
    per_agent.update(batch)
    torch.manual_seed(0)
    stacked.update(batch)
    assert_same_state(per_agent, stacked)


def test_team_critics_stack_when_teams_have_equal_shapes():
    agents = equal_agents(True, ("adversary", "adversary", "agent", "agent"))
    per_agent, stacked = pair(agents, critic_scope="team")
    assert stacked.critic_members == [[0, 1], [1, 0], [2, 3], [3, 2]]
    for step in range(2):
        batch = batch_of(agents, seed=20 + step)
        per_agent.update(batch)
        stacked.update(batch)
    assert_same_state(per_agent, stacked)


def test_checkpoints_load_across_layouts_and_bots_read_stacked_actors():
    agents = equal_agents(False)
    per_agent, stacked = pair(agents)
    for step in range(2):
        batch = batch_of(agents, seed=30 + step)
        torch.manual_seed(step)
        stacked.update(batch)
    # a stacked run's checkpoint (per-network layout, Adam moments included) loads into the old path
    reloaded = MADDPG(agents, MADDPGConfig(stack_agents=False), "cpu")
    reloaded.load_full_state_dict(stacked.full_state_dict())
    assert_same_state(reloaded, stacked, atol=0.0)
    assert reloaded.full_state_dict()["actor_optimizer"]["state"], "Adam moments carried over"
    # a checkpoint of another model is one clear error (the run loader turns it into one line)
    other = MADDPG(equal_agents(False, ("agent", "agent")), MADDPGConfig(), "cpu")
    with pytest.raises((KeyError, ValueError, RuntimeError)):
        other.load_full_state_dict(stacked.full_state_dict())

    assert isinstance(stacked.actors, StackedMLP) and len(stacked.actors) == 3
    nets = list(stacked.actors)  # what bots hold: standalone copies, one per agent
    obs = torch.randn(4, 5)
    for i, net in enumerate(nets):
        assert torch.allclose(net(obs), stacked.actors(obs.expand(3, 4, 5))[i], atol=1e-6)
        assert torch.allclose(net(obs), reloaded.actors[i](obs), atol=1e-6)


def test_agents_of_different_shapes_keep_one_network_each():
    import arena

    learner = MADDPG(agent_spaces(arena.make("simple_tag_v3", api="parallel")), MADDPGConfig(), "cpu")
    assert not learner.stacked
    shared = MADDPG(equal_agents(True), MADDPGConfig(share_parameters=True), "cpu")
    assert not shared.stacked and len(shared.actors) == 1
