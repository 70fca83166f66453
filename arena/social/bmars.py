"""BMaRS: measure which of the five basic multi-agent reward schemes a reward belongs to.

Definitions (SPEC section 1), with R_x agent x's episode return and pi_x its policy:

* **NL** non-learnable: dR_x/dpi_x = 0 for every agent x;
* **IS** isolated: not NL, and dR_x/dpi_x' = 0 for every other agent x';
* **CP** competitive: not NL/IS, and sum_x R_x is constant whatever the policies;
* **CL** collaborative: not NL/IS, no pair of agents with opposed interests, at least one pair
  strictly aligned;
* **CC** mixed: everything else.

The derivatives are measured, not assumed. The experiment:

1. draw ``contexts`` joint *baseline* profiles: every agent plays a randomly biased stochastic
   policy (softmax of random logits for discrete actions, a random mean plus noise for continuous
   ones; context 0 is uniform random);
2. in each context, for each agent x, build the *perturbed* profile where x alone switches to
   another random bias;
3. play ``episodes`` seeds of every profile. The seeds and each agent's random stream are shared
   between baseline and perturbed profiles (common random numbers), so an agent whose policy did
   not change plays the same draws, and a reward that cannot see x does not move at all;
4. per context, perturbed agent x and affected agent y, the paired differences
   dR_y = R_y(perturbed x) - R_y(baseline) over the seeds give a mean effect and a t-interval. An
   effect is *significant* when its interval excludes 0 and it exceeds the tolerance
   ``atol + rtol * max|R|``. Intervals are Bonferroni-corrected over every (context, x, y) cell of
   a node, so ``confidence`` is family-wise;
5. the same test on the per-episode sum over agents decides whether the sum is constant; two
   significant effects of one perturbation with opposite signs are an *opposed* pair, with the same
   sign an *aligned* pair.

Each node of a social tree is classified on the reward its own schemes produce (the
``reward_terms`` the wrapper reports for that node), every node from the same episodes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import AECEnv, ParallelEnv

from arena.social.schemes import Custom, expected_node_class
from arena.social.tree import BMARS_CLASSES, Agent, SocialTree, Team, TreeError
from arena.social.wrapper import SocialTreeWrapper


class SchemeAssertionError(AssertionError):
    """A node's measured BMaRS class is not the one claimed; the message is a counter-example."""


@dataclass
class BmarsConfig:
    """How hard to look. Total episodes = contexts * (n_agents + 1) * episodes."""

    contexts: int = 4          # joint baseline policy profiles (context 0: uniform random)
    episodes: int = 24         # seeds per profile, shared by baseline and perturbed profiles
    bias_scale: float = 3.0    # std of the random logits (discrete) / mean offsets (continuous)
    action_noise: float = 0.3  # std of the Gaussian noise of continuous-action policies
    confidence: float = 0.95   # family-wise confidence over the cells of one node
    atol: float = 1e-6         # effects smaller than atol + rtol * max|R| count as zero
    rtol: float = 0.02
    seed: int = 0
    max_steps: int = 100_000   # an episode longer than this is an error (a game that never ends)

    def __post_init__(self) -> None:
        if self.contexts < 1:
            raise ValueError(f"contexts must be >= 1, got {self.contexts}")
        if self.episodes < 2:
            raise ValueError(f"episodes must be >= 2 (a confidence interval needs two seeds), got {self.episodes}")
        if not 0.5 <= self.confidence < 1.0:
            raise ValueError(f"confidence must be in [0.5, 1), got {self.confidence}")


# --------------------------------------------------------------------------------------------
# Policies
# --------------------------------------------------------------------------------------------


class BiasedPolicy:
    """A stochastic policy with a fixed random bias, driven by the caller's random stream.

    Discrete(n): softmax(logits [n]) over the legal actions, sampled by inverse CDF from one
    uniform draw (so two policies fed the same stream differ only where their biases do).
    Box: clip(mean [shape] + noise * N(0, 1)) into the space's bounds.
    """

    def __init__(self, space: spaces.Space, bias: np.ndarray, noise: float) -> None:
        self.space = space
        self.bias = bias
        self.noise = noise

    @staticmethod
    def draw_bias(space: spaces.Space, scale: float, rng: np.random.Generator) -> np.ndarray:
        if isinstance(space, spaces.Discrete):
            return rng.normal(0.0, scale, size=int(space.n))
        if isinstance(space, spaces.Box):
            low = np.where(np.isfinite(space.low), space.low, -1.0)
            high = np.where(np.isfinite(space.high), space.high, 1.0)
            return rng.uniform(low, high).astype(np.float64)
        raise TreeError(f"BMaRS sampling supports Discrete and Box action spaces, not {type(space).__name__}")

    @staticmethod
    def neutral_bias(space: spaces.Space) -> np.ndarray:
        if isinstance(space, spaces.Discrete):
            return np.zeros(int(space.n))
        if isinstance(space, spaces.Box):
            low = np.where(np.isfinite(space.low), space.low, -1.0)
            high = np.where(np.isfinite(space.high), space.high, 1.0)
            return ((low + high) / 2.0).astype(np.float64)
        raise TreeError(f"BMaRS sampling supports Discrete and Box action spaces, not {type(space).__name__}")

    def act(self, mask: np.ndarray | None, rng: np.random.Generator) -> Any:
        if isinstance(self.space, spaces.Discrete):
            logits = self.bias - self.bias.max()
            weights = np.exp(logits)
            if mask is not None:
                weights = weights * (np.asarray(mask) > 0)
                if weights.sum() <= 0:
                    weights = (np.asarray(mask) > 0).astype(np.float64)
            cdf = np.cumsum(weights / weights.sum())
            u = rng.random()
            return int(self.space.start + min(int(np.searchsorted(cdf, u, side="right")), len(cdf) - 1))
        z = rng.normal(size=self.space.shape)
        action = np.clip(self.bias + self.noise * z, self.space.low, self.space.high)
        return action.astype(self.space.dtype)


def _mask_of(observation: Any, info: Mapping[str, Any] | None) -> np.ndarray | None:
    if isinstance(observation, Mapping) and "action_mask" in observation:
        return np.asarray(observation["action_mask"])
    if info and "action_mask" in info:
        return np.asarray(info["action_mask"])
    return None


def play_episode(env: Any, policies: Mapping[str, BiasedPolicy], seed: int, agent_seed: Sequence[int],
                 max_steps: int, terms: Callable[[], Mapping[str, Mapping[str, float]]] | None = None,
                 ) -> dict[str, dict[str, float]]:
    """One episode of an env that pays a tree; returns its episode terms (agent -> node -> return):
    ``terms()`` when given, else ``env.episode_terms`` (a :func:`SocialTreeWrapper`'s).

    Agent i draws from ``np.random.default_rng([*agent_seed, i])``, whatever its policy."""
    agents = list(env.possible_agents)
    rngs = {a: np.random.default_rng([*agent_seed, i]) for i, a in enumerate(agents)}
    steps = 0
    if isinstance(env, ParallelEnv):
        obs, infos = env.reset(seed=seed)
        while env.agents:
            actions = {a: policies[a].act(_mask_of(obs.get(a), infos.get(a)), rngs[a]) for a in env.agents}
            obs, _, _, _, infos = env.step(actions)
            steps += 1
            if steps > max_steps:
                raise TreeError(f"an episode ran past {max_steps} steps; does the game end?")
    else:
        env.reset(seed=seed)
        for agent in env.agent_iter():
            observation, _, term, trunc, info = env.last()
            action = None if (term or trunc) else policies[agent].act(_mask_of(observation, info), rngs[agent])
            env.step(action)
            steps += 1
            if steps > max_steps:
                raise TreeError(f"an episode ran past {max_steps} steps; does the game end?")
    episode = terms() if terms is not None else env.episode_terms
    return {a: dict(t) for a, t in episode.items()}


# --------------------------------------------------------------------------------------------
# Statistics and classification
# --------------------------------------------------------------------------------------------


def t_quantile(p: float, dof: int) -> float:
    """Student-t quantile by the Cornish-Fisher expansion around the normal quantile (error
    below 1e-3 for dof >= 3 at the levels used here; no scipy needed)."""
    z = NormalDist().inv_cdf(p)
    v = float(dof)
    return (z + (z ** 3 + z) / (4 * v) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * v ** 2)
            + (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / (384 * v ** 3)
            + (79 * z ** 9 + 776 * z ** 7 + 1482 * z ** 5 - 1920 * z ** 3 - 945 * z) / (92160 * v ** 4))


def _paired(diff: np.ndarray, crit: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean and t half-width over the last axis (the seeds)."""
    n = diff.shape[-1]
    mean = diff.mean(axis=-1)
    sd = diff.std(axis=-1, ddof=1)
    return mean, crit * sd / math.sqrt(n)


@dataclass
class NodeEvidence:
    """The measured BMaRS class of one reward and why.

    Arrays are indexed [x, y]: x the perturbed agent, y the agent whose return moved; each cell
    reports the context where the effect was most significant. ``sum_*`` arrays are indexed [x].
    """

    path: str
    agents: list[str]
    declared: str | None
    measured: str
    effects: np.ndarray          # [X, Y] mean change of R_y when x alone changes policy
    ci_low: np.ndarray           # [X, Y]
    ci_high: np.ndarray          # [X, Y]
    significant: np.ndarray      # [X, Y] bool: significant in some context
    context: np.ndarray          # [X, Y] int: context of the reported cell
    sum_effects: np.ndarray      # [X] mean change of sum_y R_y
    sum_ci: np.ndarray           # [X, 2]
    sum_significant: np.ndarray  # [X] bool
    sum_stats: dict[str, float]  # mean, std, min, max of the per-episode sum over agents
    tolerance: float
    episodes: int
    opposed: tuple[str, str, str, float, float] | None = None   # (perturbed, y1, y2, dR_y1, dR_y2)
    aligned: tuple[str, str, str, float, float] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def matches(self) -> bool | None:
        return None if self.declared is None else self.declared == self.measured

    def _cell(self, x: int, y: int) -> str:
        lo, hi = self.ci_low[x, y], self.ci_high[x, y]
        return (f"perturbing {self.agents[x]}'s policy (context {int(self.context[x, y])}) moved "
                f"R[{self.agents[y]}] by {self.effects[x, y]:+.4g} (CI [{lo:+.4g}, {hi:+.4g}])")

    def counter_example(self, claim: str) -> str | None:
        """Why ``claim`` does not hold, or ``None`` when it does."""
        if claim not in BMARS_CLASSES:
            raise ValueError(f"unknown BMaRS class {claim!r}; use one of {', '.join(BMARS_CLASSES)}")
        if claim == self.measured:
            return None
        n = len(self.agents)
        self_cells = [(x, x) for x in range(n) if self.significant[x, x]]
        cross_cells = [(x, y) for x in range(n) for y in range(n) if x != y and self.significant[x, y]]

        def best(cells: list[tuple[int, int]]) -> tuple[int, int]:
            return max(cells, key=lambda c: abs(self.effects[c]))

        prefix = f"{self.path}: claimed {claim}, measured {self.measured}: "
        if self.measured == "NL":
            return prefix + ("no agent's own policy measurably changed its own return (largest own effect "
                             f"{np.max(np.abs(np.diag(self.effects))):.3g}, tolerance {self.tolerance:.3g}, "
                             f"{self.episodes} episodes); either the reward cannot be learned or its effect "
                             "needs more episodes")
        if claim == "NL":
            return prefix + self._cell(*best(self_cells)) + ": an agent's own policy changes its own return"
        if claim == "IS" or (self.measured == "IS"):
            if cross_cells:
                return prefix + self._cell(*best(cross_cells)) + ": another agent's policy matters"
            return prefix + "no agent's return depends on another agent's policy, so the reward is isolated"
        if claim == "CP":
            xs = [x for x in range(n) if self.sum_significant[x]]
            if xs:
                x = max(xs, key=lambda i: abs(self.sum_effects[i]))
                lo, hi = self.sum_ci[x]
                return prefix + (f"the sum over agents is not constant: perturbing {self.agents[x]} moved "
                                 f"sum R by {self.sum_effects[x]:+.4g} (CI [{lo:+.4g}, {hi:+.4g}]); per-episode "
                                 f"sum ranged {self.sum_stats['min']:.4g}..{self.sum_stats['max']:.4g}")
            return prefix + "the sum over agents did not move, yet the class differs"
        if claim == "CL":
            if self.opposed:
                z, a, b, da, db = self.opposed
                return prefix + (f"perturbing {z} moved R[{a}] by {da:+.4g} and R[{b}] by {db:+.4g}: "
                                 f"{a} and {b} have opposed interests")
            return prefix + "no pair of agents is strictly aligned (no perturbation moves two returns together)"
        # claim == "CC"
        if self.measured == "CP":
            return prefix + (f"the sum over agents is constant (per-episode sum {self.sum_stats['min']:.4g}.."
                             f"{self.sum_stats['max']:.4g}, no perturbation moved it): pure competition")
        if self.measured == "CL":
            z, a, b, da, db = self.aligned or ("?", "?", "?", 0.0, 0.0)
            return prefix + (f"no pair of agents has opposed interests (e.g. perturbing {z} moved R[{a}] "
                             f"by {da:+.4g} and R[{b}] by {db:+.4g}): pure collaboration")
        return prefix + "see the effects matrix"

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path, "agents": self.agents, "declared": self.declared, "measured": self.measured,
            "matches": self.matches, "episodes": self.episodes, "tolerance": self.tolerance,
            "effects": np.round(self.effects, 6).tolist(), "ci_low": np.round(self.ci_low, 6).tolist(),
            "ci_high": np.round(self.ci_high, 6).tolist(), "significant": self.significant.tolist(),
            "sum_effects": np.round(self.sum_effects, 6).tolist(),
            "sum_ci": np.round(self.sum_ci, 6).tolist(), "sum_significant": self.sum_significant.tolist(),
            "sum": {k: round(v, 6) for k, v in self.sum_stats.items()},
            "opposed": list(self.opposed) if self.opposed else None,
            "aligned": list(self.aligned) if self.aligned else None,
            "counter_example": self.counter_example(self.declared) if self.declared else None,
            "notes": self.notes,
        }


def classify_returns(returns: np.ndarray, agents: Sequence[str], config: BmarsConfig | None = None,
                     path: str = "/", declared: str | None = None) -> NodeEvidence:
    """Classify from episode returns ``returns[c, k, e, y]``: context c, profile k (0 = baseline,
    1 + x = agent x perturbed), seed e, agent y. See the module docstring for the tests."""
    config = config or BmarsConfig()
    returns = np.asarray(returns, dtype=np.float64)
    n_ctx, n_prof, n_ep, n_agents = returns.shape
    if n_prof != n_agents + 1 or len(agents) != n_agents:
        raise ValueError(f"returns must be [contexts, 1 + agents, episodes, agents], got {returns.shape} "
                         f"for {len(agents)} agents")
    # Two Bonferroni families: own-return cells (decide NL) and cross cells (decide IS).
    alpha = 1.0 - config.confidence
    crit_self = t_quantile(1.0 - alpha / (2.0 * n_ctx * n_agents), n_ep - 1)
    crit_cross = t_quantile(1.0 - alpha / (2.0 * n_ctx * n_agents * max(n_agents - 1, 1)), n_ep - 1)
    crit = np.full((n_agents, n_agents), crit_cross)
    np.fill_diagonal(crit, crit_self)
    scale = float(np.max(np.abs(returns))) if returns.size else 0.0
    tol = config.atol + config.rtol * scale
    diff = returns[:, 1:, :, :] - returns[:, :1, :, :]           # [C, X, E, Y]
    mean, unit = _paired(np.moveaxis(diff, 2, -1), 1.0)          # [C, X, Y]
    half = unit * crit[None]
    sig = (np.abs(mean) > half) & (np.abs(mean) > tol)           # [C, X, Y]
    # Report per cell the context with the largest |mean| / half-width (significant ones first).
    score = np.where(sig, 1e12, 0.0) + np.abs(mean) / np.maximum(half, 1e-12)
    best_c = np.argmax(score, axis=0)                             # [X, Y]
    xs, ys = np.meshgrid(np.arange(n_agents), np.arange(n_agents), indexing="ij")
    effects = mean[best_c, xs, ys]
    half_best = half[best_c, xs, ys]

    sums = returns.sum(axis=-1)                                   # [C, K, E]
    sum_scale = float(np.max(np.abs(sums))) if sums.size else 0.0
    sum_tol = config.atol + config.rtol * sum_scale
    sum_crit = t_quantile(1.0 - (1.0 - config.confidence) / (2.0 * n_ctx * n_agents), n_ep - 1)
    sum_mean, sum_half = _paired(sums[:, 1:, :] - sums[:, :1, :], sum_crit)   # [C, X]
    sum_sig = (np.abs(sum_mean) > sum_half) & (np.abs(sum_mean) > sum_tol)
    sum_best = np.argmax(np.where(sum_sig, 1e12, 0.0) + np.abs(sum_mean) / np.maximum(sum_half, 1e-12), axis=0)
    sum_eff = sum_mean[sum_best, np.arange(n_agents)]
    sum_h = sum_half[sum_best, np.arange(n_agents)]

    opposed = aligned = None
    for c in range(n_ctx):
        for z in range(n_agents):
            moved = [y for y in range(n_agents) if sig[c, z, y]]
            for i, a in enumerate(moved):
                for b in moved[i + 1:]:
                    pair = (agents[z], agents[a], agents[b], float(mean[c, z, a]), float(mean[c, z, b]))
                    if mean[c, z, a] * mean[c, z, b] < 0:
                        if opposed is None or abs(pair[3] * pair[4]) > abs(opposed[3] * opposed[4]):
                            opposed = pair
                    elif aligned is None or abs(pair[3] * pair[4]) > abs(aligned[3] * aligned[4]):
                        aligned = pair

    self_effect = any(sig[:, x, x].any() for x in range(n_agents))
    cross_effect = any(sig[:, x, y].any() for x in range(n_agents) for y in range(n_agents) if x != y)
    if not self_effect:
        measured = "NL"
    elif not cross_effect:
        measured = "IS"
    elif not sum_sig.any():
        measured = "CP"
    elif opposed is None and aligned is not None:
        measured = "CL"
    else:
        measured = "CC"
    notes = []
    if scale == 0.0:
        notes.append("every return was exactly 0")
    elif measured == "NL":
        diag = np.abs(mean[:, np.arange(n_agents), np.arange(n_agents)]) / np.maximum(
            unit[:, np.arange(n_agents), np.arange(n_agents)], 1e-12)
        notes.append(f"no significant own-policy effect (largest t = {float(diag.max()):.2g}, needed "
                     f"{crit_self:.2g}); a small effect may need more episodes")
    return NodeEvidence(
        path=path, agents=list(agents), declared=declared, measured=measured, effects=effects,
        ci_low=effects - half_best, ci_high=effects + half_best, significant=sig.any(axis=0),
        context=best_c, sum_effects=sum_eff, sum_ci=np.stack([sum_eff - sum_h, sum_eff + sum_h], axis=-1),
        sum_significant=sum_sig.any(axis=0),
        sum_stats={"mean": float(sums.mean()), "std": float(sums.std()), "min": float(sums.min()),
                   "max": float(sums.max())},
        tolerance=tol, episodes=int(n_ctx * n_prof * n_ep), opposed=opposed, aligned=aligned, notes=notes)


def assert_scheme(evidence: NodeEvidence, claim: str) -> NodeEvidence:
    """Raise :class:`SchemeAssertionError` with a counter-example unless ``evidence`` measured
    ``claim``; returns the evidence otherwise."""
    problem = evidence.counter_example(claim)
    if problem is not None:
        raise SchemeAssertionError(problem)
    return evidence


@dataclass
class BmarsReport:
    """Evidence for every node of a tree that has schemes, in preorder."""

    game: str
    nodes: list[NodeEvidence]
    config: BmarsConfig
    source: str = ""  # which tree was measured (arena verify-rewards prints it)

    def node(self, path: str) -> NodeEvidence:
        for evidence in self.nodes:
            if evidence.path == path:
                return evidence
        raise KeyError(f"no node {path!r} in the report; nodes: {', '.join(e.path for e in self.nodes)}")

    def assert_scheme(self, path: str, claim: str) -> NodeEvidence:
        """``assert_scheme(report.node(path), claim)``."""
        return assert_scheme(self.node(path), claim)

    def to_dict(self) -> dict[str, Any]:
        return {"game": self.game, "tree": self.source, "contexts": self.config.contexts, "episodes": self.config.episodes,
                "seed": self.config.seed, "confidence": self.config.confidence,
                "nodes": [e.to_dict() for e in self.nodes]}


def measure_tree(make_env: Callable[[], Any], tree: SocialTree | Mapping[str, Any] | str,
                 config: BmarsConfig | None = None, *, game: str = "",
                 progress: Callable[[int, int], None] | None = None, **wrapper_kwargs: Any) -> BmarsReport:
    """Classify every node of ``tree`` (that has schemes) laid over ``make_env()``.

    ``make_env`` builds the raw PettingZoo env (ParallelEnv or AECEnv); the tree is wrapped around
    it with :func:`SocialTreeWrapper` and ``wrapper_kwargs``. ``progress(done, total)`` is called
    after every episode."""
    env = SocialTreeWrapper(make_env(), tree, **wrapper_kwargs)
    return _measure(env, env.tree, None, config or BmarsConfig(), game, progress)


def _measure(env: Any, tree: SocialTree, terms: Callable[[], Mapping[str, Mapping[str, float]]] | None,
             config: BmarsConfig, game: str, progress: Callable[[int, int], None] | None) -> BmarsReport:
    """Play the BMaRS experiment on ``env`` (which pays ``tree``) and classify every node."""
    if not isinstance(env, ParallelEnv | AECEnv):
        raise TypeError("make_env must build a PettingZoo env")
    agents = list(env.possible_agents)
    n = len(agents)
    nodes = [p for p in tree.preorder() if tree.info(p).schemes]
    if not nodes:
        raise TreeError("the tree has no reward schemes to classify")
    keys = [tree.info(p).path_str for p in nodes]
    rng = np.random.default_rng([config.seed, 7])
    action_spaces = {a: env.action_space(a) for a in agents}
    returns = np.zeros((len(nodes), config.contexts, n + 1, config.episodes, n))
    total = config.contexts * (n + 1) * config.episodes
    done = 0
    for c in range(config.contexts):
        base = {a: (BiasedPolicy.neutral_bias(action_spaces[a]) if c == 0 else
                    BiasedPolicy.draw_bias(action_spaces[a], config.bias_scale, rng)) for a in agents}
        swaps = {a: BiasedPolicy.draw_bias(action_spaces[a], config.bias_scale, rng) for a in agents}
        for k in range(n + 1):
            biases = dict(base)
            if k > 0:
                biases[agents[k - 1]] = swaps[agents[k - 1]]
            policies = {a: BiasedPolicy(action_spaces[a], biases[a], config.action_noise) for a in agents}
            for e in range(config.episodes):
                seed = config.seed * 100_003 + c * 1009 + e
                episode = play_episode(env, policies, seed, (config.seed, c, e), config.max_steps, terms)
                for i, key in enumerate(keys):
                    returns[i, c, k, e] = [episode.get(a, {}).get(key, 0.0) for a in agents]
                done += 1
                if progress is not None:
                    progress(done, total)
    env.close()
    evidence = [classify_returns(returns[i], agents, config, keys[i], expected_node_class(tree, p))
                for i, p in enumerate(nodes)]
    return BmarsReport(game=game, nodes=evidence, config=config)


def classify_reward(make_env: Callable[[], Any], reward: Callable[..., Any], config: BmarsConfig | None = None,
                    *, kind: str = "custom", declared: str | None = None, **wrapper_kwargs: Any) -> NodeEvidence:
    """Classify a user's joint reward function ``reward(ctx, path) -> {agent: float} | float``
    (the :class:`~arena.social.schemes.Custom` signature) over an env whose agents are its own."""
    probe = make_env()
    agents = list(probe.possible_agents)
    probe.close()
    tree = SocialTree(Team(children=[Agent(i, a) for i, a in enumerate(agents)],
                           schemes=[Custom(reward, kind=kind, declared=declared)]))
    return measure_tree(make_env, tree, config, **wrapper_kwargs).nodes[0]



# --------------------------------------------------------------------------------------------
# The tree an env pays
# --------------------------------------------------------------------------------------------


@dataclass
class PaidTree:
    """The social tree an env pays and where it comes from.

    ``source``: ``"wrapper"`` (a :func:`SocialTreeWrapper` in the env's wrapper chain pays it;
    the outermost one when there are several) or ``"engine"`` (the env's own tree,
    ``env.unwrapped.social_tree``, e.g. a 2-D arena game's YAML tree). ``payer``: the wrapper
    object, or the unwrapped env.
    """

    tree: SocialTree
    source: str
    payer: Any

    def describe(self) -> str:
        if self.source == "wrapper":
            mode = " added to the env's own reward" if getattr(self.payer.core, "reward_mode", "") == "add" else ""
            inner = getattr(self.payer.unwrapped, "social_tree", None)
            also = " (the engine's own tree underneath is not what the env pays)" if inner is not None else ""
            return f"the tree of the SocialTreeWrapper the env is wrapped in{mode}{also}"
        return "the env's own tree (declared by the game, e.g. its YAML), paid by the engine"


def paid_tree(env: Any) -> PaidTree | None:
    """The tree ``env`` pays: the outermost :func:`SocialTreeWrapper` in its wrapper chain, else
    the engine's own ``social_tree``, else ``None`` (the env pays no social tree)."""
    from arena.social.wrapper import SocialTreeAECWrapper, SocialTreeParallelWrapper

    layer, seen = env, set()
    while layer is not None and id(layer) not in seen:
        seen.add(id(layer))
        if isinstance(layer, SocialTreeParallelWrapper | SocialTreeAECWrapper):
            return PaidTree(layer.tree, "wrapper", layer)
        layer = getattr(layer, "env", None)
    base = getattr(env, "unwrapped", env)
    own = getattr(base, "social_tree", None)
    if isinstance(own, SocialTree):
        return PaidTree(own, "engine", base)
    return None


class _EngineTerms(ParallelEnv):
    """A Parallel env that pays its own tree, with its per-node terms summed over the episode.

    The env reports each step's terms in ``infos[agent]["reward_terms"]`` once its
    ``reward_terms`` switch is on (the 2-D arena games' protocol; this turns it on)."""

    def __init__(self, env: ParallelEnv) -> None:
        self.env = env
        base = env.unwrapped
        if not hasattr(base, "reward_terms"):
            raise TreeError(f"{type(base).__name__} declares a social_tree but cannot report its reward terms "
                            "(infos[agent]['reward_terms']); pass the tree with --tree to lay it over the env")
        base.reward_terms = True
        engine = getattr(base, "game", None)
        if hasattr(engine, "track_terms"):
            engine.track_terms = True
        self.possible_agents = list(env.possible_agents)
        self.agents: list[str] = []
        self.metadata = dict(getattr(env, "metadata", {}) or {})
        self.episode_terms: dict[str, dict[str, float]] = {}

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[dict, dict]:
        obs, infos = self.env.reset(seed=seed, options=options)
        self.agents = list(self.env.agents)
        self.episode_terms = {a: {} for a in self.possible_agents}
        return obs, infos

    def step(self, actions: Mapping[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        out = self.env.step(actions)
        for agent, info in out[4].items():
            table = self.episode_terms.setdefault(agent, {})
            for key, value in dict(info).get("reward_terms", {}).items():
                table[key] = table.get(key, 0.0) + float(value)
        self.agents = list(self.env.agents)
        return out

    def observation_space(self, agent: str) -> Any:
        return self.env.observation_space(agent)

    def action_space(self, agent: str) -> Any:
        return self.env.action_space(agent)

    def close(self) -> None:
        self.env.close()


def measure_paid(make_env: Callable[[], Any], config: BmarsConfig | None = None, *, game: str = "",
                 progress: Callable[[int, int], None] | None = None) -> BmarsReport:
    """Classify every node of the tree ``make_env()`` itself pays (:func:`paid_tree`), from the
    per-node terms the env reports: exactly what the env pays, with no second evaluation of the
    tree (a batched engine's Custom hooks included)."""
    env = make_env()
    paid = paid_tree(env)
    if paid is None:
        env.close()
        raise TreeError(f"{game or type(env).__name__} pays no social tree (no SocialTreeWrapper, no social_tree); "
                        "pass a tree to lay over it")
    if paid.source == "wrapper":
        wrapper = paid.payer
        return _measure(env, paid.tree, lambda: wrapper.episode_terms, config or BmarsConfig(), game, progress)
    if not isinstance(env, ParallelEnv):
        raise TreeError(f"{game or type(env).__name__}: measuring an engine's own tree needs a Parallel env")
    recorder = _EngineTerms(env)
    return _measure(recorder, paid.tree, None, config or BmarsConfig(), game, progress)
