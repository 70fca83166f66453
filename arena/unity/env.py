"""Unity games (ML-Agents) as PettingZoo environments.

:class:`UnityParallelEnv` drives a Unity player -- a build on disk, or the Editor after pressing
Play -- through ``mlagents_envs.environment.UnityEnvironment`` and shows it with the PettingZoo
Parallel API; :func:`unity_aec_env` gives the AEC view of the same game.

How ML-Agents concepts map onto PettingZoo:

* **Agents.** ML-Agents groups agents by *behavior* (``Striker?team=1``) and numbers them with an
  integer id. The PettingZoo name is ``"<behavior>/<id>"`` (``"Striker?team=1/3"``); the team is
  the ``team=N`` of the behavior name (0 when absent). With ``agent_names="index"`` the name is
  ``"<behavior>/<k>"`` instead, k counting the behavior's agents in order of appearance in the
  episode: stable across episodes even where Unity gives re-enabled agents new ids, which is what
  a social tree or a per-seat policy wants. :attr:`UnityParallelEnv.agent_teams` and
  :meth:`UnityParallelEnv.teams` expose the teams.
* **Decisions.** Every ``step`` advances Unity until at least one live agent requests a decision
  or ends its episode (agents with a ``DecisionRequester`` period > 1 are therefore stepped over
  the frames between decisions). Live agents that did not request a decision keep their last
  observation, get reward 0 for the step (ML-Agents pays the accumulated reward at the next
  decision) and have ``info["decision_requested"] == False``; their actions are ignored.
* **Episode ends.** An agent in ML-Agents' ``TerminalSteps`` is *terminated*, or *truncated* when
  the episode was interrupted (``Max Step`` reached). ``max_cycles`` truncates every live agent
  after that many PettingZoo steps. The PettingZoo episode ends when no agent is left.
* **Appearing, dying and respawning.** An agent id that shows up mid-episode joins ``agents`` (and
  ``possible_agents``, which grows as Unity reveals agents: Unity does not announce them ahead).
  After an agent's episode ends, ML-Agents usually starts its next episode at once under the same
  id. PettingZoo forbids reviving a finished agent, so with ``respawn=False`` (the default: one
  PettingZoo episode is one round of the game) the new life sits out until :meth:`reset`, getting
  zero actions, and with ``respawn=True`` it joins as a new agent ``"<behavior>/<id>#<life>"``.
* **Spaces.** Vector sensors become ``Box(-inf, inf, shape, float32)``, visual sensors ``Box(0, 1,
  (H, W, C), float32)``. ``observation_format="auto"`` gives the bare ``Box`` for a single sensor
  with no discrete actions, otherwise a ``Dict`` keyed by sensor name plus ``"action_mask"``
  (``int8``, 1 = allowed; a tuple of arrays, one per branch, for several branches;
  ``"discrete_action_mask"`` for hybrid actions). Actions: ``Box(-1, 1, (n,), float32)``
  (continuous, clipped to the bounds), ``Discrete(n)`` (one branch), ``MultiDiscrete`` (several),
  ``Tuple((Box, Discrete | MultiDiscrete))`` (hybrid).

Unity's random seed is fixed when the player starts (``seed=``); ``reset(seed=...)`` seeds the
action and observation spaces only. ``reset(options={"environment_parameters": {...}})`` sends
new environment parameters before the reset.
"""

from __future__ import annotations

import atexit
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from gymnasium import spaces
from pettingzoo import AECEnv, ParallelEnv

from arena.unity.errors import (
    UnityBuildNotFoundError,
    UnityError,
    UnityNotInstalledError,
    UnityPortInUseError,
    UnityTimeoutError,
    UnityVersionMismatchError,
)

if TYPE_CHECKING:
    from mlagents_envs.base_env import BehaviorSpec, DecisionSteps, TerminalSteps

ObservationFormat = Literal["auto", "dict", "tuple"]

# Unity steps that may pass without any live agent asking for a decision before we give up:
# far above any sensible DecisionRequester period, small enough to fail fast on a stuck game.
MAX_IDLE_UNITY_STEPS = 10_000

_TEAM_PATTERN = re.compile(r"(?:^|&)team=(-?\d+)(?:&|$)")


def split_behavior_name(behavior: str) -> tuple[str, int]:
    """``"Striker?team=1"`` -> ``("Striker", 1)``; a behavior without ``?team=`` is team 0."""
    base, _, query = behavior.partition("?")
    match = _TEAM_PATTERN.search(query)
    return base, int(match.group(1)) if match else 0


def _import_mlagents() -> Any:
    """Import mlagents_envs behind Arena's compatibility shim (see :mod:`arena.unity._compat`)."""
    from arena.unity import _compat

    try:
        _compat.install()
    except _compat.MLAgentsNotInstalledError as exc:
        raise UnityNotInstalledError(str(exc)) from None
    import mlagents_envs.environment

    return mlagents_envs


@dataclass
class _Behavior:
    """What Arena derived from one ML-Agents ``BehaviorSpec``."""

    name: str
    base: str
    team: int
    spec: BehaviorSpec
    sensor_keys: tuple[str, ...]
    observation_space: spaces.Space
    action_space: spaces.Space
    mask_key: str | None  # the discrete action mask's key in a Dict observation (None: not there)


def _sensor_keys(spec: BehaviorSpec) -> tuple[str, ...]:
    keys: list[str] = []
    for index, observation_spec in enumerate(spec.observation_specs):
        key = observation_spec.name or f"obs_{index}"
        if key in keys or key in ("action_mask", "discrete_action_mask"):
            key = f"obs_{index}"
        keys.append(key)
    return tuple(keys)


def _action_space(spec: BehaviorSpec) -> spaces.Space:
    action_spec = spec.action_spec
    continuous = (spaces.Box(-1.0, 1.0, (action_spec.continuous_size,), np.float32)
                  if action_spec.continuous_size else None)
    branches = tuple(int(b) for b in action_spec.discrete_branches)
    discrete: spaces.Space | None = None
    if len(branches) == 1:
        discrete = spaces.Discrete(branches[0])
    elif branches:
        discrete = spaces.MultiDiscrete(np.array(branches, dtype=np.int64))
    if continuous is not None and discrete is not None:
        return spaces.Tuple((continuous, discrete))
    if continuous is not None:
        return continuous
    if discrete is not None:
        return discrete
    raise UnityError("a Unity behavior has neither continuous nor discrete actions: give its Behavior "
                     "Parameters at least one action")


def _mask_space(branches: tuple[int, ...]) -> spaces.Space:
    boxes = [spaces.Box(0, 1, (n,), np.int8) for n in branches]
    return boxes[0] if len(boxes) == 1 else spaces.Tuple(boxes)


def _describe_behavior(name: str, spec: BehaviorSpec, observation_format: ObservationFormat) -> _Behavior:
    base, team = split_behavior_name(name)
    keys = _sensor_keys(spec)
    sensor_spaces: list[spaces.Box] = []
    for observation_spec in spec.observation_specs:
        shape = tuple(int(d) for d in observation_spec.shape)
        if len(shape) == 3:  # camera / render-texture sensors: (H, W, C) floats in [0, 1]
            sensor_spaces.append(spaces.Box(0.0, 1.0, shape, np.float32))
        else:
            sensor_spaces.append(spaces.Box(-np.inf, np.inf, shape, np.float32))
    branches = tuple(int(b) for b in spec.action_spec.discrete_branches)
    hybrid = bool(branches) and spec.action_spec.continuous_size > 0
    mask_key = None if not branches else ("discrete_action_mask" if hybrid else "action_mask")
    fmt = observation_format
    if fmt == "auto":
        fmt = "box" if len(sensor_spaces) == 1 and mask_key is None else "dict"
    observation_space: spaces.Space
    if fmt == "box":
        observation_space = sensor_spaces[0]
    elif fmt == "tuple":
        observation_space = spaces.Tuple(sensor_spaces)
        mask_key = None  # a Tuple has no place for it: the mask is in the info dict
    else:
        entries: dict[str, spaces.Space] = dict(zip(keys, sensor_spaces))
        if mask_key is not None:
            entries[mask_key] = _mask_space(branches)
        observation_space = spaces.Dict(entries)
    return _Behavior(name, base, team, spec, keys, observation_space, _action_space(spec), mask_key)


class UnityParallelEnv(ParallelEnv):
    """A Unity ML-Agents game as a PettingZoo Parallel environment (see the module docstring).

    Args:
        file_name: path of the Unity build (``Game.x86_64``, ``Game.app``, ``Game.exe`` or the name
            without extension); ``None`` waits for the Unity Editor (press Play after creating).
        worker_id: offset added to ``base_port``; give each concurrent environment its own.
        base_port: gRPC port (plus ``worker_id``) Python listens on; ``None``: ML-Agents' defaults
            (5005 for builds, 5004 for the Editor); ``"auto"``: a free port chosen by the operating
            system (builds only), so that parallel workers and test runs never collide.
        seed: Unity's random seed, fixed for the life of the player.
        no_graphics: run the player with ``-nographics -batchmode`` (headless; cameras then render
            nothing, so only for games without visual observations).
        time_scale, width, height, quality_level, target_frame_rate, capture_frame_rate: engine
            settings sent through ML-Agents' engine-configuration side channel (``None``: leave
            Unity's value).
        environment_parameters: floats sent through the environment-parameters side channel
            (read in C# with ``Academy.Instance.EnvironmentParameters.GetWithDefault``).
        additional_args: extra command-line arguments for the player.
        timeout_wait: seconds to wait for Unity to connect and to answer each step.
        log_folder: absolute folder for the player's log file.
        side_channels: extra ML-Agents side channels (custom messages between Python and C#).
        max_cycles: truncate every live agent after this many ``step`` calls (``None``: never).
        respawn: let agents that start a new ML-Agents episode rejoin as new PettingZoo agents.
        observation_format: ``"auto"``, ``"dict"`` or ``"tuple"`` (see the module docstring).
        agent_names: ``"id"`` (``behavior/Unity id``) or ``"index"`` (``behavior/k``, stable across
            episodes; see the module docstring).
        include_group_reward: add ML-Agents' group reward (``SimpleMultiAgentGroup``) to each
            agent's reward; it is always in ``info["group_reward"]``.
        render_mode: ``None`` or ``"rgb_array"`` (the first visual observation of the first live
            agent, as ``uint8[H, W, 3]``).
    """

    metadata = {"name": "unity_v0", "render_modes": ["rgb_array"], "is_parallelizable": True}

    def __init__(self, file_name: str | os.PathLike[str] | None = None, *, worker_id: int = 0,
                 base_port: int | Literal["auto"] | None = None, seed: int = 0, no_graphics: bool = False,
                 time_scale: float | None = 20.0, width: int | None = None, height: int | None = None,
                 quality_level: int | None = None, target_frame_rate: int | None = None,
                 capture_frame_rate: int | None = None,
                 environment_parameters: Mapping[str, float] | None = None,
                 additional_args: Sequence[str] = (), timeout_wait: int = 60,
                 log_folder: str | None = None, side_channels: Sequence[Any] = (),
                 max_cycles: int | None = None, respawn: bool = False,
                 observation_format: ObservationFormat = "auto", include_group_reward: bool = False,
                 agent_names: Literal["id", "index"] = "id", render_mode: str | None = None) -> None:
        if observation_format not in ("auto", "dict", "tuple"):
            raise ValueError(f"observation_format={observation_format!r}: use 'auto', 'dict' or 'tuple'")
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode={render_mode!r}: Unity environments offer None or 'rgb_array'")
        if agent_names not in ("id", "index"):
            raise ValueError(f"agent_names={agent_names!r}: use 'id' (behavior/Unity id) or 'index' "
                             "(behavior/order of appearance in the episode)")
        if (width is None) != (height is None):
            raise ValueError(f"width={width}, height={height}: give both (the screen resolution) or neither")
        if max_cycles is not None and max_cycles < 1:
            raise ValueError(f"max_cycles={max_cycles}: use a positive number of steps, or None")
        mlagents = _import_mlagents()
        from mlagents_envs.side_channel.engine_configuration_channel import EngineConfigurationChannel
        from mlagents_envs.side_channel.environment_parameters_channel import EnvironmentParametersChannel

        self.max_cycles = max_cycles
        self.respawn = respawn
        self.observation_format: ObservationFormat = observation_format
        self.include_group_reward = include_group_reward
        self.agent_names = agent_names
        self.render_mode = render_mode
        self._engine_channel = EngineConfigurationChannel()
        self._parameters_channel = EnvironmentParametersChannel()
        self._engine_channel.set_configuration_parameters(
            width=width, height=height, quality_level=quality_level, time_scale=time_scale,
            target_frame_rate=target_frame_rate, capture_frame_rate=capture_frame_rate)
        for key, value in (environment_parameters or {}).items():
            self._parameters_channel.set_float_parameter(key, float(value))

        path = None if file_name is None else os.fspath(file_name)
        if path is not None:
            from mlagents_envs.env_utils import validate_environment_path

            if validate_environment_path(path) is None:
                raise UnityBuildNotFoundError(
                    f"Unity build '{path}' not found: pass the built player (Linux: Game.x86_64, "
                    "macOS: Game.app, Windows: Game.exe; the extension may be left out), or "
                    "file_name=None to connect to the Unity Editor")
        if base_port == "auto":
            if path is None:
                raise ValueError("base_port='auto' needs a build: the Unity Editor always connects to port "
                                 "5004 (pass base_port=None)")
            from arena.unity import free_port

            base_port, worker_id = free_port(), 0
        port = (base_port if base_port is not None
                else mlagents.environment.UnityEnvironment.BASE_ENVIRONMENT_PORT if path
                else mlagents.environment.UnityEnvironment.DEFAULT_EDITOR_PORT) + worker_id
        self.port = port
        self._unity = _open_unity(
            mlagents, file_name=path, worker_id=worker_id, base_port=port - worker_id, seed=seed,
            no_graphics=no_graphics, timeout_wait=timeout_wait, additional_args=list(additional_args),
            side_channels=[self._engine_channel, self._parameters_channel, *side_channels],
            log_folder=log_folder)
        self._closed = False

        self._behaviors: dict[str, _Behavior] = {}
        self.possible_agents: list[str] = []
        self.agents: list[str] = []
        self.agent_teams: dict[str, int] = {}
        self.agent_behaviors: dict[str, str] = {}
        self._unity_key: dict[str, tuple[str, int]] = {}  # agent name -> its latest (behavior, Unity id)
        self._np_random_seed: int | None = None
        self._reset_episode_state()
        # Unity announces behaviors and agents only once it runs: reset now, so that spaces and
        # possible_agents exist before the first reset() (which then reuses this one).
        self._unity_reset()
        self._fresh = True

    # ------------------------------------------------------------------ PettingZoo API

    def observation_space(self, agent: str) -> spaces.Space:
        return self._behavior_of(agent).observation_space

    def action_space(self, agent: str) -> spaces.Space:
        return self._behavior_of(agent).action_space

    def reset(self, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, dict]]:
        """Start a new round: a Unity ``RESET`` (all agents begin new episodes).

        ``options["environment_parameters"]``: floats sent to Unity before the reset.
        """
        self._check_open()
        if seed is not None:
            self._seed_spaces(seed)
        parameters = dict((options or {}).get("environment_parameters") or {})
        for key, value in parameters.items():
            self._parameters_channel.set_float_parameter(str(key), float(value))
        if not (self._fresh and not parameters):
            self._unity_reset()
        self._fresh = False
        return {a: self._last_obs[a] for a in self.agents}, {a: dict(self._last_info[a]) for a in self.agents}

    def step(self, actions: Mapping[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        """Act for the live agents that requested a decision; advance Unity to the next decision.

        Returns observations, rewards, terminations, truncations and infos for the agents live
        before the step plus the agents that joined during it.
        """
        self._check_open()
        if not self.agents:
            raise UnityError("the episode is over (no live agents): call reset() before step()")
        unknown = [a for a in actions if a not in self._unity_key]
        if unknown:
            raise ValueError(f"actions for unknown agents {unknown[:3]}: the live agents are {self.agents[:6]}")
        self._fresh = False
        self._send_actions(actions)

        live_before = list(self.agents)
        rewards = dict.fromkeys(live_before, 0.0)
        terminations = dict.fromkeys(live_before, False)
        truncations = dict.fromkeys(live_before, False)
        for agent in live_before:
            self._last_info[agent]["decision_requested"] = False
        joined: list[str] = []
        ended: set[str] = set()
        for _ in range(MAX_IDLE_UNITY_STEPS):
            self._call_unity(self._unity.step)
            if self._collect(rewards, terminations, truncations, joined, ended):
                break
        else:
            raise UnityError(f"no live agent requested a decision in {MAX_IDLE_UNITY_STEPS} Unity steps: "
                             "check the agents' DecisionRequester components")
        self._cycles += 1
        if self.max_cycles is not None and self._cycles >= self.max_cycles:
            for agent in live_before + joined:
                if agent not in ended:
                    truncations[agent] = True
                    ended.add(agent)
        self.agents = [a for a in live_before + joined if a not in ended]
        for agent in ended:
            self._finished.add(self._unity_key[agent])
            self._live_key.pop(self._unity_key[agent], None)
        returned = live_before + joined
        observations = {a: self._last_obs[a] for a in returned}
        infos = {a: dict(self._last_info[a]) for a in returned}
        return observations, rewards, terminations, truncations, infos

    def render(self) -> np.ndarray | None:
        """``uint8[H, W, 3]``: the first visual observation of the first live agent (rgb_array)."""
        if self.render_mode is None:
            return None
        for agent in self.agents:
            behavior = self._behavior_of(agent)
            for index, observation_spec in enumerate(behavior.spec.observation_specs):
                if len(observation_spec.shape) == 3:
                    image = self._sensor_arrays[agent][index]
                    if image.shape[2] == 1:
                        image = np.repeat(image, 3, axis=2)
                    return (np.clip(image[..., :3], 0.0, 1.0) * 255).astype(np.uint8)
        raise UnityError("render_mode='rgb_array' needs a visual observation (a camera or render-texture "
                         "sensor) on a live agent")

    def close(self) -> None:
        """Shut the Unity player down (or release the Editor) and free the port."""
        if not getattr(self, "_closed", True):
            self._closed = True
            self._unity.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 -- interpreter shutdown: nothing left to report to
            pass

    # ------------------------------------------------------------------ teams and identities

    def teams(self) -> dict[int, list[str]]:
        """Team id (from ``Name?team=N``) -> the agents of ``possible_agents`` in it, in order."""
        result: dict[int, list[str]] = {}
        for agent in self.possible_agents:
            result.setdefault(self.agent_teams[agent], []).append(agent)
        return dict(sorted(result.items()))

    def unity_id(self, agent: str) -> tuple[str, int]:
        """``(behavior name, ML-Agents agent id)`` of a PettingZoo agent."""
        return self._unity_key[agent]

    @property
    def behavior_names(self) -> list[str]:
        """The ML-Agents behaviors Unity has announced so far, sorted."""
        return sorted(self._behaviors)

    @property
    def unity_env(self) -> Any:
        """The underlying ``mlagents_envs`` environment (for custom side channels and the like)."""
        return self._unity

    # ------------------------------------------------------------------ internals

    def _check_open(self) -> None:
        if self._closed:
            raise UnityError("this Unity environment is closed: create a new one")

    def _behavior_of(self, agent: str) -> _Behavior:
        try:
            return self._behaviors[self._unity_key[agent][0]]
        except KeyError:
            raise ValueError(f"unknown agent '{agent}': the agents seen so far are {self.possible_agents[:6]}") from None

    def _seed_spaces(self, seed: int) -> None:
        self._np_random_seed = seed
        for offset, behavior in enumerate(self._behaviors.values()):
            behavior.action_space.seed(seed + offset)
            behavior.observation_space.seed(seed + offset)

    def _reset_episode_state(self) -> None:
        self.agents = []
        self._cycles = 0
        self._live_key: dict[tuple[str, int], str] = {}  # (behavior, Unity id) -> live agent name
        self._finished: set[tuple[str, int]] = set()  # lives that ended this episode
        self._lives: dict[tuple[str, int], int] = {}
        self._appeared: dict[str, int] = {}  # behavior -> agents named so far (agent_names="index")
        self._last_obs: dict[str, Any] = {}
        self._sensor_arrays: dict[str, list[np.ndarray]] = {}
        self._last_info: dict[str, dict[str, Any]] = {}
        self._decision_rows: dict[str, tuple[np.ndarray, Any]] = {}

    def _call_unity(self, function: Any) -> None:
        from mlagents_envs.exception import UnityCommunicatorStoppedException, UnityTimeOutException

        try:
            function()
        except UnityTimeOutException:
            raise UnityTimeoutError(
                f"Unity stopped answering on port {self.port}: the player crashed, was closed, or is "
                "paused (raise timeout_wait for slow scenes)") from None
        except UnityCommunicatorStoppedException:
            raise UnityError("the Unity player closed the connection (it quit or was stopped)") from None

    def _unity_reset(self) -> None:
        self._reset_episode_state()
        self._call_unity(self._unity.reset)
        for _ in range(MAX_IDLE_UNITY_STEPS):
            joined: list[str] = []
            self._collect({}, {}, {}, joined, set())
            if joined:
                self.agents = joined
                return
            self._call_unity(self._unity.step)
        raise UnityError(f"no agent requested a decision in the first {MAX_IDLE_UNITY_STEPS} Unity steps "
                         "after a reset: check that the scene has agents with Behavior Type 'Default'")

    def _register_behaviors(self) -> None:
        for name, spec in self._unity.behavior_specs.items():
            if name not in self._behaviors:
                self._behaviors[name] = _describe_behavior(name, spec, self.observation_format)
                if self._np_random_seed is not None:
                    self._seed_spaces(self._np_random_seed)

    def _new_name(self, key: tuple[str, int]) -> str:
        behavior = key[0]
        if self.agent_names == "index":
            # The k-th agent of this behavior to appear in the episode: stable across episodes
            # even when Unity hands out new ids (re-enabled agents), which social trees and
            # per-seat policies need.
            index = self._appeared.get(behavior, 0)
            self._appeared[behavior] = index + 1
            name = f"{behavior}/{index}"
        else:
            life = self._lives.get(key, 0)
            self._lives[key] = life + 1
            name = f"{behavior}/{key[1]}" if life == 0 else f"{behavior}/{key[1]}#{life}"
        self._unity_key[name] = key
        if name not in self.agent_teams:
            self.agent_behaviors[name] = behavior
            self.agent_teams[name] = self._behaviors[behavior].team
            self.possible_agents.append(name)
        return name

    def _collect(self, rewards: dict[str, float], terminations: dict[str, bool],
                 truncations: dict[str, bool], joined: list[str], ended: set[str]) -> bool:
        """Read every behavior's decision and terminal steps after a Unity step or reset.

        Updates observations, infos and the given dicts in place; returns whether any live or new
        agent was concerned (otherwise the caller steps Unity again).
        """
        self._register_behaviors()
        event = False
        self._decision_rows = {}
        for behavior_name, behavior in self._behaviors.items():
            decision_steps, terminal_steps = self._unity.get_steps(behavior_name)
            for row, unity_id in enumerate(terminal_steps.agent_id):
                key = (behavior_name, int(unity_id))
                agent = self._live_key.get(key)
                if agent is None or agent in ended:
                    continue  # a life Arena never showed (benched or born and ended in one step)
                event = True
                self._store(agent, behavior, terminal_steps, row, None, False)
                interrupted = bool(terminal_steps.interrupted[row])
                rewards[agent] = rewards.get(agent, 0.0) + self._reward(terminal_steps, row)
                terminations[agent] = not interrupted
                truncations[agent] = interrupted
                self._last_info[agent]["interrupted"] = interrupted
                ended.add(agent)
                self._finished.add(key)
                del self._live_key[key]
            self._decision_rows[behavior_name] = (decision_steps.agent_id, decision_steps)
            for row, unity_id in enumerate(decision_steps.agent_id):
                key = (behavior_name, int(unity_id))
                agent = self._live_key.get(key)
                if agent is None:
                    if key in self._finished and not self.respawn:
                        continue  # this life waits for the next reset (PettingZoo: no revival)
                    agent = self._new_name(key)
                    self._live_key[key] = agent
                    joined.append(agent)
                    rewards[agent] = 0.0
                    terminations[agent] = False
                    truncations[agent] = False
                event = True
                self._store(agent, behavior, decision_steps, row, decision_steps.action_mask, True)
                rewards[agent] = rewards.get(agent, 0.0) + self._reward(decision_steps, row)
        return event

    def _reward(self, steps: DecisionSteps | TerminalSteps, row: int) -> float:
        reward = float(steps.reward[row])
        if self.include_group_reward:
            reward += float(steps.group_reward[row])
        return reward

    def _store(self, agent: str, behavior: _Behavior, steps: DecisionSteps | TerminalSteps, row: int,
               action_mask: list[np.ndarray] | None, decision_requested: bool) -> None:
        arrays = [np.asarray(obs[row], dtype=np.float32) for obs in steps.obs]
        self._sensor_arrays[agent] = arrays
        branches = tuple(int(b) for b in behavior.spec.action_spec.discrete_branches)
        masks: tuple[np.ndarray, ...] | None = None
        if branches:
            if action_mask is None:  # terminal steps carry no mask: everything allowed
                masks = tuple(np.ones(n, dtype=np.int8) for n in branches)
            else:  # ML-Agents: True = masked out; PettingZoo: 1 = allowed
                masks = tuple((~np.asarray(m[row], dtype=bool)).astype(np.int8) for m in action_mask)
        mask_value = None if masks is None else (masks[0] if len(masks) == 1 else masks)
        space = behavior.observation_space
        if isinstance(space, spaces.Box):
            observation: Any = arrays[0]
        elif isinstance(space, spaces.Tuple):
            observation = tuple(arrays)
        else:
            observation = dict(zip(behavior.sensor_keys, arrays))
            if behavior.mask_key is not None:
                observation[behavior.mask_key] = mask_value
        self._last_obs[agent] = observation
        behavior_name, unity_id = self._unity_key[agent]
        info: dict[str, Any] = {
            "behavior": behavior_name, "team": behavior.team, "unity_id": unity_id,
            "group_id": int(steps.group_id[row]), "group_reward": float(steps.group_reward[row]),
            "decision_requested": decision_requested,
        }
        if mask_value is not None:
            # The key a Dict observation uses too (PettingZoo's tests read either): under "action_mask"
            # they expect a mask for the whole action space, which a hybrid action's is not.
            hybrid = behavior.spec.action_spec.continuous_size > 0
            info["discrete_action_mask" if hybrid else "action_mask"] = mask_value
        self._last_info[agent] = info

    def _send_actions(self, actions: Mapping[str, Any]) -> None:
        from mlagents_envs.base_env import ActionTuple

        for behavior_name, (agent_ids, _) in self._decision_rows.items():
            if len(agent_ids) == 0:
                continue
            behavior = self._behaviors[behavior_name]
            action_spec = behavior.spec.action_spec
            # Rows of benched lives (respawn=False) keep the zero action.
            continuous = np.zeros((len(agent_ids), action_spec.continuous_size), dtype=np.float32)
            discrete = np.zeros((len(agent_ids), len(action_spec.discrete_branches)), dtype=np.int32)
            rows, agents = [], []
            for row, unity_id in enumerate(agent_ids):
                agent = self._live_key.get((behavior_name, int(unity_id)))
                if agent is None:
                    continue
                if agent not in actions:
                    raise ValueError(f"no action for live agent '{agent}', which requested a decision: "
                                     "pass an action for every agent in env.agents")
                rows.append(row)
                agents.append(agent)
            if rows:
                continuous[rows], discrete[rows] = _batch_actions(behavior, agents, [actions[a] for a in agents])
            self._unity.set_actions(behavior_name, ActionTuple(continuous=continuous, discrete=discrete))


def _batch_actions(behavior: _Behavior, agents: list[str], actions: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """PettingZoo actions of one behavior's agents -> ML-Agents arrays ``float32[k, continuous]``
    (clipped to [-1, 1]) and ``int32[k, branches]``, converted and checked as one batch."""
    action_spec = behavior.spec.action_spec
    k, size = len(actions), action_spec.continuous_size
    limits = np.asarray(action_spec.discrete_branches, dtype=np.int64)
    space = behavior.action_space
    try:
        if isinstance(space, spaces.Tuple):
            continuous_parts = [a[0] for a in actions]
            discrete_parts = [a[1] for a in actions]
            if any(len(a) != 2 for a in actions):
                raise ValueError
        elif isinstance(space, spaces.Box):
            continuous_parts, discrete_parts = actions, []
        else:
            continuous_parts, discrete_parts = [], actions
        continuous = np.asarray(continuous_parts, dtype=np.float32).reshape(k, size)
        discrete = np.asarray(discrete_parts).reshape(k, len(limits))
    except (TypeError, ValueError, IndexError):
        continuous = discrete = None
    valid = (continuous is not None and discrete is not None and bool(np.isfinite(continuous).all())
             and (discrete.size == 0 or (np.issubdtype(discrete.dtype, np.integer)
                                          and bool((discrete >= 0).all()) and bool((discrete < limits).all()))))
    if not valid:  # the slow path names the first offending agent
        for agent, action in zip(agents, actions):
            _check_action(agent, space, action)
        raise ValueError(f"actions for behavior '{behavior.name}' do not fit {space}")
    return np.clip(continuous, -1.0, 1.0), discrete.astype(np.int32)


def _check_action(agent: str, space: spaces.Space, action: Any) -> None:
    """Raise a one-line error naming ``agent`` when ``action`` does not fit its action space."""
    if isinstance(space, spaces.Tuple):
        if not isinstance(action, Sequence | np.ndarray) or len(action) != 2:
            raise ValueError(f"action for '{agent}' must be a pair (continuous, discrete) for {space}, "
                             f"got {action!r}")
        _check_action(agent, space.spaces[0], action[0])
        _check_action(agent, space.spaces[1], action[1])
        return
    try:
        values = np.asarray(action)
    except (TypeError, ValueError):
        values = np.asarray(None)
    if isinstance(space, spaces.Box):
        if (values.size != space.shape[0] or not np.issubdtype(values.dtype, np.number)
                or not np.isfinite(values.astype(np.float64)).all()):
            raise ValueError(f"action for '{agent}' must be {space.shape[0]} finite floats in [-1, 1], got {action!r}")
        return
    limits = np.array([space.n]) if isinstance(space, spaces.Discrete) else np.asarray(space.nvec)
    choices = values.reshape(-1)
    if (choices.shape != limits.shape or not np.issubdtype(choices.dtype, np.integer)
            or (choices < 0).any() or (choices >= limits).any()):
        raise ValueError(f"action for '{agent}' does not fit {space}: got {action!r}")


def _construct_unity(mlagents: Any, **kwargs: Any) -> Any:
    environment_class = mlagents.environment.UnityEnvironment
    unity = environment_class.__new__(environment_class)
    try:
        unity.__init__(**kwargs)
    except BaseException:
        # UnityEnvironment registers its _close with atexit before it can fail; left there, a
        # half-built environment prints a traceback when the interpreter exits.
        atexit.unregister(unity._close)
        raise
    return unity


def _open_unity(mlagents: Any, **kwargs: Any) -> Any:
    """``UnityEnvironment(**kwargs)`` with ML-Agents' exceptions turned into one-line Arena errors."""
    from mlagents_envs.exception import (
        UnityEnvironmentException,
        UnityTimeOutException,
        UnityWorkerInUseException,
    )

    port = kwargs["base_port"] + kwargs["worker_id"]
    try:
        return _construct_unity(mlagents, **kwargs)
    except UnityWorkerInUseException:
        raise UnityPortInUseError(
            f"port {port} is in use (another Unity environment or program listens there): pass a "
            "different worker_id or base_port, or close the other environment") from None
    except UnityTimeOutException:
        where = "the Unity Editor (press Play)" if kwargs["file_name"] is None else f"'{kwargs['file_name']}'"
        raise UnityTimeoutError(
            f"no Unity player connected on port {port} within {kwargs['timeout_wait']} s: start {where}, "
            "check that its agents' Behavior Type is 'Default', or raise timeout_wait") from None
    except UnityEnvironmentException as exc:
        text = str(exc)
        if "communication API version" in text:
            found = re.search(r"Unity API: ([^\s.]+(?:\.[^\s.]+)*)", text)
            unity_version = found.group(1) if found else "unknown"
            raise UnityVersionMismatchError(
                f"the Unity player speaks ML-Agents communication version {unity_version}, Python "
                f"(mlagents-envs {mlagents.__version__}) speaks "
                f"{mlagents.environment.UnityEnvironment.API_VERSION}: build the game with the ML-Agents "
                "Unity package of release 19 (com.unity.ml-agents 2.2.x)") from None
        raise UnityError(f"Unity failed to start: {text.splitlines()[0]}") from None


def unity_aec_env(file_name: str | os.PathLike[str] | None = None, **kwargs: Any) -> AECEnv:
    """The AEC view of :class:`UnityParallelEnv` (agents act one after another; Unity steps when
    the last live agent has acted)."""
    from pettingzoo.utils.conversions import parallel_to_aec

    return parallel_to_aec(UnityParallelEnv(file_name, **kwargs))


def team_tree(env: UnityParallelEnv, root_schemes: Sequence[Mapping[str, Any]] = (
        {"type": "Ranking", "mode": "Survive"},), root_condition: str = "AtLeastNumberLiving(2)") -> dict[str, Any]:
    """A social-tree dict (the YAML format of :mod:`arena.social.config`) with one node per ML-Agents
    team (``Name?team=N``) and one leaf per agent of ``env.possible_agents``.

    By default the root ranks the teams (``Ranking``/``Survive``: the last team standing is paid
    most) and the round ends when only one team lives. Add team- and agent-level schemes to the
    returned dict before passing it to :func:`arena.social.SocialTreeWrapper`.
    """
    teams = env.teams()
    return {
        "root": {
            "condition": root_condition,
            "schemes": [dict(s) for s in root_schemes],
            "children": [
                {"id": position, "name": f"team_{team}",
                 # Tree node names may not contain '/', which Unity agent names do: name the leaf
                 # by position and point it at the env agent.
                 "children": [{"id": i, "name": f"agent_{i}", "agent": agent} for i, agent in enumerate(agents)]}
                for position, (team, agents) in enumerate(teams.items())
            ],
        },
    }
