"""PPO for simultaneous-move (real-time) games: one file, read top to bottom, CleanRL style.

Works on any PettingZoo ``ParallelEnv`` from :func:`arena.make` (``rock_paper_scissors``, the
``mpe2.*`` envs, the 2-D games of :mod:`games.arena2d`, ...). Sections:

1. :class:`PPOConfig` -- every hyperparameter, with the source of its default;
2. pure functions: :func:`compute_gae` and :func:`ppo_losses` (the update equations);
3. :class:`ActorCritic` -- orthogonally initialised MLP actor and critic (optional LSTM);
4. the *layout* of a game: who is on which side, which agents share a network;
5. :class:`PPOBot` -- a frozen policy that plays in matches;
6. :class:`PPOLearner` -- the :class:`arena.learner.Learner` the leagues drive.

``K`` env copies are stepped in lockstep by :func:`arena.env.vector.make_vector_env`: the game's own
batched engine when it has one (the 2-D games, the particle worlds ``simple_spread_v3``, ...), else a
list of env copies.

**MAPPO / IPPO.** ``critic="local"`` (IPPO, the default) gives each agent's value function its own
observation; ``critic="central"`` (MAPPO) gives it the observations of every agent of its team
(the social tree's team, else the name prefix: all of simple_spread, the predators of simple_tag),
its own first and then its team-mates' in agent order (the policy still sees only its own). The
central value is a training-time input only: bots and matches need nothing else.
``MAPPO_PRESET`` (``arena train ppo GAME --preset mappo``) adds what MAPPO needs to learn well on
the particle worlds: value normalisation (``value_norm``) and a seat one-hot for networks that
team-mates share (``agent_ids``). A time limit never ends the return: a truncated step's target
bootstraps from the value of the observation the limit cut off (``bootstrap_truncation``).

**Sides and seats.** Agents are grouped into *sides* (the top level of the game's social tree when
the env has one -- ``red``/``blue`` in the 2-D games -- else the name prefix before ``/`` or a
trailing ``_<digits>``: ``adversary_*`` vs ``agent_*`` in mpe2; a game whose agents all share one
prefix, such as ``player_0``/``player_1``, has one side per agent). ``learn(make_env, opponents,
steps)`` gives the learner one side per episode (alternating) and lets one frozen opponent bot
(drawn uniformly per episode) play every other side. With no opponents the learner plays every seat
(self-play against its own current policy) and learns from all of them.

**Parameter sharing.** Agents in one *group* share one network. ``sharing="auto"`` (default)
groups agents by team and merges teams whose observation and action spaces are identical (so one
network plays either side of a symmetric game: ``red_*``/``blue_*`` in Soccer, ``player_0``/
``player_1`` in RPS, all of simple_spread; mpe2 predators and prey keep their own networks).
``"team"`` gives each team its own network, ``"agent"`` each agent, ``"all"`` one for everyone;
``groups={agent: name}`` overrides any of them.

**The bot interface** (what a league uses): :meth:`PPOLearner.bot` returns a :class:`PPOBot`.

* ``act(observation, action_mask=None)`` -- ONE agent's view for one step -> that agent's action
  (``int`` for Discrete actions, a float32 array for Box actions). ``observation`` is exactly what
  the env returned for that agent (an array, or a dict with ``observation``/``action_mask``).
  The bot must know which network to use: bind it with ``bot.for_agent(name)`` (a view that shares
  the frozen weights and keeps its own recurrent memory), or leave it unbound when the
  observation size picks a unique network (always true with ``sharing="auto"`` unless two
  different-role networks see the same observation size, in which case ``act`` raises a clear
  error).
* ``act_team(observations, action_masks=None)`` -- a whole side at once: ``{agent: obs}`` ->
  ``{agent: action}``; recurrent memory is kept per agent name. Use this for xTyP games.
* ``act_batch(agent, observations[B, ...], action_masks[B, A] | None, state, starts[B])`` -- the
  batched form used by the learner's collectors (one network call for ``B`` env copies).
* ``reset()`` -- forget recurrent memory (call at the start of every game).

Bots sample from the policy (seeded by ``seed``); ``deterministic=True`` plays the mode instead.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from torch import nn

from arena.env.vector import VectorEnv, VectorStep, make_vector_env

# =============================================================================================
# 1. Configuration
# =============================================================================================

SHARING_MODES = ("auto", "team", "agent", "all")
CRITIC_MODES = ("local", "central")


@dataclass
class PPOConfig:
    """PPO hyperparameters.

    Defaults are the discrete-action settings of the Arena book (chapter 17, the ``main.py
    --trainer ppo`` command for the ``*-Discrete`` games, pytorch-a2c-ppo-acktr flags): ``--lr 2.5e-4
    --value-loss-coef 0.5 --ppo-epoch 4 --num-processes 16 --num-steps 1024 --num-mini-batch 16
    --entropy-coef 0.01 --clip-param 0.1 --use-gae --tau 0.95 --normalize-obs`` and that trainer's
    defaults where the command is silent (gamma 0.99, max-grad-norm 0.5, Adam eps 1e-5, clipped
    value loss, 64-unit tanh MLP). :meth:`arena_continuous` gives the book's continuous-action
    command (lr 3e-4, 10 epochs, 2048 steps, entropy 0, gamma 0.995, clip 0.2).
    """

    lr: float = 2.5e-4  # Adam step size (book: --lr 2.5e-4)
    adam_eps: float = 1e-5  # Adam epsilon (a2c-ppo-acktr default)
    total_steps: int | None = None  # if set, lr decays linearly to 0 over this many env steps (book: --use-linear-lr-decay)
    gamma: float = 0.99  # discount (a2c-ppo-acktr default; the book's continuous command uses 0.995)
    gae_lambda: float = 0.95  # GAE lambda (book: --tau 0.95)
    clip_eps: float = 0.1  # surrogate clip range epsilon (book: --clip-param 0.1)
    clip_value_loss: bool = True  # clip the value update to +-clip_eps around the old value (a2c-ppo-acktr default)
    value_coef: float = 0.5  # value loss weight (book: --value-loss-coef 0.5)
    entropy_coef: float = 0.01  # entropy bonus beta (book: --entropy-coef 0.01)
    max_grad_norm: float = 0.5  # global gradient-norm clip (a2c-ppo-acktr default)
    normalize_advantages: bool = True  # per-minibatch advantage normalisation
    value_norm: bool = False  # value head predicts returns scaled by their running mean/std (MAPPO's ValueNorm)
    bootstrap_truncation: bool = True  # a time-limit end adds gamma * V(last observation) to the last reward
    num_envs: int = 16  # env copies collected in lockstep (book: --num-processes 16)
    env_threads: int = 1  # numba threads of a batched world (particle worlds, 2-D games); lists of envs use one
    num_steps: int = 1024  # rollout length per copy between updates (book: --num-steps 1024)
    num_minibatches: int = 16  # minibatches per epoch (book: --num-mini-batch 16)
    update_epochs: int = 4  # passes over each rollout (book: --ppo-epoch 4)
    hidden_sizes: tuple[int, ...] = (64, 64)  # MLP widths (a2c-ppo-acktr MLPBase: 2 x 64, tanh)
    activation: str = "tanh"  # "tanh" or "relu"
    recurrent: bool = False  # LSTM policy (the book trains with --recurrent-brain; off here for speed on vector obs)
    lstm_size: int = 64  # LSTM hidden units
    sequence_length: int = 32  # truncated-BPTT chunk length for the recurrent update
    init_log_std: float = 0.0  # initial log standard deviation of Gaussian (Box) actions
    normalize_obs: bool = True  # running mean/std observation normalisation (book: --normalize-obs)
    agent_ids: bool = False  # append a one-hot of the agent's seat in its network group to its inputs
    obs_clip: float = 10.0  # clip normalised observations to +-obs_clip (VecNormalize default)
    sharing: str = "auto"  # parameter sharing: auto | team | agent | all (see the module docstring)
    critic: str = "local"  # value input: local (own observation, IPPO) | central (the team's observations, MAPPO)
    groups: dict[str, str] = field(default_factory=dict)  # agent -> network group name (overrides sharing)
    sides: dict[str, str] = field(default_factory=dict)  # agent -> side name (overrides the automatic sides)
    side_choice: str = "alternate"  # learner's side per episode vs opponents: alternate | random
    device: str = "auto"  # "auto" (cuda if available), "cpu", "cuda", "cuda:1", ...
    seed: int = 0

    def __post_init__(self) -> None:
        self.hidden_sizes = tuple(self.hidden_sizes)
        self.groups = dict(self.groups)
        self.sides = dict(self.sides)
        self.validate()

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first bad field and how to fix it."""

        def bad(name: str, need: str) -> ValueError:
            return ValueError(f"ppo config: {name} must be {need} (got {getattr(self, name)!r})")

        def number(name: str) -> float:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise bad(name, "a finite number")
            return float(value)

        def integer(name: str, low: int) -> None:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise bad(name, f"an integer >= {low}")

        for name in ("lr", "adam_eps", "clip_eps", "max_grad_norm", "obs_clip"):
            if number(name) <= 0:
                raise bad(name, "> 0")
        for name in ("value_coef", "entropy_coef"):
            if number(name) < 0:
                raise bad(name, ">= 0")
        if not 0 < number("gamma") <= 1:
            raise bad("gamma", "in (0, 1]")
        if not 0 <= number("gae_lambda") <= 1:
            raise bad("gae_lambda", "in [0, 1]")
        number("init_log_std")
        for name, low in (("num_envs", 1), ("env_threads", 1), ("num_steps", 1), ("num_minibatches", 1), ("update_epochs", 1),
                          ("lstm_size", 1), ("sequence_length", 1)):
            integer(name, low)
        if self.total_steps is not None:
            integer("total_steps", 1)
        for name in ("clip_value_loss", "normalize_advantages", "recurrent", "normalize_obs", "value_norm",
                     "bootstrap_truncation", "agent_ids"):
            if not isinstance(getattr(self, name), bool):
                raise bad(name, "true or false")
        if not self.hidden_sizes or not all(isinstance(w, int) and not isinstance(w, bool) and w > 0
                                            for w in self.hidden_sizes):
            raise bad("hidden_sizes", "a non-empty list of positive integers, e.g. [64, 64]")
        if self.activation not in ("tanh", "relu"):
            raise bad("activation", "'tanh' or 'relu'")
        if self.sharing not in SHARING_MODES:
            raise bad("sharing", "one of " + ", ".join(SHARING_MODES))
        if self.critic not in CRITIC_MODES:
            raise bad("critic", "'local' (IPPO) or 'central' (MAPPO)")
        if self.critic == "central" and self.recurrent:
            raise ValueError("ppo config: critic='central' needs a feed-forward network (recurrent=false)")
        if self.side_choice not in ("alternate", "random"):
            raise bad("side_choice", "'alternate' or 'random'")
        for name in ("groups", "sides"):
            if not all(isinstance(k, str) and isinstance(v, str) and v for k, v in getattr(self, name).items()):
                raise bad(name, "a mapping of agent name -> non-empty name")
        if not isinstance(self.device, str) or not (self.device in ("auto", "cpu") or self.device.startswith("cuda")):
            raise bad("device", "'auto', 'cpu' or 'cuda[:N]'")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise bad("seed", "an integer")

    @classmethod
    def arena_continuous(cls, **overrides: Any) -> PPOConfig:
        """The book's continuous-action command: ``--lr 3e-4 --ppo-epoch 10 --num-steps 2048
        --entropy-coef 0 --gamma 0.995`` (clip 0.2 is the trainer's default)."""
        values: dict[str, Any] = dict(lr=3e-4, update_epochs=10, num_steps=2048, entropy_coef=0.0,
                                      gamma=0.995, clip_eps=0.2)
        values.update(overrides)
        return cls(**values)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> PPOConfig:
        """Build from plain values (a recipe or a checkpoint); unknown fields are named in the error."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"ppo config: unknown field '{unknown[0]}' (valid: {', '.join(sorted(known))})")
        return cls(**dict(values))

    def to_dict(self) -> dict[str, Any]:
        """Plain values only (lists, dicts, numbers, strings), for checkpoints."""
        out = asdict(self)
        out["hidden_sizes"] = list(self.hidden_sizes)
        return out


# MAPPO on the particle worlds (``arena train ppo GAME --preset mappo``): the MAPPO paper's MPE
# settings (Yu et al. 2022, "The Surprising Effectiveness of PPO in Cooperative Multi-Agent Games":
# central value, value normalisation with a clipped value loss, one minibatch per epoch, clip 0.2,
# GAE 0.95, ReLU MLPs, gradient norm 10), with what measured better on simple_spread in Arena
# (docs/ppo.md, "MAPPO on simple_spread"): a seat one-hot for the shared network (agent_ids), 32
# copies x 25 steps per update instead of 128 (four times the updates per env step), 10 epochs and
# lr 2e-3 (the paper: 15 and 7e-4), gamma 0.9 for 25-step episodes (the paper: 0.99; 0.9 reached
# -10 in half the steps of 0.95; 0.99 was at -13.6 after 4 M steps), 128-unit layers (the paper: 64)
# and entropy 0.03 (the paper: 0.01, with which the entropy collapsed while the return was near -15).
MAPPO_PRESET: dict[str, Any] = {
    "critic": "central", "agent_ids": True, "num_envs": 32, "num_steps": 25, "update_epochs": 10,
    "num_minibatches": 1, "lr": 2e-3, "clip_eps": 0.2, "entropy_coef": 0.03, "gamma": 0.9, "gae_lambda": 0.95,
    "hidden_sizes": [128, 128], "activation": "relu", "value_norm": True, "clip_value_loss": True,
    "max_grad_norm": 10.0, "bootstrap_truncation": True,
}


def resolve_device(name: str) -> torch.device:
    """``"auto"`` -> cuda when available, else cpu; otherwise ``torch.device(name)``."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"ppo config: device '{name}' asked for, but torch sees no CUDA device; use 'cpu' or 'auto'")
    return torch.device(name)


# =============================================================================================
# 2. The update equations (pure functions)
# =============================================================================================


def compute_gae(rewards: torch.Tensor, values: torch.Tensor, dones: torch.Tensor, last_values: torch.Tensor,
                gamma: float, gae_lambda: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Generalised advantage estimation over a rollout of ``T`` steps and ``R`` rows.

    ``rewards``, ``values``, ``dones``: ``[T, R]``; ``dones[t]`` = 1 when the row's episode ended
    at step ``t`` (so step ``t + 1`` is not its future); ``last_values``: ``[R]`` value of the state
    after the last step. Returns ``(advantages, returns)``, both ``[T, R]``, with
    ``delta_t = r_t + gamma (1 - d_t) V_{t+1} - V_t`` and
    ``A_t = delta_t + gamma lambda (1 - d_t) A_{t+1}``.
    """
    steps = rewards.shape[0]
    advantages = torch.zeros_like(rewards)
    next_advantage = torch.zeros_like(last_values)
    next_value = last_values
    for t in reversed(range(steps)):
        not_done = 1.0 - dones[t]
        delta = rewards[t] + gamma * not_done * next_value - values[t]
        next_advantage = delta + gamma * gae_lambda * not_done * next_advantage
        advantages[t] = next_advantage
        next_value = values[t]
    return advantages, advantages + values


def _weighted_mean(x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    return (x * weights).sum() / weights.sum().clamp_min(1.0)


def ppo_losses(new_logp: torch.Tensor, old_logp: torch.Tensor, advantages: torch.Tensor,
               new_values: torch.Tensor, old_values: torch.Tensor, returns: torch.Tensor,
               entropy: torch.Tensor, weights: torch.Tensor, *, clip_eps: float,
               clip_value_loss: bool) -> dict[str, torch.Tensor]:
    """PPO-Clip losses over a minibatch (every argument has the same shape, e.g. ``[L, S]``).

    ``weights`` (0/1) drop rows the learner did not play (opponents' seats, dead agents, padding).
    Returns ``policy_loss = -E[min(rho A, clip(rho, 1-eps, 1+eps) A)]``, ``value_loss = 0.5 E[(V-R)^2]``
    (with the clipped variant ``0.5 E[max((V-R)^2, (V_old + clip(V-V_old, -eps, eps) - R)^2)]``),
    ``entropy``, ``approx_kl`` (the low-variance ``E[(rho - 1) - log rho]``) and ``clip_fraction``.
    """
    log_ratio = new_logp - old_logp
    ratio = log_ratio.exp()
    unclipped = ratio * advantages
    clipped = ratio.clamp(1.0 - clip_eps, 1.0 + clip_eps) * advantages
    policy_loss = -_weighted_mean(torch.min(unclipped, clipped), weights)
    value_error = (new_values - returns) ** 2
    if clip_value_loss:
        clipped_values = old_values + (new_values - old_values).clamp(-clip_eps, clip_eps)
        value_error = torch.max(value_error, (clipped_values - returns) ** 2)
    value_loss = 0.5 * _weighted_mean(value_error, weights)
    with torch.no_grad():
        approx_kl = _weighted_mean((ratio - 1.0) - log_ratio, weights)
        clip_fraction = _weighted_mean(((ratio - 1.0).abs() > clip_eps).float(), weights)
    return {"policy_loss": policy_loss, "value_loss": value_loss, "entropy": _weighted_mean(entropy, weights),
            "approx_kl": approx_kl, "clip_fraction": clip_fraction}


# =============================================================================================
# 3. Network
# =============================================================================================


def layer_init(layer: nn.Linear, std: float = math.sqrt(2.0), bias: float = 0.0) -> nn.Linear:
    """Orthogonal weights with gain ``std`` and constant bias (the PPO implementation detail)."""
    nn.init.orthogonal_(layer.weight, std)
    nn.init.constant_(layer.bias, bias)
    return layer


def _trunk(in_dim: int, hidden_sizes: Sequence[int], activation: str) -> nn.Sequential:
    act = nn.Tanh if activation == "tanh" else nn.ReLU
    layers: list[nn.Module] = []
    last = in_dim
    for width in hidden_sizes:
        layers += [layer_init(nn.Linear(last, width)), act()]
        last = width
    return nn.Sequential(*layers)


State = tuple[torch.Tensor, torch.Tensor]  # LSTM (h, c), each [B, lstm_size]


class ActorCritic(nn.Module):
    """Actor and critic for one network group.

    Feed-forward: separate actor and critic MLPs (``[B, obs_dim] -> [B, A]`` and
    ``[B, critic_dim] -> [B]``; ``critic_dim`` is ``obs_dim`` unless the value is central).
    Recurrent: a shared MLP encoder, an ``LSTMCell`` and two linear heads. Policy heads start
    near uniform (gain 0.01), the value head with gain 1.
    """

    def __init__(self, obs_dim: int, action_dim: int, discrete: bool, config: PPOConfig,
                 critic_dim: int | None = None) -> None:
        super().__init__()
        self.input_dim = obs_dim
        self.discrete = discrete
        self.recurrent = config.recurrent
        self.lstm_size = config.lstm_size
        hidden = config.hidden_sizes
        if self.recurrent:
            self.encoder = _trunk(obs_dim, hidden, config.activation)
            self.lstm = nn.LSTMCell(hidden[-1], config.lstm_size)
            nn.init.orthogonal_(self.lstm.weight_ih)
            nn.init.orthogonal_(self.lstm.weight_hh)
            nn.init.zeros_(self.lstm.bias_ih)
            nn.init.zeros_(self.lstm.bias_hh)
            self.actor_head = layer_init(nn.Linear(config.lstm_size, action_dim), std=0.01)
            self.critic_head = layer_init(nn.Linear(config.lstm_size, 1), std=1.0)
        else:
            self.actor = nn.Sequential(_trunk(obs_dim, hidden, config.activation),
                                       layer_init(nn.Linear(hidden[-1], action_dim), std=0.01))
            self.critic = nn.Sequential(_trunk(critic_dim or obs_dim, hidden, config.activation),
                                        layer_init(nn.Linear(hidden[-1], 1), std=1.0))
        if not discrete:
            self.log_std = nn.Parameter(torch.full((action_dim,), float(config.init_log_std)))

    def initial_state(self, batch: int, device: torch.device | None = None) -> State | None:
        """Zero LSTM state ``([B, H], [B, H])``, or None for a feed-forward network."""
        if not self.recurrent:
            return None
        zeros = torch.zeros(batch, self.lstm_size, device=device)
        return zeros, zeros.clone()

    def forward(self, obs: torch.Tensor, state: State | None = None, starts: torch.Tensor | None = None,
                critic_obs: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, State | None]:
        """One step: ``obs [B, obs_dim]`` -> ``(policy output [B, A], value [B], next state)``.

        ``starts [B]`` (1 = a new episode begins at this step) zeroes the LSTM state of those rows
        before the step, so memory never crosses an episode boundary. ``critic_obs
        [B, critic_dim]`` is the central value's input (feed-forward only).
        """
        if not self.recurrent:
            value_input = obs if critic_obs is None else critic_obs
            return self.actor(obs), self.critic(value_input).squeeze(-1), None
        assert state is not None
        h, c = state
        if starts is not None:
            keep = (1.0 - starts.float()).unsqueeze(-1)
            h, c = h * keep, c * keep
        h, c = self.lstm(self.encoder(obs), (h, c))
        return self.actor_head(h), self.critic_head(h).squeeze(-1), (h, c)


    def policy(self, obs: torch.Tensor, state: State | None = None,
               starts: torch.Tensor | None = None) -> tuple[torch.Tensor, State | None]:
        """Like :meth:`forward` without the critic (acting only): ``(policy output [B, A], next state)``."""
        if not self.recurrent:
            return self.actor(obs), None
        assert state is not None
        h, c = state
        if starts is not None:
            keep = (1.0 - starts.float()).unsqueeze(-1)
            h, c = h * keep, c * keep
        h, c = self.lstm(self.encoder(obs), (h, c))
        return self.actor_head(h), (h, c)


def masked_logits(logits: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Illegal actions (``mask == 0``) get a logit so low that their probability is exactly 0."""
    if mask is None:
        return logits
    return torch.where(mask.bool(), logits, torch.full_like(logits, -1e9))


def log_prob_entropy(model: ActorCritic, out: torch.Tensor, actions: torch.Tensor,
                     mask: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Log-probability of ``actions`` and entropy under the policy ``out`` (``[B, A]``)."""
    if model.discrete:
        logp_all = torch.log_softmax(masked_logits(out, mask), dim=-1)
        probs = logp_all.exp()
        entropy = -(probs * logp_all).sum(-1)  # illegal actions: 0 * (-1e9) = 0, never NaN
        return logp_all.gather(-1, actions.long().unsqueeze(-1)).squeeze(-1), entropy
    log_std = model.log_std.expand_as(out)
    logp = (-0.5 * ((actions - out) / log_std.exp()) ** 2 - log_std - 0.5 * math.log(2 * math.pi)).sum(-1)
    entropy = (0.5 + 0.5 * math.log(2 * math.pi) + log_std).sum(-1)
    return logp, entropy


def sample_actions(model: ActorCritic, out: torch.Tensor, mask: torch.Tensor | None,
                   generator: torch.Generator | None, deterministic: bool = False) -> torch.Tensor:
    """Draw actions ``[B]`` (discrete) or ``[B, A]`` (Gaussian) from the policy output."""
    if model.discrete:
        logits = masked_logits(out, mask)
        if deterministic:
            return logits.argmax(-1)
        return torch.multinomial(torch.softmax(logits, -1), 1, generator=generator).squeeze(-1)
    if deterministic:
        return out
    noise = torch.randn(out.shape, generator=generator, device=out.device, dtype=out.dtype)
    return out + model.log_std.exp() * noise


class RunningMeanStd:
    """Running mean and variance of observations ``[obs_dim]`` (parallel Welford update)."""

    def __init__(self, dim: int) -> None:
        self.mean = np.zeros(dim, np.float64)
        self.var = np.ones(dim, np.float64)
        self.count = 1e-4

    def update(self, batch: np.ndarray) -> None:
        """Fold in a batch ``[B, obs_dim]``."""
        if len(batch) == 0:
            return
        mean, var, count = batch.mean(0), batch.var(0), len(batch)
        delta = mean - self.mean
        total = self.count + count
        self.mean = self.mean + delta * count / total
        self.var = (self.var * self.count + var * count + delta ** 2 * self.count * count / total) / total
        self.count = total

    def normalize(self, obs: np.ndarray, clip: float) -> np.ndarray:
        return np.clip((obs - self.mean) / np.sqrt(self.var + 1e-8), -clip, clip).astype(np.float32)

    def state_dict(self) -> dict[str, Any]:
        return {"mean": torch.from_numpy(self.mean.copy()), "var": torch.from_numpy(self.var.copy()),
                "count": float(self.count)}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.mean = state["mean"].numpy().astype(np.float64).copy()
        self.var = state["var"].numpy().astype(np.float64).copy()
        self.count = float(state["count"])


class ValueNormalizer:
    """Running mean and variance of a group's value targets (``value_norm``): the critic learns
    ``(G - mean) / std`` and the learner reads ``mean + std * V`` (MAPPO's ValueNorm), so returns
    of any scale give value gradients of order one."""

    def __init__(self) -> None:
        self.stats = RunningMeanStd(1)

    def update(self, returns: torch.Tensor) -> None:
        """Fold in the value targets of the rows the learner played (a flat tensor)."""
        self.stats.update(returns.detach().double().cpu().numpy().reshape(-1, 1))

    def _moments(self) -> tuple[float, float]:
        return float(self.stats.mean[0]), float(np.sqrt(self.stats.var[0] + 1e-8))

    def normalize(self, values: torch.Tensor) -> torch.Tensor:
        mean, std = self._moments()
        return (values - mean) / std

    def denormalize(self, values: torch.Tensor) -> torch.Tensor:
        mean, std = self._moments()
        return values * std + mean

    def state_dict(self) -> dict[str, Any]:
        return self.stats.state_dict()

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.stats.load_state_dict(state)


# =============================================================================================
# 4. Layout: sides, teams, network groups
# =============================================================================================


@dataclass(frozen=True)
class AgentInfo:
    """One agent as the learner sees it. ``dict_obs``: the env's observation is a dict with
    ``observation`` (and possibly ``action_mask``) entries."""

    name: str
    side: str
    team: str
    group: str
    obs_dim: int
    discrete: bool
    action_dim: int
    dict_obs: bool
    low: tuple[float, ...] = ()
    high: tuple[float, ...] = ()


def name_prefix(agent: str) -> str:
    """Team prefix of an agent name: ``team_0/agent_1`` -> ``team_0``, ``adversary_2`` -> ``adversary``,
    ``red`` -> ``red``."""
    if "/" in agent:
        return agent.split("/", 1)[0]
    head, sep, tail = agent.rpartition("_")
    return head if sep and tail.isdigit() else agent


def _space_info(env: Any, agent: str) -> tuple[int, bool, int, bool, tuple[float, ...], tuple[float, ...]]:
    obs_space = env.observation_space(agent)
    dict_obs = isinstance(obs_space, spaces.Dict)
    if dict_obs:
        if "observation" not in obs_space.spaces:
            raise ValueError(f"agent '{agent}': dict observations need an 'observation' entry for PPO")
        obs_space = obs_space["observation"]
    if not isinstance(obs_space, spaces.Box):
        raise ValueError(f"agent '{agent}' has a {type(obs_space).__name__} observation space; PPO needs Box "
                         "observations (flatten other spaces with a wrapper first)")
    act_space = env.action_space(agent)
    if isinstance(act_space, spaces.Discrete):
        return int(np.prod(obs_space.shape)), True, int(act_space.n), dict_obs, (), ()
    if isinstance(act_space, spaces.Box):
        low = np.asarray(act_space.low, np.float64).reshape(-1)
        high = np.asarray(act_space.high, np.float64).reshape(-1)
        return (int(np.prod(obs_space.shape)), False, int(low.size), dict_obs,
                tuple(float(x) for x in low), tuple(float(x) for x in high))
    raise ValueError(f"agent '{agent}' has a {type(act_space).__name__} action space; PPO supports Discrete and Box")


def build_layout(env: Any, config: PPOConfig) -> list[AgentInfo]:
    """Describe every ``possible_agent`` of ``env``: its side, team, network group and spaces."""
    agents = list(env.possible_agents)
    unknown = sorted((set(config.groups) | set(config.sides)) - set(agents))
    if unknown:
        raise ValueError(f"ppo config names agent '{unknown[0]}', which this game does not have "
                         f"(agents: {', '.join(agents)})")
    tree = getattr(env, "social_tree", None)
    sides: dict[str, str] = {}
    teams: dict[str, str] = {}
    for agent in agents:
        path = None
        if tree is not None and hasattr(tree, "leaf_of"):
            try:
                path = tuple(tree.leaf_of(agent))
            except (KeyError, ValueError):
                path = None
        if path:
            sides[agent] = "side" + ".".join(map(str, path[:1]))
            teams[agent] = "team" + ".".join(map(str, path[:-1] if len(path) >= 2 else path))
        else:
            sides[agent] = teams[agent] = name_prefix(agent)
    if len(set(sides.values())) == 1 and len(agents) > 1:
        sides = {a: a for a in agents}  # e.g. player_0 / player_1: every agent is its own side
    sides.update(config.sides)
    specs = {a: _space_info(env, a) for a in agents}
    groups: dict[str, str] = {}
    for agent in agents:
        if config.sharing == "agent":
            groups[agent] = agent
        elif config.sharing == "all":
            groups[agent] = "all"
        else:
            groups[agent] = teams[agent]
    if config.sharing == "auto":
        # merge teams whose spaces are identical: one network plays every mirror-image team
        by_signature: dict[tuple, str] = {}
        for agent in agents:
            by_signature.setdefault(specs[agent], groups[agent])
        groups = {a: by_signature[specs[a]] for a in agents}
    groups.update(config.groups)
    layout = [AgentInfo(a, sides[a], teams[a], groups[a], *specs[a][:4], *specs[a][4:]) for a in agents]
    for group in dict.fromkeys(groups.values()):
        members = [info for info in layout if info.group == group]
        first = members[0]
        for other in members[1:]:
            if (other.obs_dim, other.discrete, other.action_dim) != (first.obs_dim, first.discrete, first.action_dim):
                raise ValueError(f"agents '{first.name}' and '{other.name}' share network group '{group}' but their "
                                 "observation/action spaces differ; use sharing='team' or 'agent', or set groups")
    return layout


def _groups(layout: Sequence[AgentInfo]) -> dict[str, list[AgentInfo]]:
    out: dict[str, list[AgentInfo]] = {}
    for info in layout:
        out.setdefault(info.group, []).append(info)
    return out


def critic_members(layout: Sequence[AgentInfo]) -> list[list[int]]:
    """For each agent, the agents whose observations its central value reads: itself first, then
    its team-mates in agent order."""
    return [[i] + [j for j, other in enumerate(layout) if other.team == info.team and j != i]
            for i, info in enumerate(layout)]


def agent_id_columns(layout: Sequence[AgentInfo]) -> dict[str, np.ndarray]:
    """``agent_ids``: each agent's one-hot seat among its network group's members (agent order),
    appended to its observation so that one shared network can give team-mates different roles."""
    groups = _groups(layout)
    out = {}
    for members in groups.values():
        for j, info in enumerate(members):
            column = np.zeros(len(members), np.float32)
            column[j] = 1.0
            out[info.name] = column
    return out


def input_dims(layout: Sequence[AgentInfo], config: PPOConfig) -> dict[str, int]:
    """Each agent's network input size: its flat observation, plus its seat one-hot with ``agent_ids``."""
    ids = agent_id_columns(layout) if config.agent_ids else {}
    return {info.name: info.obs_dim + (len(ids[info.name]) if ids else 0) for info in layout}


def critic_dims(layout: Sequence[AgentInfo], config: PPOConfig) -> dict[str, int]:
    """Each network group's value input size: its observation (local) or its team's (central)."""
    out: dict[str, int] = {}
    members = critic_members(layout)
    sizes = input_dims(layout, config)
    for i, info in enumerate(layout):
        dim = sizes[info.name] if config.critic == "local" else sum(sizes[layout[j].name] for j in members[i])
        if out.setdefault(info.group, dim) != dim:
            raise ValueError(f"critic='central': agents of network group '{info.group}' see teams of different "
                             "sizes; use sharing='agent' or critic='local'")
    return out


def split_observation(value: Any, info: AgentInfo) -> tuple[np.ndarray, np.ndarray | None]:
    """An env observation -> ``(flat obs [obs_dim] float32, action mask [A] or None)``."""
    mask = None
    if isinstance(value, Mapping):
        mask = value.get("action_mask")
        value = value["observation"]
    obs = np.asarray(value, np.float32).reshape(-1)
    if obs.size != info.obs_dim:
        raise ValueError(f"agent '{info.name}' observation has {obs.size} numbers, the network expects {info.obs_dim}")
    return obs, None if mask is None else np.asarray(mask).reshape(-1)


# =============================================================================================
# 5. The frozen bot
# =============================================================================================


class PPOBot:
    """A frozen copy of a PPO learner's policies (see the module docstring for the interface)."""

    def __init__(self, layout: Sequence[AgentInfo], models: Mapping[str, ActorCritic],
                 normalizers: Mapping[str, RunningMeanStd | None], obs_clip: float, *, seed: int | None = None,
                 deterministic: bool = False, agent: str | None = None,
                 rng: np.random.Generator | None = None, agent_ids: bool = False) -> None:
        self.layout = list(layout)
        self.info = {info.name: info for info in self.layout}
        self.agent_ids = agent_ids
        self._ids = agent_id_columns(self.layout) if agent_ids else {}
        self.models = dict(models)
        self.normalizers = dict(normalizers)
        self.obs_clip = obs_clip
        self.deterministic = deterministic
        self.agent = agent
        if agent is not None and agent not in self.info:
            raise ValueError(f"this PPO bot plays agents {', '.join(self.info)}, not '{agent}'")
        # numpy sampling: for the one-row batches of a match it costs a fraction of torch.multinomial
        self.rng = rng if rng is not None else np.random.default_rng(seed)
        self._memory: dict[str, State | None] = {}

    # -- binding ------------------------------------------------------------------------
    def for_agent(self, agent: str) -> PPOBot:
        """A view bound to ``agent``: same frozen weights and random stream, its own memory."""
        return PPOBot(self.layout, self.models, self.normalizers, self.obs_clip, deterministic=self.deterministic,
                      agent=agent, rng=self.rng, agent_ids=self.agent_ids)

    def _resolve(self, observation: Any) -> AgentInfo:
        if self.agent is not None:
            return self.info[self.agent]
        raw = observation["observation"] if isinstance(observation, Mapping) else observation
        size = int(np.asarray(raw).size)
        candidates = {info.group: info for info in self.layout if info.obs_dim == size}
        if len(candidates) == 1:
            info = next(iter(candidates.values()))
            if self.agent_ids and sum(other.group == info.group for other in self.layout) > 1:
                raise ValueError("this PPO bot tells team-mates apart (agent_ids=true): bind it to its seat with "
                                 "bot.for_agent(name), or use act_team({agent: obs})")
            return info
        if not candidates:
            raise ValueError(f"this PPO bot has no network for observations of {size} numbers "
                             f"(it was trained on {', '.join(sorted({str(i.obs_dim) for i in self.layout}))})")
        raise ValueError(f"observations of {size} numbers fit networks {', '.join(sorted(candidates))}; bind the bot "
                         "to its seat with bot.for_agent(name), or use act_team({agent: obs})")

    # -- acting ---------------------------------------------------------------------------
    @torch.no_grad()
    def act_batch(self, agent: str, observations: np.ndarray, action_masks: np.ndarray | None = None,
                  state: State | None = None, starts: np.ndarray | None = None) -> tuple[np.ndarray, State | None]:
        """Actions for ``B`` copies of ``agent``'s seat: ``observations [B, obs_dim]`` (flat),
        ``action_masks [B, A]`` or None, LSTM ``state`` (None = fresh) and ``starts [B]`` (rows
        whose episode begins now). Returns ``(actions [B] int64 or [B, d] float32, next state)``."""
        info = self.info[agent]
        model = self.models[info.group]
        obs = np.asarray(observations, np.float32).reshape(len(observations), -1)
        rms = self.normalizers.get(info.group)
        if rms is not None:
            obs = rms.normalize(obs, self.obs_clip)
        if self._ids:
            obs = np.concatenate([obs, np.broadcast_to(self._ids[agent], (len(obs), len(self._ids[agent])))], axis=1)
        if state is None:
            state = model.initial_state(len(obs))
        start_t = None if starts is None else torch.as_tensor(np.asarray(starts, np.float32))
        out, state = model.policy(torch.from_numpy(obs), state, start_t)
        if info.discrete:
            mask = None if action_masks is None else torch.as_tensor(np.asarray(action_masks, bool))
            probs = torch.softmax(masked_logits(out, mask), -1).numpy().astype(np.float64)
            if self.deterministic:
                return probs.argmax(-1).astype(np.int64), state
            cumulative = probs.cumsum(-1)
            draws = self.rng.random((len(probs), 1)) * cumulative[:, -1:]
            # first action whose cumulative probability exceeds the draw (illegal ones add 0 width)
            return (cumulative > draws).argmax(-1).astype(np.int64), state
        mean = out.numpy().astype(np.float32)
        if not self.deterministic:
            std = model.log_std.exp().numpy().astype(np.float32)
            mean = mean + std * self.rng.standard_normal(mean.shape).astype(np.float32)
        low, high = np.asarray(info.low, np.float32), np.asarray(info.high, np.float32)
        return np.clip(mean, low, high), state

    def _act_one(self, info: AgentInfo, key: str, observation: Any, action_mask: Any) -> Any:
        obs, mask = split_observation(observation, info)
        if action_mask is not None:
            mask = np.asarray(action_mask).reshape(-1)
        action, state = self.act_batch(info.name, obs[None], None if mask is None else mask[None],
                                       self._memory.get(key))
        self._memory[key] = state
        return int(action[0]) if info.discrete else action[0]

    def act(self, observation: Any, action_mask: np.ndarray | None = None) -> Any:
        """One agent's observation (env format) -> its action (int, or float32 array for Box actions)."""
        info = self._resolve(observation)
        return self._act_one(info, self.agent or info.group, observation, action_mask)

    def act_team(self, observations: Mapping[str, Any],
                 action_masks: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """A whole side's step: ``{agent: observation}`` -> ``{agent: action}`` (memory per agent)."""
        unknown = [a for a in observations if a not in self.info]
        if unknown:
            raise ValueError(f"this PPO bot plays agents {', '.join(self.info)}, not '{unknown[0]}'")
        masks = action_masks or {}
        return {agent: self._act_one(self.info[agent], agent, obs, masks.get(agent))
                for agent, obs in observations.items()}

    def reset(self) -> None:
        """Forget recurrent memory (start of a game)."""
        self._memory.clear()


# =============================================================================================
# 6. The learner
# =============================================================================================


class _Rollout:
    """Storage of one rollout for one network group: ``R = K * agents_in_group`` rows."""

    def __init__(self, steps: int, rows: int, info: AgentInfo, model: ActorCritic, device: torch.device, *,
                 central: bool = False) -> None:
        def z(*shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
            return torch.zeros(*shape, dtype=dtype, device=device)

        self.obs = z(steps, rows, model.input_dim)
        self.actions = z(steps, rows) if info.discrete else z(steps, rows, info.action_dim)
        self.masks = z(steps, rows, info.action_dim, dtype=torch.bool) if info.discrete else None
        self.logp, self.values, self.rewards = z(steps, rows), z(steps, rows), z(steps, rows)
        self.dones, self.weights, self.starts = z(steps, rows), z(steps, rows), z(steps, rows)
        self.h = z(steps, rows, model.lstm_size) if model.recurrent else None
        self.c = z(steps, rows, model.lstm_size) if model.recurrent else None
        # the central value's inputs (MAPPO), [T, R, critic_dim]
        self.critic_obs = z(steps, rows, model.critic[0][0].in_features) if central else None


class PPOLearner:
    """PPO behind the :class:`arena.learner.Learner` interface.

    Networks are built from the first env the learner sees (in :meth:`learn` or :meth:`bot`), one
    per network group; checkpoints carry the layout so :meth:`load_state_dict` rebuilds them.
    """

    name = "ppo"

    def __init__(self, config: PPOConfig | None = None) -> None:
        self.config = config or PPOConfig()
        self.device = resolve_device(self.config.device)
        self.layout: list[AgentInfo] | None = None
        self.models: dict[str, ActorCritic] = {}
        self.optimizers: dict[str, torch.optim.Adam] = {}
        self.normalizers: dict[str, RunningMeanStd | None] = {}
        self.value_normalizers: dict[str, ValueNormalizer | None] = {}
        self._ids: dict[str, np.ndarray] = {}
        self.env_steps = 0
        self.updates = 0
        self.episodes = 0
        self.rng = np.random.default_rng(self.config.seed)
        self.generator = torch.Generator(device=self.device)
        self.generator.manual_seed(self.config.seed)

    # -- building ---------------------------------------------------------------------------
    def _build(self, layout: list[AgentInfo]) -> None:
        self.layout = layout
        value_dims = critic_dims(layout, self.config)
        sizes = input_dims(layout, self.config)
        self._ids = agent_id_columns(layout) if self.config.agent_ids else {}
        for group, members in _groups(layout).items():
            info = members[0]
            torch.manual_seed(self.config.seed + len(self.models))  # reproducible orthogonal init
            model = ActorCritic(sizes[info.name], info.action_dim, info.discrete, self.config,
                                critic_dim=value_dims[group]).to(self.device)
            self.models[group] = model
            self.optimizers[group] = torch.optim.Adam(model.parameters(), lr=self.config.lr, eps=self.config.adam_eps)
            self.normalizers[group] = RunningMeanStd(info.obs_dim) if self.config.normalize_obs else None
            self.value_normalizers[group] = ValueNormalizer() if self.config.value_norm else None

    def _values(self, group: str, values: torch.Tensor) -> torch.Tensor:
        """The critic's output in return units (undoes ``value_norm``'s scaling)."""
        normalizer = self.value_normalizers.get(group)
        return values if normalizer is None else normalizer.denormalize(values)

    def _ensure_built(self, env: Any) -> None:
        layout = build_layout(env, self.config)
        if self.layout is None:
            self._build(layout)
            return
        mine = [(i.name, i.group, i.obs_dim, i.discrete, i.action_dim) for i in self.layout]
        theirs = [(i.name, i.group, i.obs_dim, i.discrete, i.action_dim) for i in layout]
        if mine != theirs or critic_dims(layout, self.config) != critic_dims(self.layout, self.config):
            raise ValueError(f"this PPO learner was trained on agents {', '.join(m[0] for m in mine)}; this game has "
                             f"{', '.join(t[0] for t in theirs)} (or other spaces): train a fresh learner for it")
        self.layout = layout  # sides may differ (e.g. config.sides changed); networks are the same

    # -- Learner protocol -------------------------------------------------------------------
    def learn(self, make_env: Callable[[], Any], opponents: Sequence[Any], steps: int) -> dict[str, float]:
        """Train for ``steps`` env steps (summed over the ``num_envs`` copies).

        With ``opponents``, each copy's episode gives the learner one side (alternating or random)
        and one opponent (drawn uniformly) every other side; without, the learner plays every seat.
        Returns ``mean_return`` (mean episode return per learner-played agent), ``episodes``,
        ``policy_loss``, ``value_loss``, ``entropy``, ``approx_kl``, ``clip_fraction``, ``lr``,
        ``steps`` and ``steps_per_second`` (collection + update).
        """
        if steps < 1:
            raise ValueError(f"learn(steps={steps}): steps must be >= 1")
        started = time.perf_counter()
        cfg = self.config
        probe = make_env()
        self._ensure_built(probe)
        probe.close()
        layout = self.layout
        assert layout is not None
        groups = _groups(layout)
        agent_index = {info.name: i for i, info in enumerate(layout)}
        side_names = list(dict.fromkeys(info.side for info in layout))
        side_of = np.array([side_names.index(info.side) for info in layout])
        num_envs = cfg.num_envs
        collector = make_vector_env(make_env, num_envs, threads=cfg.env_threads)
        collector.reset(int(self.rng.integers(2**31)))
        opponents = list(opponents)
        for bot in opponents:
            reset = getattr(bot, "reset", None)
            if callable(reset):
                reset()

        # who plays what in each copy (redrawn when the copy's episode ends)
        learner_side = np.zeros(num_envs, np.int64)
        opponent_of = np.zeros(num_envs, np.int64)

        def assign(k: int) -> None:
            if cfg.side_choice == "random":
                learner_side[k] = self.rng.integers(len(side_names))
            else:
                learner_side[k] = self.episodes % len(side_names)
            opponent_of[k] = self.rng.integers(len(opponents)) if opponents else -1
            self.episodes += 1

        for k in range(num_envs):
            assign(k)
        controlled = self._controlled(learner_side, side_of, bool(opponents))
        starts = np.ones((num_envs, len(layout)), bool)
        learner_state = {g: self.models[g].initial_state(num_envs * len(m), self.device) for g, m in groups.items()}
        opponent_state: dict[tuple[int, str], Any] = {}
        episode_return = np.zeros((num_envs, len(layout)), np.float64)
        finished: list[float] = []
        stats: list[dict[str, float]] = []
        collected = 0

        while collected < steps:
            horizon = int(min(cfg.num_steps, math.ceil((steps - collected) / num_envs)))
            rollouts = {g: _Rollout(horizon, num_envs * len(m), m[0], self.models[g], self.device,
                                    central=cfg.critic == "central")
                        for g, m in groups.items()}
            for t in range(horizon):
                # learner's actions for every seat of its groups (opponents' seats are overwritten below)
                actions: dict[str, np.ndarray] = {}
                alive_before = collector.alive.copy()
                normalized = self._normalized(collector, groups, controlled & alive_before)
                for g, members in groups.items():
                    idx = [agent_index[m.name] for m in members]
                    model, buf = self.models[g], rollouts[g]
                    obs = np.stack([normalized[m.name] for m in members], axis=1).reshape(-1, self.models[g].input_dim)
                    weight = (controlled[:, idx] & alive_before[:, idx]).reshape(-1)
                    obs_t = torch.from_numpy(obs).to(self.device)
                    critic_t = self._critic_input(members, normalized)
                    start_t = torch.from_numpy(starts[:, idx].reshape(-1).astype(np.float32)).to(self.device)
                    mask_t = None
                    if members[0].discrete:
                        masks = [collector.masks[m.name] for m in members]
                        if any(mk is not None for mk in masks):
                            stacked = np.stack([mk if mk is not None else np.ones((num_envs, m.action_dim), bool)
                                                for mk, m in zip(masks, members)], axis=1)
                            mask_t = torch.from_numpy(stacked.reshape(-1, members[0].action_dim)).to(self.device)
                    state = learner_state[g]
                    if state is not None:
                        keep = (1.0 - start_t).unsqueeze(-1)
                        state = (state[0] * keep, state[1] * keep)
                        buf.h[t], buf.c[t] = state
                    with torch.no_grad():
                        out, value, learner_state[g] = model(obs_t, state, critic_obs=critic_t)
                        value = self._values(g, value)
                        action = sample_actions(model, out, mask_t, self.generator)
                        logp, _ = log_prob_entropy(model, out, action, mask_t)
                    buf.obs[t], buf.actions[t], buf.logp[t], buf.values[t] = obs_t, action.float(), logp, value
                    if critic_t is not None:
                        buf.critic_obs[t] = critic_t
                    buf.weights[t] = torch.from_numpy(weight.astype(np.float32)).to(self.device)
                    buf.starts[t] = start_t
                    if mask_t is not None:
                        buf.masks[t] = mask_t
                    elif buf.masks is not None:
                        buf.masks[t] = True
                    per_agent = action.cpu().numpy().reshape(num_envs, len(members), *action.shape[1:])
                    for j, m in enumerate(members):
                        env_action = per_agent[:, j].copy()  # opponents may overwrite some rows
                        if not m.discrete:
                            env_action = np.clip(env_action, np.asarray(m.low, np.float32), np.asarray(m.high, np.float32))
                        actions[m.name] = env_action
                if opponents:
                    self._opponent_actions(collector, opponents, opponent_of, controlled, starts, opponent_state,
                                           actions)

                result = collector.step(actions)
                rewards, dones, over = result.rewards, result.dones, result.over
                episode_return += rewards
                collected += num_envs
                ended = dones | over[:, None] | ~alive_before  # no bootstrap across the end of an agent's game
                targets = rewards
                if cfg.bootstrap_truncation and result.final_is_last and result.truncated.any():
                    # a time limit is not the end of the task: the value of what follows still counts
                    targets = rewards + self._truncation_bootstrap(result, groups, agent_index, learner_state)
                for g, members in groups.items():
                    idx = [agent_index[m.name] for m in members]
                    rollouts[g].rewards[t] = torch.from_numpy(targets[:, idx].reshape(-1)).to(self.device)
                    rollouts[g].dones[t] = torch.from_numpy(ended[:, idx].reshape(-1).astype(np.float32)).to(self.device)
                starts = np.repeat(over[:, None], len(layout), axis=1)
                for k in np.flatnonzero(over):
                    mine = controlled[k]
                    finished.append(float(episode_return[k, mine].mean()))
                    episode_return[k] = 0.0
                    assign(int(k))
                if over.any():
                    controlled = self._controlled(learner_side, side_of, bool(opponents))
            self.env_steps += horizon * num_envs
            stats.append(self._update(collector, groups, agent_index, rollouts, learner_state, starts))
        collector.close()

        elapsed = time.perf_counter() - started
        metrics = {key: float(np.mean([s[key] for s in stats])) for key in stats[0]}
        metrics.update(mean_return=float(np.mean(finished)) if finished else float("nan"),
                       episodes=float(len(finished)), steps=float(collected),
                       steps_per_second=collected / max(elapsed, 1e-9))
        return metrics

    def _truncation_bootstrap(self, result: VectorStep, groups: dict[str, list[AgentInfo]],
                              agent_index: dict[str, int], learner_state: dict[str, State | None]) -> np.ndarray:
        """``[K, N]``: ``gamma * V(final observation)`` where an agent's game was truncated, else 0.

        GAE treats every end of a game as the end of the return; adding the discounted value of the
        observation the time limit cut off to the last reward makes a truncated step's target
        ``r + gamma V(s')``, as if the game had gone on (Pardo et al. 2018, "Time limits in RL").
        A recurrent value reads ``s'`` from the memory after the step."""
        cfg = self.config
        extra = np.zeros(result.rewards.shape, np.float32)
        final: dict[str, np.ndarray] = {}
        for g, members in groups.items():
            rms = self.normalizers[g]
            for m in members:
                raw = result.final_obs[m.name]
                final[m.name] = raw if rms is None else rms.normalize(raw, cfg.obs_clip)
        final = self._with_ids(final)
        for g, members in groups.items():
            idx = [agent_index[m.name] for m in members]
            truncated = result.truncated[:, idx]
            if not truncated.any():
                continue
            obs = np.stack([final[m.name] for m in members], axis=1).reshape(-1, self.models[g].input_dim)
            with torch.no_grad():
                _, value, _ = self.models[g](torch.from_numpy(obs).to(self.device), learner_state[g],
                                             critic_obs=self._critic_input(members, final))
                value = self._values(g, value)
            value = value.cpu().numpy().reshape(truncated.shape)
            extra[:, idx] = np.where(truncated, cfg.gamma * value, 0.0)
        return extra

    def _normalized(self, vector: VectorEnv, groups: dict[str, list[AgentInfo]],
                    played: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Every agent's observation ``[K, obs_dim]`` normalised by its group's running statistics;
        with ``played`` (``[K, N]`` bool), those first fold in the rows the learner plays."""
        assert self.layout is not None
        index = {info.name: i for i, info in enumerate(self.layout)}
        out: dict[str, np.ndarray] = {}
        for g, members in groups.items():
            rms = self.normalizers[g]
            if rms is None:
                out.update({m.name: vector.obs[m.name] for m in members})
                continue
            if played is not None:
                rows = np.concatenate([vector.obs[m.name][played[:, index[m.name]]] for m in members])
                rms.update(rows)
            out.update({m.name: rms.normalize(vector.obs[m.name], self.config.obs_clip) for m in members})
        return self._with_ids(out)

    def _with_ids(self, observations: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """``agent_ids``: append each agent's seat one-hot to its rows ``[K, obs_dim]``."""
        if not self._ids:
            return observations
        return {name: np.concatenate([obs, np.broadcast_to(self._ids[name], (len(obs), len(self._ids[name])))],
                                     axis=1) for name, obs in observations.items()}

    def _critic_input(self, members: Sequence[AgentInfo], normalized: Mapping[str, np.ndarray]) -> torch.Tensor | None:
        """The central value's input for a group's rows (``[K * members, critic_dim]``, rows ordered
        like the group's observations), or None when the value is local."""
        if self.config.critic != "central":
            return None
        assert self.layout is not None
        index = {info.name: i for i, info in enumerate(self.layout)}
        reads = critic_members(self.layout)
        per_member = [np.concatenate([normalized[self.layout[j].name] for j in reads[index[m.name]]], axis=1)
                      for m in members]
        stacked = np.stack(per_member, axis=1)  # [K, members, critic_dim]
        return torch.from_numpy(stacked.reshape(-1, stacked.shape[-1])).to(self.device)

    @staticmethod
    def _controlled(learner_side: np.ndarray, side_of: np.ndarray, has_opponents: bool) -> np.ndarray:
        """``[K, N]`` bool: the learner plays agent ``i`` in copy ``k``."""
        if not has_opponents:
            return np.ones((len(learner_side), len(side_of)), bool)
        return side_of[None, :] == learner_side[:, None]

    def _opponent_actions(self, collector: VectorEnv, opponents: Sequence[Any], opponent_of: np.ndarray,
                          controlled: np.ndarray, starts: np.ndarray, opponent_state: dict[tuple[int, str], Any],
                          actions: dict[str, np.ndarray]) -> None:
        """Overwrite ``actions`` of the seats the opponents play. PPO bots act batched over copies
        (with per-copy recurrent state); other bots are asked copy by copy."""
        assert self.layout is not None
        for i, info in enumerate(self.layout):
            rows_all = np.flatnonzero(~controlled[:, i] & collector.alive[:, i])
            for o in np.unique(opponent_of[rows_all]):
                rows = rows_all[opponent_of[rows_all] == o]
                bot = opponents[int(o)]
                if isinstance(bot, PPOBot) and info.name in bot.info:
                    key = (int(o), info.name)
                    state = opponent_state.get(key)
                    if state is None:
                        state = bot.models[bot.info[info.name].group].initial_state(collector.num_envs)
                    mask = collector.masks[info.name]
                    sub_state = None if state is None else (state[0][rows], state[1][rows])
                    acts, new_state = bot.act_batch(info.name, collector.obs[info.name][rows],
                                                    None if mask is None else mask[rows], sub_state,
                                                    starts[rows, i])
                    if new_state is not None:
                        state[0][rows], state[1][rows] = new_state
                        opponent_state[key] = state
                    actions[info.name][rows] = acts
                    continue
                for k in rows:
                    raw = collector.raw(int(k), info.name)
                    mask = collector.masks[info.name]
                    if mask is not None:
                        legal = mask[k]
                    elif info.discrete:
                        legal = np.ones(info.action_dim, np.int8)
                    else:
                        legal = None
                    value = raw["observation"] if isinstance(raw, Mapping) else raw
                    actions[info.name][k] = bot.act(value, legal)

    def _update(self, collector: VectorEnv, groups: dict[str, list[AgentInfo]], agent_index: dict[str, int],
                rollouts: dict[str, _Rollout], learner_state: dict[str, State | None],
                starts: np.ndarray) -> dict[str, float]:
        """GAE, then ``update_epochs`` passes of minibatch PPO-Clip for every network group."""
        cfg = self.config
        lr = cfg.lr
        if cfg.total_steps is not None:  # book: --use-linear-lr-decay
            lr = cfg.lr * max(0.0, 1.0 - self.env_steps / cfg.total_steps)
        logs: dict[str, list[float]] = {"policy_loss": [], "value_loss": [], "entropy": [], "approx_kl": [],
                                        "clip_fraction": []}
        for g, members in groups.items():
            model, optimizer, buf = self.models[g], self.optimizers[g], rollouts[g]
            for param_group in optimizer.param_groups:
                param_group["lr"] = lr
            if buf.weights.sum() == 0:
                continue  # the learner played no seat of this group in this rollout
            idx = [agent_index[m.name] for m in members]
            normalized = self._normalized(collector, groups)
            obs = np.stack([normalized[m.name] for m in members], axis=1).reshape(-1, self.models[g].input_dim)
            with torch.no_grad():
                start_t = torch.from_numpy(starts[:, idx].reshape(-1).astype(np.float32)).to(self.device)
                _, last_values, _ = model(torch.from_numpy(obs).to(self.device), learner_state[g], start_t,
                                          critic_obs=self._critic_input(members, normalized))
                last_values = self._values(g, last_values)
                advantages, returns = compute_gae(buf.rewards, buf.values, buf.dones, last_values,
                                                  cfg.gamma, cfg.gae_lambda)
                old_values = buf.values
                normalizer = self.value_normalizers.get(g)
                if normalizer is not None:  # the critic learns targets in its normalised units
                    normalizer.update(returns[buf.weights > 0])
                    returns, old_values = normalizer.normalize(returns), normalizer.normalize(old_values)
            batch = self._sequences(buf, advantages, returns, old_values, model.recurrent)
            num_sequences = batch["weights"].shape[1]
            minibatches = min(cfg.num_minibatches, num_sequences)
            for _ in range(cfg.update_epochs):
                if minibatches == 1:  # the whole rollout: no shuffled copy needed
                    chunks = [None]
                else:
                    order = torch.randperm(num_sequences, generator=self.generator, device=self.device)
                    chunks = list(torch.tensor_split(order, minibatches))
                for chunk in chunks:
                    mb = batch if chunk is None else {
                        k: (v[:, chunk] if v is not None and v.dim() >= 2 and k not in ("h0", "c0")
                            else (v[chunk] if v is not None else None)) for k, v in batch.items()}
                    new_logp, entropy, new_values = self._evaluate(model, mb)
                    advantages_mb = mb["advantages"]
                    if cfg.normalize_advantages:
                        w = mb["weights"]
                        mean = _weighted_mean(advantages_mb, w)
                        std = torch.sqrt(_weighted_mean((advantages_mb - mean) ** 2, w))
                        advantages_mb = (advantages_mb - mean) / (std + 1e-8)
                    losses = ppo_losses(new_logp, mb["logp"], advantages_mb, new_values, mb["values"],
                                        mb["returns"], entropy, mb["weights"], clip_eps=cfg.clip_eps,
                                        clip_value_loss=cfg.clip_value_loss)
                    loss = losses["policy_loss"] + cfg.value_coef * losses["value_loss"] \
                        - cfg.entropy_coef * losses["entropy"]
                    optimizer.zero_grad()
                    loss.backward()
                    nn.utils.clip_grad_norm_(model.parameters(), cfg.max_grad_norm)
                    optimizer.step()
                    for key in logs:
                        logs[key].append(float(losses[key].detach()))
            self.updates += 1
        out = {key: float(np.mean(values)) if values else 0.0 for key, values in logs.items()}
        out["lr"] = float(lr)
        return out

    def _sequences(self, buf: _Rollout, advantages: torch.Tensor, returns: torch.Tensor, values: torch.Tensor,
                   recurrent: bool) -> dict[str, torch.Tensor | None]:
        """Arrange a rollout ``[T, R, ...]`` as sequences ``[L, S, ...]`` for minibatching.

        Feed-forward: ``L = 1`` and one sequence per played row. Recurrent: chunks of
        ``sequence_length`` steps (zero-weight padding at the end), each starting from the LSTM
        state stored at its first step; chunks the learner never played are dropped.
        """
        fields: dict[str, torch.Tensor | None] = {
            "obs": buf.obs, "actions": buf.actions, "masks": buf.masks, "logp": buf.logp, "values": values,
            "advantages": advantages, "returns": returns, "weights": buf.weights, "starts": buf.starts,
            "critic_obs": buf.critic_obs}
        steps, rows = buf.weights.shape
        if not recurrent:
            keep = buf.weights.reshape(-1) > 0
            return {k: None if v is None else v.reshape(steps * rows, *v.shape[2:])[keep].unsqueeze(0)
                    for k, v in fields.items()}
        length = self.config.sequence_length
        pad = (-steps) % length
        chunks = (steps + pad) // length

        def arrange(v: torch.Tensor) -> torch.Tensor:
            if pad:
                v = torch.cat([v, torch.zeros(pad, *v.shape[1:], dtype=v.dtype, device=v.device)])
            v = v.reshape(chunks, length, rows, *v.shape[2:]).transpose(0, 1)  # [L, chunks, R, ...]
            return v.reshape(length, chunks * rows, *v.shape[3:])

        out = {k: None if v is None else arrange(v) for k, v in fields.items()}
        assert buf.h is not None and buf.c is not None
        first = torch.arange(chunks, device=buf.h.device) * length
        out["h0"] = buf.h[first].reshape(chunks * rows, -1)
        out["c0"] = buf.c[first].reshape(chunks * rows, -1)
        keep = out["weights"].sum(0) > 0
        return {k: None if v is None else (v[keep] if k in ("h0", "c0") else v[:, keep]) for k, v in out.items()}

    def _evaluate(self, model: ActorCritic, mb: dict[str, torch.Tensor | None]) -> tuple[torch.Tensor, ...]:
        """Re-run the policy over minibatch sequences ``[L, S, ...]``: log-probs, entropies, values ``[L, S]``."""
        obs, actions, masks = mb["obs"], mb["actions"], mb["masks"]
        assert obs is not None and actions is not None
        if not model.recurrent:
            critic_obs = mb.get("critic_obs")
            out, values, _ = model(obs[0], critic_obs=None if critic_obs is None else critic_obs[0])
            logp, entropy = log_prob_entropy(model, out, actions[0], None if masks is None else masks[0])
            return logp.unsqueeze(0), entropy.unsqueeze(0), values.unsqueeze(0)
        state: State = (mb["h0"], mb["c0"])  # type: ignore[assignment]
        starts = mb["starts"]
        assert starts is not None
        logps, entropies, values = [], [], []
        for t in range(obs.shape[0]):
            # the stored state at a chunk's first step already has its reset applied
            out, value, state = model(obs[t], state, starts[t] if t > 0 else None)
            logp, entropy = log_prob_entropy(model, out, actions[t], None if masks is None else masks[t])
            logps.append(logp)
            entropies.append(entropy)
            values.append(value)
        return torch.stack(logps), torch.stack(entropies), torch.stack(values)

    # -- bots, checkpoints, copies ----------------------------------------------------------
    def bot(self, env: Any, *, seed: int | None = None, deterministic: bool = False) -> PPOBot:
        """A frozen copy of the current policies (on the CPU) that plays ``env``'s agents."""
        self._ensure_built(env)
        assert self.layout is not None
        models = {}
        for g, model in self.models.items():
            frozen = copy.deepcopy(model).to("cpu").eval()
            for p in frozen.parameters():
                p.requires_grad_(False)
            models[g] = frozen
        normalizers = {g: copy.deepcopy(rms) for g, rms in self.normalizers.items()}
        return PPOBot(self.layout, models, normalizers, self.config.obs_clip, seed=seed, deterministic=deterministic,
                      agent_ids=self.config.agent_ids)

    def state_dict(self) -> dict[str, Any]:
        """Config, layout, networks, optimisers, normalisers, counters and RNG states (tensors and
        plain values only: loads with ``torch.load(weights_only=True)``)."""
        layout = None if self.layout is None else [
            {**asdict(info), "low": list(info.low), "high": list(info.high)} for info in self.layout]
        return {
            "kind": "ppo",
            "config": self.config.to_dict(),
            "layout": layout,
            "models": {g: {k: v.detach().cpu().clone() for k, v in m.state_dict().items()} for g, m in self.models.items()},
            "optimizers": {g: copy.deepcopy(o.state_dict()) for g, o in self.optimizers.items()},
            "normalizers": {g: (None if r is None else r.state_dict()) for g, r in self.normalizers.items()},
            "value_normalizers": {g: (None if r is None else r.state_dict())
                                  for g, r in self.value_normalizers.items()},
            "env_steps": int(self.env_steps), "updates": int(self.updates), "episodes": int(self.episodes),
            "rng": self.rng.bit_generator.state,
            "torch_rng": self.generator.get_state().cpu(),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore everything :meth:`state_dict` saved (networks are rebuilt from the layout)."""
        self.config = PPOConfig.from_dict(state["config"])
        self.device = resolve_device(self.config.device)
        self.layout, self.models, self.optimizers, self.normalizers = None, {}, {}, {}
        self.value_normalizers = {}
        if state["layout"] is not None:
            layout = [AgentInfo(**{**d, "low": tuple(d["low"]), "high": tuple(d["high"])}) for d in state["layout"]]
            self._build(layout)
            for g, model in self.models.items():
                model.load_state_dict(state["models"][g])
                self.optimizers[g].load_state_dict(state["optimizers"][g])
                rms = self.normalizers[g]
                if rms is not None and state["normalizers"][g] is not None:
                    rms.load_state_dict(state["normalizers"][g])
                saved = state.get("value_normalizers", {}).get(g)  # absent in checkpoints before value_norm
                if self.value_normalizers[g] is not None and saved is not None:
                    self.value_normalizers[g].load_state_dict(saved)
        self.env_steps = int(state["env_steps"])
        self.updates = int(state["updates"])
        self.episodes = int(state["episodes"])
        self.rng = np.random.default_rng()
        self.rng.bit_generator.state = state["rng"]
        self.generator = torch.Generator(device=self.device)
        try:
            self.generator.set_state(state["torch_rng"].cpu())
        except (RuntimeError, ValueError):  # saved on another device type: reseed reproducibly instead
            self.generator.manual_seed(int(self.rng.integers(2**63)))

    def clone(self) -> PPOLearner:
        """An independent deep copy (PBT exploit, exploiter resets)."""
        twin = PPOLearner(PPOConfig.from_dict(self.config.to_dict()))
        twin.load_state_dict(copy.deepcopy(self.state_dict()))
        return twin

    TUNABLE = ("lr", "entropy_coef", "clip_eps", "value_coef")

    @property
    def hyperparameters(self) -> dict[str, float]:
        """The PBT-tunable floats: ``lr``, ``entropy_coef``, ``clip_eps``, ``value_coef``."""
        return {name: float(getattr(self.config, name)) for name in self.TUNABLE}

    def set_hyperparameters(self, values: Mapping[str, float]) -> None:
        """Apply new values (validated); ``lr`` reaches the optimisers immediately."""
        unknown = sorted(set(values) - set(self.TUNABLE))
        if unknown:
            raise ValueError(f"ppo learner has no tunable hyperparameter '{unknown[0]}' (has {', '.join(self.TUNABLE)})")
        updated = dataclasses.replace(self.config, **{k: float(v) for k, v in values.items()})
        self.config = updated
        lr = updated.lr
        if updated.total_steps is not None:
            lr = updated.lr * max(0.0, 1.0 - self.env_steps / updated.total_steps)
        for optimizer in self.optimizers.values():
            for param_group in optimizer.param_groups:
                param_group["lr"] = lr


def make_ppo_learner(config: Mapping[str, Any] | None = None) -> PPOLearner:
    """A fresh :class:`PPOLearner` from plain config values (e.g. a league recipe's ``config:`` block)."""
    return PPOLearner(PPOConfig.from_dict(dict(config or {})))
