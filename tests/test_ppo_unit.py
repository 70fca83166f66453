"""PPO pieces: GAE, the clipped losses, masks, recurrent resets, sharing, checkpoints, config."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from gymnasium import spaces
from pettingzoo import ParallelEnv

import arena
from arena.learner import Learner
from arena.marl.ppo import (
    ActorCritic,
    PPOBot,
    PPOConfig,
    PPOLearner,
    build_layout,
    compute_gae,
    make_ppo_learner,
    ppo_losses,
)

torch.set_num_threads(1)

TINY = dict(num_envs=4, num_steps=16, num_minibatches=2, update_epochs=2, hidden_sizes=(16,))


class MaskedChoice(ParallelEnv):
    """Two agents pick one of 4 actions; a random half of them is legal each step (``action_mask``
    in a dict observation). An illegal action raises, so a learner that ever samples one fails."""

    metadata = {"name": "masked_choice_v0"}
    possible_agents = ["player_0", "player_1"]

    def __init__(self) -> None:
        self.rng = np.random.default_rng(0)
        self.agents: list[str] = []
        self.masks: dict[str, np.ndarray] = {}
        self.t = 0

    def observation_space(self, agent: str) -> spaces.Space:
        return spaces.Dict({"observation": spaces.Box(0.0, 1.0, (4,), np.float32),
                            "action_mask": spaces.Box(0, 1, (4,), np.int8)})

    def action_space(self, agent: str) -> spaces.Space:
        return spaces.Discrete(4)

    def _observe(self) -> dict[str, dict[str, np.ndarray]]:
        out = {}
        for agent in self.agents:
            mask = np.zeros(4, np.int8)
            mask[self.rng.choice(4, size=2, replace=False)] = 1
            self.masks[agent] = mask
            out[agent] = {"observation": mask.astype(np.float32), "action_mask": mask}
        return out

    def reset(self, seed: int | None = None, options: dict | None = None):
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self.agents = list(self.possible_agents)
        self.t = 0
        return self._observe(), {a: {} for a in self.agents}

    def step(self, actions: dict[str, int]):
        for agent, action in actions.items():
            if not self.masks[agent][int(action)]:
                raise AssertionError(f"{agent} played illegal action {action} (mask {self.masks[agent]})")
        rewards = {a: float(actions[a] == np.flatnonzero(self.masks[a]).max()) for a in self.agents}
        self.t += 1
        done = self.t >= 5
        agents = list(self.agents)
        obs = self._observe()
        if done:
            self.agents = []
        return (obs, rewards, dict.fromkeys(agents, done), dict.fromkeys(agents, False), {a: {} for a in agents})


def test_gae_matches_hand_computation() -> None:
    # one row, 3 steps, episode ends after step 1 (index 1), then a new one starts at step 2
    rewards = torch.tensor([[1.0], [2.0], [3.0]])
    values = torch.tensor([[0.5], [1.0], [2.0]])
    dones = torch.tensor([[0.0], [1.0], [0.0]])
    last = torch.tensor([4.0])
    gamma, lam = 0.9, 0.8
    adv, ret = compute_gae(rewards, values, dones, last, gamma, lam)
    d2 = 3.0 + gamma * 4.0 - 2.0  # bootstraps from the value after the rollout
    a2 = d2
    d1 = 2.0 - 1.0  # episode ended: no bootstrap
    a1 = d1
    d0 = 1.0 + gamma * 1.0 - 0.5
    a0 = d0 + gamma * lam * a1
    assert torch.allclose(adv[:, 0], torch.tensor([a0, a1, a2]))
    assert torch.allclose(ret, adv + values)


def test_clipped_losses() -> None:
    old = torch.zeros(4)
    # ratios e^0.5 (clipped at 1.2 for a positive advantage), e^-0.5 (clipped at 0.8 for a negative one)
    new = torch.tensor([0.5, -0.5, 0.5, 0.0])
    adv = torch.tensor([1.0, -1.0, -2.0, 3.0])
    weights = torch.tensor([1.0, 1.0, 1.0, 0.0])  # last row ignored
    values_old = torch.tensor([0.0, 0.0, 0.0, 0.0])
    values_new = torch.tensor([1.0, 0.1, 0.0, 9.0])
    returns = torch.tensor([1.0, 1.0, 0.0, 0.0])
    out = ppo_losses(new, old, adv, values_new, values_old, returns, torch.ones(4), weights,
                     clip_eps=0.2, clip_value_loss=True)
    r = torch.exp(new)
    objective = [min(r[0] * 1.0, 1.2 * 1.0), min(r[1] * -1.0, 0.8 * -1.0), min(r[2] * -2.0, 1.2 * -2.0)]
    assert out["policy_loss"].item() == pytest.approx(-float(sum(objective)) / 3, rel=1e-5)
    # value: row 0 unclipped err 0 but clipped prediction 0.2 -> err 0.64; row 1: max(0.81, 0.81)
    assert out["value_loss"].item() == pytest.approx(0.5 * (0.64 + 0.81 + 0.0) / 3, rel=1e-5)
    assert out["clip_fraction"].item() == pytest.approx(1.0)
    unclipped = ppo_losses(new, old, adv, values_new, values_old, returns, torch.ones(4), weights,
                           clip_eps=0.2, clip_value_loss=False)
    assert unclipped["value_loss"].item() == pytest.approx(0.5 * (0.0 + 0.81 + 0.0) / 3, rel=1e-5)


def test_masks_are_never_violated() -> None:
    learner = PPOLearner(PPOConfig(**TINY))
    metrics = learner.learn(MaskedChoice, [], 400)  # the env raises on any illegal action
    assert metrics["steps"] >= 400
    bot = learner.bot(MaskedChoice(), seed=3)
    env = MaskedChoice()
    obs, _ = env.reset(seed=1)
    for _ in range(5):
        actions = bot.act_team(obs)
        for agent, action in actions.items():
            assert obs[agent]["action_mask"][action] == 1
        obs, *_ = env.step(actions)
    # an explicit mask argument is honoured too
    only = np.array([0, 0, 1, 0], np.int8)
    assert {bot.for_agent("player_0").act(np.zeros(4, np.float32), only) for _ in range(20)} == {2}


def test_recurrent_state_resets_at_episode_start() -> None:
    torch.manual_seed(0)
    model = ActorCritic(3, 3, True, PPOConfig(recurrent=True, lstm_size=8, hidden_sizes=(8,)))
    obs = torch.randn(2, 3)
    warm = (torch.randn(2, 8), torch.randn(2, 8))
    fresh_out, fresh_value, _ = model(obs, model.initial_state(2))
    out, value, _ = model(obs, warm, torch.tensor([1.0, 0.0]))
    assert torch.allclose(out[0], fresh_out[0]) and torch.allclose(value[0], fresh_value[0])
    assert not torch.allclose(out[1], fresh_out[1])


def test_recurrent_replay_reproduces_collection() -> None:
    """The update re-runs stored sequences (chunks, padding, resets inside chunks); before the first
    gradient step its log-probs must equal the collected ones, so the first minibatch's KL is ~0."""
    config = PPOConfig(num_envs=3, num_steps=23, num_minibatches=1, update_epochs=1, recurrent=True,
                       lstm_size=8, hidden_sizes=(8,), sequence_length=8)
    learner = PPOLearner(config)
    learner.bot(arena.make("rock_paper_scissors"))  # builds the network
    with torch.no_grad():  # make the policy depend strongly on the LSTM memory
        for model in learner.models.values():
            model.actor_head.weight.mul_(300.0)
    metrics = learner.learn(lambda: arena.make("rock_paper_scissors", num_rounds=5), [], 69)
    assert metrics["approx_kl"] < 1e-5
    assert metrics["clip_fraction"] == 0.0


def test_parameter_sharing_groups() -> None:
    tag = arena.make("mpe2.simple_tag_v3", continuous_actions=False)
    learner = PPOLearner(PPOConfig(**TINY))
    bot = learner.bot(tag)
    groups = {info.name: info.group for info in learner.layout}
    assert groups["adversary_0"] == groups["adversary_1"] == groups["adversary_2"] != groups["agent_0"]
    assert len(learner.models) == 2
    # the three predators use literally one network
    models = {id(bot.models[bot.info[a].group]) for a in ("adversary_0", "adversary_1", "adversary_2")}
    assert len(models) == 1
    assert len(PPOLearner(PPOConfig(sharing="agent", **TINY)).bot(tag).models) == 4

    soccer = arena.make("Soccer-2T2P")
    auto = build_layout(soccer, PPOConfig())
    assert len({i.group for i in auto}) == 1 and len({i.side for i in auto}) == 2
    team = build_layout(soccer, PPOConfig(sharing="team"))
    assert {i.name: i.group for i in team}["red_0"] == {i.name: i.group for i in team}["red_1"]
    assert len({i.group for i in team}) == 2
    custom = build_layout(soccer, PPOConfig(groups={"red_0": "striker"}))
    assert {i.name: i.group for i in custom}["red_0"] == "striker"
    with pytest.raises(ValueError, match="share network group"):
        build_layout(tag, PPOConfig(sharing="all"))
    with pytest.raises(ValueError, match="does not have"):
        build_layout(soccer, PPOConfig(groups={"green_0": "x"}))
    # an unbound bot cannot guess between two same-sized team networks
    team_bot = PPOLearner(PPOConfig(sharing="team", **TINY)).bot(soccer, seed=0)
    obs, _ = soccer.reset(seed=0)
    with pytest.raises(ValueError, match="for_agent"):
        team_bot.act(obs["red_0"])
    assert isinstance(team_bot.for_agent("red_0").act(obs["red_0"]), int)
    assert set(team_bot.act_team(obs)) == set(obs)


def _params(learner: PPOLearner) -> list[torch.Tensor]:
    return [p.detach().clone() for m in learner.models.values() for p in m.parameters()]


def test_state_dict_round_trip_and_clone_independence() -> None:
    make_env = lambda: arena.make("rock_paper_scissors")  # noqa: E731
    learner = PPOLearner(PPOConfig(recurrent=True, **TINY))
    learner.learn(make_env, [], 128)
    assert isinstance(learner, Learner)
    buffer = io.BytesIO()
    torch.save(learner.state_dict(), buffer)
    buffer.seek(0)
    restored = PPOLearner()
    restored.load_state_dict(torch.load(buffer, weights_only=True))
    assert restored.config == learner.config
    assert all(torch.equal(a, b) for a, b in zip(_params(learner), _params(restored)))
    # same RNG state -> the same continued training
    learner.learn(make_env, [], 64)
    restored.learn(make_env, [], 64)
    assert all(torch.allclose(a, b) for a, b in zip(_params(learner), _params(restored)))

    twin = learner.clone()
    before = _params(learner)
    frozen = learner.bot(make_env(), seed=5)
    frozen_params = [p.clone() for m in frozen.models.values() for p in m.parameters()]
    twin.learn(make_env, [], 128)
    assert all(torch.equal(a, b) for a, b in zip(before, _params(learner)))  # the original is untouched
    assert not all(torch.equal(a, b) for a, b in zip(before, _params(twin)))
    learner.learn(make_env, [], 128)
    assert all(torch.equal(a, p) for a, p in zip(frozen_params, (p for m in frozen.models.values()
                                                                   for p in m.parameters())))


def test_set_hyperparameters_reaches_the_optimiser() -> None:
    learner = PPOLearner(PPOConfig(**TINY))
    learner.bot(arena.make("rock_paper_scissors"))
    learner.set_hyperparameters({"lr": 0.01, "entropy_coef": 0.02})
    assert learner.hyperparameters["lr"] == 0.01 and learner.config.entropy_coef == 0.02
    assert all(g["lr"] == 0.01 for o in learner.optimizers.values() for g in o.param_groups)
    with pytest.raises(ValueError, match="no tunable hyperparameter 'gamma'"):
        learner.set_hyperparameters({"gamma": 0.5})
    with pytest.raises(ValueError, match="lr must be > 0"):
        learner.set_hyperparameters({"lr": -1.0})


@pytest.mark.parametrize(("field", "value", "message"), [
    ("lr", 0.0, "lr must be > 0"),
    ("gamma", 1.5, r"gamma must be in \(0, 1\]"),
    ("gae_lambda", -0.1, r"gae_lambda must be in \[0, 1\]"),
    ("num_envs", 0, "num_envs must be an integer >= 1"),
    ("hidden_sizes", (), "hidden_sizes must be a non-empty list"),
    ("sharing", "teams", "sharing must be one of auto, team, agent, all"),
    ("entropy_coef", -1.0, "entropy_coef must be >= 0"),
    ("recurrent", "yes", "recurrent must be true or false"),
    ("device", "tpu", "device must be"),
])
def test_config_validation(field: str, value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PPOConfig(**{field: value})


def test_from_dict_names_unknown_fields() -> None:
    with pytest.raises(ValueError, match="unknown field 'learning_rate'"):
        make_ppo_learner({"learning_rate": 1e-3})
    assert make_ppo_learner({"lr": 1e-3}).config.lr == 1e-3
    continuous = PPOConfig.arena_continuous()
    assert (continuous.lr, continuous.update_epochs, continuous.gamma) == (3e-4, 10, 0.995)


def test_continuous_actions_stay_in_bounds() -> None:
    make_env = lambda: arena.make("mpe2.simple_spread_v3", continuous_actions=True, max_cycles=10)  # noqa: E731
    learner = PPOLearner(PPOConfig(**TINY))
    metrics = learner.learn(make_env, [], 80)
    assert np.isfinite(metrics["value_loss"])
    env = make_env()
    bot = learner.bot(env, seed=0)
    assert isinstance(bot, PPOBot)
    obs, _ = env.reset(seed=0)
    for action in bot.act_team(obs).values():
        space = env.action_space("agent_0")
        assert action.shape == space.shape and space.contains(action.astype(space.dtype))
