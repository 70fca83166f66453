"""MADDPG: multi-agent deep deterministic policy gradient (Lowe et al., 2017), on any PettingZoo
ParallelEnv with Box observations and Discrete or Box actions.

Read top to bottom:

1. :class:`MADDPGConfig` -- every hyperparameter, with the paper's defaults.
2. :class:`MADDPG` -- the networks and the update equations:
   * decentralised actors ``a_i = mu_i(o_i)``;
   * centralised critics ``Q_i(o_1..o_m, a_1..a_m)`` (or over agent i's own team only);
   * critic target ``y_i = r_i + gamma * (1 - terminated_i) * Q'_i(o', a'_1..a'_m)`` with
     ``a'_j = mu'_j(o'_j)`` from the **target** actors; time-limit truncation is not termination,
     so the target bootstraps through it;
   * actor loss ``-Q_i(o, a_1..mu_i(o_i)..a_m) + logit_reg * mean(logits_i^2)`` where the other
     agents' actions come from the replay buffer, so each actor's loss moves only its own
     parameters;
   * discrete actions through the straight-through Gumbel-softmax; continuous actions are
     ``tanh`` outputs plus annealed Gaussian or Ornstein-Uhlenbeck noise;
   * gradient clipping and soft (Polyak) target updates.
3. :func:`train` -- the loop: ``num_envs`` env copies in lockstep (one engine step when the env
   is one of Arena's batched worlds, see :mod:`arena.env.vector`), a shared replay buffer, the
   update schedule (:func:`scheduled_updates`), progress bar, TensorBoard, atomic checkpoints and
   resume.
4. :func:`evaluate` -- mean returns of a saved run, per agent and per team.

A run directory holds ``config.json`` (this config plus the env name and kwargs),
``checkpoint.pt`` (state dicts only; loaded with ``weights_only=True``), ``returns.npy`` (every
training episode's per-agent return, ``[episodes, N]``), ``metrics.json`` (episodes, transitions,
updates and training wall time, cumulative over resumes, at every checkpoint), ``buffer.npz`` when
``save_buffer`` is on, and ``tb/`` (TensorBoard scalars).
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from arena.marl.common import (
    AgentSpace,
    EnvPool,
    OUNoise,
    ReplayBuffer,
    agent_spaces,
    gumbel_softmax_st,
    mlp,
)

CHECKPOINT_FORMAT = 1


# --------------------------------------------------------------------------------------------
# 1. Configuration
# --------------------------------------------------------------------------------------------

@dataclass
class MADDPGConfig:
    """MADDPG hyperparameters. Defaults are the paper's (Lowe et al. 2017, appendix) except the
    learning rates, batch size and update interval, which are the settings that scored best on
    simple_spread in Arena's measurements (docs/maddpg.md), and the number of env copies."""

    # --- optimisation (paper defaults) ---
    lr_actor: float = 1e-3  # Adam learning rate of the actors (paper: 0.01)
    lr_critic: float = 2e-3  # Adam learning rate of the critics (paper: 0.01)
    gamma: float = 0.95  # discount
    tau: float = 0.01  # soft target update: theta' <- tau * theta + (1 - tau) * theta'
    batch_size: int = 256  # replay samples per update (paper: 1024; 256 learns as fast as 512 here at half the cost)
    buffer_size: int = 1_000_000  # replay capacity in joint transitions
    hidden_sizes: tuple[int, ...] = (128, 128)  # MLP hidden widths of actors and critics (paper: 64, 64)
    update_every: int = 15  # env steps of one copy per update round, counted over all copies (paper: 100)
    gradient_steps: int = 1  # updates each time update_every transitions have been collected
    learning_starts: int = 25_600  # transitions before the first update (batch 1024 x 25 steps, as the reference code)
    max_grad_norm: float = 0.5  # gradient-norm clip, per network
    logit_reg: float = 1e-3  # weight of mean(actor pre-activation^2): keeps logits/tanh inputs small
    # --- exploration ---
    gumbel_temperature: float = 1.0  # temperature of the Gumbel-softmax relaxation (discrete actions)
    noise: str = "gaussian"  # continuous actions: "gaussian" or "ou" (Ornstein-Uhlenbeck)
    noise_std_start: float = 0.3  # exploration noise scale at episode 0, in the [-1, 1] action range
    noise_std_end: float = 0.05  # ... annealed linearly to this value
    noise_anneal_episodes: int = 20_000  # ... over this many episodes
    # --- architecture options ---
    share_parameters: bool = False  # one actor (and critic) per team for agents with equal spaces
    critic_scope: str = "all"  # "all": critics see every agent; "team": only the agent's own team
    stack_agents: bool = True  # agents with equal spaces: one stacked network per kind (one batched matmul per layer)
    # --- run ---
    num_envs: int = 64  # env copies stepped together (one engine step on a batched world, one forward pass)
    env_threads: int = 1  # numba threads of a batched world (particle worlds, 2-D games); lists of envs use one
    seed: int = 0
    device: str = "auto"  # "cpu", "cuda" or "auto" (cuda when available)
    torch_threads: int = 1  # intra-op threads; small nets gain nothing from more
    checkpoint_every: int = 1000  # episodes between checkpoints (and one at the end)
    checkpoint_seconds: float = 120.0  # ... and at most this many seconds of training between checkpoints
    log_every: int = 100  # episodes between TensorBoard / progress updates
    save_buffer: bool = False  # also checkpoint the replay buffer so --resume continues it exactly
    tensorboard: bool = True
    env_kwargs: dict[str, Any] = field(default_factory=dict)  # passed to arena.make(env, **env_kwargs)

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first bad field."""
        positive = ["lr_actor", "lr_critic", "batch_size", "buffer_size", "update_every", "gradient_steps",
                    "num_envs", "env_threads", "torch_threads", "checkpoint_every", "log_every",
                    "gumbel_temperature"]
        for name in positive:
            if not getattr(self, name) > 0:
                raise ValueError(f"config {name}={getattr(self, name)!r} must be > 0")
        if not 0.0 <= self.gamma <= 1.0:
            raise ValueError(f"config gamma={self.gamma} must be in [0, 1]")
        if not 0.0 < self.tau <= 1.0:
            raise ValueError(f"config tau={self.tau} must be in (0, 1]")
        for name in ("learning_starts", "max_grad_norm", "logit_reg", "noise_std_start", "noise_std_end",
                     "noise_anneal_episodes"):
            if getattr(self, name) < 0:
                raise ValueError(f"config {name}={getattr(self, name)!r} must be >= 0")
        if self.noise not in ("gaussian", "ou"):
            raise ValueError(f"config noise={self.noise!r}: use 'gaussian' or 'ou'")
        if self.critic_scope not in ("all", "team"):
            raise ValueError(f"config critic_scope={self.critic_scope!r}: use 'all' or 'team'")
        if self.device not in ("cpu", "cuda", "auto"):
            raise ValueError(f"config device={self.device!r}: use 'cpu', 'cuda' or 'auto'")
        if not self.hidden_sizes or any(int(w) <= 0 for w in self.hidden_sizes):
            raise ValueError(f"config hidden_sizes={self.hidden_sizes!r} must be positive widths, e.g. 64,64")
        if self.batch_size > self.buffer_size:
            raise ValueError(f"config batch_size={self.batch_size} exceeds buffer_size={self.buffer_size}")

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["hidden_sizes"] = list(self.hidden_sizes)
        return out


def _parse_value(name: str, kind: Any, value: Any) -> Any:
    """Coerce ``value`` (from YAML/JSON or a ``--set`` string) to the type of field ``name``."""
    kind = str(kind)
    try:
        if kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if kind == "int":
            if isinstance(value, bool):
                raise ValueError
            number = float(value)
            if number != int(number):
                raise ValueError
            return int(number)
        if kind == "float":
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        if kind == "str":
            return str(value)
        if kind.startswith("tuple"):
            if isinstance(value, int) and not isinstance(value, bool):
                value = [value]  # one hidden layer: `--set hidden_sizes=64` reads as an int
            items = value.split(",") if isinstance(value, str) else list(value)
            return tuple(int(str(v).strip()) for v in items if str(v).strip())
        if kind.startswith("dict"):
            if isinstance(value, str):
                import yaml

                value = yaml.safe_load(value)
            if not isinstance(value, dict):
                raise ValueError
            return dict(value)
    except (TypeError, ValueError):
        pass
    raise ValueError(f"config {name}={value!r} is not a valid {kind}")


def config_with(base: MADDPGConfig, overrides: Mapping[str, Any]) -> MADDPGConfig:
    """``base`` with ``overrides`` applied and validated (unknown names raise with a suggestion)."""
    kinds = {f.name: f.type for f in dataclasses.fields(MADDPGConfig)}
    values = base.to_dict()
    for name, value in overrides.items():
        if name not in kinds:
            close = difflib.get_close_matches(name, list(kinds), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ValueError(f"unknown MADDPG config key '{name}'{hint}; see `arena train maddpg --help`")
        values[name] = _parse_value(name, kinds[name], value)
    values["hidden_sizes"] = tuple(values["hidden_sizes"])
    config = MADDPGConfig(**values)
    config.validate()
    return config


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' requested but torch sees no CUDA GPU; use --device cpu or auto")
    return torch.device(name)


# --------------------------------------------------------------------------------------------
# 2. Networks and update equations
# --------------------------------------------------------------------------------------------

def _soft_update(target: nn.Module, online: nn.Module, tau: float) -> None:
    """``theta' <- tau * theta + (1 - tau) * theta'`` for every parameter (one fused call)."""
    with torch.no_grad():
        torch._foreach_lerp_(list(target.parameters()), list(online.parameters()), tau)


class StackedMLP(nn.Module):
    """``G`` ReLU MLPs of one shape held as one module: layer ``k`` is a weight ``[G, in, out]`` and a
    bias ``[G, 1, out]``, and ``[G, B, in] -> [G, B, out]`` is one batched matmul per layer
    (``torch.baddbmm``) instead of ``G``. Network ``g``'s parameters are the slices ``[g]``; since
    Adam is elementwise, one optimiser over the stacked tensors equals ``G`` optimisers over the slices.

    ``net[g]`` (and iterating) gives network ``g`` as a standalone ``nn.Sequential`` of
    :func:`arena.marl.common.mlp`'s layout: a **copy** of the current weights (for bots and export).
    """

    def __init__(self, nets: Sequence[nn.Sequential]) -> None:
        super().__init__()
        layers = [[m for m in net if isinstance(m, nn.Linear)] for net in nets]
        depth = len(layers[0])
        if any(len(ls) != depth for ls in layers) or \
                any(ls[k].weight.shape != layers[0][k].weight.shape for ls in layers for k in range(depth)):
            raise ValueError("StackedMLP needs networks of one shape")
        self.weights = nn.ParameterList(
            [nn.Parameter(torch.stack([ls[k].weight.detach().t() for ls in layers]).contiguous()) for k in range(depth)])
        self.biases = nn.ParameterList(
            [nn.Parameter(torch.stack([ls[k].bias.detach() for ls in layers]).unsqueeze(1)) for k in range(depth)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        last = len(self.weights) - 1
        for k, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            x = torch.baddbmm(bias, x, weight)
            if k < last:
                x = torch.relu_(x)  # in place: baddbmm's backward does not need its output
        return x

    def optim_parameters(self) -> list[nn.Parameter]:
        """Layer by layer, weight then bias (the order of one per-agent ``mlp``'s parameters)."""
        return [p for pair in zip(self.weights, self.biases) for p in pair]

    def __len__(self) -> int:
        return int(self.weights[0].shape[0])

    def __getitem__(self, g: int) -> nn.Sequential:
        if not -len(self) <= g < len(self):
            raise IndexError(f"network {g} of {len(self)}")
        sizes = [int(w.shape[2]) for w in self.weights]
        net = mlp(int(self.weights[0].shape[1]), sizes[-1], sizes[:-1]).to(self.weights[0].device)
        with torch.no_grad():
            for layer, weight, bias in zip([m for m in net if isinstance(m, nn.Linear)], self.weights, self.biases):
                layer.weight.copy_(weight[g].t())
                layer.bias.copy_(bias[g, 0])
                layer.weight.requires_grad_(weight.requires_grad)
                layer.bias.requires_grad_(bias.requires_grad)
        return net

    def __iter__(self) -> Any:
        return (self[g] for g in range(len(self)))

    # -- per-network (``mlp``) state dicts, the on-disk layout ----------------------------------

    def per_network_state(self, prefix: str) -> dict[str, torch.Tensor]:
        """``{prefix}{g}.{2k}.weight`` ``[out, in]`` and ``.bias`` ``[out]``: what a ``ModuleList`` of
        ``mlp`` networks would save."""
        out = {}
        for k, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            for g in range(len(self)):
                out[f"{prefix}{g}.{2 * k}.weight"] = weight[g].detach().t().clone()
                out[f"{prefix}{g}.{2 * k}.bias"] = bias[g, 0].detach().clone()
        return out

    def load_per_network_state(self, state: Mapping[str, torch.Tensor], prefix: str) -> None:
        with torch.no_grad():
            for k, (weight, bias) in enumerate(zip(self.weights, self.biases)):
                weight.copy_(torch.stack([state[f"{prefix}{g}.{2 * k}.weight"].t() for g in range(len(self))]))
                bias.copy_(torch.stack([state[f"{prefix}{g}.{2 * k}.bias"] for g in range(len(self))]).unsqueeze(1))


def _clip_per_network(params: Sequence[torch.Tensor], max_norm: float) -> None:
    """``clip_grad_norm_`` for each network ``g`` of stacked parameters ``[G, ...]``: the norm of
    network ``g``'s gradient is over its slices ``p.grad[g]`` of every parameter."""
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return
    norms = torch.stack([torch.linalg.vector_norm(g.flatten(1), dim=1) for g in grads])  # [P, G]
    total = torch.linalg.vector_norm(norms, dim=0)  # [G]
    coef = (max_norm / (total + 1e-6)).clamp(max=1.0)
    torch._foreach_mul_(grads, [coef.view(-1, *([1] * (g.dim() - 1))) for g in grads])


def _adam(params: list[nn.Parameter], lr: float, device: torch.device) -> torch.optim.Adam:
    """Adam with the fused kernel (one call per step for all parameters) where torch has it for
    ``device``, else the multi-tensor (``foreach``) one: the nets are small, per-op overhead dominates."""
    try:
        return torch.optim.Adam(params, lr=lr, fused=True)
    except (RuntimeError, ValueError):
        return torch.optim.Adam(params, lr=lr, foreach=True)


def _stacked_batch(batch: Mapping[str, Any]) -> dict[str, torch.Tensor]:
    """A replay batch (per-agent lists, ``[B, N]`` arrays) as ``[N, B, ...]`` tensors (stacked mode)."""
    return {"obs": torch.stack(list(batch["obs"])), "act": torch.stack(list(batch["act"])),
            "next_obs": torch.stack(list(batch["next_obs"])), "rew": batch["rew"].t(),
            "terminated": batch["terminated"].t(), "active": batch["active"].t()}


def _per_network_optimizer_state(optimizer: torch.optim.Optimizer, networks: int) -> dict[str, Any]:
    """A stacked optimiser's state dict as that of one optimiser over ``networks`` ``mlp``s: slice
    ``g`` of stacked parameter ``j`` (weights ``[G, in, out]``, biases ``[G, 1, out]``) becomes
    parameter ``g * P + j`` (``[out, in]``, ``[out]``)."""
    saved = optimizer.state_dict()
    count = len(saved["param_groups"][0]["params"])
    state: dict[int, dict[str, Any]] = {}
    for j, entry in saved["state"].items():
        for g in range(networks):
            state[g * count + int(j)] = {
                key: (value[g].t() if int(j) % 2 == 0 else value[g, 0]).clone()
                if torch.is_tensor(value) and value.dim() > 0 else
                (value.clone() if torch.is_tensor(value) else value) for key, value in entry.items()}
    groups = [{**group, "params": list(range(networks * count))} for group in saved["param_groups"]]
    return {"state": state, "param_groups": groups}


def _stacked_optimizer_state(saved: Mapping[str, Any], networks: int, count: int) -> dict[str, Any]:
    """The inverse of :func:`_per_network_optimizer_state` (``count`` stacked parameters)."""
    if len(saved["param_groups"]) != 1 or len(saved["param_groups"][0]["params"]) != networks * count:
        raise ValueError(f"the saved optimiser holds {len(saved['param_groups'][0]['params'])} parameters, "
                         f"this model {networks * count}")
    old = {int(k): v for k, v in saved["state"].items()}
    state: dict[int, dict[str, Any]] = {}
    for j in range(count):
        entries = [old.get(g * count + j) for g in range(networks)]
        if any(e is None for e in entries):
            continue
        state[j] = {}
        for key, value in entries[0].items():  # type: ignore[union-attr]
            if torch.is_tensor(value) and value.dim() > 0:
                parts = [e[key] for e in entries]  # type: ignore[index]
                state[j][key] = (torch.stack([x.t() for x in parts]) if j % 2 == 0
                                 else torch.stack(parts).unsqueeze(1)).contiguous()
            else:
                state[j][key] = value
    return {"state": state, "param_groups": [{**saved["param_groups"][0], "params": list(range(count))}]}


class MADDPG(nn.Module):
    """Actors, critics, their targets and the two optimisers for ``N`` agents.

    ``actor_index[i]`` / ``critic_index[i]`` name the network agent ``i`` uses (several agents
    share one with ``share_parameters``). Critic ``i`` reads the observations and actions of the
    agents ``critic_members[i]`` in that order, agent ``i`` first, so agents of one team with
    equal spaces see inputs of the same layout and can share a critic.

    **Stacked agents** (``stacked``, when ``config.stack_agents`` and every agent has its own
    networks of one shape, e.g. simple_spread's three agents): the actors, critics and their
    targets are one :class:`StackedMLP` each (``[N, in, out]`` weights), so an update is one
    forward and backward per network kind for all agents instead of ``N``. The equations are the
    same, agent by agent: per-agent losses (summed), per-agent gradient clipping, Adam (elementwise,
    so stacking changes nothing), soft target updates. Checkpoints keep the per-network layout of
    the unstacked path, so runs load either way. Agents of different shapes (simple_tag) keep one
    ``mlp`` per network.
    """

    def __init__(self, agents: Sequence[AgentSpace], config: MADDPGConfig, device: torch.device | str = "cpu") -> None:
        super().__init__()
        self.agents = list(agents)
        self.config = config
        n = len(self.agents)
        hidden = tuple(config.hidden_sizes)

        self.critic_members: list[list[int]] = []
        for i, agent in enumerate(self.agents):
            scope = [j for j in range(n) if config.critic_scope == "all" or self.agents[j].team == agent.team]
            self.critic_members.append([i] + [j for j in scope if j != i])

        # Group agents that may share networks: same team and same spaces (and critic layout).
        self.actor_index: list[int] = []
        self.critic_index: list[int] = []
        actor_keys: dict[Any, int] = {}
        critic_keys: dict[Any, int] = {}
        actors, critics = [], []
        for i, agent in enumerate(self.agents):
            actor_key: Any = (agent.team, agent.obs_dim, agent.act_dim, agent.discrete) if config.share_parameters else i
            if actor_key not in actor_keys:
                actor_keys[actor_key] = len(actors)
                actors.append(mlp(agent.obs_dim, agent.act_dim, hidden))
            self.actor_index.append(actor_keys[actor_key])
            layout = tuple((self.agents[j].obs_dim, self.agents[j].act_dim) for j in self.critic_members[i])
            critic_key: Any = (agent.team, layout) if config.share_parameters else i
            if critic_key not in critic_keys:
                critic_keys[critic_key] = len(critics)
                critics.append(mlp(sum(o + a for o, a in layout), 1, hidden))
            self.critic_index.append(critic_keys[critic_key])

        actor_list = nn.ModuleList(actors)
        critic_list = nn.ModuleList(critics)
        target_actors = nn.ModuleList([mlp(m[0].in_features, m[-1].out_features, hidden) for m in actors])
        target_critics = nn.ModuleList([mlp(m[0].in_features, 1, hidden) for m in critics])
        target_actors.load_state_dict(actor_list.state_dict())
        target_critics.load_state_dict(critic_list.state_dict())

        shapes = {(a.obs_dim, a.act_dim, a.discrete, len(self.critic_members[i])) for i, a in enumerate(self.agents)}
        self.stacked = bool(config.stack_agents and n > 1 and len(shapes) == 1 and len(actors) == n
                            and len(critics) == n)
        self.actors: nn.Module
        self.critics: nn.Module
        self.target_actors: nn.Module
        self.target_critics: nn.Module
        if self.stacked:
            self.actors, self.critics = StackedMLP(actors), StackedMLP(critics)
            self.target_actors, self.target_critics = StackedMLP(target_actors), StackedMLP(target_critics)
            actor_params, critic_params = self.actors.optim_parameters(), self.critics.optim_parameters()
            # critic i reads agents critic_members[i]: a [N, M] index into the stacked observations
            self.register_buffer("members", torch.tensor(self.critic_members, dtype=torch.long), persistent=False)
        else:
            self.actors, self.critics = actor_list, critic_list
            self.target_actors, self.target_critics = target_actors, target_critics
            actor_params, critic_params = list(actor_list.parameters()), list(critic_list.parameters())
        self.to(device)
        self.device = torch.device(device)
        self.actor_params: list[nn.Parameter] = actor_params
        self.critic_params: list[nn.Parameter] = critic_params
        self.actor_optimizer = _adam(actor_params, config.lr_actor, self.device)
        self.critic_optimizer = _adam(critic_params, config.lr_critic, self.device)

    # -- acting --------------------------------------------------------------------------------

    def _policy(self, i: int, obs: torch.Tensor, *, target: bool, explore: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """Agent ``i``'s action ``[B, act_dim]`` (one-hot, or in [-1, 1]) and its pre-activation.

        Discrete: a straight-through Gumbel-softmax sample when ``explore``, else the argmax
        one-hot. Continuous: ``tanh`` of the output (noise is added by the caller).
        """
        net = (self.target_actors if target else self.actors)[self.actor_index[i]]
        out = net(obs)
        if self.agents[i].discrete:
            if explore:
                return gumbel_softmax_st(out, self.config.gumbel_temperature), out
            return torch.nn.functional.one_hot(out.argmax(-1), out.shape[-1]).to(out.dtype), out
        return torch.tanh(out), out

    @torch.no_grad()
    def act(self, obs: Sequence[np.ndarray], *, explore: bool, noise: Sequence[np.ndarray] | None = None) -> list[np.ndarray]:
        """Actions for a batch of ``B`` joint observations: per agent ``[B, obs_dim_i] -> [B, act_dim_i]``.

        ``noise`` (per agent ``[B, act_dim_i]``, ignored for discrete agents) is added to
        continuous actions when exploring.
        """
        if self.stacked:
            o = torch.as_tensor(np.stack(obs), dtype=torch.float32, device=self.device)
            batch_actions = list(self._stacked_policy(o, target=False, explore=explore)[0].cpu().numpy())
        actions = []
        for i, agent in enumerate(self.agents):
            if self.stacked:
                a = batch_actions[i]
            else:
                o = torch.as_tensor(obs[i], dtype=torch.float32, device=self.device)
                a = self._policy(i, o, target=False, explore=explore)[0].cpu().numpy()
            if explore and not agent.discrete and noise is not None:
                a = np.clip(a + noise[i], -1.0, 1.0)
            actions.append(a.astype(np.float32))
        return actions

    def _stacked_policy(self, obs: torch.Tensor, *, target: bool, explore: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """:meth:`_policy` for all agents at once: ``[N, B, obs_dim] -> [N, B, act_dim]`` (stacked mode)."""
        out = (self.target_actors if target else self.actors)(obs)
        if self.agents[0].discrete:
            if explore:
                return gumbel_softmax_st(out, self.config.gumbel_temperature), out
            return torch.nn.functional.one_hot(out.argmax(-1), out.shape[-1]).to(out.dtype), out
        return torch.tanh(out), out

    # -- the update equations -----------------------------------------------------------------

    def critic_input(self, i: int, obs: Sequence[torch.Tensor], act: Sequence[torch.Tensor]) -> torch.Tensor:
        """``[B, sum(obs_dim_j + act_dim_j)]`` over agent ``i``'s critic members, agent ``i`` first."""
        members = self.critic_members[i]
        return torch.cat([obs[j] for j in members] + [act[j] for j in members], dim=-1)

    @torch.no_grad()
    def critic_targets(self, batch: Mapping[str, Any]) -> list[torch.Tensor]:
        """``y_i = r_i + gamma * (1 - terminated_i) * Q'_i(o', mu'_1(o'_1), .., mu'_m(o'_m))``, each ``[B]``.

        Next actions come from the **target** actors (sampled through the Gumbel-softmax for
        discrete agents, whose behaviour policy samples too); truncated transitions are stored
        with ``terminated = 0`` and therefore bootstrap.
        """
        if self.stacked:
            return list(self._stacked_targets(_stacked_batch(batch)).unbind(0))
        next_obs = batch["next_obs"]
        next_act = [self._policy(j, next_obs[j], target=True, explore=True)[0] for j in range(len(self.agents))]
        targets = []
        for i in range(len(self.agents)):
            q_next = self.target_critics[self.critic_index[i]](self.critic_input(i, next_obs, next_act)).squeeze(-1)
            targets.append(batch["rew"][:, i] + self.config.gamma * (1.0 - batch["terminated"][:, i]) * q_next)
        return targets

    def critic_loss(self, i: int, batch: Mapping[str, Any], target: torch.Tensor) -> torch.Tensor:
        """Mean squared TD error of critic ``i`` over the samples where agent ``i`` acted."""
        if self.stacked:
            stacked = _stacked_batch(batch)
            targets = torch.zeros_like(stacked["rew"])
            targets[i] = target
            return self._stacked_critic_losses(stacked, targets)[i]
        q = self.critics[self.critic_index[i]](self.critic_input(i, batch["obs"], batch["act"])).squeeze(-1)
        weight = batch["active"][:, i]
        return (weight * (q - target) ** 2).sum() / weight.sum().clamp_min(1.0)

    def actor_loss(self, i: int, batch: Mapping[str, Any]) -> torch.Tensor:
        """``-Q_i(o, a)`` with ``a_i = mu_i(o_i)`` and the other actions from the buffer, plus the
        logit regulariser. Only actor ``i``'s parameters (and critic ``i``'s, which this update
        does not step) receive gradient."""
        if self.stacked:
            return self._stacked_actor_losses(_stacked_batch(batch))[i]
        action, pre_activation = self._policy(i, batch["obs"][i], target=False, explore=True)
        joint = list(batch["act"])
        joint[i] = action
        q = self.critics[self.critic_index[i]](self.critic_input(i, batch["obs"], joint)).squeeze(-1)
        weight = batch["active"][:, i]
        policy_term = -(weight * q).sum() / weight.sum().clamp_min(1.0)
        return policy_term + self.config.logit_reg * (pre_activation ** 2).mean()

    # stacked mode: the same equations for all agents at once, tensors [N, B, ...]

    def _critic_input(self, obs: torch.Tensor, act: torch.Tensor, own_act: torch.Tensor | None = None) -> torch.Tensor:
        """``[N, B, M * (obs_dim + act_dim)]``: row ``i`` is :meth:`critic_input` of agent ``i``
        (members ``critic_members[i]``, agent ``i`` first); ``own_act`` replaces each agent's own action."""
        n, b = obs.shape[0], obs.shape[1]
        o = obs[self.members].transpose(1, 2).reshape(n, b, -1)  # [N, M, B, d] -> [N, B, M * d]
        if own_act is None:
            a = act[self.members].transpose(1, 2).reshape(n, b, -1)
        else:
            others = act[self.members[:, 1:]].transpose(1, 2).reshape(n, b, -1)
            a = torch.cat([own_act, others], dim=-1)
        return torch.cat([o, a], dim=-1)

    @torch.no_grad()
    def _stacked_targets(self, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        next_act = self._stacked_policy(batch["next_obs"], target=True, explore=True)[0]
        q_next = self.target_critics(self._critic_input(batch["next_obs"], next_act)).squeeze(-1)
        return batch["rew"] + self.config.gamma * (1.0 - batch["terminated"]) * q_next

    def _stacked_critic_losses(self, batch: Mapping[str, torch.Tensor], targets: torch.Tensor) -> torch.Tensor:
        """``[N]`` :meth:`critic_loss` of every agent."""
        q = self.critics(self._critic_input(batch["obs"], batch["act"])).squeeze(-1)
        weight = batch["active"]
        return (weight * (q - targets) ** 2).sum(1) / weight.sum(1).clamp_min(1.0)

    def _stacked_actor_losses(self, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """``[N]`` :meth:`actor_loss` of every agent."""
        action, pre_activation = self._stacked_policy(batch["obs"], target=False, explore=True)
        q = self.critics(self._critic_input(batch["obs"], batch["act"], own_act=action)).squeeze(-1)
        weight = batch["active"]
        policy_term = -(weight * q).sum(1) / weight.sum(1).clamp_min(1.0)
        return policy_term + self.config.logit_reg * (pre_activation ** 2).mean(dim=(1, 2))

    def update(self, batch: Mapping[str, Any]) -> dict[str, float]:
        """One MADDPG update of every critic, then every actor, then the targets."""
        n = len(self.agents)
        if self.stacked:
            stacked = _stacked_batch(batch)
            critic_loss = self._stacked_critic_losses(stacked, self._stacked_targets(stacked)).sum()
        else:
            targets = self.critic_targets(batch)
            critic_loss = sum(self.critic_loss(i, batch, targets[i]) for i in range(n))
        self._step(critic_loss, self.critic_params, self.critic_optimizer, self.critics)

        if self.stacked:
            actor_loss = self._stacked_actor_losses(stacked).sum()
        else:
            actor_loss = sum(self.actor_loss(i, batch) for i in range(n))
        # gradients for the actors only: the critics' weight gradients of this loss are never computed
        self._step(actor_loss, self.actor_params, self.actor_optimizer, self.actors)

        self.soft_update_targets()
        return {"critic_loss": float(critic_loss.detach()) / n, "actor_loss": float(actor_loss.detach()) / n}

    def _step(self, loss: torch.Tensor, params: list[nn.Parameter], optimizer: torch.optim.Optimizer,
              nets: nn.Module) -> None:
        """Gradients of ``loss`` for ``params`` only, clipped per network, then one optimiser step."""
        grads = torch.autograd.grad(loss, params, allow_unused=True)
        for p, g in zip(params, grads):
            p.grad = g
        if self.stacked:
            _clip_per_network(params, self.config.max_grad_norm)
        else:
            for net in nets:
                nn.utils.clip_grad_norm_(net.parameters(), self.config.max_grad_norm, foreach=True)
        optimizer.step()

    def soft_update_targets(self) -> None:
        _soft_update(self.target_actors, self.actors, self.config.tau)
        _soft_update(self.target_critics, self.critics, self.config.tau)

    # -- state ---------------------------------------------------------------------------------

    _KINDS = ("actors", "critics", "target_actors", "target_critics")

    def full_state_dict(self) -> dict[str, Any]:
        """Networks, targets and optimiser states (tensors and plain values only), in the layout of
        one ``mlp`` per network (``actors.0.0.weight``, ...) whether or not the agents are stacked."""
        if not self.stacked:
            return {"networks": self.state_dict(), "actor_optimizer": self.actor_optimizer.state_dict(),
                    "critic_optimizer": self.critic_optimizer.state_dict()}
        networks: dict[str, torch.Tensor] = {}
        for kind in self._KINDS:
            networks.update(getattr(self, kind).per_network_state(f"{kind}."))
        return {"networks": networks,
                "actor_optimizer": _per_network_optimizer_state(self.actor_optimizer, len(self.agents)),
                "critic_optimizer": _per_network_optimizer_state(self.critic_optimizer, len(self.agents))}

    def load_full_state_dict(self, state: Mapping[str, Any]) -> None:
        """Load :meth:`full_state_dict` (also one written before agents were stacked)."""
        if self.stacked:
            networks = state["networks"]
            expected = {k for kind in self._KINDS for k in getattr(self, kind).per_network_state(f"{kind}.")}
            if set(networks) != expected:
                raise KeyError(f"networks {sorted(set(networks) ^ expected)[:3]} do not fit this model")
            for kind in self._KINDS:
                getattr(self, kind).load_per_network_state(networks, f"{kind}.")
        else:
            self.load_state_dict(state["networks"])
        for name in ("actor_optimizer", "critic_optimizer"):
            if name not in state:
                continue
            optimizer = getattr(self, name)
            saved = state[name]
            if self.stacked:
                saved = _stacked_optimizer_state(saved, len(self.agents), len(optimizer.param_groups[0]["params"]))
            flags = {k: optimizer.param_groups[0][k] for k in ("foreach", "fused") if k in optimizer.param_groups[0]}
            optimizer.load_state_dict(saved)
            for group in optimizer.param_groups:  # keep this build's Adam implementation, not the saved one's
                group.update(flags)


# --------------------------------------------------------------------------------------------
# 3. Training loop
# --------------------------------------------------------------------------------------------

def env_factory(env_name: str, env_kwargs: Mapping[str, Any] | None = None) -> Callable[[], Any]:
    """A zero-argument maker of the ParallelEnv ``env_name`` (checked once, with a clear error)."""
    import arena

    kwargs = dict(env_kwargs or {})

    def make() -> Any:
        try:
            return arena.make(env_name, api="parallel", **kwargs)
        except TypeError as exc:
            raise ValueError(f"bad environment options for '{env_name}': {exc}") from None
        except ValueError as exc:
            if "only has the AEC API" in str(exc):
                raise ValueError(f"'{env_name}' is turn-based (AEC); MADDPG needs a simultaneous-move "
                                 "ParallelEnv such as mpe2.simple_spread_v3") from None
            raise

    probe = make()
    if not hasattr(probe, "possible_agents") or not hasattr(probe, "step"):
        raise ValueError(f"'{env_name}' did not give a PettingZoo ParallelEnv")
    probe.close()
    return make


def noise_std(config: MADDPGConfig, episode: int) -> float:
    """Linearly annealed exploration noise scale for continuous actions."""
    if config.noise_anneal_episodes <= 0:
        return config.noise_std_end
    frac = min(1.0, episode / config.noise_anneal_episodes)
    return config.noise_std_start + frac * (config.noise_std_end - config.noise_std_start)


def ou_processes(config: MADDPGConfig, agents: Sequence[AgentSpace], rng: np.random.Generator) -> dict[int, OUNoise]:
    """One Ornstein-Uhlenbeck process ``[num_envs, act_dim]`` per continuous agent when ``noise='ou'``."""
    if config.noise != "ou":
        return {}
    return {i: OUNoise((config.num_envs, a.act_dim), rng) for i, a in enumerate(agents) if not a.discrete}


def exploration_noise(config: MADDPGConfig, agents: Sequence[AgentSpace], std: float, rng: np.random.Generator,
                      ou: Mapping[int, OUNoise]) -> list[np.ndarray]:
    """Per agent ``[num_envs, act_dim]`` noise of scale ``std`` for continuous agents (zeros for discrete ones)."""
    noise = [np.zeros((config.num_envs, a.act_dim), np.float32) for a in agents]
    for i, agent in enumerate(agents):
        if not agent.discrete:
            noise[i] = ou[i].sample(std) if i in ou else std * rng.standard_normal(noise[i].shape).astype(np.float32)
    return noise


def scheduled_updates(learner: MADDPG, buffer: ReplayBuffer, config: MADDPGConfig, rng: np.random.Generator,
                      since_update: int, added: int) -> tuple[int, list[dict[str, float]]]:
    """Count ``added`` new transitions and run the updates that fell due: one round (x
    ``gradient_steps``) per ``update_every`` transitions once the buffer holds
    ``max(learning_starts, batch_size)``.

    The update-to-data ratio is per env step of one copy, whatever the number of copies: a
    lockstep step of ``B`` copies adds ``B`` transitions, so it runs ``floor((carry + B) /
    update_every)`` rounds and carries the remainder to the next step (``B = 1024``,
    ``update_every = 100``: 10 or 11 rounds per step, 1024 every 100 steps). Before learning
    starts the carry is kept below ``update_every``, so no backlog of updates builds up.

    Returns the new ``since_update`` counter and the losses of the updates run.
    """
    since_update += added
    if buffer.size < max(config.learning_starts, config.batch_size):
        since_update %= config.update_every
    losses = []
    while since_update >= config.update_every:
        since_update -= config.update_every
        for _ in range(config.gradient_steps):
            losses.append(learner.update(buffer.sample(config.batch_size, rng, learner.device)))
    return since_update, losses


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)


@dataclass
class TrainResult:
    """What :func:`train` returns: the per-episode returns ``[episodes, N]`` and timing."""

    run_dir: Path
    agents: list[str]
    returns: np.ndarray
    wall_seconds: float
    updates: int


def save_config(run_dir: Path, env_name: str, config: MADDPGConfig) -> None:
    payload = {"algorithm": "maddpg", "env": env_name, "config": config.to_dict()}
    _atomic_write(run_dir / "config.json", lambda p: p.write_text(json.dumps(payload, indent=2) + "\n"))


def load_config(run_dir: Path) -> tuple[str, MADDPGConfig]:
    """``(env_name, config)`` of a run directory; one-line ``ValueError`` when it is not a run."""
    path = Path(run_dir) / "config.json"
    if not Path(run_dir).is_dir():
        raise ValueError(f"run directory '{run_dir}' does not exist")
    if not path.exists():
        raise ValueError(f"'{run_dir}' is not a MADDPG run directory (no config.json)")
    from arena.config_input import read_text_file

    try:
        payload = json.loads(read_text_file(path, "run config"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON ({exc})") from None
    if not isinstance(payload, dict) or payload.get("algorithm") != "maddpg":
        algorithm = payload.get("algorithm") if isinstance(payload, dict) else None
        raise ValueError(f"{path} is not a MADDPG run (algorithm={algorithm!r})")
    if not isinstance(payload.get("env"), str) or not isinstance(payload.get("config"), dict):
        raise ValueError(f"{path} is damaged: it needs 'env' and 'config' (start a new run)")
    return payload["env"], config_with(MADDPGConfig(), payload["config"])


def read_metrics(run_dir: str | Path) -> dict[str, Any]:
    """``metrics.json`` of a run written by :func:`train`: ``episodes``, ``transitions``, ``updates``,
    ``wall_seconds`` (training wall time, cumulative over resumes), ``cpu_seconds`` (the training
    process's CPU time, the same but not inflated by other work on a busy machine; absent in runs
    written before it was recorded) and ``checkpoints`` (the same
    counters at every checkpoint); ``{}`` for a run that has none (written before it existed)."""
    path = Path(run_dir) / "metrics.json"
    return json.loads(path.read_text()) if path.exists() else {}


_CHECKPOINT_KEYS = ("episode", "transitions", "updates", "since_update", "env_resets", "agents", "learner",
                    "rng_numpy", "rng_torch")


def _load_checkpoint(path: Path) -> dict[str, Any]:
    """A MADDPG checkpoint through the safe loader (``weights_only``: never runs code from the file)."""
    from arena.checkpoint import CheckpointError, load_safely

    state = load_safely(path, "MADDPG checkpoint")
    if state.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path} has checkpoint format {state.get('format')!r}; this Arena reads "
                              f"{CHECKPOINT_FORMAT}")
    missing = [k for k in _CHECKPOINT_KEYS if k not in state]
    if missing:
        raise CheckpointError(f"{path} is damaged: no {', '.join(missing)} (start a new run)")
    return state


def _restore(path: Path, what: str, action: Callable[[], Any]) -> Any:
    """Run ``action`` (loading state from ``path``); a checkpoint that does not fit is one line."""
    from arena.checkpoint import CheckpointError

    try:
        return action()
    except (KeyError, TypeError, ValueError, RuntimeError, IndexError, AttributeError) as exc:
        if isinstance(exc, CheckpointError):
            raise
        first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"{path} does not fit this {what} ({first}); start a new run") from None


def train(env_name: str, *, episodes: int, run_dir: str | Path, config: MADDPGConfig | None = None,
          resume: bool = False, resume_overrides: Mapping[str, Any] | None = None,
          progress: bool = True, progress_print: Callable[[str], None] | None = print) -> TrainResult:
    """Train MADDPG on ``env_name`` until ``episodes`` episodes in total have been played.

    With ``resume`` the config, networks, optimisers, counters, RNG states, episode returns and
    (if it was saved) the replay buffer come from ``run_dir`` (``resume_overrides`` may change
    run-time keys such as ``device``); otherwise ``run_dir`` must not
    already hold a run. Episodes in progress at a checkpoint are not saved: a resumed run starts
    fresh episodes.
    """
    run_dir = Path(run_dir)
    checkpoint_path = run_dir / "checkpoint.pt"
    if resume:
        if not checkpoint_path.exists():
            raise ValueError(f"nothing to resume: no checkpoint.pt in '{run_dir}'; drop --resume to start a new run")
        saved_env, config = load_config(run_dir)
        config = config_with(config, resume_overrides or {})
        if saved_env != env_name:
            raise ValueError(f"cannot resume: '{run_dir}' was trained on {saved_env}, not {env_name}")
    else:
        if checkpoint_path.exists():
            raise ValueError(f"'{run_dir}' already holds a run; pass --resume to continue it or pick another --out")
        config = config or MADDPGConfig()
        config.validate()
    if episodes < 1:
        raise ValueError(f"episodes={episodes} must be >= 1")
    torch.set_num_threads(config.torch_threads)
    device = resolve_device(config.device)
    make_env = env_factory(env_name, config.env_kwargs)
    probe = make_env()
    agents = agent_spaces(probe)
    probe.close()
    names = [a.name for a in agents]

    # -- state: networks, buffer, RNGs, counters --
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    learner = MADDPG(agents, config, device)
    buffer = ReplayBuffer(config.buffer_size, agents)
    episode, transitions, updates, since_update, env_resets = 0, 0, 0, 0, 0
    returns: list[np.ndarray] = []
    wall_before = 0.0  # training seconds of earlier calls (a resumed run), up to its checkpoint
    cpu_before = 0.0  # ... and their CPU seconds
    metrics_history: list[dict[str, float]] = []
    if resume:
        state = _load_checkpoint(checkpoint_path)

        def restore() -> tuple[int, int, int, int, int, list[np.ndarray], float, list[dict[str, float]]]:
            learner.load_full_state_dict(state["learner"])
            counters = [int(state[k]) for k in ("episode", "transitions", "updates", "since_update", "env_resets")]
            rng.bit_generator.state = json.loads(state["rng_numpy"])
            torch.set_rng_state(state["rng_torch"])
            saved_returns = list(np.load(run_dir / "returns.npy", allow_pickle=False)[:counters[0]])
            history = [row for row in read_metrics(run_dir).get("checkpoints", []) if row["episode"] <= counters[0]]
            if (run_dir / "buffer.npz").exists():
                with np.load(run_dir / "buffer.npz", allow_pickle=False) as saved:
                    buffer.load_state_dict({k: saved[k] for k in saved.files})
            nonlocal cpu_before
            cpu_before = float(state.get("cpu_seconds", 0.0))
            return (*counters, saved_returns, float(state.get("wall_seconds", 0.0)), history)  # type: ignore[return-value]

        (episode, transitions, updates, since_update, env_resets, returns, wall_before,
         metrics_history) = _restore(checkpoint_path, "MADDPG run", restore)
        if progress_print is not None:
            progress_print(f"resumed {run_dir} at episode {episode} of {episodes}")
    run_dir.mkdir(parents=True, exist_ok=True)
    save_config(run_dir, env_name, config)

    def save_checkpoint() -> None:
        wall = wall_before + time.perf_counter() - start
        cpu = cpu_before + time.process_time() - cpu_start
        state = {"format": CHECKPOINT_FORMAT, "episode": episode, "transitions": transitions, "updates": updates,
                 "since_update": since_update, "env_resets": pool.resets, "agents": names,
                 "learner": learner.full_state_dict(), "rng_numpy": json.dumps(rng.bit_generator.state),
                 "rng_torch": torch.get_rng_state(), "wall_seconds": wall, "cpu_seconds": cpu}
        if metrics_history and metrics_history[-1]["episode"] == episode:
            metrics_history.pop()  # saved again at the same episode (the end of a run): keep the latest
        metrics_history.append({"episode": episode, "transitions": transitions, "updates": updates,
                                "wall_seconds": round(wall, 3), "cpu_seconds": round(cpu, 3)})
        metrics = {"episodes": episode, "transitions": transitions, "updates": updates, "wall_seconds": wall,
                   "cpu_seconds": cpu,
                   "checkpoints": metrics_history}
        def write_returns(path: Path) -> None:
            with open(path, "wb") as file:  # a file object, so numpy does not append ".npy" to the temp name
                np.save(file, np.asarray(returns).reshape(-1, len(names)))

        def write_buffer(path: Path) -> None:
            with open(path, "wb") as file:
                np.savez(file, **buffer.state_dict())

        _atomic_write(run_dir / "returns.npy", write_returns)
        if config.save_buffer:
            _atomic_write(run_dir / "buffer.npz", write_buffer)
        _atomic_write(checkpoint_path, lambda p: torch.save(state, p))
        _atomic_write(run_dir / "metrics.json", lambda p: p.write_text(json.dumps(metrics) + "\n"))

    pool = EnvPool(make_env, config.num_envs, agents, seed=config.seed * 1_000_003, resets=env_resets,
                   threads=config.env_threads)
    ou = ou_processes(config, agents, rng)

    writer = None
    if config.tensorboard:
        from torch.utils.tensorboard import SummaryWriter

        writer = SummaryWriter(str(run_dir / "tb"), purge_step=episode)
    bar = _Progress(episodes, episode, enabled=progress, title=f"maddpg {env_name}")
    start, last_log, last_log_episode = time.perf_counter(), time.perf_counter(), episode
    cpu_start = time.process_time()
    last_checkpoint = start
    losses: list[dict[str, float]] = []
    try:
        while episode < episodes:
            # -- act in every env copy and store the joint transitions --
            std = noise_std(config, episode)
            noise = exploration_noise(config, agents, std, rng, ou)
            obs = [o.copy() for o in pool.obs]
            actions = learner.act(obs, explore=True, noise=noise)
            next_obs, rew, terminated, active, finished = pool.step(actions)
            buffer.add(obs, actions, rew, next_obs, terminated, active)
            transitions += config.num_envs
            for k in np.flatnonzero(pool.episode_length == 0):  # copies that were just reset
                for process in ou.values():
                    process.reset(int(k))

            # -- learn: one update (x gradient_steps) per update_every transitions --
            since_update, new_losses = scheduled_updates(learner, buffer, config, rng, since_update, config.num_envs)
            losses += new_losses
            updates += len(new_losses)

            # -- bookkeeping for finished episodes --
            for ret in finished:
                if episode >= episodes:
                    break
                returns.append(ret)
                episode += 1
                if episode % config.log_every == 0 or episode == episodes:
                    now = time.perf_counter()
                    rate = (episode - last_log_episode) / max(now - last_log, 1e-9)
                    recent = np.asarray(returns[-config.log_every:])
                    bar.update(episode, f"return {recent.mean():8.2f} | {rate:6.0f} eps/s")
                    if writer is not None:
                        for i, name in enumerate(names):
                            writer.add_scalar(f"return/{name}", recent[:, i].mean(), episode)
                        writer.add_scalar("return/mean_per_agent", recent.mean(), episode)
                        writer.add_scalar("charts/episodes_per_second", rate, episode)
                        writer.add_scalar("charts/noise_std", std, episode)
                        if losses:
                            writer.add_scalar("loss/critic", np.mean([x["critic_loss"] for x in losses]), episode)
                            writer.add_scalar("loss/actor", np.mean([x["actor_loss"] for x in losses]), episode)
                    losses.clear()
                    last_log, last_log_episode = now, episode
                if episode % config.checkpoint_every == 0 or \
                        time.perf_counter() - last_checkpoint >= config.checkpoint_seconds:
                    save_checkpoint()
                    last_checkpoint = time.perf_counter()
        save_checkpoint()
    except KeyboardInterrupt:
        save_checkpoint()  # keep what was learned; `--resume` continues from here
        raise
    finally:
        bar.close()
        pool.close()
        if writer is not None:
            writer.close()
    return TrainResult(run_dir, names, np.asarray(returns).reshape(-1, len(names)),
                       time.perf_counter() - start, updates)


class _Progress:
    """A rich progress bar (episodes, recent mean return, episodes/s), or nothing."""

    def __init__(self, total: int, done: int, *, enabled: bool, title: str) -> None:
        self.progress = None
        if not enabled:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[info]}"), TimeRemainingColumn())
        self.progress.start()
        self.task = self.progress.add_task(title, total=total, completed=done, info="")

    def update(self, done: int, info: str) -> None:
        if self.progress is not None:
            self.progress.update(self.task, completed=done, info=info)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


# --------------------------------------------------------------------------------------------
# 4. Loading and evaluating a run
# --------------------------------------------------------------------------------------------

@dataclass
class LoadedRun:
    """A trained team: its env name, config, agent spaces and learner (on CPU)."""

    env_name: str
    config: MADDPGConfig
    agents: list[AgentSpace]
    learner: MADDPG
    episodes_trained: int


def load_run(run_dir: str | Path) -> LoadedRun:
    """Load a run directory written by :func:`train` (no code from the files is executed)."""
    run_dir = Path(run_dir)
    env_name, config = load_config(run_dir)
    path = run_dir / "checkpoint.pt"
    state = _load_checkpoint(path)
    probe = env_factory(env_name, config.env_kwargs)()
    agents = agent_spaces(probe)
    probe.close()
    if not isinstance(state["agents"], (list, tuple)) or [a.name for a in agents] != list(state["agents"]):
        raise ValueError(f"{run_dir}: the env's agents {[a.name for a in agents]} differ from the checkpoint's "
                         f"{state['agents']!r}")
    learner = MADDPG(agents, config, "cpu")
    _restore(path, "MADDPG run", lambda: learner.load_full_state_dict(state["learner"]))
    return LoadedRun(env_name, config, agents, learner, _restore(path, "MADDPG run", lambda: int(state["episode"])))


def evaluate(run: LoadedRun, episodes: int, *, seed: int = 12345, explore: bool = False,
             on_step: Callable[[Any, int, int, np.ndarray], None] | None = None, num_envs: int = 8,
             extra_env_kwargs: Mapping[str, Any] | None = None,
             on_episode: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Play ``episodes`` episodes with the trained actors and return mean returns.

    Greedy actions (argmax one-hot, no noise) unless ``explore``. For watching, ``on_step(env,
    episode, step, rewards[N])`` is called after every step of a single env copy; ``env`` is
    ``None`` on the step that ended an episode (the copy has already been reset).
    ``extra_env_kwargs`` (e.g. ``render_mode``) are added to the run's env kwargs.
    ``on_episode(finished_so_far)`` is called whenever episodes finish (progress display).
    Returns ``{"env", "episodes", "per_agent": {name: mean}, "per_team": {team: mean over its
    agents}, "mean_per_agent": float}``.
    """
    if episodes < 1:
        raise ValueError(f"--episodes must be >= 1, got {episodes}")
    torch.set_num_threads(1)
    make_env = env_factory(run.env_name, {**run.config.env_kwargs, **dict(extra_env_kwargs or {})})
    copies = 1 if on_step is not None else max(1, min(num_envs, episodes))
    # watching needs the ParallelEnv itself (to draw it): a list of one copy, not a batched engine
    pool = EnvPool(make_env, copies, run.agents, seed=seed, batched=False if on_step is not None else None)
    done: list[np.ndarray] = []
    step = 0
    try:
        while len(done) < episodes:
            actions = run.learner.act([o.copy() for o in pool.obs], explore=explore, noise=None)
            _, rewards, _, _, finished = pool.step(actions)
            step += 1
            if on_step is not None:
                on_step(None if finished else pool.envs[0], len(done), step, rewards[0])
            if finished:
                step = 0
            done.extend(finished)
            if finished and on_episode is not None:
                on_episode(min(len(done), episodes))
    finally:
        pool.close()
    returns = np.asarray(done[:episodes])
    names = [a.name for a in run.agents]
    per_agent = {name: float(returns[:, i].mean()) for i, name in enumerate(names)}
    per_team: dict[str, list[float]] = {}
    for a in run.agents:
        per_team.setdefault(a.team, []).append(per_agent[a.name])
    return {"env": run.env_name, "episodes": int(len(returns)), "per_agent": per_agent,
            "per_team": {t: float(np.mean(v)) for t, v in per_team.items()},
            "mean_per_agent": float(returns.mean())}


def random_returns(env_name: str, episodes: int, *, env_kwargs: Mapping[str, Any] | None = None,
                   seed: int = 0, num_envs: int = 8) -> np.ndarray:
    """Per-agent returns ``[episodes, N]`` of uniformly random play (the reference for benchmarks)."""
    make_env = env_factory(env_name, env_kwargs)
    probe = make_env()
    agents = agent_spaces(probe)
    probe.close()
    rng = np.random.default_rng(seed)
    pool = EnvPool(make_env, num_envs, agents, seed=seed)
    done: list[np.ndarray] = []
    try:
        while len(done) < episodes:
            actions = []
            for a in agents:
                if a.discrete:
                    actions.append(np.eye(a.act_dim, dtype=np.float32)[rng.integers(0, a.act_dim, num_envs)])
                else:
                    actions.append(rng.uniform(-1, 1, (num_envs, a.act_dim)).astype(np.float32))
            done.extend(pool.step(actions)[4])
    finally:
        pool.close()
    return np.asarray(done[:episodes])
